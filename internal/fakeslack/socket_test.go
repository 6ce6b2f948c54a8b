package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestSlackGoSocketModeSlashCommand(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice, bob)
	app := startApp(t, s, func(_ *slack.Client, evt socketmode.Event) (bool, any) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			cmd := evt.Data.(slack.SlashCommand)
			return true, map[string]any{"text": "Got " + cmd.Text}
		}
		return true, nil
	})
	s.MustWaitConnected(t)

	resp := s.MustSlash(t, alice, general, "declare Checkout down")
	if resp.Text != "Got declare Checkout down" || resp.ResponseType != "ephemeral" {
		t.Errorf("response = %+v, want the ack's text as an ephemeral", resp)
	}
	evt := app.next(t, socketmode.EventTypeSlashCommand)
	cmd := evt.Data.(slack.SlashCommand)
	if cmd.Command != "/incident" || cmd.UserID != string(alice) || cmd.ChannelID != string(general) ||
		cmd.ChannelName != "general" || cmd.TeamID != "T0001" || cmd.TriggerID == "" ||
		!strings.HasPrefix(cmd.ResponseURL, s.URL()+"/hooks/commands/") || cmd.APIAppID != "A00000001" {
		t.Errorf("slash command as slack-go parsed it = %+v", cmd)
	}
	if !evt.Request.AcceptsResponsePayload || evt.Request.EnvelopeID != resp.EnvelopeID {
		t.Errorf("envelope = %+v, want accepts_response_payload and envelope %s", evt.Request, resp.EnvelopeID)
	}
	if app.hellos() != 1 {
		t.Errorf("hello frames seen = %d, want 1", app.hellos())
	}
	eph := s.Ephemerals(alice)
	if len(eph) != 1 || eph[0].Source != "slash_ack" || eph[0].Text != "Got declare Checkout down" || eph[0].Channel != general {
		t.Errorf("alice's ephemerals = %+v", eph)
	}
	if len(s.Ephemerals(bob)) != 0 || len(s.Messages(general)) != 0 {
		t.Error("an ephemeral ack leaked to bob or the channel")
	}
	acks := s.Acks()
	if len(acks) != 1 || acks[0].Type != "slash_commands" || acks[0].Late || acks[0].EnvelopeID != resp.EnvelopeID {
		t.Errorf("acks = %+v", acks)
	}
}

func TestSlashCommandInChannelAckIsPosted(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	startApp(t, s, func(*slack.Client, socketmode.Event) (bool, any) {
		return true, map[string]any{"text": "Incidents: none", "response_type": "in_channel"}
	})
	s.MustWaitConnected(t)
	s.MustSlash(t, alice, general, "list")
	msgs := s.Messages(general)
	if len(msgs) != 2 || msgs[0].Text != "/incident list" || msgs[0].User != alice ||
		msgs[1].Text != "Incidents: none" || msgs[1].BotID == "" {
		t.Errorf("messages = %+v, want the command then the app's reply", msgs)
	}
}

func TestSlashCommandWithoutAckFails(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AckTimeout: 150 * time.Millisecond})
	general := s.AddChannel("general", alice)
	startApp(t, s, func(*slack.Client, socketmode.Event) (bool, any) { return false, nil })
	s.MustWaitConnected(t)

	_, err := s.SlashCommand(ctxT(t), alice, general, "help")
	if !errors.Is(err, ErrDispatchFailed) {
		t.Fatalf("SlashCommand error = %v, want ErrDispatchFailed", err)
	}
	if f := s.Failures(); len(f) != 1 || f[0].Reason != "dispatch_failed" || f[0].Type != "slash_commands" {
		t.Errorf("failures = %+v", f)
	}
}

func TestSlashCommandWithNoSocketFails(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AckTimeout: 100 * time.Millisecond})
	general := s.AddChannel("general", alice)
	if _, err := s.SlashCommand(ctxT(t), alice, general, "help"); !errors.Is(err, ErrDispatchFailed) {
		t.Fatalf("SlashCommand with no app = %v, want ErrDispatchFailed", err)
	}
	// The withdrawn command must not reach an app that connects later.
	app := startApp(t, s, ackAll)
	s.MustWaitConnected(t)
	id, err := s.SendEvent(ctxT(t), map[string]any{"type": "app_uninstalled"})
	if err != nil {
		t.Fatal(err)
	}
	if evt := app.next(t, socketmode.EventTypeEventsAPI); evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Type != "app_uninstalled" {
		t.Errorf("first delivery after connect = %+v, want the event %s", evt, id)
	}
}

// deliveries collects (event_id, retry_attempt, retry_reason, envelope_id).
type delivery struct {
	eventID, reason, envelope string
	attempt                   int
}

