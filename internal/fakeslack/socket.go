package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode limits (reference/slack.md §2).
const (
	maxSockets     = 10
	maxAckBytes    = 20 * 1024 // Slack silently drops larger responses
	writeTimeout   = 5 * time.Second
	closeGoingAway = websocket.CloseGoingAway
)

// conn is one Socket Mode WebSocket.
type conn struct {
	id      int
	ws      *websocket.Conn
	writeMu sync.Mutex // gorilla allows one writer at a time
	once    sync.Once
	closed  chan struct{}
	ready   bool // guarded by Server.mu: hello sent, envelopes may follow
}

func (c *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// close sends a close frame (best effort) and closes the socket, once.
func (c *conn) close(code int, reason string) {
	c.once.Do(func() {
		// WriteControl may run concurrently with other writes.
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second)) // the peer may be gone
		_ = c.ws.Close()                                                                                                       // nothing left to do on error
		close(c.closed)
	})
}

// serveLink accepts a WebSocket dialled with a ticket from apps.connections.open.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	exp, ok := s.tickets[ticket]
	delete(s.tickets, ticket) // one-shot
	closed := s.closed
	s.mu.Unlock()
	if closed || !ok || time.Now().After(exp) {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	// slack-go sends Origin: https://api.slack.com, so accept any origin.
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has replied with the error
	}
	c := &conn{ws: ws, closed: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close(closeGoingAway, "server closing")
		return
	}
	if len(s.conns) >= maxSockets {
		s.mu.Unlock()
		_ = c.write(disconnectFrame("too_many_websockets", 0)) // closing anyway
		c.close(websocket.CloseNormalClosure, "too_many_websockets")
		return
	}
	s.connects++
	c.id = s.connects
	s.conns = append(s.conns, c)
	n := len(s.conns)
	s.wg.Add(1) // this handler, which outlives the hijacked request
	s.mu.Unlock()
	defer s.wg.Done()
	defer s.dropConn(c)

	hello := map[string]any{
		"type": "hello", "num_connections": n,
		"debug_info":      map[string]any{"host": fmt.Sprintf("applink-fake-%d", c.id), "build_number": 10, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.opts.AppID},
	}
	if err := c.write(hello); err != nil {
		return
	}
	s.mu.Lock()
	c.ready = true
	s.notifyLocked()
	s.mu.Unlock()
	s.wake()
	s.wg.Go(func() { s.pingLoop(c) })
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		s.handleFrame(data)
	}
}

func disconnectFrame(reason string, id int) map[string]any {
	return map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": fmt.Sprintf("applink-fake-%d", id)}}
}

// pingLoop sends WebSocket PINGs, as Slack does; slack-go reconnects when
// they stop.
func (s *Server) pingLoop(c *conn) {
	ping := func() bool {
		return c.ws.WriteControl(websocket.PingMessage, []byte("Ping from applink-fake"), time.Now().Add(writeTimeout)) == nil
	}
	if !ping() {
		return
	}
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-s.done:
			return
		case <-t.C:
			if !ping() {
				return
			}
		}
	}
}

func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
		s.notifyLocked()
	}
	s.mu.Unlock()
	c.close(websocket.CloseNormalClosure, "")
}

// handleFrame records an ack: {"envelope_id": "…", "payload": {…}}.
func (s *Server) handleFrame(data []byte) {
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
		return // Slack ignores frames that are not acks
	}
	if string(a.Payload) == "null" {
		a.Payload = nil
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	ack := Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload}
	if len(data) >= maxAckBytes {
		ack.Dropped, ack.Payload = true, nil
		s.acks = append(s.acks, ack)
		return
	}
	env, ok := s.pending[a.EnvelopeID]
	if !ok {
		env, ok = s.finished[a.EnvelopeID]
	}
	if !ok {
		ack.Unknown = true
		s.acks = append(s.acks, ack)
		return
	}
	ack.Type, ack.EventID, ack.RetryAttempt, ack.Latency = env.typ, env.eventID, env.retry, now.Sub(env.sentAt)
	switch env.state {
	case stateAcked:
		ack.Duplicate = true
	case stateExpired:
		ack.Late = true
	default:
		delete(s.pending, env.id)
		s.finished[env.id] = env
		env.state, env.ack, env.ackedAt = stateAcked, a.Payload, now
		if ev, ok := s.events[env.eventID]; ok {
			ev.acked = true
		}
		close(env.done)
	}
	s.acks = append(s.acks, ack)
}

// Disconnect sends every socket a disconnect frame with reason ("warning",
// "refresh_requested", …) and closes it, as Slack does before rotating
// connections. slack-go then reconnects through apps.connections.open.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(disconnectFrame(reason, c.id)) // closing anyway
		c.close(websocket.CloseNormalClosure, reason)
	}
}

// Connected reports whether at least one socket is open and greeted.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectedLocked()
}

func (s *Server) connectedLocked() bool {
	return slices.ContainsFunc(s.conns, func(c *conn) bool { return c.ready })
}

// Connections returns how many sockets are open now.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// ConnectCount returns how many sockets were ever accepted (reconnects
// included).
func (s *Server) ConnectCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// WaitConnected waits until a socket is open and greeted.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.waitFor(ctx, s.connectedLocked)
}
