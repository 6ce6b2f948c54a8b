package config

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The environment variables' names.
const (
	envSlackAppToken          = "SLACK_APP_TOKEN"
	envSlackBotToken          = "SLACK_BOT_TOKEN"
	envSlackAPIURL            = "SLACK_API_URL"
	envZoomClientID           = "ZOOM_CLIENT_ID"
	envZoomClientSecret       = "ZOOM_CLIENT_SECRET"
	envZoomAccountID          = "ZOOM_ACCOUNT_ID"
	envZoomAPIURL             = "ZOOM_API_URL"
	envZoomOAuthURL           = "ZOOM_OAUTH_URL"
	envZoomWebhookSecretToken = "ZOOM_WEBHOOK_SECRET_TOKEN"
	envPublicURL              = "PUBLIC_URL"
	envHTTPAddr               = "HTTP_ADDR"
	envDBPath                 = "DB_PATH"
	envEncryptionKey          = "ENCRYPTION_KEY"
	envNewEncryptionKey       = "NEW_ENCRYPTION_KEY"
	envAdminUserIDs           = "ADMIN_USER_IDS"
	envBackupDir              = "BACKUP_DIR"
	envBackupInterval         = "BACKUP_INTERVAL"
	envBackupKeep             = "BACKUP_KEEP"
	envLogLevel               = "LOG_LEVEL"
	envLogFormat              = "LOG_FORMAT"
)

// The defaults (SPEC §2).
const (
	defaultSlackAPIURL    = "https://slack.com/api/"
	defaultZoomAPIURL     = "https://api.zoom.us/v2"
	defaultZoomOAuthURL   = "https://zoom.us"
	defaultHTTPAddr       = ":8080"
	defaultDBPath         = "incident-bridge.db"
	defaultBackupInterval = "1h"
	defaultBackupKeep     = 24
	defaultLogLevel       = "info"
	defaultLogFormat      = "json"
)

// Variable describes one environment variable.
type Variable struct {
	// Name is the variable, e.g. "HTTP_ADDR".
	Name string
	// Default is the value used when it is unset; "" when there is none.
	Default string
	// Meaning says what it is for, in one sentence.
	Meaning string
	// Secret marks a credential: keep it in a Kubernetes Secret, not a
	// ConfigMap. It is never logged.
	Secret bool
}

// Variables returns every environment variable Load reads, in the order
// Load checks them. It is the one list behind --help, the README's table
// and docs/operations.md.
func Variables() []Variable {
	return []Variable{
		{envSlackAppToken, "", "app-level token (xapp-…) for Socket Mode; required for run and check", true},
		{envSlackBotToken, "", "bot token (xoxb-…); required for run and check", true},
		{envSlackAPIURL, defaultSlackAPIURL, "Slack Web API base URL; Socket Mode's websocket URL comes from apps.connections.open under it", false},
		{envZoomClientID, "", "the Zoom app's OAuth client ID; set together with ZOOM_CLIENT_SECRET, or neither to run without Zoom", false},
		{envZoomClientSecret, "", "the Zoom app's OAuth client secret", true},
		{envZoomAccountID, "", "when set: Server-to-Server OAuth, no install step; when unset: the admin install flow (`/incident zoom connect`), which needs PUBLIC_URL", false},
		{envZoomAPIURL, defaultZoomAPIURL, "Zoom REST API base URL", false},
		{envZoomOAuthURL, defaultZoomOAuthURL, "Zoom OAuth base URL (/oauth/authorize, /oauth/token, /oauth/revoke)", false},
		{envZoomWebhookSecretToken, "", "verifies Zoom webhooks at PUBLIC_URL/zoom/webhook; webhooks are refused while unset", true},
		{envPublicURL, "", "externally reachable base URL of the HTTP server, for the Zoom OAuth redirect and webhooks", false},
		{envHTTPAddr, defaultHTTPAddr, "listen address of the HTTP server (/healthz, /readyz, /metrics, Zoom callback and webhook)", false},
		{envDBPath, defaultDBPath, "the bbolt database file", false},
		{envEncryptionKey, "", "32-byte key, base64 (openssl rand -base64 32); encrypts OAuth tokens at rest; when unset, a 0600 key file is created beside the database", true},
		{envNewEncryptionKey, "", "only for rekey: the new 32-byte key, base64, that stored tokens are re-encrypted to", true},
		{envAdminUserIDs, "", "comma-separated Slack user IDs who may change settings, besides workspace admins and owners", false},
		{envBackupDir, "", "when set, the running app writes consistent database snapshots here", false},
		{envBackupInterval, defaultBackupInterval, "time between snapshots (Go duration, e.g. 30m)", false},
		{envBackupKeep, fmt.Sprint(defaultBackupKeep), "snapshots kept; older ones are deleted", false},
		{envLogLevel, defaultLogLevel, "debug, info, warn or error", false},
		{envLogFormat, defaultLogFormat, "json, or console for humans", false},
	}
}

// commands are the subcommands, for Usage.
func commands() [][2]string {
	return [][2]string{
		{"run", "run the app (the default)"},
		{"check", "check the configuration against Slack, Zoom and the database; one line per check"},
		{"demo", "run a whole incident against built-in Slack and Zoom simulators, no credentials needed"},
		{"rekey", "re-encrypt stored tokens from ENCRYPTION_KEY to NEW_ENCRYPTION_KEY (stop the app first)"},
		{"version", "print the version"},
	}
}

// Usage writes the --help text for program: the commands and every
// environment variable with its default. Write errors are not reported:
// usage goes to a terminal, and there is nothing to do if it fails.
func Usage(w io.Writer, program string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [command]\n\n", program)
	fmt.Fprintf(&b, "%s runs incidents in Slack and gives each incident a Zoom meeting.\n\n", program)
	b.WriteString("Commands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c[0], c[1])
	}
	// A tabwriter over a strings.Builder cannot fail.
	_ = tw.Flush()
	b.WriteString("\nEnvironment variables:\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	for _, v := range Variables() {
		meaning := v.Meaning
		if v.Default != "" {
			meaning += " (default " + v.Default + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", v.Name, meaning)
	}
	_ = tw.Flush()
	b.WriteString("\nSee docs/operations.md for deployment, backups and key rotation.\n")
	// See the doc comment: a failed write to the terminal is not actionable.
	_, _ = io.WriteString(w, b.String())
}
