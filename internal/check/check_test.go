package check_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/check"
	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

var testKey = strings.Repeat("k", config.KeySize)

// setup starts the fakes and returns a configuration pointing at them,
// with a database path in a fresh directory.
func setup(t *testing.T, zo fakezoom.Options) (config.Config, *fakeslack.Server, *fakezoom.Server) {
	t.Helper()
	sl := fakeslack.New(fakeslack.Options{})
	t.Cleanup(sl.Close)
	zm := fakezoom.New(zo)
	t.Cleanup(zm.Close)
	cfg := config.Config{
		SlackAppToken: config.Secret(sl.AppToken()), SlackBotToken: config.Secret(sl.BotToken()), SlackAPIURL: sl.APIURL(),
		ZoomClientID: zm.ClientID(), ZoomClientSecret: config.Secret(zm.ClientSecret()), ZoomAccountID: zm.AccountID(),
		ZoomAPIURL: zm.APIURL(), ZoomOAuthURL: zm.OAuthURL(),
		DBPath: filepath.Join(t.TempDir(), "check.db"), EncryptionKey: config.Secret(testKey),
	}
	return cfg, sl, zm
}

func s2s(cfg config.Config) check.ZoomCheck {
	hc := &http.Client{Timeout: 5 * time.Second}
	ts := zoom.ServerToServer(cfg.ZoomOAuthURL, cfg.ZoomAccountID, cfg.ZoomClientID, cfg.ZoomClientSecret.Reveal(), hc)
	return check.ServerToServer(zoom.NewServerToServerService(zoom.New(cfg.ZoomAPIURL, hc), ts))
}

// run runs the checks and returns whether all passed and the lines by name.
func run(t *testing.T, cfg config.Config, zc check.ZoomCheck) (bool, map[string]string, string) {
	t.Helper()
	var out bytes.Buffer
	ok := check.Run(t.Context(), cfg, &http.Client{Timeout: 5 * time.Second}, zc, &out)
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		for _, name := range []string{"slack bot token", "slack app token", "database", "zoom"} {
			if strings.HasPrefix(l[5:], name) {
				lines[name] = l
			}
		}
	}
	for _, s := range []string{cfg.SlackBotToken.Reveal(), cfg.SlackAppToken.Reveal(), cfg.ZoomClientSecret.Reveal(), testKey} {
		if s != "" && strings.Contains(out.String(), s) {
			t.Errorf("check printed a secret (%.6s…)", s)
		}
	}
	return ok, lines, out.String()
}

func TestRunAllGood(t *testing.T) {
	t.Parallel()
	cfg, _, zm := setup(t, fakezoom.Options{})
	ok, lines, out := run(t, cfg, s2s(cfg))
	if !ok || strings.Count(out, "\n") != 4 {
		t.Fatalf("check = %v:\n%s\nwant all four ok", ok, out)
	}
	for name, l := range lines {
		if !strings.HasPrefix(l, "ok   ") {
			t.Errorf("%s: %q; want ok", name, l)
		}
	}
	for _, want := range []string{"Zoom account " + zm.AccountID(), "Server-to-Server OAuth; scopes granted: meeting:write:meeting:admin, user:read:user:admin",
		"optional scope meeting:read:list_meetings:admin not granted"} {
		if !strings.Contains(lines["zoom"], want) {
			t.Errorf("zoom line %q lacks %q", lines["zoom"], want)
		}
	}
	if !strings.Contains(lines["database"], "does not exist yet") {
		t.Errorf("database line %q; want that run will create it", lines["database"])
	}
	for _, p := range []string{cfg.DBPath, store.KeyFile(cfg.DBPath)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("check left %s behind (%v)", p, err)
		}
	}
}

