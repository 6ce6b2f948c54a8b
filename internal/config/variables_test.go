package config_test

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/config"
)

// TestVariablesAreWhatLoadReads proves Variables is the single source: Load
// reads exactly the variables it lists, in every mode.
func TestVariablesAreWhatLoadReads(t *testing.T) {
	t.Parallel()
	read := make(map[string]bool)
	getenv := func(name string) string { read[name] = true; return "" }
	for _, m := range []config.Mode{config.ModeRun, config.ModeCheck, config.ModeDemo, config.ModeRekey} {
		// Errors are expected (tokens missing); only the names matter here.
		_, _ = config.Load(getenv, m)
	}
	var listed []string
	seen := make(map[string]bool)
	for _, v := range config.Variables() {
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		listed = append(listed, v.Name)
		if v.Meaning == "" {
			t.Errorf("%s has no meaning", v.Name)
		}
	}
	var gotRead []string
	for name := range read {
		gotRead = append(gotRead, name)
	}
	sort.Strings(gotRead)
	sortedListed := append([]string(nil), listed...)
	sort.Strings(sortedListed)
	if fmt.Sprint(gotRead) != fmt.Sprint(sortedListed) {
		t.Errorf("Load reads %v\nVariables lists %v", gotRead, sortedListed)
	}
}

// TestVariablesDefaults checks that the documented defaults are what Load
// uses when nothing is set.
func TestVariablesDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env{}.get, config.ModeDemo)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := map[string]string{
		"SLACK_API_URL":   c.SlackAPIURL,
		"ZOOM_API_URL":    c.ZoomAPIURL,
		"ZOOM_OAUTH_URL":  c.ZoomOAuthURL,
		"HTTP_ADDR":       c.HTTPAddr,
		"DB_PATH":         c.DBPath,
		"BACKUP_INTERVAL": c.BackupInterval.String(),
		"BACKUP_KEEP":     fmt.Sprint(c.BackupKeep),
		"LOG_LEVEL":       c.LogLevel,
		"LOG_FORMAT":      c.LogFormat,
	}
	for _, v := range config.Variables() {
		if v.Default == "" {
			if _, ok := got[v.Name]; ok {
				t.Errorf("%s: Variables has no default, Load uses %q", v.Name, got[v.Name])
			}
			continue
		}
		want := v.Default
		if d, err := time.ParseDuration(want); err == nil {
			want = d.String() // "1h" is documented, Duration prints "1h0m0s"
		}
		if got[v.Name] != want {
			t.Errorf("%s: Variables says default %q, Load uses %q", v.Name, v.Default, got[v.Name])
		}
	}
	if c.BackupInterval != time.Hour {
		t.Errorf("BackupInterval = %v, want 1h", c.BackupInterval)
	}
}

// TestVariablesSecretFlag pins which variables are credentials: the
// manifests put exactly these in the Secret.
func TestVariablesSecretFlag(t *testing.T) {
	t.Parallel()
	var secret []string
	for _, v := range config.Variables() {
		if v.Secret {
			secret = append(secret, v.Name)
		}
	}
	want := "[SLACK_APP_TOKEN SLACK_BOT_TOKEN ZOOM_CLIENT_SECRET ZOOM_WEBHOOK_SECRET_TOKEN ENCRYPTION_KEY NEW_ENCRYPTION_KEY]"
	if fmt.Sprint(secret) != want {
		t.Errorf("secret variables = %v, want %s", secret, want)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	config.Usage(&b, "incident-bridge")
	out := b.String()
	if !strings.HasPrefix(out, "Usage: incident-bridge [command]\n") {
		t.Errorf("usage starts %q", strings.SplitN(out, "\n", 2)[0])
	}
	for _, cmd := range []string{"run", "check", "demo", "rekey", "version"} {
		if !strings.Contains(out, "\n  "+cmd+" ") {
			t.Errorf("usage lacks command %q:\n%s", cmd, out)
		}
	}
	for _, v := range config.Variables() {
		line := lineStarting(out, "  "+v.Name+" ")
		if line == "" {
			t.Errorf("usage lacks %s:\n%s", v.Name, out)
			continue
		}
		if v.Default != "" && !strings.Contains(line, "(default "+v.Default+")") {
			t.Errorf("usage line for %s lacks its default %q: %q", v.Name, v.Default, line)
		}
	}
}

func lineStarting(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
