// Package check implements `incident-bridge check`: it tries the
// configuration against the real services and prints one line per check.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

// timeout bounds each check.
const timeout = 15 * time.Second

// zoomName is the name of the Zoom check's line.
const zoomName = "zoom"

// Result is one check's outcome.
type Result struct {
	Name string
	OK   bool
	// Detail says what was found, or what failed and what to do. It never
	// holds a secret.
	Detail string
}

// Env is what the checks before Zoom's found, for the Zoom check to use.
type Env struct {
	// Store is the opened database; nil when it did not open or does not
	// exist yet (NoDatabase).
	Store *store.Store
	// NoDatabase is true when DB_PATH does not exist yet.
	NoDatabase bool
	// Team is the bot's workspace from auth.test; "" when that failed.
	Team incident.TeamID
}

// ZoomCheck verifies the Zoom side; the caller builds it from the
// configuration (nil when Zoom is not configured).
type ZoomCheck func(ctx context.Context, env Env) Result

// ZoomService is what the Zoom checks ask Zoom; *zoom.Service implements
// it.
type ZoomService interface {
	// Status gets a token for team and reports the scopes granted.
	Status(ctx context.Context, team incident.TeamID) (zoom.Status, error)
	// Account returns the token's own user (GET /users/me).
	Account(ctx context.Context, team incident.TeamID) (zoom.User, error)
}

// Run runs every check, prints one line each to w, and reports whether all
// passed.
func Run(ctx context.Context, cfg config.Config, hc *http.Client, zoomCheck ZoomCheck, w io.Writer) bool {
	api := slack.New(cfg.SlackBotToken.Reveal(), slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.SlackAppToken.Reveal()), slack.OptionHTTPClient(hc))
	bot, team := slackBot(ctx, api)
	results := []Result{bot, slackApp(ctx, api)}
	st, missing, dbResult := database(cfg)
	results = append(results, dbResult)
	if zoomCheck != nil {
		zctx, cancel := context.WithTimeout(ctx, timeout)
		results = append(results, zoomCheck(zctx, Env{Store: st, NoDatabase: missing, Team: team}))
		cancel()
	} else {
		results = append(results, Result{Name: zoomName, Detail: "not configured: set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (and ZOOM_ACCOUNT_ID for Server-to-Server OAuth, or PUBLIC_URL for the install flow)"})
	}
	if st != nil {
		if err := st.Close(); err != nil {
			results = append(results, Result{Name: "database", Detail: "close: " + err.Error()})
		}
	}
	ok := true
	for _, r := range results {
		mark := "ok  "
		if !r.OK {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(w, "%s %-16s %s\n", mark, r.Name, r.Detail)
	}
	return ok
}

func slackBot(ctx context.Context, api *slack.Client) (Result, incident.TeamID) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := api.AuthTestContext(ctx)
	if err != nil {
		return Result{Name: "slack bot token", Detail: "auth.test failed: " + slackErr(err) + " — check SLACK_BOT_TOKEN and SLACK_API_URL"}, ""
	}
	return Result{Name: "slack bot token", OK: true, Detail: fmt.Sprintf("auth.test: bot %s in team %s (%s)", r.User, r.Team, r.TeamID)}, incident.TeamID(r.TeamID)
}

func slackApp(ctx context.Context, api *slack.Client) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return Result{Name: "slack app token", Detail: "apps.connections.open failed: " + slackErr(err) + " — check SLACK_APP_TOKEN (xapp-, scope connections:write) and that Socket Mode is on"}
	}
	return Result{Name: "slack app token", OK: true, Detail: "apps.connections.open: Socket Mode URL issued"}
}

