// Package check implements `incident-bridge check`: it tries the
// configuration against the real services and prints one line per check.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/store"
)

// timeout bounds each check.
const timeout = 15 * time.Second

// Result is one check's outcome.
type Result struct {
	Name string
	OK   bool
	// Detail says what was found, or what failed and what to do. It never
	// holds a secret.
	Detail string
}

// ZoomCheck verifies the Zoom side; the caller builds it from the
// configuration (nil when Zoom is not configured).
type ZoomCheck func(ctx context.Context, st *store.Store) Result

// Run runs every check, prints one line each to w, and reports whether all
// passed.
func Run(ctx context.Context, cfg config.Config, hc *http.Client, zoomCheck ZoomCheck, w io.Writer) bool {
	api := slack.New(cfg.SlackBotToken.Reveal(), slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.SlackAppToken.Reveal()), slack.OptionHTTPClient(hc))
	results := []Result{slackBot(ctx, api), slackApp(ctx, api)}
	st, dbResult := database(cfg)
	results = append(results, dbResult)
	if zoomCheck != nil {
		results = append(results, zoomCheck(ctx, st))
	} else {
		results = append(results, Result{Name: "zoom", OK: false, Detail: "not configured: set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (and ZOOM_ACCOUNT_ID for Server-to-Server OAuth)"})
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

func slackBot(ctx context.Context, api *slack.Client) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := api.AuthTestContext(ctx)
	if err != nil {
		return Result{Name: "slack bot token", Detail: "auth.test failed: " + slackErr(err) + " — check SLACK_BOT_TOKEN and SLACK_API_URL"}
	}
	return Result{Name: "slack bot token", OK: true, Detail: fmt.Sprintf("auth.test: bot %s in team %s (%s)", r.User, r.Team, r.TeamID)}
}

func slackApp(ctx context.Context, api *slack.Client) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return Result{Name: "slack app token", Detail: "apps.connections.open failed: " + slackErr(err) + " — check SLACK_APP_TOKEN (xapp-, scope connections:write) and that Socket Mode is on"}
	}
	return Result{Name: "slack app token", OK: true, Detail: "apps.connections.open: Socket Mode URL issued"}
}

func database(cfg config.Config) (*store.Store, Result) {
	key, _, err := store.LoadOrCreateKey(cfg.DBPath, []byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		return nil, Result{Name: "database", Detail: err.Error()}
	}
	st, err := store.Open(cfg.DBPath, store.Options{Key: key, Timeout: 2 * time.Second})
	if err != nil {
		return nil, Result{Name: "database", Detail: err.Error() + " (is the app running? bbolt allows one process)"}
	}
	return st, Result{Name: "database", OK: true, Detail: cfg.DBPath + " opens, schema current, key matches"}
}

// TokenCheck is a ZoomCheck that asks ts for a token (Server-to-Server).
func TokenCheck(ts oauth2.TokenSource) ZoomCheck {
	return func(ctx context.Context, _ *store.Store) Result {
		tok, err := ts.Token()
		if err != nil {
			return Result{Name: "zoom token", Detail: "account_credentials grant failed: " + err.Error() + " — check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"}
		}
		return Result{Name: "zoom token", OK: tok.Valid(), Detail: "Server-to-Server token issued"}
	}
}

func slackErr(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	return err.Error()
}
