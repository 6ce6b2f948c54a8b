package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/check"
	"github.com/incident-bridge/incident-bridge/internal/config"
	demopkg "github.com/incident-bridge/incident-bridge/internal/demo"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

// runCheck wires `incident-bridge check`: the Zoom check matches the
// mode run would use.
func runCheck(ctx context.Context, cfg config.Config, w io.Writer) bool {
	hc := &http.Client{Timeout: 15 * time.Second}
	zc := zoom.New(cfg.ZoomAPIURL, hc)
	var zcheck check.ZoomCheck
	switch cfg.ZoomMode() {
	case config.ZoomServerToServer:
		ts := zoom.ServerToServer(cfg.ZoomOAuthURL, cfg.ZoomAccountID, cfg.ZoomClientID, cfg.ZoomClientSecret.Reveal(), hc)
		zcheck = check.ServerToServer(zoom.NewServerToServerService(zc, ts))
	case config.ZoomInstall:
		o := &zoom.OAuth{ClientID: cfg.ZoomClientID, ClientSecret: cfg.ZoomClientSecret.Reveal(), OAuthURL: cfg.ZoomOAuthURL,
			RedirectURL: cfg.PublicURL + "/zoom/oauth/callback", HTTPClient: hc}
		zcheck = check.Install(func(st *store.Store) check.ZoomService { return zoom.NewInstallService(zc, o, st) })
	}
	return check.Run(ctx, cfg, hc, zcheck, w)
}

// rekey re-encrypts the stored tokens from ENCRYPTION_KEY (or the key file)
// to NEW_ENCRYPTION_KEY. The app must be stopped (bbolt's file lock).
//
// It only works on what exists: a DB_PATH with no database behind it (a
// typo, the wrong volume) is refused rather than created empty and
// "re-encrypted", and without ENCRYPTION_KEY the key file must already
// exist (rekey never creates one).
func rekey(ctx context.Context, cfg config.Config, w io.Writer) error {
	info, err := os.Stat(cfg.DBPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no database at DB_PATH %s: set DB_PATH to the app's database file", cfg.DBPath)
	case err != nil:
		return fmt.Errorf("check DB_PATH: %w", err)
	case !info.Mode().IsRegular():
		return fmt.Errorf("DB_PATH %s is not a database file", cfg.DBPath)
	}
	if cfg.EncryptionKey == "" {
		kf := store.KeyFile(cfg.DBPath)
		if _, err := os.Stat(kf); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("ENCRYPTION_KEY is not set and there is no key file %s: set ENCRYPTION_KEY to the key the database was created with", kf)
		}
	}
	key, _, err := store.LoadOrCreateKey(cfg.DBPath, []byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.DBPath, store.Options{Key: key, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("%w (stop the app first: bbolt allows one process)", err)
	}
	if err := st.Rekey(ctx, []byte(cfg.NewEncryptionKey.Reveal())); err != nil {
		_ = st.Close() // the rekey error is what matters
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Stored tokens re-encrypted with NEW_ENCRYPTION_KEY. Set ENCRYPTION_KEY to that value before starting the app.")
	return nil
}

// demo wires `incident-bridge demo`: the simulators and this binary's run.
func demo(ctx context.Context, w io.Writer) error {
	return demopkg.Run(ctx, w, func(ctx context.Context, cfg config.Config, log zerolog.Logger, onStart func(string)) error {
		return run(ctx, cfg, log, onStart)
	})
}
