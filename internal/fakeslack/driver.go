package fakeslack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// newTriggerLocked issues a trigger_id, shaped like Slack's
// "13345224609.738474920.8088930838d88f008e0".
func (s *Server) newTriggerLocked(user UserID, inView bool) string {
	s.seq++
	id := fmt.Sprintf("%d.%d.%s", s.opts.Now().Unix(), s.seq, randomHex(10))
	s.triggers[id] = &trigger{user: user, created: s.opts.Now(), inView: inView}
	return id
}

func (s *Server) userPayload(u *User) map[string]any {
	return map[string]any{"id": string(u.ID), "username": u.Name, "name": u.Name, "team_id": string(s.opts.Team.ID)}
}

func (s *Server) teamPayload() map[string]any {
	return map[string]any{"id": string(s.opts.Team.ID), "domain": s.opts.Team.Domain}
}

// actorLocked checks that user can act in channel ("" for none).
func (s *Server) actorLocked(user UserID, channel ChannelID) (*User, *channel, error) {
	u, ok := s.userLocked(user)
	if !ok {
		return nil, nil, fmt.Errorf("fakeslack: no active user %q", user)
	}
	if channel == "" {
		return u, nil, nil
	}
	ch, ok := s.channels[channel]
	if !ok {
		return nil, nil, fmt.Errorf("fakeslack: no channel %q", channel)
	}
	return u, ch, nil
}

// SlashCommand types "<Command> text" in channel as user, sends the
// slash_commands envelope (fresh trigger_id and response_url), waits for the
// ack, and returns what the person saw at once: the ack payload, shown as an
// ephemeral (or posted for response_type in_channel). It returns
// ErrDispatchFailed if the app does not ack within AckTimeout.
func (s *Server) SlashCommand(ctx context.Context, user UserID, channel ChannelID, text string) (Response, error) {
	resp, payload, err := s.prepareSlash(user, channel, text)
	if err != nil {
		return Response{}, err
	}
	env, err := s.deliver(ctx, "slash_commands", payload, true)
	resp.EnvelopeID = env.id
	if err != nil {
		return resp, err
	}
	resp.Latency = env.ackedAt.Sub(env.created)
	return s.showSlashAck(resp, user, channel, text, env.ack)
}

func (s *Server) prepareSlash(user UserID, channel ChannelID, text string) (Response, map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ch, err := s.actorLocked(user, channel)
	switch {
	case err != nil:
		return Response{}, nil, err
	case ch.archived:
		return Response{}, nil, fmt.Errorf("fakeslack: #%s is archived; nobody can type there", ch.name)
	case !ch.isMember(user):
		return Response{}, nil, fmt.Errorf("fakeslack: %s is not a member of #%s and cannot type there", user, ch.name)
	}
	resp := Response{TriggerID: s.newTriggerLocked(user, false), ResponseURL: s.newResponseURLLocked("commands", ch.id, user, "", false)}
	payload := map[string]any{
		"token": s.opts.VerificationToken, "team_id": string(s.opts.Team.ID), "team_domain": s.opts.Team.Domain,
		"channel_id": string(ch.id), "channel_name": ch.name, "user_id": string(u.ID), "user_name": u.Name,
		"command": s.opts.Command, "text": text, "api_app_id": s.opts.AppID, "is_enterprise_install": false,
		"response_url": resp.ResponseURL, "trigger_id": resp.TriggerID,
	}
	return resp, payload, nil
}

