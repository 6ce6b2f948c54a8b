package slackui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestDeclareModalShape(t *testing.T) {
	t.Parallel()
	v := DeclareModal("  Checkout down  ", "meta-1")
	checkModal(t, v)
	if v.Title.Text != "Declare incident" || v.Submit.Text != "Declare" || v.CallbackID != CallbackDeclare || v.PrivateMetadata != "meta-1" {
		t.Errorf("title %q submit %q callback %q meta %q", v.Title.Text, v.Submit.Text, v.CallbackID, v.PrivateMetadata)
	}
	in := inputs(t, v)
	want := map[string]struct {
		elem     string
		optional bool
	}{
		"Title":           {"plain_text_input", false},
		"Severity":        {"static_select", true},
		"Commander":       {"users_select", true},
		"Customer impact": {"static_select", false},
		"Description":     {"plain_text_input", true},
	}
	if len(in) != len(want) {
		t.Errorf("inputs %v; want %v", keys(in), want)
	}
	for label, w := range want {
		b := in[label]
		if b == nil {
			t.Errorf("no input %q", label)
			continue
		}
		if got := elementType(b.Element); got != w.elem || b.Optional != w.optional {
			t.Errorf("%q: %s optional=%t; want %s optional=%t", label, got, b.Optional, w.elem, w.optional)
		}
	}
	title := in["Title"].Element.(*slack.PlainTextInputBlockElement)
	if title.InitialValue != "Checkout down" || title.MaxLength != 120 {
		t.Errorf("title initial %q max %d", title.InitialValue, title.MaxLength)
	}
	if !in["Description"].Element.(*slack.PlainTextInputBlockElement).Multiline {
		t.Error("description not multiline")
	}
	if got := optionTexts(in["Severity"].Element.(*slack.SelectBlockElement).Options); !reflect.DeepEqual(got, []string{"SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5"}) {
		t.Errorf("severity options %q", got)
	}
	impact := in["Customer impact"].Element.(*slack.SelectBlockElement)
	if got := optionTexts(impact.Options); !reflect.DeepEqual(got, []string{"Yes", "No"}) || impact.InitialOption.Text.Text != "No" {
		t.Errorf("impact options %q initial %+v", got, impact.InitialOption)
	}

	// A title longer than the input allows is cut, or views.open would fail.
	long := DeclareModal(strings.Repeat("x", 300), "")
	if got := inputs(t, long)["Title"].Element.(*slack.PlainTextInputBlockElement).InitialValue; runes(got) != 120 {
		t.Errorf("long initial title has %d characters", runes(got))
	}
}

func TestParseDeclare(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		title   string
		fill    fields
		want    DeclareForm
		wantErr []string // input block IDs with problems
	}{
		{
			name:  "everything",
			title: "Checkout down",
			fill:  fields{"Severity": "SEV-1", "Commander": "U9", "Customer impact": "Yes", "Description": " EU only \n"},
			want:  DeclareForm{Title: "Checkout down", Description: "EU only", Severity: incident.Sev1, Commander: "U9", CustomerImpact: true},
		},
		{
			name:  "defaults",
			title: "Checkout down",
			fill:  fields{},
			want:  DeclareForm{Title: "Checkout down", Severity: incident.SevUnknown},
		},
		{
			name:    "blank title",
			title:   "x",
			fill:    fields{"Title": "   ", "Severity": "SEV-3"},
			want:    DeclareForm{Title: "", Severity: incident.Sev3},
			wantErr: []string{"title"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mv := DeclareModal(tt.title, "m")
			got, fe := ParseDeclare(submit(t, mv, tt.fill))
			if got != tt.want {
				t.Errorf("ParseDeclare = %+v; want %+v", got, tt.want)
			}
			checkErrors(t, mv, fe, tt.wantErr)
		})
	}
}

func TestParseDeclareRejectsUnknownValues(t *testing.T) {
	t.Parallel()
	v := viewWithState(map[string]map[string]slack.BlockAction{
		"title":           {"title": {Value: "Ok"}},
		"severity":        {"severity": {SelectedOption: slack.OptionBlockObject{Value: "SEV-9"}}},
		"customer_impact": {"customer_impact": {SelectedOption: slack.OptionBlockObject{Value: "maybe"}}},
	})
	_, fe := ParseDeclare(v)
	checkErrors(t, DeclareModal("", ""), fe, []string{"severity", "customer_impact"})

	// No state at all (a broken payload) reads as an empty form.
	_, fe = ParseDeclare(slack.View{})
	checkErrors(t, DeclareModal("", ""), fe, []string{"title"})
}

