// Package config turns incident-bridge's environment variables into a
// typed Config. Every problem is reported as one line that names the
// variable and says what it expects; a secret's value never appears in an
// error. Variables lists every variable once, for Load, --help and the docs.
package config

import (
	"errors"
	"time"
)

// KeySize is the length in bytes of a decoded ENCRYPTION_KEY.
const KeySize = 32

// Mode is the command Load reads the configuration for; it decides which
// variables are required.
type Mode int

// The modes. The zero Mode is ModeRun, the strictest common case.
const (
	// ModeRun is `incident-bridge run`: both Slack tokens are required.
	ModeRun Mode = iota
	// ModeCheck is `incident-bridge check`: as ModeRun.
	ModeCheck
	// ModeDemo is `incident-bridge demo`: nothing is required; values that
	// are set are still checked.
	ModeDemo
	// ModeRekey is `incident-bridge rekey`: NEW_ENCRYPTION_KEY is
	// required, the Slack tokens are not.
	ModeRekey
)

// ZoomMode is how the app gets Zoom tokens.
type ZoomMode int

// The Zoom modes.
const (
	// ZoomNone: no Zoom credentials; meeting creation is off.
	ZoomNone ZoomMode = iota
	// ZoomServerToServer: ZOOM_ACCOUNT_ID is set; tokens come from the
	// account_credentials grant and need no install step.
	ZoomServerToServer
	// ZoomInstall: client credentials without ZOOM_ACCOUNT_ID; an admin
	// connects the account with `/incident zoom connect` (SPEC §6).
	ZoomInstall
)

// String returns "none", "server-to-server" or "install".
func (m ZoomMode) String() string {
	switch m {
	case ZoomServerToServer:
		return "server-to-server"
	case ZoomInstall:
		return "install"
	default:
		return "none"
	}
}

// Config is incident-bridge's configuration (SPEC §2). Secrets are of type
// Secret, so the whole struct may be printed or logged.
type Config struct {
	// SlackAppToken is the app-level token (xapp-…) for Socket Mode.
	SlackAppToken Secret
	// SlackBotToken is the bot token (xoxb-…) for the Web API.
	SlackBotToken Secret
	// SlackAPIURL is the Slack Web API base URL; it always ends in "/".
	SlackAPIURL string

	// ZoomClientID is the Zoom app's OAuth client ID (not a secret: it is
	// part of the authorize URL).
	ZoomClientID string
	// ZoomClientSecret is the Zoom app's OAuth client secret.
	ZoomClientSecret Secret
	// ZoomAccountID selects Server-to-Server OAuth when set.
	ZoomAccountID string
	// ZoomAPIURL is the Zoom REST base URL, without a trailing "/".
	ZoomAPIURL string
	// ZoomOAuthURL is the Zoom OAuth base URL, without a trailing "/".
	ZoomOAuthURL string
	// ZoomWebhookSecretToken verifies Zoom webhooks; webhooks are refused
	// while it is empty.
	ZoomWebhookSecretToken Secret

	// PublicURL is the externally reachable base URL of the HTTP server,
	// without a trailing "/"; empty when unset.
	PublicURL string
	// HTTPAddr is the HTTP server's listen address.
	HTTPAddr string
	// DBPath is the bbolt file.
	DBPath string
	// EncryptionKey is the decoded key (KeySize raw bytes, not base64), or
	// empty when unset (the store then uses a key file beside DBPath).
	EncryptionKey Secret
	// NewEncryptionKey is the decoded key `rekey` re-encrypts to; only
	// read in ModeRekey.
	NewEncryptionKey Secret
	// AdminUserIDs are Slack user IDs who may change settings besides
	// workspace admins and owners; duplicates removed, order kept.
	AdminUserIDs []string

	// BackupDir is where snapshots go; empty disables backups.
	BackupDir string
	// BackupInterval is the time between snapshots; always positive.
	BackupInterval time.Duration
	// BackupKeep is how many snapshots are kept; at least 1.
	BackupKeep int

	// LogLevel is "debug", "info", "warn" or "error".
	LogLevel string
	// LogFormat is "json" or "console".
	LogFormat string
}

