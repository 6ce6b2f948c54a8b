package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrDispatchFailed is what a person sees when the app does not acknowledge
// a slash command or interaction within the ack timeout.
var ErrDispatchFailed = errors.New("dispatch_failed: the app did not acknowledge in time")

// ErrClosed is returned by driver calls after Close.
var ErrClosed = errors.New("fakeslack: server closed")

// maxRetries is how often Slack redelivers an unacknowledged event.
const maxRetries = 3

type envState int

const (
	stateQueued envState = iota
	statePending
	stateAcked
	stateExpired
)

// envelope is one Socket Mode request.
type envelope struct {
	id, typ string
	payload json.RawMessage
	accepts bool
	retry   int
	reason  string
	eventID string
	created time.Time
	sentAt  time.Time
	state   envState
	ack     json.RawMessage
	ackedAt time.Time
	done    chan struct{} // closed when acked
}

func newEnvelope(typ string, payload json.RawMessage, accepts bool) *envelope {
	return &envelope{id: newUUID(), typ: typ, payload: payload, accepts: accepts, created: time.Now(), done: make(chan struct{})}
}

func (e *envelope) frame() map[string]any {
	f := map[string]any{"envelope_id": e.id, "type": e.typ, "accepts_response_payload": e.accepts, "payload": e.payload}
	if e.typ == "events_api" {
		f["retry_attempt"], f["retry_reason"] = e.retry, e.reason
	}
	return f
}

// sentEvent is an Events API event the fake sent.
type sentEvent struct {
	payload json.RawMessage
	acked   bool
}

// wake nudges the dispatcher.
func (s *Server) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Server) enqueueLocked(env *envelope) {
	s.queue = append(s.queue, env)
	s.wake()
}

// dispatchLoop delivers queued envelopes to ready sockets (round robin, each
// envelope to one) and redelivers events whose ack deadline passed. It is
// the only writer of envelopes.
func (s *Server) dispatchLoop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		sends, next := s.plan()
		for _, snd := range sends {
			if err := snd.c.write(snd.env.frame()); err != nil {
				s.requeue(snd.env, snd.c)
			}
		}
		timer.Reset(max(time.Until(next), time.Millisecond))
		select {
		case <-s.done:
			return
		case <-s.kick:
		case <-timer.C:
		}
	}
}

type send struct {
	env *envelope
	c   *conn
}

// plan expires overdue events and assigns queued envelopes to sockets. It
// returns the writes to do and when to look again.
func (s *Server) plan() ([]send, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	next := now.Add(time.Hour)
	overdue := make([]*envelope, 0)
	for _, env := range s.pending {
		if env.typ != "events_api" {
			continue // the driver waiting for it decides
		}
		if deadline := env.sentAt.Add(s.opts.AckTimeout); !now.Before(deadline) {
			overdue = append(overdue, env)
		} else if deadline.Before(next) {
			next = deadline
		}
	}
	slices.SortFunc(overdue, func(a, b *envelope) int { return a.sentAt.Compare(b.sentAt) })
	for _, env := range overdue {
		delete(s.pending, env.id)
		env.state = stateExpired
		s.finished[env.id] = env
		s.failures = append(s.failures, Failure{EnvelopeID: env.id, Type: env.typ, EventID: env.eventID, RetryAttempt: env.retry, Reason: "timeout", At: s.opts.Now()})
		if env.retry < maxRetries {
			retry := newEnvelope(env.typ, env.payload, env.accepts)
			retry.eventID, retry.retry, retry.reason = env.eventID, env.retry+1, "timeout"
			s.queue = append(s.queue, retry)
		}
	}
	if len(overdue) > 0 {
		s.notifyLocked()
	}
	var ready []*conn
	for _, c := range s.conns {
		if c.ready {
			ready = append(ready, c)
		}
	}
	var sends []send
	for len(s.queue) > 0 && len(ready) > 0 {
		env := s.queue[0]
		s.queue = s.queue[1:]
		c := ready[s.rr%len(ready)]
		s.rr++
		env.state, env.sentAt = statePending, now
		s.pending[env.id] = env
		sends = append(sends, send{env: env, c: c})
		if env.typ == "events_api" && now.Add(s.opts.AckTimeout).Before(next) {
			next = now.Add(s.opts.AckTimeout)
		}
	}
	return sends, next
}

