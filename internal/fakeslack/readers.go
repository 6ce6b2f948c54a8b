package fakeslack

import (
	"context"
	"slices"
	"strings"
	"time"
)

// ChannelByName returns the channel named name ("#" optional).
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channelByNameLocked(name); ch != nil {
		return ch.snapshot(), true
	}
	return Channel{}, false
}

// Channel returns the channel with this ID.
func (s *Server) Channel(id ChannelID) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channels[id]; ok {
		return ch.snapshot(), true
	}
	return Channel{}, false
}

// Channels returns every channel, oldest first.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channelOrder))
	for _, id := range s.channelOrder {
		out = append(out, s.channels[id].snapshot())
	}
	return out
}

// WaitChannel waits until a channel named name exists.
func (s *Server) WaitChannel(ctx context.Context, name string) (Channel, error) {
	var out Channel
	err := s.waitFor(ctx, func() bool {
		ch := s.channelByNameLocked(name)
		if ch != nil {
			out = ch.snapshot()
		}
		return ch != nil
	})
	return out, err
}

// Messages returns channel's messages, oldest first.
func (s *Server) Messages(channel ChannelID) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(channel)
}

func (s *Server) messagesLocked(channel ChannelID) []Message {
	ch, ok := s.channels[channel]
	if !ok {
		return nil
	}
	out := make([]Message, 0, len(ch.messages))
	for _, m := range ch.messages {
		out = append(out, m.snapshot(channel))
	}
	return out
}

// Message returns one message of channel by ts.
func (s *Server) Message(channel ChannelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channels[channel]; ok {
		if m := ch.message(ts); m != nil {
			return m.snapshot(channel), true
		}
	}
	return Message{}, false
}

// WaitMessage waits until channel has a message whose visible text (Text)
// contains substr, and returns the newest such message.
func (s *Server) WaitMessage(ctx context.Context, channel ChannelID, substr string) (Message, error) {
	var out Message
	err := s.waitFor(ctx, func() bool {
		msgs := s.messagesLocked(channel)
		for i := len(msgs) - 1; i >= 0; i-- {
			if strings.Contains(Text(msgs[i]), substr) {
				out = msgs[i]
				return true
			}
		}
		return false
	})
	return out, err
}

// Pins returns channel's pinned messages, oldest first.
func (s *Server) Pins(channel ChannelID) []Message {
	return slices.DeleteFunc(s.Messages(channel), func(m Message) bool { return !m.Pinned })
}

// Bookmarks returns channel's bookmarks in rank order.
func (s *Server) Bookmarks(channel ChannelID) []Bookmark {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channel]
	if !ok {
		return nil
	}
	out := make([]Bookmark, 0, len(ch.bookmarks))
	for _, b := range ch.bookmarks {
		out = append(out, *b)
	}
	slices.SortStableFunc(out, func(a, b Bookmark) int { return strings.Compare(a.Rank, b.Rank) })
	return out
}

// HasBookmark reports whether channel has a bookmark titled title.
func (s *Server) HasBookmark(channel ChannelID, title string) bool {
	return slices.ContainsFunc(s.Bookmarks(channel), func(b Bookmark) bool { return b.Title == title })
}

// Ephemerals returns what only user saw, across channels, oldest first:
// chat.postEphemeral messages, response_url posts and slash command acks.
func (s *Server) Ephemerals(user UserID) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ephemeralsLocked(user)
}

func (s *Server) ephemeralsLocked(user UserID) []Ephemeral {
	out := make([]Ephemeral, 0, len(s.ephemerals[user]))
	for _, e := range s.ephemerals[user] {
		out = append(out, e.snapshot())
	}
	return out
}

// WaitEphemeral waits until user saw an ephemeral whose visible text
// contains substr, and returns the newest such one.
func (s *Server) WaitEphemeral(ctx context.Context, user UserID, substr string) (Ephemeral, error) {
	var out Ephemeral
	err := s.waitFor(ctx, func() bool {
		list := s.ephemeralsLocked(user)
		for i := len(list) - 1; i >= 0; i-- {
			if strings.Contains(strings.Join(EphemeralTexts(list[i]), "\n"), substr) {
				out = list[i]
				return true
			}
		}
		return false
	})
	return out, err
}

// Members returns channel's members in joining order.
func (s *Server) Members(channel ChannelID) []UserID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channels[channel]; ok {
		return slices.Clone(ch.members)
	}
	return nil
}

// Acks returns every ack frame received, oldest first.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// Failures returns every envelope the app failed to ack in time.
func (s *Server) Failures() []Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.failures)
}

// TB is the part of testing.TB the Must helpers use; *testing.T satisfies
// it. (An interface here keeps the testing package out of the demo binary.)
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// MustTimeout bounds each Must helper and Eventually.
const MustTimeout = 10 * time.Second

func mustCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), MustTimeout)
}

// Eventually polls cond every few milliseconds until it is true, failing t
// after MustTimeout.
func Eventually(t TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(MustTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("fakeslack: condition not met within %s", MustTimeout)
			return
		}
		<-tick.C
	}
}

// MustSlash is SlashCommand that fails t on error.
func (s *Server) MustSlash(t TB, user UserID, channel ChannelID, text string) Response {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	r, err := s.SlashCommand(ctx, user, channel, text)
	if err != nil {
		t.Fatalf("%s %s by %s: %v", s.opts.Command, text, user, err)
	}
	return r
}

// MustClick is ClickButton that fails t on error.
func (s *Server) MustClick(t TB, user UserID, channel ChannelID, text string) Response {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	r, err := s.ClickButton(ctx, user, channel, text)
	if err != nil {
		t.Fatalf("click %q: %v", text, err)
	}
	return r
}

// MustClickInView is ClickButtonInView that fails t on error.
func (s *Server) MustClickInView(t TB, user UserID, viewTitle, text string) Response {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	r, err := s.ClickButtonInView(ctx, user, viewTitle, text)
	if err != nil {
		t.Fatalf("click %q in %q: %v", text, viewTitle, err)
	}
	return r
}

// MustSubmit is SubmitView that fails t on error. A response_action
// errors result is returned, not a failure.
func (s *Server) MustSubmit(t TB, user UserID, title string, fields Fields) ViewResult {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	r, err := s.SubmitView(ctx, user, title, fields)
	if err != nil {
		t.Fatalf("submit %q: %v", title, err)
	}
	return r
}

// MustWaitView is WaitView that fails t on error.
func (s *Server) MustWaitView(t TB, user UserID, title string) *View {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	v, err := s.WaitView(ctx, user, title)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return v
}

// MustWaitChannel is WaitChannel that fails t on error.
func (s *Server) MustWaitChannel(t TB, name string) Channel {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	ch, err := s.WaitChannel(ctx, name)
	if err != nil {
		t.Fatalf("wait for channel #%s: %v", name, err)
	}
	return ch
}

// MustWaitMessage is WaitMessage that fails t on error.
func (s *Server) MustWaitMessage(t TB, channel ChannelID, substr string) Message {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	m, err := s.WaitMessage(ctx, channel, substr)
	if err != nil {
		t.Fatalf("wait for a message containing %q in %s: %v", substr, channel, err)
	}
	return m
}

// MustWaitConnected is WaitConnected that fails t on error.
func (s *Server) MustWaitConnected(t TB) {
	t.Helper()
	ctx, cancel := mustCtx()
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatalf("wait for a Socket Mode connection: %v", err)
	}
}