// TestRunFailures: each broken setting fails its own line, naming the
// variable to fix, and the run fails.
func TestRunFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		zo    fakezoom.Options
		edit  func(*config.Config)
		line  string
		wants []string
	}{
		{"bad bot token", fakezoom.Options{}, func(c *config.Config) { c.SlackBotToken = "xoxb-wrong" },
			"slack bot token", []string{"invalid_auth", "SLACK_BOT_TOKEN"}},
		{"bad app token", fakezoom.Options{}, func(c *config.Config) { c.SlackAppToken = "xapp-wrong" },
			"slack app token", []string{"SLACK_APP_TOKEN"}},
		{"bad zoom secret", fakezoom.Options{}, func(c *config.Config) { c.ZoomClientSecret = "wrong" },
			"zoom", []string{"account_credentials grant failed", "ZOOM_CLIENT_SECRET"}},
		{"wrong zoom account", fakezoom.Options{}, func(c *config.Config) { c.ZoomAccountID = "other" },
			"zoom", []string{"ZOOM_ACCOUNT_ID"}},
		{"wrong api url", fakezoom.Options{}, func(c *config.Config) { c.ZoomAPIURL += "/nope" },
			"zoom", []string{"GET /users/me failed", "ZOOM_API_URL"}},
		{"missing scope", fakezoom.Options{Scopes: []string{"meeting:write:meeting:admin"}}, nil,
			"zoom", []string{"required scope user:read:user:admin not granted", "Zoom App Marketplace"}},
		{"unwritable database directory", fakezoom.Options{}, func(c *config.Config) { c.DBPath = filepath.Join(c.DBPath, "no", "such", "dir.db") },
			"database", []string{"not writable", "DB_PATH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, _ := setup(t, tc.zo)
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			ok, lines, out := run(t, cfg, s2s(cfg))
			if ok {
				t.Fatalf("check passed:\n%s", out)
			}
			l := lines[tc.line]
			if !strings.HasPrefix(l, "FAIL") {
				t.Fatalf("%s line %q; want FAIL:\n%s", tc.line, l, out)
			}
			for _, w := range tc.wants {
				if !strings.Contains(l, w) {
					t.Errorf("%s line %q lacks %q", tc.line, l, w)
				}
			}
		})
	}
}

func TestRunWithoutZoom(t *testing.T) {
	t.Parallel()
	cfg, _, _ := setup(t, fakezoom.Options{})
	ok, lines, _ := run(t, cfg, nil)
	if ok || !strings.HasPrefix(lines["zoom"], "FAIL") || !strings.Contains(lines["zoom"], "ZOOM_CLIENT_ID") {
		t.Errorf("without Zoom: ok=%v, zoom line %q; want FAIL naming ZOOM_CLIENT_ID", ok, lines["zoom"])
	}
}

