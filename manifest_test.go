package main

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
)

// TestSlackAppManifest checks that slack-app-manifest.yaml declares what the
// code uses: the command, Socket Mode, interactivity, every bot scope the Web
// API calls need, and every event the bot handles.
func TestSlackAppManifest(t *testing.T) {
	raw, err := os.ReadFile("slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command      string `yaml:"command"`
				UsageHint    string `yaml:"usage_hint"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/incident" || m.Features.SlashCommands[0].UsageHint == "" || !m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("slash commands = %+v; want /incident with a usage hint and should_escape", m.Features.SlashCommands)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled {
		t.Error("Socket Mode and interactivity must be on")
	}
	// method the code calls → scope it needs (reference/slack.md §6, §10).
	needed := map[string]string{
		"/incident":            "commands",
		"chat.postMessage":     "chat:write",
		"chat.postEphemeral":   "chat:write",
		"chat.update":          "chat:write",
		"conversations.create": "channels:manage",
		"conversations.invite": "channels:manage",
		"conversations.join":   "channels:join",
		"pins.add":             "pins:write",
		"bookmarks.add":        "bookmarks:write",
		"bookmarks.edit":       "bookmarks:write",
		"users.info":           "users:read",
		"users.list":           "users:read",
		"users.info email":     "users:read.email",
		"channel events":       "channels:read",
	}
	for use, scope := range needed {
		if !slices.Contains(m.OAuth.Scopes.Bot, scope) {
			t.Errorf("%s needs scope %s, not in the manifest", use, scope)
		}
	}
	// The end-to-end tests run against a fake Slack that refuses any
	// method whose scope is not granted (missing_scope), with exactly
	// fakeslack.DefaultScopes granted; the manifest must grant the same, no
	// fewer (the app would fail) and no more (least privilege).
	granted, declared := fakeslack.DefaultScopes(), slices.Clone(m.OAuth.Scopes.Bot)
	slices.Sort(granted)
	slices.Sort(declared)
	if !slices.Equal(granted, declared) {
		t.Errorf("manifest bot scopes %v; the end-to-end tests pass with exactly %v", declared, granted)
	}
	for _, ev := range []string{"member_joined_channel", "channel_rename", "channel_archive", "channel_unarchive"} {
		if !slices.Contains(m.Settings.Events.Bot, ev) {
			t.Errorf("the bot handles %s but the manifest does not subscribe to it", ev)
		}
	}
}
