package fakeslack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func headerBlocks(buttons ...slack.BlockElement) slack.MsgOption {
	return slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*INC-1* Checkout down", false, false), nil, nil),
		slack.NewActionBlock("header_actions", buttons...))
}

func buttonEl(actionID, value, text string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false))
}

func TestClickButton(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	ch := s.AddChannel("inc-1", s.BotUserID(), alice)
	app := startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	api := apiClient(s)
	if _, _, err := api.PostMessageContext(ctxT(t), string(ch), slack.MsgOptionText("old", false), headerBlocks(buttonEl("zoom_create", "old", "Create Zoom Meeting"))); err != nil {
		t.Fatal(err)
	}
	link := buttonEl("zoom_join", "", "Join Zoom Meeting").WithURL("https://zoom.example/j/1")
	_, ts, err := api.PostMessageContext(ctxT(t), string(ch), slack.MsgOptionText("new", false), headerBlocks(buttonEl("zoom_create", "INC-1", "Create Zoom Meeting"), link))
	if err != nil {
		t.Fatal(err)
	}

	resp := s.MustClick(t, alice, ch, "Create Zoom Meeting")
	cb := app.next(t, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("slack-go saw no block actions: %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if cb.Type != slack.InteractionTypeBlockActions || act.ActionID != "zoom_create" || act.BlockID != "header_actions" ||
		act.Value != "INC-1" || act.Text.Text != "Create Zoom Meeting" || act.Type != "button" || act.ActionTs == "" {
		t.Errorf("action = %+v (the newest message's button must be pressed)", act)
	}
	if cb.Container.Type != "message" || cb.Container.MessageTs != ts || cb.Container.ChannelID != string(ch) || cb.Container.IsEphemeral ||
		cb.Channel.ID != string(ch) || cb.Message.Timestamp != ts || cb.User.ID != string(alice) || cb.TriggerID != resp.TriggerID ||
		cb.ResponseURL != resp.ResponseURL || cb.Team.ID != "T0001" || len(cb.Message.Blocks.BlockSet) != 2 {
		t.Errorf("callback = %+v", cb)
	}
	if resp.URL != "" {
		t.Errorf("a plain button opened %q", resp.URL)
	}
	if r := s.MustClick(t, alice, ch, "Join Zoom Meeting"); r.URL != "https://zoom.example/j/1" {
		t.Errorf("link button URL = %q", r.URL)
	}
	if cb := app.next(t, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback); cb.ActionCallback.BlockActions[0].ActionID != "zoom_join" {
		t.Errorf("link buttons also send block_actions; got %+v", cb)
	}
	if _, err := s.ClickButton(ctxT(t), alice, ch, "Resolve"); err == nil || !strings.Contains(err.Error(), "Create Zoom Meeting") {
		t.Errorf("missing button: %v, want an error listing the buttons", err)
	}
}

func TestClickEphemeralButtonAndResponseURL(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	ch := s.AddChannel("inc-1", s.BotUserID(), alice)
	app := startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	api := apiClient(s)
	if _, err := api.PostEphemeralContext(ctxT(t), string(ch), string(alice), slack.MsgOptionText("join", false), headerBlocks(buttonEl("again", "", "Show again"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClickButton(ctxT(t), bob, ch, "Show again"); err == nil {
		t.Error("bob pressed a button only alice can see")
	}
	resp := s.MustClick(t, alice, ch, "Show again")
	cb := app.next(t, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if !cb.Container.IsEphemeral || cb.Message.Timestamp != "" {
		t.Errorf("ephemeral click: container %+v, message ts %q (Slack sends no message)", cb.Container, cb.Message.Timestamp)
	}
	_, _, err := api.PostMessageContext(ctxT(t), "", slack.MsgOptionReplaceOriginal(resp.ResponseURL), slack.MsgOptionText("replaced", false))
	if err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals(alice); len(e) != 1 || e[0].Text != "replaced" || e[0].Blocks != nil {
		t.Errorf("after replace_original: %+v", e)
	}
	if _, _, err := api.PostMessageContext(ctxT(t), "", slack.MsgOptionDeleteOriginal(resp.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals(alice); len(e) != 0 {
		t.Errorf("after delete_original: %+v", e)
	}
}

func TestClickButtonInView(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	m := modal(t, `{"type":"modal","callback_id":"settings","title":{"type":"plain_text","text":"Settings"},
	  "submit":{"type":"plain_text","text":"Save"},
	  "blocks":[{"type":"input","block_id":"fb","label":{"type":"plain_text","text":"Fallback"},"element":{"type":"email_text_input","action_id":"e","initial_value":"a@b.example"}},
	            {"type":"actions","block_id":"acts","elements":[{"type":"button","action_id":"test","text":{"type":"plain_text","text":"Test connection"}}]}]}`)
	app := startApp(t, s, func(api *slack.Client, evt socketmode.Event) (bool, any) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_, _ = api.OpenView(evt.Data.(slack.SlashCommand).TriggerID, m) // asserted via MustWaitView
		}
		return true, nil
	})
	s.MustWaitConnected(t)
	s.MustSlash(t, alice, general, "settings")
	v := s.MustWaitView(t, alice, "Settings")
	s.MustClickInView(t, alice, "Settings", "Test connection")
	cb := app.next(t, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.Container.Type != "view" || cb.Container.ViewID != v.ID || cb.View.ID != v.ID || cb.View.CallbackID != "settings" ||
		cb.View.State.Values["fb"]["e"].Value != "a@b.example" || cb.ActionCallback.BlockActions[0].BlockID != "acts" {
		t.Errorf("view click callback = %+v", cb)
	}
}

func TestChannelEventsLikeSlack(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	app := startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	inner := func() (string, any) {
		t.Helper()
		ev := app.next(t, socketmode.EventTypeEventsAPI).Data.(slackevents.EventsAPIEvent)
		return ev.InnerEvent.Type, ev.InnerEvent.Data
	}
	ch, err := apiClient(s).CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: "inc-2"})
	if err != nil {
		t.Fatal(err)
	}
	if typ, data := inner(); typ != "member_joined_channel" || data.(*slackevents.MemberJoinedChannelEvent).User != string(s.BotUserID()) {
		t.Errorf("after create: %s %+v (Slack tells the bot it joined)", typ, data)
	}
	outside := s.AddChannel("random", alice)
	if err := s.JoinChannel(bob, outside); err != nil { // the bot is not in #random: no event
		t.Fatal(err)
	}
	if err := s.JoinChannel(bob, ChannelID(ch.ID)); err != nil {
		t.Fatal(err)
	}
	if typ, data := inner(); typ != "member_joined_channel" || data.(*slackevents.MemberJoinedChannelEvent).User != string(bob) ||
		data.(*slackevents.MemberJoinedChannelEvent).Channel != ch.ID {
		t.Errorf("after bob joined: %s %+v", typ, data)
	}
	if err := s.RenameChannel(ChannelID(ch.ID), "inc-2-renamed"); err != nil {
		t.Fatal(err)
	}
	if typ, data := inner(); typ != "channel_rename" || data.(*slackevents.ChannelRenameEvent).Channel.Name != "inc-2-renamed" {
		t.Errorf("after rename: %s %+v", typ, data)
	}
	if err := s.RenameChannel(ChannelID(ch.ID), "Bad Name"); err == nil {
		t.Error("rename to an invalid name succeeded")
	}
	if err := s.ArchiveChannel(ChannelID(ch.ID), alice); err != nil {
		t.Fatal(err)
	}
	if typ, data := inner(); typ != "channel_archive" || data.(*slackevents.ChannelArchiveEvent).User != string(alice) {
		t.Errorf("after archive: %s %+v", typ, data)
	}
	if _, err := s.SlashCommand(ctxT(t), bob, ChannelID(ch.ID), "help"); err == nil {
		t.Error("a slash command in an archived channel was delivered")
	}
}

func TestUninstall(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	app := startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	s.Uninstall()
	var types []string
	for range 2 {
		types = append(types, app.next(t, socketmode.EventTypeEventsAPI).Data.(slackevents.EventsAPIEvent).InnerEvent.Type)
	}
	if !slices.Equal(types, []string{"tokens_revoked", "app_uninstalled"}) {
		t.Errorf("events = %v", types)
	}
	if _, err := apiClient(s).AuthTestContext(ctxT(t)); slackErr(err) != "token_revoked" {
		t.Errorf("auth.test after uninstall = %v", err)
	}
}

func TestTexts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, text, blocks string
		want               []string
	}{
		{"plain", "hello", ``, []string{"hello"}},
		{"blocks hide text", "fallback", `[{"type":"header","text":{"type":"plain_text","text":"INC-1"}}]`, []string{"INC-1"}},
		{"section", "", `[{"type":"section","text":{"type":"mrkdwn","text":"*Sev*"},"fields":[{"type":"mrkdwn","text":"a"},{"type":"plain_text","text":"b"}],
			"accessory":{"type":"button","text":{"type":"plain_text","text":"Join"},"url":"https://z.example"}}]`, []string{"*Sev*", "a", "b", "Join", "https://z.example"}},
		{"actions and context", "", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Edit"}},
			{"type":"static_select","placeholder":{"type":"plain_text","text":"Pick"}}]},{"type":"context","elements":[{"type":"mrkdwn","text":"by alice"},{"type":"image","image_url":"https://i","alt_text":"logo"}]}]`,
			[]string{"Edit", "Pick", "by alice", "logo"}},
		{"rich text", "", `[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"Hi "},{"type":"user","user_id":"U1"},{"type":"link","url":"https://x"}]}]}]`,
			[]string{"Hi <@U1>https://x"}},
		{"input", "", `[{"type":"input","label":{"type":"plain_text","text":"Title"},"element":{"type":"plain_text_input","initial_value":"Down"},"hint":{"type":"plain_text","text":"short"}}]`,
			[]string{"Title", "Down", "short"}},
		{"divider", "", `[{"type":"divider"}]`, nil},
	} {
		got := Texts(Message{Text: tt.text, Blocks: json.RawMessage(tt.blocks)})
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Texts = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCheckBlocks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, blocks string
		ok           bool
	}{
		{"valid header", `[{"type":"header","text":{"type":"plain_text","text":"x"}}]`, true},
		{"header too long", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]`, false},
		{"section text 3000", `[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("s", 3000) + `"}}]`, true},
		{"section text 3001", `[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("s", 3001) + `"}}]`, false},
		{"11 fields", `[{"type":"section","fields":[` + strings.TrimSuffix(strings.Repeat(`{"type":"mrkdwn","text":"f"},`, 11), ",") + `]}]`, false},
		{"bad style", `[{"type":"actions","elements":[{"type":"button","style":"loud","text":{"type":"plain_text","text":"b"}}]}]`, false},
		{"26 buttons", `[{"type":"actions","elements":[` + strings.TrimSuffix(strings.Repeat(`{"type":"button","text":{"type":"plain_text","text":"b"}},`, 26), ",") + `]}]`, false},
		{"duplicate action_id", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"b"}},{"type":"button","action_id":"a","text":{"type":"plain_text","text":"c"}}]}]`, false},
		{"initial option not an option", `[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"static_select","options":[{"text":{"type":"plain_text","text":"A"},"value":"a"}],"initial_option":{"text":{"type":"plain_text","text":"B"},"value":"b"}}}]`, false},
		{"input without element", `[{"type":"input","label":{"type":"plain_text","text":"L"}}]`, false},
		{"text input in actions", `[{"type":"actions","elements":[{"type":"plain_text_input"}]}]`, false},
		{"image without alt", `[{"type":"image","image_url":"https://i"}]`, false},
		{"empty text", `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, false},
	} {
		var v any
		if err := json.Unmarshal([]byte(tt.blocks), &v); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var c checker
		c.blocks(v, maxMessageBlocks, "/blocks")
		if c.ok() != tt.ok {
			t.Errorf("%s: ok = %v, errors %q", tt.name, c.ok(), c.errs)
		}
	}
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	app := startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	id, err := s.SendEvent(ctxT(t), map[string]any{"type": "app_uninstalled"})
	if err != nil {
		t.Fatal(err)
	}
	first := app.next(t, socketmode.EventTypeEventsAPI)
	if err := s.Redeliver(id, 2); err != nil {
		t.Fatal(err)
	}
	again := app.next(t, socketmode.EventTypeEventsAPI)
	cb := again.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent)
	if cb.EventID != id || again.Request.RetryAttempt != 2 || again.Request.RetryReason != "timeout" || again.Request.EnvelopeID == first.Request.EnvelopeID {
		t.Errorf("redelivery = %+v, event %s", again.Request, cb.EventID)
	}
	if err := s.Redeliver("EvNOPE", 1); err == nil {
		t.Error("redelivering an unknown event succeeded")
	}
}
