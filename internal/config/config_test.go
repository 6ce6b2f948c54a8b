package config_test

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/config"
)

// env is a getenv over a map.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// with returns a copy of e with kv (name, value, …) set.
func (e env) with(kv ...string) env {
	out := make(env, len(e)+len(kv)/2)
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

const (
	appToken = "xapp-1-A012-3456-abcdef"
	botToken = "xoxb-1234-5678-abcdef"
)

// minimal is the least a `run` needs.
var minimal = env{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken}

func key(n int) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", n))) }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	got, err := config.Load(minimal.get, config.ModeRun)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		SlackAppToken:  appToken,
		SlackBotToken:  botToken,
		SlackAPIURL:    "https://slack.com/api/",
		ZoomAPIURL:     "https://api.zoom.us/v2",
		ZoomOAuthURL:   "https://zoom.us",
		HTTPAddr:       ":8080",
		DBPath:         "incident-bridge.db",
		BackupInterval: time.Hour,
		BackupKeep:     24,
		LogLevel:       "info",
		LogFormat:      "json",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(minimal) =\n%+v\nwant\n%+v", got, want)
	}
	if got.ZoomMode() != config.ZoomNone {
		t.Errorf("ZoomMode = %v, want none", got.ZoomMode())
	}
}

// TestLoadVariables checks each variable's good and bad values, one at a
// time, on top of a valid minimal configuration.
func TestLoadVariables(t *testing.T) {
	t.Parallel()
	zoomS2S := minimal.with("ZOOM_CLIENT_ID", "cid", "ZOOM_CLIENT_SECRET", "csecret", "ZOOM_ACCOUNT_ID", "acct")
	for _, tt := range []struct {
		name  string
		env   env
		check func(config.Config) bool // for good values
		err   string                   // the whole error, for bad values
	}{
		// Slack tokens.
		{name: "app token missing", env: minimal.with("SLACK_APP_TOKEN", ""),
			err: "SLACK_APP_TOKEN is required: the app-level token (xapp-…) from your Slack app's Basic Information page, with the connections:write scope"},
		{name: "bot token missing", env: minimal.with("SLACK_BOT_TOKEN", "  "),
			err: "SLACK_BOT_TOKEN is required: the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"},
		{name: "bot token wrong prefix", env: minimal.with("SLACK_BOT_TOKEN", "abc-secretvalue"),
			err: "SLACK_BOT_TOKEN must start with xoxb-"},
		{name: "bot token is a user token", env: minimal.with("SLACK_BOT_TOKEN", "xoxp-secretvalue"),
			err: "SLACK_BOT_TOKEN must start with xoxb- (this is a user token: use the Bot User OAuth Token)"},
		{name: "tokens swapped", env: minimal.with("SLACK_APP_TOKEN", botToken, "SLACK_BOT_TOKEN", appToken),
			err: "SLACK_APP_TOKEN must start with xapp- (this is a bot token: did you swap SLACK_APP_TOKEN and SLACK_BOT_TOKEN?)\n" +
				"SLACK_BOT_TOKEN must start with xoxb- (this is an app-level token: did you swap SLACK_APP_TOKEN and SLACK_BOT_TOKEN?)"},
		{name: "token with inner space", env: minimal.with("SLACK_APP_TOKEN", "xapp-1 2"),
			err: "SLACK_APP_TOKEN must be a single token without spaces"},
		{name: "token trimmed", env: minimal.with("SLACK_BOT_TOKEN", " "+botToken+"\n"),
			check: func(c config.Config) bool { return c.SlackBotToken.Reveal() == botToken }},

		// URLs.
		{name: "slack url gets trailing slash", env: minimal.with("SLACK_API_URL", "http://127.0.0.1:9000/api"),
			check: func(c config.Config) bool { return c.SlackAPIURL == "http://127.0.0.1:9000/api/" }},
		{name: "slack url keeps one trailing slash", env: minimal.with("SLACK_API_URL", "http://127.0.0.1:9000/api//"),
			check: func(c config.Config) bool { return c.SlackAPIURL == "http://127.0.0.1:9000/api/" }},
		{name: "slack url not absolute", env: minimal.with("SLACK_API_URL", "slack.com/api"),
			err: "SLACK_API_URL must be an absolute http(s) URL, e.g. https://slack.com/api/"},
		{name: "zoom api url trailing slash dropped", env: minimal.with("ZOOM_API_URL", "http://127.0.0.1:9001/v2/"),
			check: func(c config.Config) bool { return c.ZoomAPIURL == "http://127.0.0.1:9001/v2" }},
		{name: "zoom api url bad scheme", env: minimal.with("ZOOM_API_URL", "ftp://api.zoom.us/v2"),
			err: "ZOOM_API_URL must be an absolute http(s) URL, e.g. https://api.zoom.us/v2"},
		{name: "zoom oauth url", env: minimal.with("ZOOM_OAUTH_URL", "https://zoom.example/"),
			check: func(c config.Config) bool { return c.ZoomOAuthURL == "https://zoom.example" }},
		{name: "zoom oauth url with query", env: minimal.with("ZOOM_OAUTH_URL", "https://zoom.us/?x=1"),
			err: "ZOOM_OAUTH_URL must not have a query or fragment: it is a base URL that paths are added to"},
		{name: "public url", env: minimal.with("PUBLIC_URL", "https://ib.example.com/"),
			check: func(c config.Config) bool { return c.PublicURL == "https://ib.example.com" }},
		{name: "public url relative", env: minimal.with("PUBLIC_URL", "/zoom"),
			err: "PUBLIC_URL must be an absolute http(s) URL, e.g. https://incident-bridge.example.com"},
		{name: "public url with password not echoed", env: minimal.with("PUBLIC_URL", "https://bob:hunter2@ib.example.com"),
			err: "PUBLIC_URL must not contain a user name or password"},

		// Zoom credentials.
		{name: "zoom server-to-server", env: zoomS2S,
			check: func(c config.Config) bool {
				return c.ZoomMode() == config.ZoomServerToServer && c.ZoomClientID == "cid" &&
					c.ZoomClientSecret.Reveal() == "csecret" && c.ZoomAccountID == "acct"
			}},
		{name: "zoom install", env: minimal.with("ZOOM_CLIENT_ID", "cid", "ZOOM_CLIENT_SECRET", "csecret", "PUBLIC_URL", "https://ib.example.com"),
			check: func(c config.Config) bool { return c.ZoomMode() == config.ZoomInstall }},
		{name: "zoom install needs public url", env: minimal.with("ZOOM_CLIENT_ID", "cid", "ZOOM_CLIENT_SECRET", "csecret"),
			err: "PUBLIC_URL is required for the Zoom install flow (ZOOM_ACCOUNT_ID unset): the externally reachable base URL that Zoom redirects to, " +
				"e.g. https://incident-bridge.example.com; or set ZOOM_ACCOUNT_ID to use a Server-to-Server OAuth app"},
		{name: "zoom install with bad public url reports it once", env: minimal.with("ZOOM_CLIENT_ID", "cid", "ZOOM_CLIENT_SECRET", "csecret", "PUBLIC_URL", "nope"),
			err: "PUBLIC_URL must be an absolute http(s) URL, e.g. https://incident-bridge.example.com"},
		{name: "zoom secret without id", env: minimal.with("ZOOM_CLIENT_SECRET", "csecret"),
			err: "ZOOM_CLIENT_ID is required when ZOOM_CLIENT_SECRET is set: the Client ID from your Zoom app's App Credentials page"},
		{name: "zoom id without secret", env: minimal.with("ZOOM_CLIENT_ID", "cid", "ZOOM_ACCOUNT_ID", "acct"),
			err: "ZOOM_CLIENT_SECRET is required when ZOOM_CLIENT_ID is set: the Client Secret from your Zoom app's App Credentials page"},
		{name: "zoom account without client", env: minimal.with("ZOOM_ACCOUNT_ID", "acct"),
			err: "ZOOM_ACCOUNT_ID is set but ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET are not: Server-to-Server OAuth needs all three from your Zoom app's App Credentials page"},
		{name: "zoom client id with space", env: zoomS2S.with("ZOOM_CLIENT_ID", "c id"),
			err: `ZOOM_CLIENT_ID must not contain spaces (got "c id")`},
		{name: "zoom secret with space", env: zoomS2S.with("ZOOM_CLIENT_SECRET", "two words"),
			err: "ZOOM_CLIENT_SECRET must not contain spaces (the value is not shown: it is a secret)"},
		{name: "zoom webhook secret", env: minimal.with("ZOOM_WEBHOOK_SECRET_TOKEN", "whs"),
			check: func(c config.Config) bool { return c.ZoomWebhookSecretToken.Reveal() == "whs" }},

		// Server.
		{name: "http addr host port", env: minimal.with("HTTP_ADDR", "127.0.0.1:0"),
			check: func(c config.Config) bool { return c.HTTPAddr == "127.0.0.1:0" }},
		{name: "http addr ipv6", env: minimal.with("HTTP_ADDR", "[::1]:9090"),
			check: func(c config.Config) bool { return c.HTTPAddr == "[::1]:9090" }},
		{name: "http addr without colon", env: minimal.with("HTTP_ADDR", "8080"),
			err: `HTTP_ADDR must be host:port or :port with a numeric port, e.g. :8080 (got "8080")`},
		{name: "http addr port too big", env: minimal.with("HTTP_ADDR", ":70000"),
			err: `HTTP_ADDR must be host:port or :port with a numeric port, e.g. :8080 (got ":70000")`},
		{name: "db path", env: minimal.with("DB_PATH", "/data/incident-bridge.db"),
			check: func(c config.Config) bool { return c.DBPath == "/data/incident-bridge.db" }},

		// Encryption key.
		{name: "key std base64", env: minimal.with("ENCRYPTION_KEY", key(32)),
			check: func(c config.Config) bool { return c.EncryptionKey.Reveal() == strings.Repeat("k", 32) }},
		{name: "key raw url base64", env: minimal.with("ENCRYPTION_KEY", base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("\xff", 32)))),
			check: func(c config.Config) bool { return c.EncryptionKey.Reveal() == strings.Repeat("\xff", 32) }},
		{name: "key too short", env: minimal.with("ENCRYPTION_KEY", key(12)),
			err: "ENCRYPTION_KEY must be 32 bytes encoded in base64 (got 12 bytes); generate one with: openssl rand -base64 32"},
		{name: "key not base64", env: minimal.with("ENCRYPTION_KEY", "not base64 at all!"),
			err: "ENCRYPTION_KEY must be 32 bytes encoded in base64 (the value is not valid base64); generate one with: openssl rand -base64 32"},
		{name: "new key ignored outside rekey", env: minimal.with("NEW_ENCRYPTION_KEY", "garbage"),
			check: func(c config.Config) bool { return c.NewEncryptionKey == "" }},

		// Admins.
		{name: "admins", env: minimal.with("ADMIN_USER_IDS", " U012AB3CDE, W0123456,,U012AB3CDE "),
			check: func(c config.Config) bool {
				return reflect.DeepEqual(c.AdminUserIDs, []string{"U012AB3CDE", "W0123456"})
			}},
		{name: "admin by name", env: minimal.with("ADMIN_USER_IDS", "U012AB3CDE,alice"),
			err: `ADMIN_USER_IDS must be comma-separated Slack user IDs like U012AB3CDE (got "alice"); find one in the user's Slack profile under ⋮ > Copy member ID`},
		{name: "admin mention syntax", env: minimal.with("ADMIN_USER_IDS", "<@U012AB3CDE>"),
			err: `ADMIN_USER_IDS must be comma-separated Slack user IDs like U012AB3CDE (got "<@U012AB3CDE>"); find one in the user's Slack profile under ⋮ > Copy member ID`},

		// Backups.
		{name: "backup dir", env: minimal.with("BACKUP_DIR", "/data/backups"),
			check: func(c config.Config) bool { return c.BackupDir == "/data/backups" }},
		{name: "backup interval", env: minimal.with("BACKUP_INTERVAL", "30m"),
			check: func(c config.Config) bool { return c.BackupInterval == 30*time.Minute }},
		{name: "backup interval words", env: minimal.with("BACKUP_INTERVAL", "soon"),
			err: `BACKUP_INTERVAL must be a Go duration like 1h or 30m (got "soon")`},
		{name: "backup interval no unit", env: minimal.with("BACKUP_INTERVAL", "60"),
			err: `BACKUP_INTERVAL must be a Go duration like 1h or 30m (got "60")`},
		{name: "backup interval zero", env: minimal.with("BACKUP_INTERVAL", "0s"),
			err: `BACKUP_INTERVAL must be positive, like 1h or 30m (got "0s")`},
		{name: "backup interval negative", env: minimal.with("BACKUP_INTERVAL", "-1h"),
			err: `BACKUP_INTERVAL must be positive, like 1h or 30m (got "-1h")`},
		{name: "backup keep", env: minimal.with("BACKUP_KEEP", "7"),
			check: func(c config.Config) bool { return c.BackupKeep == 7 }},
		{name: "backup keep zero", env: minimal.with("BACKUP_KEEP", "0"),
			err: `BACKUP_KEEP must be a whole number of at least 1 (got "0")`},
		{name: "backup keep word", env: minimal.with("BACKUP_KEEP", "many"),
			err: `BACKUP_KEEP must be a whole number of at least 1 (got "many")`},

		// Logs.
		{name: "log level upper case", env: minimal.with("LOG_LEVEL", "DEBUG"),
			check: func(c config.Config) bool { return c.LogLevel == "debug" }},
		{name: "log level warn", env: minimal.with("LOG_LEVEL", "warn"),
			check: func(c config.Config) bool { return c.LogLevel == "warn" }},
		{name: "log level loud", env: minimal.with("LOG_LEVEL", "loud"),
			err: `LOG_LEVEL must be one of debug, info, warn, error (got "loud")`},
		{name: "log format console", env: minimal.with("LOG_FORMAT", "console"),
			check: func(c config.Config) bool { return c.LogFormat == "console" }},
		{name: "log format text", env: minimal.with("LOG_FORMAT", "text"),
			err: `LOG_FORMAT must be one of json, console (got "text")`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.Load(tt.env.get, config.ModeRun)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("Load = %+v, nil; want error %q", got, tt.err)
				}
				if err.Error() != tt.err {
					t.Errorf("Load error =\n%s\nwant\n%s", err, tt.err)
				}
				if !reflect.DeepEqual(got, config.Config{}) {
					t.Errorf("Load returned %+v with its error; want the zero Config", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.check(got) {
				t.Errorf("Load = %+v: check failed", got)
			}
		})
	}
}

