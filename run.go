package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/incident-bridge/incident-bridge/bot"
	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/metrics"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/web"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

// started is told the HTTP server's address once it listens (tests and the
// demo use it; nil in production).
type started = func(httpAddr string)

// runOption adjusts the wiring for tests; production passes none.
type runOption func(*runSettings)

// runSettings are what runOptions set.
type runSettings struct {
	now func() time.Time // the app's clock; time.Now when nil
}

// withClock gives the app a clock of the caller's (OAuth state expiry,
// claims, timelines), so tests can pass the ten minutes of an Authorize
// link without waiting.
func withClock(now func() time.Time) runOption {
	return func(s *runSettings) { s.now = now }
}

// run is the single wiring of the app: it opens the store, builds Zoom,
// Slack, the app, the bot, the HTTP server and backups, and runs them in
// one errgroup until ctx ends or one fails.
func run(ctx context.Context, cfg config.Config, log zerolog.Logger, onStart started, opts ...runOption) error {
	var rs runSettings
	for _, o := range opts {
		o(&rs)
	}
	key, created, err := store.LoadOrCreateKey(cfg.DBPath, []byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		return fmt.Errorf("encryption key: %w", err)
	}
	if created {
		log.Warn().Str("key_file", store.KeyFile(cfg.DBPath)).Msg("ENCRYPTION_KEY is not set: created a key file beside the database; back it up with the database, or set ENCRYPTION_KEY")
	}
	st, err := store.Open(cfg.DBPath, store.Options{Key: key})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error().Err(err).Msg("close database")
		}
	}()

	m := metrics.New()
	if cfg.BackupDir != "" {
		// Until this run's first snapshot, the newest one on disk is the
		// last good backup: a restart must not look like backups stopped.
		if snap, ok, err := store.NewestBackup(cfg.BackupDir); err != nil {
			log.Warn().Err(err).Str("backup_dir", cfg.BackupDir).Msg("read existing backups")
		} else if ok {
			m.BackupFound(snap.Taken, snap.Size)
		}
	}
	zoomHTTP := &http.Client{Timeout: 30 * time.Second, Transport: m.ZoomTransport(http.DefaultTransport)}
	slackHTTP := &http.Client{Timeout: 30 * time.Second, Transport: m.SlackTransport(http.DefaultTransport)}

	deps := app.Deps{Store: st, Log: log, Metrics: m, Now: rs.now}
	for _, u := range cfg.AdminUserIDs {
		deps.Admins = append(deps.Admins, incident.UserID(u))
	}
	zc := zoom.New(cfg.ZoomAPIURL, zoomHTTP)
	switch cfg.ZoomMode() {
	case config.ZoomServerToServer:
		ts := zoom.ServerToServer(cfg.ZoomOAuthURL, cfg.ZoomAccountID, cfg.ZoomClientID, cfg.ZoomClientSecret.Reveal(), zoomHTTP)
		deps.Zoom = zoom.NewServerToServerService(zc, ts)
	case config.ZoomInstall:
		o := &zoom.OAuth{ClientID: cfg.ZoomClientID, ClientSecret: cfg.ZoomClientSecret.Reveal(), OAuthURL: cfg.ZoomOAuthURL,
			RedirectURL: cfg.PublicURL + "/zoom/oauth/callback", HTTPClient: zoomHTTP}
		deps.Zoom = zoom.NewInstallService(zc, o, st)
		deps.Connections = st
		deps.Connector = zoom.NewConnector(o, zc)
		m.WatchZoomConnections(func() (int, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return st.BrokenZoomConnections(ctx)
		})
		if cfg.ZoomWebhookSecretToken == "" {
			log.Warn().Msg("ZOOM_WEBHOOK_SECRET_TOKEN is not set: Zoom's app_deauthorized webhooks will be refused, so an uninstall in Zoom is only noticed when a meeting fails")
		}
	default:
		log.Warn().Msg("no Zoom credentials (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET): meetings cannot be created")
		deps.Zoom = app.NoZoom{}
	}

	api := slack.New(cfg.SlackBotToken.Reveal(),
		slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.SlackAppToken.Reveal()),
		slack.OptionHTTPClient(slackHTTP),
		slack.OptionRetry(3), // Slack's 429: wait Retry-After, then again
	)
	deps.Slack = bot.NewPoster(api, slackHTTP)
	a := app.New(deps)
	if err := a.Reconcile(ctx); err != nil {
		log.Error().Err(err).Msg("reconcile meeting claims")
	}
	sm := socketmode.New(api)
	b := bot.New(sm, api, a, deps.Slack.(*bot.Poster), log, m)

	srv := web.New(web.Options{
		Addr: cfg.HTTPAddr, Log: log, Metrics: m.Handler(), App: a,
		Ready:         readiness(st, b),
		WebhookSecret: []byte(cfg.ZoomWebhookSecretToken.Reveal()), ClientID: cfg.ZoomClientID,
		Webhooks: m.Webhook,
	})
	if err := srv.Listen(); err != nil {
		return err
	}
	if onStart != nil {
		onStart(srv.Addr())
	}
	log.Info().Str("http_addr", srv.Addr()).Str("zoom_mode", cfg.ZoomMode().String()).Msg("incident-bridge started")

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error { return srv.Serve(gctx) })
	if cfg.BackupDir != "" {
		g.Go(func() error {
			st.RunBackups(gctx, cfg.BackupDir, cfg.BackupInterval, cfg.BackupKeep, func(path string, size int64, err error) {
				m.BackupDone(path, size, err)
				if err != nil {
					log.Error().Err(err).Str("backup_dir", cfg.BackupDir).Msg("database backup failed")
					return
				}
				log.Info().Str("path", path).Int64("size_bytes", size).Msg("database backup written")
			})
			return nil
		})
	}
	err = g.Wait()
	log.Info().Msg("incident-bridge stopped")
	return err
}

// readiness is /readyz's check (SPEC §7): the database is open (a read
// transaction succeeds) and Socket Mode is connected.
func readiness(db interface{ Ping(context.Context) error }, socket interface{ Connected() bool }) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			return fmt.Errorf("database not open: %w", err)
		}
		if !socket.Connected() {
			return errors.New("slack socket mode not connected")
		}
		return nil
	}
}