func TestEventRedeliveredWithSameEventID(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AckTimeout: 300 * time.Millisecond})
	got := make(chan delivery, 10)
	startApp(t, s, func(_ *slack.Client, evt socketmode.Event) (bool, any) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return true, nil
		}
		cb := evt.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent)
		got <- delivery{cb.EventID, evt.Request.RetryReason, evt.Request.EnvelopeID, evt.Request.RetryAttempt}
		return evt.Request.RetryAttempt == 1, nil // lose the first delivery
	})
	s.MustWaitConnected(t)
	id, err := s.SendEvent(ctxT(t), map[string]any{"type": "member_joined_channel", "user": string(alice), "channel": "C1", "channel_type": "C", "team": "T0001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitEventAcked(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	first, second := <-got, <-got
	if first.eventID != id || second.eventID != id {
		t.Errorf("event IDs = %s, %s; want both %s", first.eventID, second.eventID, id)
	}
	if first.attempt != 0 || first.reason != "" || second.attempt != 1 || second.reason != "timeout" {
		t.Errorf("retries = %+v then %+v; want 0/\"\" then 1/timeout", first, second)
	}
	if first.envelope == second.envelope {
		t.Error("a redelivery reused the envelope_id")
	}
	if f := s.Failures(); len(f) != 1 || f[0].Reason != "timeout" || f[0].EventID != id {
		t.Errorf("failures = %+v", f)
	}
}

func TestEventRetriedThreeTimesThenDropped(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AckTimeout: 50 * time.Millisecond})
	got := make(chan int, 10)
	startApp(t, s, func(_ *slack.Client, evt socketmode.Event) (bool, any) {
		if evt.Type == socketmode.EventTypeEventsAPI {
			got <- evt.Request.RetryAttempt
		}
		return false, nil
	})
	s.MustWaitConnected(t)
	if _, err := s.SendEvent(ctxT(t), map[string]any{"type": "app_uninstalled"}); err != nil {
		t.Fatal(err)
	}
	Eventually(t, func() bool { return len(s.Failures()) == 4 })
	var attempts []int
	for range 4 {
		attempts = append(attempts, <-got)
	}
	if attempts[0] != 0 || attempts[1] != 1 || attempts[2] != 2 || attempts[3] != 3 {
		t.Errorf("retry attempts = %v, want [0 1 2 3]", attempts)
	}
	select {
	case a := <-got:
		t.Errorf("a fifth delivery, attempt %d", a)
	default:
	}
}

