package fakeslack

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// declareModal has one input of each element type the app uses.
const declareModal = `{
  "type": "modal", "callback_id": "declare", "private_metadata": "C123|T0001",
  "title": {"type": "plain_text", "text": "Declare incident"},
  "submit": {"type": "plain_text", "text": "Declare"},
  "close": {"type": "plain_text", "text": "Cancel"},
  "blocks": [
    {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Tell us what broke."}},
    {"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
     "element": {"type": "plain_text_input", "action_id": "title", "initial_value": "Checkout down"}},
    {"type": "input", "block_id": "severity", "label": {"type": "plain_text", "text": "Severity"},
     "element": {"type": "static_select", "action_id": "severity",
       "options": [{"text": {"type": "plain_text", "text": "SEV-1"}, "value": "1"}, {"text": {"type": "plain_text", "text": "SEV-2"}, "value": "2"}],
       "initial_option": {"text": {"type": "plain_text", "text": "SEV-2"}, "value": "2"}}},
    {"type": "input", "block_id": "commander", "optional": true, "label": {"type": "plain_text", "text": "Commander"},
     "element": {"type": "users_select", "action_id": "commander"}},
    {"type": "input", "block_id": "impact", "optional": true, "label": {"type": "plain_text", "text": "Customer impact"},
     "element": {"type": "checkboxes", "action_id": "impact", "options": [{"text": {"type": "plain_text", "text": "Customers are affected"}, "value": "yes"}]}},
    {"type": "input", "block_id": "statuses", "optional": true, "label": {"type": "plain_text", "text": "Status"},
     "element": {"type": "multi_static_select", "action_id": "statuses",
       "options": [{"text": {"type": "plain_text", "text": "active"}, "value": "active"}, {"text": {"type": "plain_text", "text": "stable"}, "value": "stable"}, {"text": {"type": "plain_text", "text": "resolved"}, "value": "resolved"}],
       "initial_options": [{"text": {"type": "plain_text", "text": "active"}, "value": "active"}]}},
    {"type": "input", "block_id": "fallback", "optional": true, "label": {"type": "plain_text", "text": "Fallback user account"},
     "element": {"type": "email_text_input", "action_id": "email"}},
    {"type": "input", "block_id": "recording", "label": {"type": "plain_text", "text": "Automatic recording"},
     "element": {"type": "radio_buttons", "action_id": "recording",
       "options": [{"text": {"type": "plain_text", "text": "None"}, "value": "none"}, {"text": {"type": "plain_text", "text": "Cloud"}, "value": "cloud"}],
       "initial_option": {"text": {"type": "plain_text", "text": "None"}, "value": "none"}}},
    {"type": "input", "block_id": "when", "optional": true, "label": {"type": "plain_text", "text": "Started"},
     "element": {"type": "datepicker", "action_id": "date", "initial_date": "2026-01-02"}},
    {"type": "input", "optional": true, "label": {"type": "plain_text", "text": "Description"},
     "element": {"type": "plain_text_input", "multiline": true, "max_length": 20}}
  ]}`

func modal(t *testing.T, js string) slack.ModalViewRequest {
	t.Helper()
	var m slack.ModalViewRequest
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// modalApp opens declareModal on any slash command, and answers
// view_submission with submitAck.
func modalApp(t *testing.T, s *Server, submitAck func(slack.InteractionCallback) any) (*testApp, chan slack.InteractionCallback) {
	t.Helper()
	got := make(chan slack.InteractionCallback, 10)
	m := modal(t, declareModal)
	app := startApp(t, s, func(api *slack.Client, evt socketmode.Event) (bool, any) {
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			if _, err := api.OpenView(evt.Data.(slack.SlashCommand).TriggerID, m); err != nil {
				return true, map[string]any{"text": "open failed: " + err.Error()}
			}
		case socketmode.EventTypeInteractive:
			cb := evt.Data.(slack.InteractionCallback)
			got <- cb
			if cb.Type == slack.InteractionTypeViewSubmission && submitAck != nil {
				return true, submitAck(cb)
			}
		}
		return true, nil
	})
	s.MustWaitConnected(t)
	return app, got
}

func TestSubmitViewBuildsStateValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	_, got := modalApp(t, s, nil)
	if r := s.MustSlash(t, alice, general, "declare"); r.Text != "" {
		t.Fatalf("slash: %+v", r)
	}
	v := s.MustWaitView(t, alice, "Declare incident")
	if in, ok := v.Input("Severity"); !ok || in.Initial != "SEV-2" || !slices.Equal(in.Options, []string{"SEV-1", "SEV-2"}) || in.Type != "static_select" {
		t.Errorf("Severity input = %+v", in)
	}
	if in, _ := v.Input("Description"); in.BlockID == "" || in.ActionID == "" {
		t.Errorf("Slack assigns IDs to the description input: %+v", in)
	}
	res := s.MustSubmit(t, alice, "Declare incident", Fields{
		"Severity": "SEV-1", "Commander": string(bob), "Customer impact": true,
		"Status": []string{"active", "stable"}, "Fallback user account": "host@example.com",
		"Automatic recording": "Cloud",
	})
	if !res.Closed || res.Errors != nil || s.OpenView(alice) != nil {
		t.Errorf("result = %+v, want the modal closed", res)
	}
	cb := <-got
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != "declare" || cb.View.PrivateMetadata != "C123|T0001" ||
		cb.View.Hash != v.Hash || cb.View.ID != v.ID || cb.User.ID != string(alice) || cb.Team.ID != "T0001" || cb.TriggerID == "" {
		t.Errorf("callback = %+v", cb)
	}
	vals := cb.View.State.Values
	desc, _ := v.Input("Description")
	checks := []struct {
		name string
		ok   bool
	}{
		{"title keeps initial_value", vals["title"]["title"].Value == "Checkout down" && vals["title"]["title"].Type == "plain_text_input"},
		{"severity option", vals["severity"]["severity"].SelectedOption.Value == "1" && vals["severity"]["severity"].SelectedOption.Text.Text == "SEV-1"},
		{"commander user", vals["commander"]["commander"].SelectedUser == string(bob)},
		{"impact checkbox", len(vals["impact"]["impact"].SelectedOptions) == 1 && vals["impact"]["impact"].SelectedOptions[0].Value == "yes"},
		{"statuses", len(vals["statuses"]["statuses"].SelectedOptions) == 2 && vals["statuses"]["statuses"].SelectedOptions[1].Value == "stable"},
		{"email", vals["fallback"]["email"].Value == "host@example.com" && vals["fallback"]["email"].Type == "email_text_input"},
		{"radio", vals["recording"]["recording"].SelectedOption.Value == "cloud"},
		{"date keeps initial", vals["when"]["date"].SelectedDate == "2026-01-02"},
		{"empty description", vals[desc.BlockID][desc.ActionID].Value == "" && vals[desc.BlockID][desc.ActionID].Type == "plain_text_input"},
		{"only inputs", len(vals) == 9 && vals["intro"] == nil},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: state.values = %+v", c.name, vals)
		}
	}
}

