package slackui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestSettingsModalShape(t *testing.T) {
	t.Parallel()
	v := SettingsModal(incident.DefaultSettings(), "meta-3")
	checkModal(t, v)
	if v.Title.Text != "Incident settings" || v.Submit.Text != "Save" || v.CallbackID != CallbackSettings || v.PrivateMetadata != "meta-3" {
		t.Errorf("title %q submit %q callback %q meta %q", v.Title.Text, v.Submit.Text, v.CallbackID, v.PrivateMetadata)
	}
	var headers []string
	for _, b := range v.Blocks.BlockSet {
		if h, ok := b.(*slack.HeaderBlock); ok {
			headers = append(headers, h.Text.Text)
		}
	}
	if !reflect.DeepEqual(headers, []string{"Zoom", "Slack"}) {
		t.Errorf("section headers %q", headers)
	}
	if !strings.Contains(allText(v.Blocks.BlockSet), "Automatic creation criteria (blank matches any change)") {
		t.Error("criteria note missing")
	}
	in := inputs(t, v)
	toggles := map[string]bool{ // label → initially on, per DefaultSettings
		"Enable Zoom meeting creation":                            true,
		"Automatically create Zoom meetings":                      false,
		"Only incidents with customer impact":                     false,
		"Always use this account as the meeting host":             false,
		"Let participants join before the host":                   true,
		"Waiting room":                                            false,
		"Add important links to the incident channel's bookmarks": true,
	}
	for label, on := range toggles {
		b := in[label]
		if b == nil {
			t.Errorf("no input %q", label)
			continue
		}
		cb, ok := b.Element.(*slack.CheckboxGroupsBlockElement)
		if !ok || !b.Optional || len(cb.Options) != 1 || cb.Options[0].Text.Text != label {
			t.Errorf("%q: want an optional input with one checkbox of the same words, got %T", label, b.Element)
			continue
		}
		if (len(cb.InitialOptions) == 1) != on {
			t.Errorf("%q: initially on = %t; want %t", label, len(cb.InitialOptions) == 1, on)
		}
	}
	if h := in["Let participants join before the host"].Hint; h == nil || h.Text != "Has no effect while the waiting room is on" {
		t.Errorf("join before host hint %+v", h)
	}
	sev := in["Severity"].Element.(*slack.MultiSelectBlockElement)
	st := in["Status"].Element.(*slack.MultiSelectBlockElement)
	if sev.Type != "multi_static_select" || !in["Severity"].Optional || len(sev.Options) != 5 ||
		st.Type != "multi_static_select" || !in["Status"].Optional || !reflect.DeepEqual(optionTexts(st.Options), []string{"active", "stable"}) {
		t.Error("criteria selects wrong")
	}
	fb := in["Fallback user account"]
	if el := fb.Element.(*slack.PlainTextInputBlockElement); !fb.Optional || el.Placeholder.Text != "oncall@example.com" {
		t.Errorf("fallback input %+v", el)
	}
	rec := in["Automatic recording"].Element.(*slack.SelectBlockElement)
	if !reflect.DeepEqual(optionTexts(rec.Options), []string{"none", "local", "cloud"}) || rec.InitialOption.Value != "none" {
		t.Errorf("recording options %q initial %+v", optionTexts(rec.Options), rec.InitialOption)
	}
	if el := in["Incident channel prefix"].Element.(*slack.PlainTextInputBlockElement); el.InitialValue != "inc-" {
		t.Errorf("prefix initial %q", el.InitialValue)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	custom := incident.Settings{
		ZoomEnabled: true, AutoCreate: true,
		Criteria: incident.Criteria{
			Severities:            []incident.Severity{incident.Sev1, incident.Sev2},
			Statuses:              []incident.Status{incident.StatusActive},
			RequireCustomerImpact: true,
		},
		FallbackEmail: "oncall@example.com", AlwaysUseFallback: true,
		JoinBeforeHost: false, WaitingRoom: true, Recording: incident.RecordingCloud,
		Bookmarks: false, ChannelPrefix: "sev_",
	}
	for name, s := range map[string]incident.Settings{"defaults": incident.DefaultSettings(), "custom": custom} {
		got, fe := ParseSettings(submit(t, SettingsModal(s, ""), fields{}))
		if fe != nil {
			t.Errorf("%s: %v", name, fe)
		}
		if !reflect.DeepEqual(got, s.Normalize()) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, s.Normalize())
		}
	}

	// Fill every field by label, as an admin does.
	got, fe := ParseSettings(submit(t, SettingsModal(incident.DefaultSettings(), ""), fields{
		"Enable Zoom meeting creation":                true,
		"Automatically create Zoom meetings":          true,
		"Severity":                                    []string{"SEV-2", "SEV-1"},
		"Status":                                      []string{"active"},
		"Only incidents with customer impact":         true,
		"Fallback user account":                       "  oncall@example.com ",
		"Always use this account as the meeting host": true,
		"Let participants join before the host":       false,
		"Waiting room":                                true,
		"Automatic recording":                         "cloud",
		"Add important links to the incident channel's bookmarks": false,
		"Incident channel prefix":                                 " SEV_ ",
	}))
	if fe != nil {
		t.Fatalf("ParseSettings: %v", fe)
	}
	if !reflect.DeepEqual(got, custom.Normalize()) {
		t.Errorf("filled\n got %+v\nwant %+v", got, custom.Normalize())
	}
}

func TestParseSettingsErrors(t *testing.T) {
	t.Parallel()
	mv := SettingsModal(incident.DefaultSettings(), "")
	for _, tt := range []struct {
		name string
		fill fields
		want []string // input block IDs with problems
	}{
		{"bad email", fields{"Fallback user account": "oncall"}, []string{"fallback_email"}},
		{"always fallback without fallback", fields{"Always use this account as the meeting host": true}, []string{"always_use_fallback"}},
		{"bad prefix", fields{"Incident channel prefix": "-bad prefix!"}, []string{"channel_prefix"}},
		{"several", fields{"Fallback user account": "a@b", "Incident channel prefix": "_x"}, []string{"fallback_email", "channel_prefix"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, fe := ParseSettings(submit(t, mv, tt.fill))
			checkErrors(t, mv, fe, tt.want)
		})
	}

	// Values no real form sends are refused, on their own input.
	bad := viewWithState(map[string]map[string]slack.BlockAction{
		"channel_prefix":    {"channel_prefix": {Value: "inc-"}},
		"criteria_severity": {"criteria_severity": {SelectedOptions: []slack.OptionBlockObject{{Value: "SEV-0"}}}},
		"criteria_status":   {"criteria_status": {SelectedOptions: []slack.OptionBlockObject{{Value: "resolved"}}}},
		"recording":         {"recording": {SelectedOption: slack.OptionBlockObject{Value: "tape"}}},
	})
	_, fe := ParseSettings(bad)
	checkErrors(t, mv, fe, []string{"criteria_severity", "criteria_status", "recording"})
}
