package app

import (
	"context"
	"sync"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// headerLocks serialises header updates per incident. Two changes committed
// close together may otherwise reach Slack in the other order (a slow
// chat.update, a 429 retry), leaving the older state on show. Under the
// lock the refresher re-reads the incident and writes what the store holds
// now, so the last update to land shows the latest committed state, and a
// change whose state an earlier refresher already showed costs no call.
type headerLocks struct {
	mu    sync.Mutex
	locks map[incident.Key]*headerLock
}

// headerLock is one incident's: held while its header is written.
type headerLock struct {
	mu    sync.Mutex
	users int                // refreshers holding or waiting; the entry goes at 0
	shown *incident.Incident // what this process last wrote, while users > 0
}

// acquire locks key's header and returns its lock, to be released.
func (h *headerLocks) acquire(key incident.Key) *headerLock {
	h.mu.Lock()
	if h.locks == nil {
		h.locks = map[incident.Key]*headerLock{}
	}
	l := h.locks[key]
	if l == nil {
		l = &headerLock{}
		h.locks[key] = l
	}
	l.users++
	h.mu.Unlock()
	l.mu.Lock()
	return l
}

// release unlocks l, forgetting it once nobody waits on it.
func (h *headerLocks) release(key incident.Key, l *headerLock) {
	h.mu.Lock()
	l.users--
	if l.users == 0 {
		delete(h.locks, key)
	}
	h.mu.Unlock()
	l.mu.Unlock()
}

// refreshHeader rewrites the pinned header to show the incident as the
// store holds it, under the workspace's settings s; failures are logged,
// the stored incident stays the truth. An incident whose header was never
// posted (Slack failed at declare) gets it posted now.
func (a *App) refreshHeader(ctx context.Context, inc incident.Incident, s incident.Settings) {
	if inc.ChannelArchived {
		return
	}
	l := a.headers.acquire(inc.Key())
	defer a.headers.release(inc.Key(), l)
	latest, err := a.store.Incident(ctx, inc.Key())
	if err != nil {
		a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("re-read incident for header failed")
		latest = inc
	}
	switch {
	case latest.ChannelArchived:
		return
	case latest.HeaderTS == "":
		a.postHeaderLocked(ctx, latest, s)
		return
	case l.shown != nil && sameHeader(*l.shown, latest):
		return // an earlier refresher already showed this state
	}
	if err := a.slack.UpdateHeader(ctx, latest, s.ZoomEnabled); err != nil {
		a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("update incident header failed")
		return
	}
	l.shown = &latest
}