func TestEditModalShape(t *testing.T) {
	t.Parallel()
	inc := withMeeting(testIncident(), oneClickMeeting())
	v := EditModal(inc, "meta-2")
	checkModal(t, v)
	if v.Title.Text != "Edit incident" || v.Submit.Text != "Save" || v.CallbackID != CallbackEdit || v.PrivateMetadata != "meta-2" {
		t.Errorf("title %q submit %q callback %q meta %q", v.Title.Text, v.Submit.Text, v.CallbackID, v.PrivateMetadata)
	}
	in := inputs(t, v)
	for _, label := range []string{"Title", "Severity", "Status", "Commander", "Customer impact", "Description"} {
		if in[label] == nil {
			t.Errorf("no input %q", label)
		}
	}
	status := in["Status"].Element.(*slack.SelectBlockElement)
	if got := optionTexts(status.Options); !reflect.DeepEqual(got, []string{"active", "stable", "resolved"}) {
		t.Errorf("status options %q", got)
	}
	if status.InitialOption.Value != "active" ||
		in["Severity"].Element.(*slack.SelectBlockElement).InitialOption.Text.Text != "SEV-2" ||
		in["Commander"].Element.(*slack.SelectBlockElement).InitialUser != "U2" ||
		in["Customer impact"].Element.(*slack.SelectBlockElement).InitialOption.Text.Text != "Yes" ||
		in["Title"].Element.(*slack.PlainTextInputBlockElement).InitialValue != inc.Title ||
		in["Description"].Element.(*slack.PlainTextInputBlockElement).InitialValue != inc.Description {
		t.Error("edit modal does not start at the incident's values")
	}
}

func TestModalLimits(t *testing.T) {
	t.Parallel()
	inc := testIncident()
	inc.Title = strings.Repeat("<T>", 100)
	inc.Description = strings.Repeat("ä", 10000)
	v := EditModal(inc, strings.Repeat("m", 100))
	checkModal(t, v)
	in := inputs(t, v)
	if got := in["Description"].Element.(*slack.PlainTextInputBlockElement).InitialValue; runes(got) != incident.MaxDescription {
		t.Errorf("description initial value has %d characters", runes(got))
	}
	s := incident.Settings{ChannelPrefix: strings.Repeat("p", 40)}
	checkModal(t, SettingsModal(s, ""))
}

func TestParseEditUntouchedChangesNothing(t *testing.T) {
	t.Parallel()
	for _, inc := range []incident.Incident{
		testIncident(),
		{Number: 7, Title: "Fresh", Severity: incident.SevUnknown, Status: incident.StatusStable},
	} {
		e, fe := ParseEdit(submit(t, EditModal(inc, ""), fields{}))
		if fe != nil {
			t.Fatalf("ParseEdit: %v", fe)
		}
		if e != (incident.Edit{}) {
			t.Fatalf("untouched edit sets fields: %+v", e)
		}
		after := inc
		if cs := after.Apply(e); len(cs) != 0 {
			t.Errorf("untouched edit of %s changed %+v", inc.Number, cs)
		}
	}
}

func TestParseEditChanges(t *testing.T) {
	t.Parallel()
	inc := testIncident()
	mv := EditModal(inc, "")
	e, fe := ParseEdit(submit(t, mv, fields{
		"Title": "Checkout down", "Severity": "SEV-1", "Status": "stable",
		"Commander": "", "Customer impact": "No", "Description": "",
	}))
	if fe != nil {
		t.Fatalf("ParseEdit: %v", fe)
	}
	cs := inc.Apply(e)
	want := []incident.Change{
		{Field: incident.FieldTitle, Old: "Checkout errors", New: "Checkout down"},
		{Field: incident.FieldDescription, Old: "Payments fail for EU customers.", New: ""},
		{Field: incident.FieldSeverity, Old: "SEV-2", New: "SEV-1"},
		{Field: incident.FieldStatus, Old: "active", New: "stable"},
		{Field: incident.FieldCommander, Old: "U2", New: ""},
		{Field: incident.FieldCustomerImpact, Old: "yes", New: "no"},
	}
	if !reflect.DeepEqual(cs, want) {
		t.Errorf("changes %+v\nwant %+v", cs, want)
	}

	_, fe = ParseEdit(submit(t, mv, fields{"Title": " "}))
	checkErrors(t, mv, fe, []string{"title"})

	bad := viewWithState(map[string]map[string]slack.BlockAction{
		"title":  {"title": {Value: "Ok"}},
		"status": {"status": {SelectedOption: slack.OptionBlockObject{Value: "closed"}}},
	})
	e, fe = ParseEdit(bad)
	checkErrors(t, mv, fe, []string{"status"})
	if e.Status != nil {
		t.Errorf("bad status parsed as %v", *e.Status)
	}
}

