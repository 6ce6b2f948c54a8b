package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// loader reads variables and collects their problems.
type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) get(name string) string { return strings.TrimSpace(l.getenv(name)) }

func (l *loader) getOr(name, def string) string {
	if v := l.get(name); v != "" {
		return v
	}
	return def
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, &VarError{Name: name, Problem: fmt.Sprintf(format, args...)})
}

// failed reports whether name already has a problem, so that a rule
// spanning variables does not report a second, misleading one.
func (l *loader) failed(name string) bool {
	for _, err := range l.errs {
		var ve *VarError
		if errors.As(err, &ve) && ve.Name == name {
			return true
		}
	}
	return false
}

// plain reads a non-secret identifier, which must be one word.
func (l *loader) plain(name string) string {
	v := l.get(name)
	if strings.ContainsFunc(v, unicode.IsSpace) {
		l.fail(name, "must not contain spaces (got %q)", v)
		return ""
	}
	return v
}

// secret reads a credential, which must be one word. The value is never
// echoed.
func (l *loader) secret(name string) Secret {
	v := l.get(name)
	if strings.ContainsFunc(v, unicode.IsSpace) {
		l.fail(name, "must not contain spaces (the value is not shown: it is a secret)")
		return ""
	}
	return Secret(v)
}

// token reads a Slack token. Errors name the expected prefix and never
// the value; a token of the other kind gets a hint that the two were
// swapped (prefixes are not secret).
func (l *loader) token(name, prefix string, required bool, what string) Secret {
	v := l.get(name)
	switch {
	case v == "":
		if required {
			l.fail(name, "is required: %s", what)
		}
		return ""
	case !strings.HasPrefix(v, prefix):
		hint := ""
		switch {
		case prefix == "xapp-" && strings.HasPrefix(v, "xoxb-"):
			hint = " (this is a bot token: did you swap SLACK_APP_TOKEN and SLACK_BOT_TOKEN?)"
		case prefix == "xoxb-" && strings.HasPrefix(v, "xapp-"):
			hint = " (this is an app-level token: did you swap SLACK_APP_TOKEN and SLACK_BOT_TOKEN?)"
		case prefix == "xoxb-" && strings.HasPrefix(v, "xoxp-"):
			hint = " (this is a user token: use the Bot User OAuth Token)"
		}
		l.fail(name, "must start with %s%s", prefix, hint)
		return ""
	case strings.ContainsFunc(v, unicode.IsSpace):
		l.fail(name, "must be a single token without spaces")
		return ""
	}
	return Secret(v)
}

// baseURL reads an absolute http(s) URL and returns it without a trailing
// "/". URLs are not echoed in errors: one could carry credentials.
func (l *loader) baseURL(name, def string) string {
	v := l.getOr(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		l.fail(name, "must be an absolute http(s) URL, e.g. %s", urlExample(name))
	case u.User != nil:
		l.fail(name, "must not contain a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		l.fail(name, "must not have a query or fragment: it is a base URL that paths are added to")
	default:
		return strings.TrimRight(v, "/")
	}
	return ""
}

func urlExample(name string) string {
	switch name {
	case envSlackAPIURL:
		return defaultSlackAPIURL
	case envZoomAPIURL:
		return defaultZoomAPIURL
	case envZoomOAuthURL:
		return defaultZoomOAuthURL
	default:
		return "https://incident-bridge.example.com"
	}
}

// addr reads a listen address with a numeric port.
func (l *loader) addr(name, def string) string {
	v := l.getOr(name, def)
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		l.fail(name, "must be host:port or :port with a numeric port, e.g. :8080 (got %q)", v)
		return ""
	}
	return v
}

// key reads a base64 key of KeySize bytes and returns it decoded.
func (l *loader) key(name string, required bool) Secret {
	v := l.get(name)
	if v == "" {
		if required {
			l.fail(name, "is required: %d bytes encoded in base64; generate one with: openssl rand -base64 32", KeySize)
		}
		return ""
	}
	const hint = "; generate one with: openssl rand -base64 32"
	// Accept padded and unpadded, standard and URL-safe alphabets: all are
	// unambiguous for 32 bytes and operators paste from many tools.
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(v)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			l.fail(name, "must be %d bytes encoded in base64 (got %d bytes)%s", KeySize, len(b), hint)
			return ""
		}
		return Secret(b)
	}
	l.fail(name, "must be %d bytes encoded in base64 (the value is not valid base64)%s", KeySize, hint)
	return ""
}

// slackUserID matches a Slack user ID: U… for most users, W… for Enterprise
// Grid users.
var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// userIDs reads a comma-separated list of Slack user IDs.
func (l *loader) userIDs(name string) []string {
	var ids []string
	seen := make(map[string]bool)
	for _, f := range strings.Split(l.get(name), ",") {
		id := strings.TrimSpace(f)
		switch {
		case id == "" || seen[id]:
			continue
		case !slackUserID.MatchString(id):
			l.fail(name, "must be comma-separated Slack user IDs like U012AB3CDE (got %q); "+
				"find one in the user's Slack profile under ⋮ > Copy member ID", id)
			return nil
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

// interval reads a positive Go duration.
func (l *loader) interval(name, def string) time.Duration {
	v := l.getOr(name, def)
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		l.fail(name, "must be a Go duration like 1h or 30m (got %q)", v)
	case d <= 0:
		l.fail(name, "must be positive, like 1h or 30m (got %q)", v)
	default:
		return d
	}
	return 0
}

// keep reads a count of at least 1.
func (l *loader) keep(name string, def int) int {
	v := l.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		l.fail(name, "must be a whole number of at least 1 (got %q)", v)
		return 0
	}
	return n
}

// oneOf reads one of a fixed set of words, case-insensitively, and
// returns it in lower case.
func (l *loader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(l.getOr(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.fail(name, "must be one of %s (got %q)", strings.Join(allowed, ", "), l.get(name))
	return ""
}

// checkZoom checks the rules that span several Zoom variables.
func (l *loader) checkZoom(c Config) {
	const where = "from your Zoom app's App Credentials page"
	if l.failed(envZoomClientID) || l.failed(envZoomClientSecret) || l.failed(envZoomAccountID) {
		return // one problem per variable is enough
	}
	id, secret := c.ZoomClientID != "", c.ZoomClientSecret != ""
	switch {
	case id && !secret:
		l.fail(envZoomClientSecret, "is required when ZOOM_CLIENT_ID is set: the Client Secret "+where)
	case secret && !id:
		l.fail(envZoomClientID, "is required when ZOOM_CLIENT_SECRET is set: the Client ID "+where)
	case !id && c.ZoomAccountID != "":
		l.fail(envZoomAccountID, "is set but ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET are not: Server-to-Server OAuth needs all three "+where)
	case id && c.ZoomAccountID == "" && c.PublicURL == "" && !l.failed(envPublicURL):
		l.fail(envPublicURL, "is required for the Zoom install flow (ZOOM_ACCOUNT_ID unset): "+
			"the externally reachable base URL that Zoom redirects to, e.g. https://incident-bridge.example.com; "+
			"or set ZOOM_ACCOUNT_ID to use a Server-to-Server OAuth app")
	}
}