func TestSubmitViewRawState(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	app, _ := modalApp(t, s, nil)
	s.MustSlash(t, alice, general, "declare")
	s.MustWaitView(t, alice, "Declare incident")
	if _, err := s.SubmitView(ctxT(t), alice, "Declare incident", Fields{"Customer impact": false, "Commander": ""}); err != nil {
		t.Fatal(err)
	}
	// The exact JSON, as slack-go received it.
	var payload map[string]any
	if err := json.Unmarshal(app.next(t, socketmode.EventTypeInteractive).Request.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	values := payload["view"].(map[string]any)["state"].(map[string]any)["values"].(map[string]any)
	commander := values["commander"].(map[string]any)["commander"].(map[string]any)
	impact := values["impact"].(map[string]any)["impact"].(map[string]any)
	if v, ok := commander["selected_user"]; !ok || v != nil {
		t.Errorf("unset users_select = %v, want selected_user: null", commander)
	}
	if opts, ok := impact["selected_options"].([]any); !ok || len(opts) != 0 {
		t.Errorf("unchecked checkbox = %v, want selected_options: []", impact)
	}
}

func TestSubmitViewRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	modalApp(t, s, nil)
	s.MustSlash(t, alice, general, "declare")
	s.MustWaitView(t, alice, "Declare incident")
	for _, tt := range []struct {
		name   string
		title  string
		fields Fields
		want   string
	}{
		{"unknown label", "Declare incident", Fields{"Sev": "SEV-1"}, `no input labelled "Sev"`},
		{"unknown option", "Declare incident", Fields{"Severity": "SEV-9"}, `no option "SEV-9"`},
		{"wrong type", "Declare incident", Fields{"Status": "active"}, "want []string"},
		{"required empty", "Declare incident", Fields{"Title": ""}, "required and empty"},
		{"too long", "Declare incident", Fields{"Description": strings.Repeat("x", 21)}, "max_length"},
		{"unknown user", "Declare incident", Fields{"Commander": "UNOBODY"}, "no active user"},
		{"not on top", "Settings", nil, "not \"Settings\""},
	} {
		if _, err := s.SubmitView(ctxT(t), alice, tt.title, tt.fields); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if len(s.Acks()) != 1 {
		t.Errorf("a refused submission reached the app: acks %+v", s.Acks())
	}
}

func TestSubmitViewResponseActions(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	var mu sync.Mutex
	var next any
	setAck := func(a any) { mu.Lock(); next = a; mu.Unlock() }
	modalApp(t, s, func(slack.InteractionCallback) any { mu.Lock(); defer mu.Unlock(); return next })
	s.MustSlash(t, alice, general, "declare")
	s.MustWaitView(t, alice, "Declare incident")

	setAck(slack.NewErrorsViewSubmissionResponse(map[string]string{"fallback": "Not a user of the Zoom account"}))
	res := s.MustSubmit(t, alice, "Declare incident", nil)
	if res.Closed || res.Action != "errors" || res.Errors["Fallback user account"] != "Not a user of the Zoom account" || res.View == nil {
		t.Errorf("errors result = %+v", res)
	}

	setAck(slack.NewErrorsViewSubmissionResponse(map[string]string{"intro": "not an input"}))
	if _, err := s.SubmitView(ctxT(t), alice, "Declare incident", nil); err == nil || !strings.Contains(err.Error(), "not an input block") {
		t.Errorf("errors on a section block: %v, want a failure", err)
	}

	pushed := modal(t, `{"type":"modal","title":{"type":"plain_text","text":"Confirm"},"blocks":[{"type":"section","text":{"type":"plain_text","text":"Sure?"}}],"submit":{"type":"plain_text","text":"Yes"}}`)
	setAck(slack.NewPushViewSubmissionResponse(&pushed))
	if res := s.MustSubmit(t, alice, "Declare incident", nil); res.Closed || res.View.Title != "Confirm" || len(s.Views(alice)) != 2 {
		t.Errorf("push result = %+v", res)
	}
	updated := modal(t, `{"type":"modal","title":{"type":"plain_text","text":"Done"},"blocks":[{"type":"section","text":{"type":"plain_text","text":"INC-1 declared"}}]}`)
	setAck(slack.NewUpdateViewSubmissionResponse(&updated))
	if res := s.MustSubmit(t, alice, "Confirm", nil); res.Closed || res.View.Title != "Done" {
		t.Errorf("update result = %+v", res)
	}
	bad := modal(t, `{"type":"modal","title":{"type":"plain_text","text":"A title far too long for Slack"},"blocks":[]}`)
	setAck(slack.NewUpdateViewSubmissionResponse(&bad))
	s.MustWaitView(t, alice, "Done")
	if err := s.CloseView(ctxT(t), alice, "Done"); err != nil {
		t.Fatal(err)
	}
	if v := s.OpenView(alice); v == nil || v.Title != "Declare incident" {
		t.Errorf("after closing the top view, %v is shown; want the declare modal", v)
	}
	if _, err := s.SubmitView(ctxT(t), alice, "Declare incident", nil); err == nil || !strings.Contains(err.Error(), "invalid_arguments") {
		t.Errorf("update with an invalid view: %v, want a failure", err)
	}
	setAck(slack.NewClearViewSubmissionResponse())
	if res := s.MustSubmit(t, alice, "Declare incident", nil); !res.Closed || s.OpenView(alice) != nil {
		t.Errorf("clear result = %+v", res)
	}
}

// clock is an adjustable clock for trigger expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestViewsAPI(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	s := newServer(t, Options{Now: clk.Now})
	general := s.AddChannel("general", alice)
	triggers := make(chan string, 10)
	startApp(t, s, func(_ *slack.Client, evt socketmode.Event) (bool, any) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			triggers <- evt.Data.(slack.SlashCommand).TriggerID
		}
		return true, nil
	})
	s.MustWaitConnected(t)
	trigger := func() string { s.MustSlash(t, alice, general, "x"); return <-triggers }
	api := apiClient(s)
	m := modal(t, declareModal)

	if _, err := api.OpenViewContext(ctxT(t), "1.2.nope", m); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("unknown trigger = %v", err)
	}
	old := trigger()
	clk.Add(3*time.Second + time.Millisecond)
	if _, err := api.OpenViewContext(ctxT(t), old, m); slackErr(err) != "expired_trigger_id" {
		t.Errorf("old trigger = %v", err)
	}
	tr := trigger()
	for _, tt := range []struct{ name, view string }{
		{"long title", `{"type":"modal","title":{"type":"plain_text","text":"1234567890123456789012345"},"blocks":[]}`},
		{"inputs without submit", `{"type":"modal","title":{"type":"plain_text","text":"T"},"blocks":[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input"}}]}`},
		{"not a modal", `{"type":"home","title":{"type":"plain_text","text":"T"},"blocks":[]}`},
	} {
		if _, err := api.OpenViewContext(ctxT(t), tr, modal(t, tt.view)); slackErr(err) != "invalid_arguments" {
			t.Errorf("%s: %v, want invalid_arguments", tt.name, err)
		}
	}
	opened, err := api.OpenViewContext(ctxT(t), tr, m)
	if err != nil || !strings.HasPrefix(opened.ID, "V") || opened.Hash == "" || opened.Title.Text != "Declare incident" {
		t.Fatalf("views.open = %+v, %v", opened, err)
	}
	if _, err := api.OpenViewContext(ctxT(t), tr, m); slackErr(err) != "exchanged_trigger_id" {
		t.Errorf("reused trigger = %v", err)
	}
	m2 := modal(t, strings.Replace(declareModal, "Declare incident", "Declare again", 1))
	if _, err := api.UpdateViewContext(ctxT(t), m2, "", "stale.hash", opened.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash = %v", err)
	}
	up, err := api.UpdateViewContext(ctxT(t), m2, "", opened.Hash, opened.ID)
	if err != nil || up.ID != opened.ID || up.Hash == opened.Hash || s.OpenView(alice).Title != "Declare again" {
		t.Errorf("views.update = %+v, %v", up, err)
	}
	for i := range 2 {
		if _, err := api.PushViewContext(ctxT(t), trigger(), m); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	if _, err := api.PushViewContext(ctxT(t), trigger(), m); slackErr(err) != "push_limit_reached" {
		t.Errorf("fourth view = %v, want push_limit_reached", err)
	}
	if views := s.Views(alice); len(views) != 3 || views[2].RootViewID != opened.ID || views[2].PreviousViewID != views[1].ID {
		t.Errorf("stack = %+v", views)
	}
}

func TestCloseViewNotifiesApp(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	m := modal(t, `{"type":"modal","notify_on_close":true,"callback_id":"cb","title":{"type":"plain_text","text":"Edit"},"blocks":[{"type":"divider"}]}`)
	app := startApp(t, s, func(api *slack.Client, evt socketmode.Event) (bool, any) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_, _ = api.OpenView(evt.Data.(slack.SlashCommand).TriggerID, m) // asserted via MustWaitView
		}
		return true, nil
	})
	s.MustWaitConnected(t)
	s.MustSlash(t, alice, general, "edit")
	v := s.MustWaitView(t, alice, "Edit")
	if err := s.CloseView(ctxT(t), alice, "Edit"); err != nil {
		t.Fatal(err)
	}
	cb := app.next(t, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeViewClosed || cb.View.ID != v.ID || cb.View.CallbackID != "cb" || s.OpenView(alice) != nil {
		t.Errorf("view_closed callback = %+v", cb)
	}
}