func TestViewErrors(t *testing.T) {
	t.Parallel()
	got := ViewErrors(incident.FieldErrors{
		{Field: incident.SettingFallbackEmail, Msg: "Bad email."},
		{Field: incident.SettingFallbackEmail, Msg: "Also this."},
		{Field: "no such field", Msg: "dropped"},
		{Field: string(incident.FieldTitle), Msg: "Empty."},
	})
	want := map[string]string{"fallback_email": "Bad email. Also this.", "title": "Empty."}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ViewErrors = %v; want %v", got, want)
	}
	if got := ViewErrors(nil); len(got) != 0 {
		t.Errorf("ViewErrors(nil) = %v", got)
	}

	// Every field the incident forms report lands on an input of those forms,
	// and every setting on an input of the settings form.
	incidentFields := []incident.Field{incident.FieldTitle, incident.FieldSeverity, incident.FieldCommander, incident.FieldCustomerImpact, incident.FieldDescription}
	declare, edit := inputBlockIDs(DeclareModal("", "")), inputBlockIDs(EditModal(testIncident(), ""))
	for _, f := range append(incidentFields, incident.FieldStatus) {
		for block := range ViewErrors(incident.FieldErrors{{Field: string(f), Msg: "m"}}) {
			if !edit[block] || (f != incident.FieldStatus && !declare[block]) {
				t.Errorf("field %q maps to %q, not an input of its forms", f, block)
			}
		}
	}
	settings := inputBlockIDs(SettingsModal(incident.DefaultSettings(), ""))
	for _, f := range []string{incident.SettingFallbackEmail, incident.SettingAlwaysUseFallback, incident.SettingChannelPrefix, incident.SettingRecording, settingCriteriaSeverities, settingCriteriaStatuses} {
		m := ViewErrors(incident.FieldErrors{{Field: f, Msg: "m"}})
		if len(m) != 1 {
			t.Errorf("setting %q not mapped", f)
		}
		for block := range m {
			if !settings[block] {
				t.Errorf("setting %q maps to %q, not an input of the settings form", f, block)
			}
		}
	}
}

// checkErrors asserts that fe puts problems on exactly the wanted input
// blocks, all of them inputs of mv.
func checkErrors(t *testing.T, mv slack.ModalViewRequest, fe incident.FieldErrors, want []string) {
	t.Helper()
	if len(want) == 0 {
		if fe != nil {
			t.Errorf("unexpected problems: %v", fe)
		}
		return
	}
	got := ViewErrors(fe)
	ids := inputBlockIDs(mv)
	for block, msg := range got {
		if !ids[block] {
			t.Errorf("error on %q, not an input block of %q", block, mv.Title.Text)
		}
		if msg == "" {
			t.Errorf("empty message on %q", block)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems on %v; want %q (from %v)", got, want, fe)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("no problem on %q; got %v", w, got)
		}
	}
}

func elementType(el slack.BlockElement) string {
	switch e := el.(type) {
	case *slack.SelectBlockElement:
		return e.Type
	case *slack.MultiSelectBlockElement:
		return e.Type
	}
	return string(el.ElementType())
}

func optionTexts(opts []*slack.OptionBlockObject) []string {
	var out []string
	for _, o := range opts {
		out = append(out, o.Text.Text)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestParseEditKeepsOthersChanges: saving the modal changes only what the
// person changed in it, so a change made by someone else while the modal
// was open is not undone (no lost update).
func TestParseEditKeepsOthersChanges(t *testing.T) {
	t.Parallel()
	opened := testIncident() // the modal opens at these values
	e, fe := ParseEdit(submit(t, EditModal(opened, ""), fields{"Title": "Renamed"}))
	if fe != nil {
		t.Fatalf("ParseEdit: %v", fe)
	}
	now := opened
	now.Severity, now.Status = incident.Sev1, incident.StatusStable // changed meanwhile
	cs := now.Apply(e)
	if len(cs) != 1 || cs[0].Field != incident.FieldTitle || now.Severity != incident.Sev1 || now.Status != incident.StatusStable {
		t.Errorf("changes %+v, incident %+v; want only the title changed", cs, now)
	}
}
