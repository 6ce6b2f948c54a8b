package slackui

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the current output")

// goldenMessage is a message as chat.postMessage receives it.
type goldenMessage struct {
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
}

// TestGolden pins the Block Kit JSON of every message and modal people see;
// review testdata/*.json after running with -update.
func TestGolden(t *testing.T) {
	t.Parallel()
	meeting := withMeeting(testIncident(), oneClickMeeting())
	auto := withMeeting(testIncident(), incident.Meeting{
		ID: "81234567890", JoinURL: joinURL, Passcode: "Zm9vYmFy",
		HostKind: incident.HostCommander, HostUser: "U2", Trigger: incident.TriggerAutomatic,
	})
	custom := incident.DefaultSettings()
	custom.AutoCreate = true
	custom.Criteria = incident.Criteria{Severities: []incident.Severity{incident.Sev1, incident.Sev2}, Statuses: []incident.Status{incident.StatusActive}}
	custom.FallbackEmail = "oncall@example.com"
	custom.Recording = incident.RecordingCloud

	messages := map[string]Message{
		"header_no_meeting":         Header(testIncident(), true),
		"header_meeting":            Header(meeting, true),
		"announcement_one_click":    MeetingAnnouncement(meeting),
		"announcement_automatic":    MeetingAnnouncement(auto),
		"ephemeral_host":            MeetingEphemeral(meeting, startURL),
		"existing_meeting":          ExistingMeeting(meeting),
		"list":                      List([]incident.Incident{meeting, {Number: 43, Title: "Slow search", Severity: incident.Sev4, Status: incident.StatusStable, Channel: "C43"}}),
		"help":                      Help(),
		"authorize":                 Authorize("https://zoom.us/oauth/authorize?client_id=abc&response_type=code&state=s1"),
		"notice":                    Notice("Only admins can change settings."),
		"header_resolved_zoom_off":  Header(func() incident.Incident { i := meeting; i.Status = incident.StatusResolved; return i }(), false),
		"list_empty":                List(nil),
		"announcement_no_meeting":   MeetingAnnouncement(testIncident()),
		"ephemeral_guest":           MeetingEphemeral(meeting, ""),
		"existing_meeting_none_yet": ExistingMeeting(testIncident()),
	}
	for name, m := range messages {
		golden(t, name, goldenMessage{Text: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}})
	}
	views := map[string]slack.ModalViewRequest{
		"modal_declare":           DeclareModal("Checkout down", `{"channel":"C1"}`),
		"modal_edit":              EditModal(meeting, `{"incident":42}`),
		"modal_settings_defaults": SettingsModal(incident.DefaultSettings(), `{"team":"T1"}`),
		"modal_settings_custom":   SettingsModal(custom, `{"team":"T1"}`),
	}
	for name, v := range views {
		golden(t, name, v)
	}
}

// golden compares v's indented JSON with testdata/name.json, or rewrites
// the file with -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	// encoding/json escapes <, > and & in strings; mrkdwn is full of them, so
	// unescape for readable diffs (fixtures contain no literal backslashes).
	got = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(got)))
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test -update to create it)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s; run go test ./internal/slackui -update and review the diff.\ngot:\n%s", name, path, got)
	}
}