func TestLoadModes(t *testing.T) {
	t.Parallel()
	newKey := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("n", 32)))
	for _, tt := range []struct {
		name string
		mode config.Mode
		env  env
		err  string
	}{
		{"check requires tokens", config.ModeCheck, env{"SLACK_BOT_TOKEN": botToken},
			"SLACK_APP_TOKEN is required: the app-level token (xapp-…) from your Slack app's Basic Information page, with the connections:write scope"},
		{"demo requires nothing", config.ModeDemo, env{}, ""},
		{"demo still checks what is set", config.ModeDemo, env{"SLACK_BOT_TOKEN": "nope"}, "SLACK_BOT_TOKEN must start with xoxb-"},
		{"rekey needs no slack tokens", config.ModeRekey, env{"ENCRYPTION_KEY": key(32), "NEW_ENCRYPTION_KEY": newKey}, ""},
		{"rekey from the key file", config.ModeRekey, env{"NEW_ENCRYPTION_KEY": newKey}, ""},
		{"rekey needs the new key", config.ModeRekey, env{"ENCRYPTION_KEY": key(32)},
			"NEW_ENCRYPTION_KEY is required: 32 bytes encoded in base64; generate one with: openssl rand -base64 32"},
		{"rekey new key malformed", config.ModeRekey, env{"NEW_ENCRYPTION_KEY": key(16)},
			"NEW_ENCRYPTION_KEY must be 32 bytes encoded in base64 (got 16 bytes); generate one with: openssl rand -base64 32"},
		{"rekey to the same key", config.ModeRekey, env{"ENCRYPTION_KEY": key(32), "NEW_ENCRYPTION_KEY": key(32)},
			"NEW_ENCRYPTION_KEY must differ from ENCRYPTION_KEY: rekey re-encrypts from the old key to a new one"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(tt.env.get, tt.mode)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.err {
				t.Errorf("Load error = %v; want %q", err, tt.err)
			}
		})
	}

	c, err := config.Load(env{"NEW_ENCRYPTION_KEY": newKey}.get, config.ModeRekey)
	if err != nil {
		t.Fatalf("Load rekey: %v", err)
	}
	if c.NewEncryptionKey.Reveal() != strings.Repeat("n", 32) {
		t.Errorf("NewEncryptionKey not decoded")
	}
}