// database opens the database as the app would. A file that does not
// exist yet is not created, nor is a key file: a check must not leave a
// stray database or key behind when DB_PATH or ENCRYPTION_KEY is not what
// run uses, so it says what it found instead.
func database(cfg config.Config) (st *store.Store, missing bool, r Result) {
	r.Name = "database"
	if _, err := os.Stat(cfg.DBPath); errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(cfg.DBPath)
		if err := writable(dir); err != nil {
			r.Detail = fmt.Sprintf("%s does not exist and its directory is not writable (%v) — check DB_PATH", cfg.DBPath, err)
			return nil, true, r
		}
		r.OK, r.Detail = true, cfg.DBPath+" does not exist yet; run will create it (directory writable) — check DB_PATH if you expected an existing database"
		return nil, true, r
	}
	if cfg.EncryptionKey == "" {
		// Creating a key file now would only hide the problem: the
		// database was sealed with a key that is elsewhere.
		if _, err := os.Stat(store.KeyFile(cfg.DBPath)); errors.Is(err, fs.ErrNotExist) {
			r.Detail = "ENCRYPTION_KEY is not set and there is no key file " + store.KeyFile(cfg.DBPath) +
				" beside the database — set ENCRYPTION_KEY to the key the database was created with"
			return nil, false, r
		}
	}
	key, _, err := store.LoadOrCreateKey(cfg.DBPath, []byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		r.Detail = err.Error()
		return nil, false, r
	}
	st, err = store.Open(cfg.DBPath, store.Options{Key: key, Timeout: 2 * time.Second})
	if err != nil {
		r.Detail = err.Error() + " (is the app running? bbolt allows one process)"
		return nil, false, r
	}
	r.OK, r.Detail = true, cfg.DBPath+" opens, schema current, key matches"
	return st, false, r
}

// writable reports whether a file can be created in dir.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".incident-bridge-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	cerr := f.Close()
	if err := os.Remove(name); err != nil {
		return err
	}
	return cerr
}

// ServerToServer is the Zoom check of a Server-to-Server OAuth app: the
// account_credentials grant works, the required scopes are granted, and
// the REST API answers GET /users/me with that token.
func ServerToServer(svc ZoomService) ZoomCheck {
	return func(ctx context.Context, _ Env) Result {
		st, err := svc.Status(ctx, "")
		if err != nil {
			return Result{Name: zoomName, Detail: "Server-to-Server OAuth: the account_credentials grant failed (" + err.Error() + ") — check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET and ZOOM_OAUTH_URL"}
		}
		return scopesAndAccount(ctx, svc, "", st, "")
	}
}

// Install is the Zoom check of the install flow: the bot's workspace has a
// stored connection whose token works (refreshing it if due, as the app
// would), with the required scopes. newService builds the Zoom service
// over the opened store.
func Install(newService func(*store.Store) ZoomService) ZoomCheck {
	const connect = " — an admin must run /incident zoom connect in Slack (Zoom redirects to PUBLIC_URL/zoom/oauth/callback)"
	return func(ctx context.Context, env Env) Result {
		switch {
		case env.NoDatabase:
			return Result{Name: zoomName, Detail: "install flow: no database yet, so no workspace is connected to Zoom: start the app" + connect}
		case env.Store == nil:
			return Result{Name: zoomName, Detail: "install flow: the stored Zoom connection cannot be read because the database did not open (see database)"}
		case env.Team == "":
			return Result{Name: zoomName, Detail: "install flow: cannot tell which workspace's Zoom connection to check because auth.test failed (see slack bot token)"}
		}
		svc := newService(env.Store)
		st, err := svc.Status(ctx, env.Team)
		switch {
		case errors.Is(err, incident.ErrZoomNotConnected):
			return Result{Name: zoomName, Detail: "install flow: workspace " + string(env.Team) + " has no working Zoom connection (" + err.Error() + ")" + connect}
		case err != nil:
			return Result{Name: zoomName, Detail: "install flow: workspace " + string(env.Team) + ": the token could not be checked (" + err.Error() + ") — check ZOOM_OAUTH_URL, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, and that Zoom is reachable"}
		}
		return scopesAndAccount(ctx, svc, env.Team, st, "workspace "+string(env.Team)+": ")
	}
}

// scopesAndAccount finishes a Zoom check once a token was issued: every
// required scope granted, and GET /users/me answered. prefix names the
// workspace in the install flow.
func scopesAndAccount(ctx context.Context, svc ZoomService, team incident.TeamID, st zoom.Status, prefix string) Result {
	if len(st.Missing) > 0 {
		return Result{Name: zoomName, Detail: prefix + st.String() + " — add the missing scopes to the Zoom app in the Zoom App Marketplace" + reauthorize(st)}
	}
	me, err := svc.Account(ctx, team)
	if err != nil {
		return Result{Name: zoomName, Detail: prefix + "a token was issued but GET /users/me failed (" + err.Error() + ") — check ZOOM_API_URL"}
	}
	return Result{Name: zoomName, OK: true, Detail: prefix + "Zoom account " + me.AccountID + "; " + st.String()}
}

func reauthorize(st zoom.Status) string {
	if st.Mode == zoom.ModeInstall {
		return ", then an admin runs /incident zoom connect again"
	}
	return ""
}

func slackErr(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	return err.Error()
}
