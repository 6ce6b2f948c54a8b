package app

import (
	"strings"
	"sync"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// rejectedHosts remembers, per workspace and briefly (ten minutes, as New
// sets it), the emails Zoom said are not users of the account (or may not
// host), so a busy incident does not pay a failed Zoom call on every
// change. It is memory only: a restart, or saving the settings, forgets it,
// and someone added to the Zoom account is tried again once that time has
// passed.
type rejectedHosts struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	until map[string]time.Time // team + "\x00" + lower-case email
}

// newRejectedHosts remembers refusals for ttl by the clock now.
func newRejectedHosts(ttl time.Duration, now func() time.Time) *rejectedHosts {
	return &rejectedHosts{ttl: ttl, now: now, until: map[string]time.Time{}}
}

// rejectedKey is the map key of an email in a workspace; emails compare
// case-insensitively, as Zoom's do.
func rejectedKey(team incident.TeamID, email string) string {
	return string(team) + "\x00" + strings.ToLower(email)
}

// add remembers that Zoom refused email as a host in team's account, and
// forgets what has expired, so the memory stays as small as the refusals
// of the last ttl.
func (r *rejectedHosts) add(team incident.TeamID, email string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for k, until := range r.until {
		if !now.Before(until) {
			delete(r.until, k)
		}
	}
	r.until[rejectedKey(team, email)] = now.Add(r.ttl)
}

// len is how many refusals are remembered.
func (r *rejectedHosts) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.until)
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