// showSlashAck shows a slash command's ack payload the way Slack does.
func (s *Server) showSlashAck(resp Response, user UserID, channel ChannelID, text string, ack json.RawMessage) (Response, error) {
	if len(ack) == 0 {
		return resp, nil
	}
	var p struct {
		Text         string `json:"text"`
		Blocks       any    `json:"blocks"`
		ResponseType string `json:"response_type"`
	}
	if err := json.Unmarshal(ack, &p); err != nil {
		return resp, fmt.Errorf("fakeslack: slash command ack payload is not a message object: %w", err)
	}
	if p.Text == "" && p.Blocks == nil {
		return resp, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var blocks []any
	if p.Blocks != nil {
		var e *apiError
		if blocks, e = s.checkBlocksLocked(p.Blocks, maxMessageBlocks, "/blocks", "invalid_blocks"); e != nil {
			return resp, fmt.Errorf("fakeslack: slash command ack payload rejected: %s %v", e.code, e.extra)
		}
	}
	resp.Text, resp.Blocks, resp.ResponseType = p.Text, marshalBlocks(blocks), cmp.Or(p.ResponseType, "ephemeral")
	if resp.ResponseType == "in_channel" {
		ch := s.channels[channel]
		ch.messages = append(ch.messages,
			&message{ts: s.nextTSLocked(), user: user, text: strings.TrimSpace(s.opts.Command + " " + text)},
			&message{ts: s.nextTSLocked(), user: s.opts.BotUserID, botID: s.opts.BotID, text: p.Text, blocks: blocks})
	} else {
		s.ephemerals[user] = append(s.ephemerals[user], &ephemeral{user: user, channel: channel, ts: s.nextTSLocked(), text: p.Text, blocks: blocks, source: "slash_ack"})
	}
	s.notifyLocked()
	return resp, nil
}

// surface is a message or ephemeral a person can click in.
type surface struct {
	ts        string
	blocks    []any
	msg       *message // nil for ephemerals
	ephemeral bool
}

// ClickButton presses the button whose visible text is text, in the newest
// of channel's messages or user's ephemerals there that has one. It sends
// block_actions with container, channel, message (not for ephemerals),
// response_url and the action (with block_id), and waits for the ack. For a
// link button it also returns the URL the browser opened.
func (s *Server) ClickButton(ctx context.Context, user UserID, channel ChannelID, text string) (Response, error) {
	resp, payload, err := s.prepareClick(user, channel, text)
	if err != nil {
		return Response{}, err
	}
	return s.deliverClick(ctx, resp, payload)
}

func (s *Server) prepareClick(user UserID, channel ChannelID, text string) (Response, map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ch, err := s.actorLocked(user, channel)
	if err != nil {
		return Response{}, nil, err
	}
	var surfaces []surface
	for _, m := range ch.messages {
		surfaces = append(surfaces, surface{ts: m.ts, blocks: m.blocks, msg: m})
	}
	for _, e := range s.ephemerals[user] {
		if e.channel == channel {
			surfaces = append(surfaces, surface{ts: e.ts, blocks: e.blocks, ephemeral: true})
		}
	}
	slices.SortStableFunc(surfaces, func(a, b surface) int { return cmp.Compare(b.ts, a.ts) })
	var seen []string
	for _, sf := range surfaces {
		btn, ok := findButton(sf.blocks, text)
		if !ok {
			seen = append(seen, buttonTexts(sf.blocks)...)
			continue
		}
		resp := Response{TriggerID: s.newTriggerLocked(user, false), URL: str(btn.elem["url"]),
			ResponseURL: s.newResponseURLLocked("actions", ch.id, user, sf.ts, sf.ephemeral)}
		payload := map[string]any{
			"type": "block_actions", "user": s.userPayload(u), "api_app_id": s.opts.AppID,
			"token": s.opts.VerificationToken, "trigger_id": resp.TriggerID, "team": s.teamPayload(),
			"enterprise": nil, "is_enterprise_install": false,
			"container":    map[string]any{"type": "message", "message_ts": sf.ts, "channel_id": string(ch.id), "is_ephemeral": sf.ephemeral},
			"channel":      map[string]any{"id": string(ch.id), "name": ch.name},
			"state":        map[string]any{"values": map[string]any{}},
			"response_url": resp.ResponseURL,
			"actions":      []any{s.actionLocked(btn)},
		}
		if sf.msg != nil {
			payload["message"] = s.messageObject(sf.msg)
		}
		return resp, payload, nil
	}
	return Response{}, nil, fmt.Errorf("fakeslack: no button %q in #%s for %s (buttons: %q)", text, ch.name, user, seen)
}

func (s *Server) deliverClick(ctx context.Context, resp Response, payload map[string]any) (Response, error) {
	env, err := s.deliver(ctx, "interactive", payload, false)
	resp.EnvelopeID = env.id
	if err != nil {
		return resp, err
	}
	resp.Latency = env.ackedAt.Sub(env.created)
	return resp, nil
}

// actionLocked is the "actions" entry of a button press.
func (s *Server) actionLocked(b button) map[string]any {
	a := map[string]any{
		"action_id": str(b.elem["action_id"]), "block_id": b.blockID, "type": "button",
		"text": b.elem["text"], "action_ts": s.nextTSLocked(),
	}
	for _, k := range []string{"value", "style"} {
		if v, ok := b.elem[k]; ok {
			a[k] = v
		}
	}
	return a
}

// ClickButtonInView presses a button in user's open modal titled viewTitle:
// block_actions with container type "view" and the view with its current
// state, and waits for the ack.
func (s *Server) ClickButtonInView(ctx context.Context, user UserID, viewTitle, text string) (Response, error) {
	resp, payload, err := s.prepareViewClick(user, viewTitle, text)
	if err != nil {
		return Response{}, err
	}
	return s.deliverClick(ctx, resp, payload)
}

func (s *Server) prepareViewClick(user UserID, viewTitle, text string) (Response, map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _, err := s.actorLocked(user, "")
	if err != nil {
		return Response{}, nil, err
	}
	v, err := s.viewByTitleLocked(user, viewTitle, false)
	if err != nil {
		return Response{}, nil, err
	}
	blocks, _ := v.spec["blocks"].([]any)
	btn, ok := findButton(blocks, text)
	if !ok {
		return Response{}, nil, fmt.Errorf("fakeslack: no button %q in modal %q (buttons: %q)", text, viewTitle, buttonTexts(blocks))
	}
	values, err := s.stateValuesLocked(v, nil, false)
	if err != nil {
		return Response{}, nil, err
	}
	resp := Response{TriggerID: s.newTriggerLocked(user, true), URL: str(btn.elem["url"])}
	payload := map[string]any{
		"type": "block_actions", "user": s.userPayload(u), "api_app_id": s.opts.AppID,
		"token": s.opts.VerificationToken, "trigger_id": resp.TriggerID, "team": s.teamPayload(),
		"enterprise": nil, "is_enterprise_install": false,
		"container": map[string]any{"type": "view", "view_id": v.id},
		"view":      s.viewObject(v, values), "state": map[string]any{"values": values},
		"actions": []any{s.actionLocked(btn)},
	}
	return resp, payload, nil
}

// SendEvent sends an Events API event (the inner "event" object, which
// needs a "type") wrapped in event_callback with a fresh event_id, and
// returns that ID. It does not wait for the ack; see WaitEventAcked. Unlike
// the state helpers it ignores the app's event subscriptions.
func (s *Server) SendEvent(ctx context.Context, event map[string]any) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("send event: %w", err)
	}
	if t, _ := event["type"].(string); t == "" {
		return "", errors.New("fakeslack: event needs a type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	return s.sendEventLocked(event)
}

// Redeliver sends an event again with the same event_id and payload, with
// retry_attempt attempt and retry_reason "timeout", as Slack's retries do.
func (s *Server) Redeliver(eventID string, attempt int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, ok := s.events[eventID]
	if !ok {
		return fmt.Errorf("fakeslack: no event %q was sent", eventID)
	}
	env := newEnvelope("events_api", ev.payload, false)
	env.eventID, env.retry, env.reason = eventID, attempt, "timeout"
	s.enqueueLocked(env)
	return nil
}

// EventAcked reports whether any delivery of the event was acknowledged.
func (s *Server) EventAcked(eventID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, ok := s.events[eventID]
	return ok && ev.acked
}

// WaitEventAcked waits until a delivery of the event is acknowledged.
func (s *Server) WaitEventAcked(ctx context.Context, eventID string) error {
	return s.waitFor(ctx, func() bool {
		ev, ok := s.events[eventID]
		return ok && ev.acked
	})
}

// JoinChannel makes user join channel, emitting member_joined_channel (only
// if the bot is a member, as Slack does).
func (s *Server) JoinChannel(user UserID, channel ChannelID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ch, err := s.actorLocked(user, channel)
	if err != nil {
		return err
	}
	if ch.archived {
		return fmt.Errorf("fakeslack: #%s is archived", ch.name)
	}
	if ch.addMember(user) {
		s.memberJoinedLocked(ch, user, "")
		s.notifyLocked()
	}
	return nil
}

// RenameChannel renames channel as a person would, emitting channel_rename.
func (s *Server) RenameChannel(channel ChannelID, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channel]
	if !ok {
		return fmt.Errorf("fakeslack: no channel %q", channel)
	}
	if e := checkChannelName(newName); e != nil {
		return fmt.Errorf("fakeslack: rename #%s to %q: %s", ch.name, newName, e.code)
	}
	if other := s.channelByNameLocked(newName); other != nil && other != ch {
		return fmt.Errorf("fakeslack: rename #%s to %q: name_taken", ch.name, newName)
	}
	s.renameLocked(ch, newName)
	s.notifyLocked()
	return nil
}

