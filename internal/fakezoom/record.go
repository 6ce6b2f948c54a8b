package fakezoom

import (
	"context"
	"fmt"
	"slices"
)

// Meetings returns every meeting created so far, in creation order,
// including those whose answer was held or dropped.
func (s *Server) Meetings() []Meeting {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Meeting, len(s.meetings))
	for i, m := range s.meetings {
		m.Body = slices.Clone(m.Body)
		out[i] = m
	}
	return out
}

// CreateCalls counts every create request received, whatever the answer
// (faults, auth and validation failures included).
func (s *Server) CreateCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createCalls
}

// WaitMeetings blocks until at least n meetings exist, then returns them;
// it fails when ctx ends first. Tests use it instead of sleeping, e.g. to
// know a held create (HangAfterCreate) has been committed.
func (s *Server) WaitMeetings(ctx context.Context, n int) ([]Meeting, error) {
	for {
		s.mu.Lock()
		have, changed := len(s.meetings), s.changed
		s.mu.Unlock()
		if have >= n {
			return s.Meetings(), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("fakezoom: wait for %d meetings (have %d): %w", n, have, ctx.Err())
		}
	}
}