// TestLoadReportsEveryProblem checks that all problems come back, one line
// each, in Variables order, and that errors.As finds them.
func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env{"LOG_FORMAT": "xml", "BACKUP_KEEP": "-3", "HTTP_ADDR": "x"}.get, config.ModeRun)
	if err == nil {
		t.Fatal("Load succeeded; want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	var names []string
	for _, l := range lines {
		names = append(names, strings.Fields(l)[0])
	}
	want := []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "HTTP_ADDR", "BACKUP_KEEP", "LOG_FORMAT"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("error lines name %v, want %v:\n%s", names, want, err)
	}
	var ve *config.VarError
	if !errors.As(err, &ve) || ve.Name != "SLACK_APP_TOKEN" {
		t.Errorf("errors.As(err, *VarError) = %v; want the SLACK_APP_TOKEN problem first", ve)
	}
}

// TestLoadNeverEchoesSecrets feeds malformed secrets and checks that no
// error contains their values.
func TestLoadNeverEchoesSecrets(t *testing.T) {
	t.Parallel()
	const canary = "CANARYc4n4ry"
	e := env{
		"SLACK_APP_TOKEN":           "xoxb-" + canary,
		"SLACK_BOT_TOKEN":           canary,
		"ZOOM_CLIENT_SECRET":        canary,
		"ZOOM_WEBHOOK_SECRET_TOKEN": canary,
		"ENCRYPTION_KEY":            canary + "==",
		"NEW_ENCRYPTION_KEY":        canary,
		"PUBLIC_URL":                "https://u:" + canary + "@x",
		"SLACK_API_URL":             "::" + canary,
	}
	for _, mode := range []config.Mode{config.ModeRun, config.ModeRekey} {
		_, err := config.Load(e.get, mode)
		if err == nil {
			t.Fatalf("mode %d: Load succeeded; want errors", mode)
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("mode %d: error shows a secret:\n%s", mode, err)
		}
		if n := strings.Count(err.Error(), "\n") + 1; n < 5 {
			t.Errorf("mode %d: %d problems reported, want at least 5:\n%s", mode, n, err)
		}
	}
}

func TestZoomModeString(t *testing.T) {
	t.Parallel()
	for m, want := range map[config.ZoomMode]string{
		config.ZoomNone:           "none",
		config.ZoomServerToServer: "server-to-server",
		config.ZoomInstall:        "install",
	} {
		if got := m.String(); got != want {
			t.Errorf("ZoomMode(%d).String() = %q, want %q", m, got, want)
		}
	}
}
