package fakeslack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// slackErr returns the Slack error code of err, "" if none.
func slackErr(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// rawCall posts a form (or JSON when body is not url.Values) and decodes the reply.
func rawCall(t *testing.T, s *Server, method string, body any, bearer string) (int, map[string]any) {
	t.Helper()
	var req *http.Request
	var err error
	switch b := body.(type) {
	case url.Values:
		req, err = http.NewRequestWithContext(ctxT(t), http.MethodPost, s.APIURL()+method, strings.NewReader(b.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		raw, _ := json.Marshal(b)
		req, err = http.NewRequestWithContext(ctxT(t), http.MethodPost, s.APIURL()+method, strings.NewReader(string(raw)))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s reply %q: %v", method, data, err)
	}
	return resp.StatusCode, out
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	res, err := apiClient(s).AuthTestContext(ctxT(t))
	if err != nil || res.UserID != "UBOT00001" || res.TeamID != "T0001" || res.BotID != "B00000001" || res.URL != "https://fake-workspace.slack.com/" {
		t.Errorf("auth.test = %+v, %v", res, err)
	}
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL()))
	if _, err := bad.AuthTestContext(ctxT(t)); slackErr(err) != "invalid_auth" {
		t.Errorf("wrong token: %v, want invalid_auth", err)
	}
	for _, tt := range []struct {
		name, method, bearer, want string
		body                       any
	}{
		{"no token", "auth.test", "", "not_authed", url.Values{}},
		{"token in JSON body is ignored", "auth.test", "", "not_authed", map[string]any{"token": "xoxb-fake"}},
		{"JSON with bearer", "auth.test", "xoxb-fake", "", map[string]any{}},
		{"form token", "auth.test", "", "", url.Values{"token": {"xoxb-fake"}}},
		{"app token elsewhere", "auth.test", "xapp-fake", "not_allowed_token_type", url.Values{}},
		{"bot token opens no socket", "apps.connections.open", "xoxb-fake", "not_allowed_token_type", map[string]any{}},
		{"app token only in header", "apps.connections.open", "", "not_authed", url.Values{"token": {"xapp-fake"}}},
		{"unknown method", "chat.frobnicate", "xoxb-fake", "unknown_method", url.Values{}},
	} {
		_, out := rawCall(t, s, tt.method, tt.body, tt.bearer)
		if got, _ := out["error"].(string); got != tt.want || out["ok"] != (tt.want == "") {
			t.Errorf("%s: reply %v, want error %q", tt.name, out, tt.want)
		}
	}
	if calls := s.Calls("auth.test"); len(calls) < 2 || calls[0].Params.Has("token") {
		t.Errorf("auth.test calls = %+v (the token must not be recorded)", calls)
	}
}

func TestMissingScope(t *testing.T) {
	t.Parallel()
	scopes := slices.DeleteFunc(DefaultScopes(), func(s string) bool { return s == "pins:write" })
	s := newServer(t, Options{Scopes: scopes})
	ch := s.AddChannel("general", s.BotUserID())
	api := apiClient(s)
	_, ts, err := api.PostMessageContext(ctxT(t), string(ch), slack.MsgOptionText("hi", false))
	if err != nil {
		t.Fatal(err)
	}
	err = api.AddPinContext(ctxT(t), string(ch), slack.ItemRef{Channel: string(ch), Timestamp: ts})
	var e slack.SlackErrorResponse
	if !errors.As(err, &e) || e.Err != "missing_scope" || e.Needed != "pins:write" || !strings.Contains(e.Provided, "chat:write") {
		t.Errorf("pins.add without pins:write = %#v", err)
	}
	// pins:read is not in the least-privilege list either.
	if _, _, err := api.ListPinsContext(ctxT(t), string(ch)); err == nil || err.Error() != "missing_scope" {
		t.Errorf("pins.list = %v, want missing_scope", err)
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	ch := s.AddChannel("general", s.BotUserID())
	api := apiClient(s)
	post := func() error {
		_, _, err := api.PostMessageContext(ctxT(t), string(ch), slack.MsgOptionText("hi", false))
		return err
	}

	s.RateLimitNext("chat.postMessage", 1, 7)
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("rate limited post = %v, want *slack.RateLimitedError 7s", err)
	}
	s.FailNext("chat.postMessage", 2, "internal_error")
	for range 2 {
		if err := post(); slackErr(err) != "internal_error" {
			t.Errorf("failed post = %v, want internal_error", err)
		}
	}
	if len(s.Messages(ch)) != 0 {
		t.Error("a faulted call had side effects")
	}
	s.DelayNext("chat.postMessage", 80*time.Millisecond)
	start := time.Now()
	if err := post(); err != nil || time.Since(start) < 80*time.Millisecond {
		t.Errorf("delayed post: %v after %s", err, time.Since(start))
	}
	calls := s.Calls("chat.postMessage")
	if len(calls) != 4 || calls[0].Status != http.StatusTooManyRequests || calls[0].Error != "ratelimited" || calls[1].Error != "internal_error" || calls[3].Error != "" {
		t.Errorf("calls = %+v", calls)
	}
	if len(s.Messages(ch)) != 1 {
		t.Errorf("messages = %d, want 1", len(s.Messages(ch)))
	}
}

func TestRateLimitRawReply(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	s.RateLimitNext("auth.test", 1, 3)
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodPost, s.APIURL()+"auth.test", strings.NewReader("token=xoxb-fake"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(string(body), `"error":"ratelimited"`) {
		t.Errorf("reply = %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

func TestConversationsCreateNames(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	api := apiClient(s)
	for _, tt := range []struct{ name, want string }{
		{"inc-1-checkout-down", ""},
		{"inc-1-checkout-down", "name_taken"},
		{"Inc-2", "invalid_name_specials"},
		{"inc 2", "invalid_name_specials"},
		{"", "invalid_name_required"},
		{strings.Repeat("a", 81), "invalid_name_maxlength"},
		{strings.Repeat("a", 80), ""},
		{"--_", "invalid_name_punctuation"},
	} {
		ch, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: tt.name})
		if got := slackErr(err); got != tt.want {
			t.Errorf("create %q = %v, want %q", tt.name, err, tt.want)
		}
		if tt.want == "" && (!ch.IsMember || ch.Name != tt.name || !strings.HasPrefix(ch.ID, "C")) {
			t.Errorf("created channel = %+v", ch)
		}
	}
	ch, ok := s.ChannelByName("inc-1-checkout-down")
	if !ok || !slices.Equal(ch.Members, []UserID{s.BotUserID()}) || ch.Creator != s.BotUserID() {
		t.Errorf("channel = %+v, %v", ch, ok)
	}
}

var tsPattern = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestChatPostUpdatePermalink(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	api := apiClient(s)
	general := s.AddChannel("general", alice)
	if _, _, err := api.PostMessageContext(ctxT(t), string(general), slack.MsgOptionText("hi", false)); slackErr(err) != "not_in_channel" {
		t.Errorf("post where the bot is not a member = %v, want not_in_channel", err)
	}
	ch := s.AddChannel("ops", s.BotUserID(), alice)
	btn := slack.NewButtonBlockElement("", "v1", slack.NewTextBlockObject(slack.PlainTextType, "Create Zoom Meeting", false, false))
	blocks := slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "INC-1", false, false)),
		slack.NewActionBlock("", btn))
	chID, ts, err := api.PostMessageContext(ctxT(t), string(ch), slack.MsgOptionText("INC-1 fallback", false), blocks)
	if err != nil || chID != string(ch) || !tsPattern.MatchString(ts) {
		t.Fatalf("post = %s %s %v", chID, ts, err)
	}
	msgs := s.Messages(ch)
	if len(msgs) != 1 || msgs[0].BotID != "B00000001" || msgs[0].User != s.BotUserID() {
		t.Fatalf("messages = %+v", msgs)
	}
	var stored []map[string]any
	_ = json.Unmarshal(msgs[0].Blocks, &stored)
	action := stored[1]["elements"].([]any)[0].(map[string]any)
	if stored[0]["block_id"] == "" || stored[1]["block_id"] == "" || action["action_id"] == "" {
		t.Errorf("Slack assigns block_id/action_id; stored %v", stored)
	}
	if got := Texts(msgs[0]); !slices.Equal(got, []string{"INC-1", "Create Zoom Meeting"}) {
		t.Errorf("Texts = %q", got)
	}

	_, _, _, err = api.UpdateMessageContext(ctxT(t), string(ch), ts, slack.MsgOptionText("INC-1 resolved", false))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message(ch, ts)
	if m.Edited != 1 || m.Text != "INC-1 resolved" || len(m.History) != 1 || m.History[0].Text != "INC-1 fallback" || len(m.Blocks) == 0 {
		t.Errorf("updated message = %+v (blocks are kept when none are sent)", m)
	}
	if _, _, _, err := api.UpdateMessageContext(ctxT(t), string(ch), "1.000001", slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Errorf("update unknown ts = %v", err)
	}
	link, err := api.GetPermalinkContext(ctxT(t), &slack.PermalinkParameters{Channel: string(ch), Ts: ts})
	if want := "https://fake-workspace.slack.com/archives/" + string(ch) + "/p" + strings.ReplaceAll(ts, ".", ""); err != nil || link != want {
		t.Errorf("permalink = %q, %v; want %q", link, err, want)
	}
	if _, err := api.PostEphemeralContext(ctxT(t), string(ch), string(bob), slack.MsgOptionText("psst", false)); slackErr(err) != "user_not_in_channel" {
		t.Errorf("ephemeral to non-member = %v", err)
	}
	if _, err := api.PostEphemeralContext(ctxT(t), string(ch), string(alice), slack.MsgOptionText("psst", false)); err != nil {
		t.Errorf("ephemeral: %v", err)
	}
	if e := s.Ephemerals(alice); len(e) != 1 || e[0].Text != "psst" || e[0].Source != "chat.postEphemeral" {
		t.Errorf("ephemerals = %+v", e)
	}
}