// ArchiveChannel archives channel as user would, emitting channel_archive;
// later posts there fail with is_archived.
func (s *Server) ArchiveChannel(channel ChannelID, by UserID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ch, err := s.actorLocked(by, channel)
	if err != nil {
		return err
	}
	if ch.archived {
		return fmt.Errorf("fakeslack: #%s is already archived", ch.name)
	}
	s.archiveLocked(ch, by)
	s.notifyLocked()
	return nil
}

// UnarchiveChannel restores an archived channel as user would, emitting
// channel_unarchive (group_unarchive for a private one); members stay.
func (s *Server) UnarchiveChannel(channel ChannelID, by UserID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channel]
	switch {
	case !ok:
		return fmt.Errorf("fakeslack: no channel %s", channel)
	case !ch.archived:
		return fmt.Errorf("fakeslack: #%s is not archived", ch.name)
	}
	ch.archived = false
	if ch.private {
		s.emitLocked(map[string]any{"type": "group_unarchive", "channel": string(ch.id), "user": string(by)}, "groups:read")
	} else {
		s.emitLocked(map[string]any{"type": "channel_unarchive", "channel": string(ch.id), "user": string(by)}, "channels:read")
	}
	s.notifyLocked()
	return nil
}

// Uninstall removes the app as a workspace admin would: Slack sends
// tokens_revoked and app_uninstalled, and the bot token stops working
// (token_revoked).
func (s *Server) Uninstall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitLocked(map[string]any{"type": "tokens_revoked", "tokens": map[string]any{"oauth": []string{}, "bot": []string{string(s.opts.BotUserID)}}}, "")
	s.emitLocked(map[string]any{"type": "app_uninstalled"}, "")
	s.revoked = true
	s.notifyLocked()
}

// waitFor waits until cond, called with s.mu held, is true.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		changed, closed := s.changed, s.closed
		s.mu.Unlock()
		if closed {
			return ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: wait: %w", ctx.Err())
		case <-s.done:
			return ErrClosed
		}
	}
}
