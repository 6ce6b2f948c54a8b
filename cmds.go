package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/check"
	"github.com/incident-bridge/incident-bridge/internal/config"
	demopkg "github.com/incident-bridge/incident-bridge/internal/demo"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
)

// runCheck wires `incident-bridge check`.
func runCheck(ctx context.Context, cfg config.Config, w io.Writer) bool {
	hc := &http.Client{Timeout: 15 * time.Second}
	var zc check.ZoomCheck
	switch cfg.ZoomMode() {
	case config.ZoomServerToServer:
		zc = check.TokenCheck(zoom.ServerToServer(cfg.ZoomOAuthURL, cfg.ZoomAccountID, cfg.ZoomClientID, cfg.ZoomClientSecret.Reveal(), hc))
	case config.ZoomInstall:
		zc = func(ctx context.Context, st *store.Store) check.Result {
			if st == nil {
				return check.Result{Name: "zoom token", Detail: "cannot read the stored connection: the database did not open"}
			}
			api := slack.New(cfg.SlackBotToken.Reveal(), slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(hc))
			auth, err := api.AuthTestContext(ctx)
			if err != nil {
				return check.Result{Name: "zoom token", Detail: "cannot tell which workspace to check: auth.test failed"}
			}
			o := &zoom.OAuth{ClientID: cfg.ZoomClientID, ClientSecret: cfg.ZoomClientSecret.Reveal(), OAuthURL: cfg.ZoomOAuthURL, RedirectURL: cfg.PublicURL + "/zoom/oauth/callback", HTTPClient: hc}
			svc := zoom.NewInstallService(zoom.New(cfg.ZoomAPIURL, hc), o, st)
			u, err := svc.Account(ctx, incident.TeamID(auth.TeamID))
			if err != nil {
				return check.Result{Name: "zoom token", Detail: "workspace " + auth.TeamID + ": " + err.Error() + " — an admin can run /incident zoom connect"}
			}
			return check.Result{Name: "zoom token", OK: true, Detail: "install flow: workspace " + auth.TeamID + " connected to Zoom account " + u.AccountID}
		}
	}
	return check.Run(ctx, cfg, hc, zc, w)
}

// rekey re-encrypts the stored tokens from ENCRYPTION_KEY (or the key file)
// to NEW_ENCRYPTION_KEY. The app must be stopped (bbolt's file lock).
func rekey(ctx context.Context, cfg config.Config, w io.Writer) error {
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