func TestBlockKitRejections(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	ch := s.AddChannel("ops", s.BotUserID())
	post := func(blocks string, text string) map[string]any {
		_, out := rawCall(t, s, "chat.postMessage", url.Values{"token": {"xoxb-fake"}, "channel": {string(ch)}, "blocks": {blocks}, "text": {text}}, "")
		return out
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = `{"type":"divider"}`
	}
	for _, tt := range []struct{ name, blocks, text, want string }{
		{"ok", `[{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]`, "", ""},
		{"garbage", `not json`, "x", "invalid_blocks_format"},
		{"not an array", `{"type":"divider"}`, "x", "invalid_blocks_format"},
		{"51 blocks", "[" + strings.Join(many, ",") + "]", "x", "invalid_blocks"},
		{"unknown type", `[{"type":"bogus"}]`, "x", "invalid_blocks"},
		{"long button", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"` + strings.Repeat("b", 76) + `"}}]}]`, "x", "invalid_blocks"},
		{"mrkdwn header", `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`, "x", "invalid_blocks"},
		{"duplicate block_id", `[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`, "x", "invalid_blocks"},
		{"long url", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Join"},"url":"https://x/` + strings.Repeat("u", 3000) + `"}]}]`, "x", "invalid_blocks"},
		{"empty section", `[{"type":"section"}]`, "x", "invalid_blocks"},
		{"text too long", ``, strings.Repeat("t", 4001), "msg_too_long"},
		{"nothing", ``, "", "no_text"},
	} {
		out := post(tt.blocks, tt.text)
		if got, _ := out["error"].(string); got != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, out, tt.want)
		}
		if tt.want == "invalid_blocks" {
			md, _ := out["response_metadata"].(map[string]any)
			if msgs, _ := md["messages"].([]any); len(msgs) == 0 || !strings.Contains(msgs[0].(string), "json-pointer:/blocks") {
				t.Errorf("%s: no pointer in %v", tt.name, out)
			}
		}
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	api := apiClient(s)
	ch, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: "inc-7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.InviteUsersToConversationContext(ctxT(t), ch.ID, string(alice), string(bob)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		users []string
		want  string
	}{
		{[]string{string(alice)}, "already_in_channel"},
		{[]string{string(s.BotUserID())}, "cant_invite_self"},
		{[]string{"UNOBODY"}, "user_not_found"},
		{[]string{string(carol), "UNOBODY"}, "user_not_found"},
	} {
		if _, err := api.InviteUsersToConversationContext(ctxT(t), ch.ID, tt.users...); slackErr(err) != tt.want {
			t.Errorf("invite %v = %v, want %s", tt.users, err, tt.want)
		}
	}
	if got := s.Members(ChannelID(ch.ID)); !slices.Equal(got, []UserID{s.BotUserID(), alice, bob}) {
		t.Errorf("members = %v (a failed multi-invite must invite nobody)", got)
	}
	general := s.AddChannel("general", alice)
	if _, err := api.InviteUsersToConversationContext(ctxT(t), string(general), string(bob)); slackErr(err) != "not_in_channel" {
		t.Errorf("invite where the bot is not a member = %v", err)
	}
	if _, _, _, err := api.JoinConversationContext(ctxT(t), string(general)); err != nil {
		t.Fatal(err)
	}
	info, err := api.GetConversationInfoContext(ctxT(t), &slack.GetConversationInfoInput{ChannelID: string(general)})
	if err != nil || !info.IsMember || info.Name != "general" {
		t.Errorf("info = %+v, %v", info, err)
	}
	if err := s.ArchiveChannel(general, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := api.InviteUsersToConversationContext(ctxT(t), string(general), string(bob)); slackErr(err) != "is_archived" {
		t.Errorf("invite to archived = %v", err)
	}
	if _, _, err := api.PostMessageContext(ctxT(t), string(general), slack.MsgOptionText("x", false)); slackErr(err) != "is_archived" {
		t.Errorf("post to archived = %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	resp := s.MustSlash(t, alice, general, "list")
	api := apiClient(s)
	send := func(opts ...slack.MsgOption) error {
		_, _, err := api.PostMessageContext(ctxT(t), "", opts...)
		return err
	}
	if err := send(slack.MsgOptionResponseURL(resp.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if err := send(slack.MsgOptionResponseURL(resp.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("everyone", false)); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals(alice); len(e) != 1 || e[0].Text != "only you" || e[0].Source != "response_url" {
		t.Errorf("ephemerals = %+v", e)
	}
	if m := s.Messages(general); len(m) != 1 || m[0].Text != "everyone" {
		t.Errorf("messages = %+v", m)
	}
	for range 3 {
		if err := send(slack.MsgOptionResponseURL(resp.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("again", false)); err != nil {
			t.Fatal(err)
		}
	}
	if err := send(slack.MsgOptionResponseURL(resp.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("sixth", false)); err == nil {
		t.Error("a sixth response_url post succeeded; Slack allows five")
	}
}
