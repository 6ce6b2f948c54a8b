package app

import (
	"strings"
	"sync"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// rejectedHosts remembers, per workspace and briefly, the emails Zoom said
// are not users of the account, so a busy incident does not pay a failed
// Zoom call on every change.
type rejectedHosts struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	until map[string]time.Time // team + "\x00" + lower-case email
}

func newRejectedHosts(ttl time.Duration, now func() time.Time) *rejectedHosts {
	return &rejectedHosts{ttl: ttl, now: now, until: map[string]time.Time{}}
}

func rejectedKey(team incident.TeamID, email string) string {
	return string(team) + "\x00" + strings.ToLower(email)
}

func (r *rejectedHosts) add(team incident.TeamID, email string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.until[rejectedKey(team, email)] = r.now().Add(r.ttl)
}

// forget drops what is known of team, e.g. after settings change.
func (r *rejectedHosts) forget(team incident.TeamID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prefix := string(team) + "\x00"
	for k := range r.until {
		if strings.HasPrefix(k, prefix) {
			delete(r.until, k)
		}
	}
}

// filter drops hosts Zoom rejected recently.
func (r *rejectedHosts) filter(team incident.TeamID, hosts []incident.Host) []incident.Host {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var out []incident.Host
	for _, h := range hosts {
		k := rejectedKey(team, h.Email)
		if until, ok := r.until[k]; ok {
			if now.Before(until) {
				continue
			}
			delete(r.until, k)
		}
		out = append(out, h)
	}
	return out
}