// TestRunDatabaseLocked: a database another process holds (the running
// app) fails with the likely reason.
func TestRunDatabaseLocked(t *testing.T) {
	t.Parallel()
	cfg, _, _ := setup(t, fakezoom.Options{})
	st, err := store.Open(cfg.DBPath, store.Options{Key: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ok, lines, _ := run(t, cfg, s2s(cfg))
	if ok || !strings.HasPrefix(lines["database"], "FAIL") || !strings.Contains(lines["database"], "is the app running?") {
		t.Errorf("locked database: ok=%v, line %q; want FAIL asking whether the app runs", ok, lines["database"])
	}
}

// TestRunDatabaseWithoutKey: an existing database and neither
// ENCRYPTION_KEY nor a key file fails, and creates no key file.
func TestRunDatabaseWithoutKey(t *testing.T) {
	t.Parallel()
	cfg, _, _ := setup(t, fakezoom.Options{})
	st, err := store.Open(cfg.DBPath, store.Options{Key: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.EncryptionKey = ""
	ok, lines, _ := run(t, cfg, s2s(cfg))
	if ok || !strings.HasPrefix(lines["database"], "FAIL") || !strings.Contains(lines["database"], "ENCRYPTION_KEY") {
		t.Errorf("no key: ok=%v, line %q; want FAIL naming ENCRYPTION_KEY", ok, lines["database"])
	}
	if _, err := os.Stat(store.KeyFile(cfg.DBPath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check created a key file (%v)", err)
	}
}

// TestRunInstall: the install flow's check reads the bot's workspace's
// stored connection: failing with what to do before an admin connects,
// passing after.
func TestRunInstall(t *testing.T) {
	t.Parallel()
	const redirect = "https://bridge.example/zoom/oauth/callback"
	cfg, sl, zm := setup(t, fakezoom.Options{RedirectURL: redirect})
	cfg.ZoomAccountID, cfg.PublicURL = "", "https://bridge.example"
	hc := &http.Client{Timeout: 5 * time.Second}
	o := &zoom.OAuth{ClientID: cfg.ZoomClientID, ClientSecret: cfg.ZoomClientSecret.Reveal(), OAuthURL: cfg.ZoomOAuthURL, RedirectURL: redirect, HTTPClient: hc}
	zc := zoom.New(cfg.ZoomAPIURL, hc)
	install := check.Install(func(st *store.Store) check.ZoomService { return zoom.NewInstallService(zc, o, st) })

	ok, lines, _ := run(t, cfg, install)
	if ok || !strings.Contains(lines["zoom"], "no database yet") || !strings.Contains(lines["zoom"], "/incident zoom connect") {
		t.Errorf("no database: ok=%v, zoom line %q; want FAIL and how to connect", ok, lines["zoom"])
	}

	st, err := store.Open(cfg.DBPath, store.Options{Key: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ok, lines, _ = run(t, cfg, install)
	want := "workspace " + string(sl.TeamID()) + " has no working Zoom connection"
	if ok || !strings.Contains(lines["zoom"], want) || !strings.Contains(lines["zoom"], "/incident zoom connect") {
		t.Errorf("not connected: ok=%v, zoom line %q; want FAIL %q and how to connect", ok, lines["zoom"], want)
	}

	// An admin connects (what the callback stores), and the app stops.
	st, err = store.Open(cfg.DBPath, store.Options{Key: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	link := o.AuthorizeURL("state")
	loc, err := zm.Authorize(t.Context(), link, fakezoom.DefaultOwnerEmail)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := zoom.NewConnector(o, zc).Exchange(t.Context(), u.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	conn.Team, conn.ConnectedBy = incident.TeamID(sl.TeamID()), "UADMIN"
	if err := st.SaveZoomConnection(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ok, lines, out := run(t, cfg, install)
	if !ok || !strings.Contains(lines["zoom"], "Zoom account "+zm.AccountID()) || !strings.Contains(lines["zoom"], "Installed with OAuth") {
		t.Errorf("connected: ok=%v:\n%s\nwant all ok, the account and the install mode", ok, out)
	}
	if strings.Contains(out, conn.AccessToken) || strings.Contains(out, conn.RefreshToken) {
		t.Error("check printed a Zoom token")
	}
}

// stubZoom answers the Zoom checks as told.
type stubZoom struct {
	status    zoom.Status
	statusErr error
	user      zoom.User
	userErr   error
}

func (s stubZoom) Status(context.Context, incident.TeamID) (zoom.Status, error) {
	return s.status, s.statusErr
}

func (s stubZoom) Account(context.Context, incident.TeamID) (zoom.User, error) {
	return s.user, s.userErr
}

// TestInstallCheck covers each outcome of the install check.
func TestInstallCheck(t *testing.T) {
	t.Parallel()
	st, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{Key: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	good := zoom.Status{Mode: zoom.ModeInstall, Scopes: fakezoom.DefaultScopes()}
	missing := good
	missing.Missing = []zoom.ScopeNeed{{Scope: "user:read:user:admin", Feature: "identify the account"}}
	for _, tc := range []struct {
		name string
		env  check.Env
		svc  stubZoom
		ok   bool
		want string
	}{
		{"connected", check.Env{Store: st, Team: "T1"}, stubZoom{status: good, user: zoom.User{AccountID: "acct"}}, true, "workspace T1: Zoom account acct; Installed with OAuth"},
		{"no database", check.Env{NoDatabase: true, Team: "T1"}, stubZoom{}, false, "no database yet"},
		{"database did not open", check.Env{Team: "T1"}, stubZoom{}, false, "database did not open"},
		{"auth.test failed", check.Env{Store: st}, stubZoom{}, false, "auth.test failed"},
		{"not connected", check.Env{Store: st, Team: "T1"}, stubZoom{statusErr: fmt.Errorf("load: %w", incident.ErrZoomNotConnected)}, false, "/incident zoom connect"},
		{"zoom down", check.Env{Store: st, Team: "T1"}, stubZoom{statusErr: incident.ErrZoomUnavailable}, false, "ZOOM_OAUTH_URL"},
		{"scope missing", check.Env{Store: st, Team: "T1"}, stubZoom{status: missing}, false, "then an admin runs /incident zoom connect again"},
		{"users/me fails", check.Env{Store: st, Team: "T1"}, stubZoom{status: good, userErr: errors.New("boom")}, false, "ZOOM_API_URL"},
	} {
		r := check.Install(func(*store.Store) check.ZoomService { return tc.svc })(t.Context(), tc.env)
		if r.OK != tc.ok || !strings.Contains(r.Detail, tc.want) || r.Name != "zoom" {
			t.Errorf("%s: %+v; want ok=%v and %q", tc.name, r, tc.ok, tc.want)
		}
	}
}