// requeue puts back an envelope whose socket broke before it was written.
func (s *Server) requeue(env *envelope, c *conn) {
	s.mu.Lock()
	if env.state == statePending {
		delete(s.pending, env.id)
		env.state = stateQueued
		s.queue = append([]*envelope{env}, s.queue...)
	}
	s.mu.Unlock()
	s.dropConn(c)
	s.wake()
}

// deliver sends a slash command or interaction and waits, as the person
// does, for its ack until AckTimeout after the action. Envelopes still
// queued then (no socket) are withdrawn: nobody will see them.
func (s *Server) deliver(ctx context.Context, typ string, payload any, accepts bool) (*envelope, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	env := newEnvelope(typ, b, accepts)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return env, ErrClosed
	}
	s.enqueueLocked(env)
	s.mu.Unlock()

	timer := time.NewTimer(s.opts.AckTimeout)
	defer timer.Stop()
	select {
	case <-env.done:
	case <-timer.C:
	case <-ctx.Done():
	case <-s.done:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.state == stateAcked {
		return env, nil
	}
	switch env.state {
	case stateQueued:
		if i := slices.Index(s.queue, env); i >= 0 {
			s.queue = slices.Delete(s.queue, i, i+1)
		}
	case statePending:
		delete(s.pending, env.id)
	}
	env.state = stateExpired
	s.finished[env.id] = env
	switch {
	case s.closed:
		return env, ErrClosed
	case ctx.Err() != nil:
		return env, fmt.Errorf("wait for ack of %s: %w", typ, ctx.Err())
	}
	s.failures = append(s.failures, Failure{EnvelopeID: env.id, Type: typ, Reason: "dispatch_failed", At: s.opts.Now()})
	s.notifyLocked()
	return env, ErrDispatchFailed
}

// emitLocked sends an Events API event if the app subscribes to it and has
// the scope Slack requires for it ("" for none). It returns the event_id,
// "" when Slack would not send it.
func (s *Server) emitLocked(event map[string]any, scope string) string {
	typ, _ := event["type"].(string)
	if !s.subscribed(typ) || (scope != "" && !s.hasScope(scope)) {
		return ""
	}
	id, err := s.sendEventLocked(event)
	if err != nil {
		return "" // events built by the fake are always encodable
	}
	return id
}

// sendEventLocked wraps event in event_callback (shared/specs
// slack-events-api-wrapper.schema.json plus authorizations) and queues it.
func (s *Server) sendEventLocked(event map[string]any) (string, error) {
	if _, ok := event["event_ts"]; !ok {
		event["event_ts"] = s.nextTSLocked()
	}
	id := s.nextIDLocked("Ev")
	wrapper := map[string]any{
		"token": s.opts.VerificationToken, "team_id": string(s.opts.Team.ID), "api_app_id": s.opts.AppID,
		"event": event, "type": "event_callback", "event_id": id, "event_time": s.opts.Now().Unix(),
		"authed_users": []string{string(s.opts.BotUserID)},
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": string(s.opts.Team.ID), "user_id": string(s.opts.BotUserID),
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false, "event_context": "4-" + randomHex(12),
	}
	b, err := json.Marshal(wrapper)
	if err != nil {
		return "", fmt.Errorf("encode event %v: %w", event["type"], err)
	}
	s.events[id] = &sentEvent{payload: b}
	env := newEnvelope("events_api", b, false)
	env.eventID = id
	s.enqueueLocked(env)
	return id, nil
}