// ZoomMode reports how the app gets Zoom tokens. Load guarantees that the
// client ID and secret are both set or both empty.
func (c Config) ZoomMode() ZoomMode {
	switch {
	case c.ZoomClientID == "" || c.ZoomClientSecret == "":
		return ZoomNone
	case c.ZoomAccountID != "":
		return ZoomServerToServer
	default:
		return ZoomInstall
	}
}

// VarError is one variable's problem. Its message is one line that starts
// with the variable's name and never contains a secret's value.
type VarError struct {
	// Name is the environment variable, e.g. "SLACK_BOT_TOKEN".
	Name string
	// Problem says what is wrong and what is expected, e.g.
	// "must start with xoxb-".
	Problem string
}

// Error returns "NAME problem".
func (e *VarError) Error() string { return e.Name + " " + e.Problem }

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests) for the given command. Values are trimmed of surrounding white
// space, and an empty value counts as unset. It checks every variable and
// reports every problem it finds: the error is errors.Join of one
// *VarError per problem, so err.Error() has one line per problem, in the
// order of Variables, and errors.As finds the first.
func Load(getenv func(string) string, mode Mode) (Config, error) {
	l := loader{getenv: getenv}
	needSlack := mode == ModeRun || mode == ModeCheck
	c := Config{
		SlackAppToken: l.token(envSlackAppToken, "xapp-", needSlack,
			"the app-level token (xapp-…) from your Slack app's Basic Information page, with the connections:write scope"),
		SlackBotToken: l.token(envSlackBotToken, "xoxb-", needSlack,
			"the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"),
		SlackAPIURL:            l.baseURL(envSlackAPIURL, defaultSlackAPIURL),
		ZoomClientID:           l.plain(envZoomClientID),
		ZoomClientSecret:       l.secret(envZoomClientSecret),
		ZoomAccountID:          l.plain(envZoomAccountID),
		ZoomAPIURL:             l.baseURL(envZoomAPIURL, defaultZoomAPIURL),
		ZoomOAuthURL:           l.baseURL(envZoomOAuthURL, defaultZoomOAuthURL),
		ZoomWebhookSecretToken: l.secret(envZoomWebhookSecretToken),
		PublicURL:              l.baseURL(envPublicURL, ""),
		HTTPAddr:               l.addr(envHTTPAddr, defaultHTTPAddr),
		DBPath:                 l.getOr(envDBPath, defaultDBPath),
		EncryptionKey:          l.key(envEncryptionKey, false),
		AdminUserIDs:           l.userIDs(envAdminUserIDs),
		BackupDir:              l.get(envBackupDir),
		BackupInterval:         l.interval(envBackupInterval, defaultBackupInterval),
		BackupKeep:             l.keep(envBackupKeep, defaultBackupKeep),
		LogLevel:               l.oneOf(envLogLevel, defaultLogLevel, "debug", "info", "warn", "error"),
		LogFormat:              l.oneOf(envLogFormat, defaultLogFormat, "json", "console"),
	}
	// Slack URLs are joined as base + method name, so the base must end in
	// "/"; the others are joined as base + "/path".
	if c.SlackAPIURL != "" {
		c.SlackAPIURL += "/"
	}
	if mode == ModeRekey {
		c.NewEncryptionKey = l.key(envNewEncryptionKey, true)
		if c.NewEncryptionKey != "" && c.NewEncryptionKey == c.EncryptionKey {
			l.fail(envNewEncryptionKey, "must differ from ENCRYPTION_KEY: rekey re-encrypts from the old key to a new one")
		}
	}
	l.checkZoom(c)
	if len(l.errs) > 0 {
		return Config{}, errors.Join(l.errs...)
	}
	return c, nil
}
