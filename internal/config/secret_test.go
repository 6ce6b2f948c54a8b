package config_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/incident-bridge/incident-bridge/internal/config"
)

func TestSecretRedaction(t *testing.T) {
	t.Parallel()
	const value = "xoxb-SECRET-VALUE"
	s := config.Secret(value)
	for _, tt := range []struct {
		format string
		want   string
	}{
		{"%v", "[redacted]"},
		{"%s", "[redacted]"},
		{"%+v", "[redacted]"},
		{"%#v", `config.Secret("[redacted]")`},
		{"%q", `"[redacted]"`},
		{"%x", "[redacted]"},
		{"%X", "[redacted]"},
		{"%d", "[redacted]"},
		{"%10s", "[redacted]"},
		{"%T", "config.Secret"},
	} {
		if got := fmt.Sprintf(tt.format, s); got != tt.want {
			t.Errorf("Sprintf(%q, secret) = %q, want %q", tt.format, got, tt.want)
		}
	}
	if got := s.String(); got != "[redacted]" {
		t.Errorf("String() = %q", got)
	}
	if got := s.GoString(); got != `config.Secret("[redacted]")` {
		t.Errorf("GoString() = %q", got)
	}
	if got, err := s.MarshalText(); err != nil || string(got) != "[redacted]" {
		t.Errorf("MarshalText() = %q, %v", got, err)
	}
	if got, err := json.Marshal(s); err != nil || string(got) != `"[redacted]"` {
		t.Errorf("json.Marshal = %s, %v", got, err)
	}
	if got := s.Reveal(); got != value {
		t.Errorf("Reveal() = %q, want %q", got, value)
	}
}

func TestSecretUnsetPrintsEmpty(t *testing.T) {
	t.Parallel()
	var s config.Secret
	if got := fmt.Sprintf("%v|%s|%q", s, s, s); got != `||""` {
		t.Errorf("unset secret prints %q", got)
	}
	if got, err := json.Marshal(s); err != nil || string(got) != `""` {
		t.Errorf("json.Marshal(unset) = %s, %v", got, err)
	}
}

// TestConfigRedaction prints and encodes a whole Config, as a logger
// would, and checks no secret shows.
func TestConfigRedaction(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"SLACK_APP_TOKEN":           "xapp-1-CANARYAPP",
		"SLACK_BOT_TOKEN":           "xoxb-CANARYBOT",
		"ZOOM_CLIENT_SECRET":        "CANARYZOOMSECRET",
		"ZOOM_WEBHOOK_SECRET_TOKEN": "CANARYWEBHOOK",
	}
	e := env{
		"ZOOM_CLIENT_ID":  "cid",
		"ZOOM_ACCOUNT_ID": "acct",
		// "CANARYKEY" repeated: the decoded key's bytes are the canary.
		"ENCRYPTION_KEY": "Q0FOQVJZS0VZQ0FOQVJZS0VZQ0FOQVJZS0VZQ0FOQVI=",
	}
	for k, v := range secrets {
		e[k] = v
	}
	c, err := config.Load(e.get, config.ModeRun)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.EncryptionKey.Reveal() != "CANARYKEYCANARYKEYCANARYKEYCANAR" {
		t.Fatalf("key decoded to %q", c.EncryptionKey.Reveal())
	}
	canaries := []string{"CANARY", e["ENCRYPTION_KEY"]}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", c),
		"%+v":  fmt.Sprintf("%+v", c),
		"%#v":  fmt.Sprintf("%#v", c),
		"&%+v": fmt.Sprintf("%+v", &c),
		"json": string(js),
	}
	for name, out := range outputs {
		for _, canary := range canaries {
			if strings.Contains(out, canary) {
				t.Errorf("%s of a Config shows a secret: %s", name, out)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s of a Config has no [redacted] marker: %s", name, out)
		}
		if !strings.Contains(out, "cid") {
			t.Errorf("%s of a Config hides a non-secret (ZoomClientID): %s", name, out)
		}
	}
	// The error of a failed Load is the other place values could leak.
	for k := range secrets {
		bad := e.with(k, "bad value CANARY")
		if _, err := config.Load(bad.get, config.ModeRun); err == nil || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("Load with bad %s: error %v shows the value or is missing", k, err)
		}
	}
}