func TestEventsQueuedUntilConnect(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	id, err := s.SendEvent(ctxT(t), map[string]any{"type": "tokens_revoked", "tokens": map[string]any{"bot": []string{"UBOT00001"}}})
	if err != nil {
		t.Fatal(err)
	}
	app := startApp(t, s, ackAll)
	evt := app.next(t, socketmode.EventTypeEventsAPI)
	outer := evt.Data.(slackevents.EventsAPIEvent)
	cb := outer.Data.(*slackevents.EventsAPICallbackEvent)
	if cb.EventID != id || outer.TeamID != "T0001" || outer.APIAppID != "A00000001" || cb.EventTime == 0 {
		t.Errorf("callback = %+v", cb)
	}
	if _, ok := outer.InnerEvent.Data.(*slackevents.TokensRevokedEvent); !ok {
		t.Errorf("inner event = %T, want *slackevents.TokensRevokedEvent", outer.InnerEvent.Data)
	}
	if err := s.WaitEventAcked(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
}

func TestDisconnectMakesSlackGoReconnect(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	general := s.AddChannel("general", alice)
	app := startApp(t, s, ackAll)
	Eventually(t, func() bool { return app.hellos() == 1 }) // slack-go drops what it has not read when it reconnects
	s.Disconnect("refresh_requested")
	Eventually(t, func() bool { return s.ConnectCount() == 2 && s.Connected() && s.Connections() == 1 })
	s.MustSlash(t, alice, general, "help") // works over the new socket
	if app.hellos() != 2 {
		t.Errorf("hellos = %d, want 2", app.hellos())
	}
	if n := len(s.Calls("apps.connections.open")); n != 2 {
		t.Errorf("apps.connections.open calls = %d, want 2 (one per connection)", n)
	}
}

// dialRaw opens a socket with gorilla directly, for frame-level checks.
func dialRaw(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	url, err := rawOpen(s)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

func rawOpen(s *Server) (string, error) {
	_, url, err := apiClient(s).StartSocketModeContext(context.Background())
	return url, err
}

func readFrame(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	if err := ws.SetReadDeadline(time.Now().Add(MustTimeout)); err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

func TestHelloPingsAndTicketIsOneShot(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{PingInterval: 20 * time.Millisecond})
	url, err := rawOpen(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "ws://127.0.0.1:") || !strings.Contains(url, "ticket=") || !strings.Contains(url, "app_id=A00000001") {
		t.Errorf("url = %s", url)
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	pinged := make(chan struct{}, 10)
	ws.SetPingHandler(func(string) error { pinged <- struct{}{}; return nil })
	hello := readFrame(t, ws)
	info, _ := hello["connection_info"].(map[string]any)
	debug, _ := hello["debug_info"].(map[string]any)
	if hello["type"] != "hello" || hello["num_connections"] != 1.0 || info["app_id"] != "A00000001" || debug["host"] == "" {
		t.Errorf("hello = %v", hello)
	}
	// Reading processes control frames; two pings prove they repeat.
	readDone := make(chan struct{})
	go func() { defer close(readDone); _, _, _ = ws.ReadMessage() }() // ends when ws closes
	defer func() { _ = ws.Close(); <-readDone }()
	for range 2 {
		select {
		case <-pinged:
		case <-time.After(MustTimeout):
			t.Fatal("no WebSocket PING")
		}
	}
	if _, resp, err := websocket.DefaultDialer.Dial(url, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the same ticket: err=%v, want 401", err)
	}
}

func TestAckBookkeeping(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AckTimeout: 200 * time.Millisecond})
	ws := dialRaw(t, s)
	readFrame(t, ws) // hello
	id, err := s.SendEvent(ctxT(t), map[string]any{"type": "app_uninstalled"})
	if err != nil {
		t.Fatal(err)
	}
	env := readFrame(t, ws)
	payload, _ := env["payload"].(map[string]any)
	if env["type"] != "events_api" || env["accepts_response_payload"] != false || env["retry_attempt"] != 0.0 || payload["event_id"] != id {
		t.Fatalf("envelope = %v", env)
	}
	envID := env["envelope_id"].(string)
	for _, frame := range []any{
		map[string]any{"envelope_id": envID},
		map[string]any{"envelope_id": envID},
		map[string]any{"envelope_id": "nope"},
		map[string]any{"envelope_id": envID, "payload": map[string]any{"text": strings.Repeat("x", maxAckBytes)}},
	} {
		if err := ws.WriteJSON(frame); err != nil {
			t.Fatal(err)
		}
	}
	Eventually(t, func() bool { return len(s.Acks()) == 4 })
	acks := s.Acks()
	if acks[0].Duplicate || acks[0].Unknown || acks[0].EventID != id || !acks[1].Duplicate || !acks[2].Unknown || !acks[3].Dropped {
		t.Errorf("acks = %+v", acks)
	}
	if !s.EventAcked(id) {
		t.Error("event not marked acked")
	}
}

func TestTooManyWebsockets(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	for range maxSockets {
		readFrame(t, dialRaw(t, s))
	}
	extra := dialRaw(t, s)
	if f := readFrame(t, extra); f["type"] != "disconnect" || f["reason"] != "too_many_websockets" {
		t.Errorf("11th socket got %v, want disconnect too_many_websockets", f)
	}
	if n := s.Connections(); n != maxSockets {
		t.Errorf("connections = %d, want %d", n, maxSockets)
	}
}

func TestEnvelopesSpreadOverSockets(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	a, b := dialRaw(t, s), dialRaw(t, s)
	readFrame(t, a)
	readFrame(t, b)
	Eventually(t, func() bool { return s.Connections() == 2 && s.Connected() })
	for range 2 {
		if _, err := s.SendEvent(ctxT(t), map[string]any{"type": "app_uninstalled"}); err != nil {
			t.Fatal(err)
		}
	}
	ea, eb := readFrame(t, a), readFrame(t, b) // each socket gets exactly one
	if ea["envelope_id"] == eb["envelope_id"] {
		t.Error("both sockets got the same envelope")
	}
	raw, _ := json.Marshal(ea["payload"])
	if !strings.Contains(string(raw), `"type":"event_callback"`) {
		t.Errorf("payload = %s", raw)
	}
}

func TestLateAckAndDisconnectFrame(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AckTimeout: 100 * time.Millisecond})
	general := s.AddChannel("general", alice)
	ws := dialRaw(t, s)
	readFrame(t, ws) // hello
	errc := make(chan error, 1)
	go func() { _, err := s.SlashCommand(ctxT(t), alice, general, "help"); errc <- err }()
	env := readFrame(t, ws)
	if env["type"] != "slash_commands" || env["accepts_response_payload"] != true {
		t.Fatalf("envelope = %v", env)
	}
	if _, has := env["retry_attempt"]; has {
		t.Errorf("slash envelope carries retry_attempt: %v", env)
	}
	if err := <-errc; !errors.Is(err, ErrDispatchFailed) {
		t.Fatalf("SlashCommand = %v, want ErrDispatchFailed", err)
	}
	if err := ws.WriteJSON(map[string]any{"envelope_id": env["envelope_id"], "payload": map[string]any{"text": "too late"}}); err != nil {
		t.Fatal(err)
	}
	Eventually(t, func() bool { return len(s.Acks()) == 1 })
	if a := s.Acks()[0]; !a.Late || a.Type != "slash_commands" || a.Latency <= 0 {
		t.Errorf("ack = %+v, want a late slash_commands ack", a)
	}
	if len(s.Ephemerals(alice)) != 0 {
		t.Error("a late ack was shown to the user")
	}
	s.Disconnect("warning")
	if f := readFrame(t, ws); f["type"] != "disconnect" || f["reason"] != "warning" {
		t.Errorf("frame = %v, want disconnect warning", f)
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after disconnect: %v, want a normal close", err)
	}
}
