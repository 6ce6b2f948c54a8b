package app

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// refusal is why Zoom would not let an email host a meeting.
type refusal int

const (
	notRefused   refusal = iota
	notInAccount         // 1001/1010: not a user of the connected account
	mayNotHost           // 3161: a user, without hosting rights
)

// refusalOf says which refusal err (an incident.ErrHostNotInAccount) is.
func refusalOf(err error) refusal {
	if errors.Is(err, incident.ErrHostMayNotHost) {
		return mayNotHost
	}
	return notInAccount
}

// refusals are the refusals known for one creation, by lower-case email.
type refusals map[string]refusal

// of returns email's refusal, notRefused when none is known.
func (r refusals) of(email string) refusal { return r[strings.ToLower(email)] }

// rejectedHosts remembers, per workspace and briefly (ten minutes, as New
// sets it), the emails Zoom said are not users of the account (or may not
// host), and which it was, so a busy incident does not pay a failed Zoom
// call on every change. It is memory only: a restart, or saving the
// settings, forgets it, and someone added to the Zoom account is tried
// again once that time has passed.
type rejectedHosts struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	until map[string]rejection // team + "\x00" + lower-case email
}

// rejection is one remembered refusal.
type rejection struct {
	until time.Time
	why   refusal
}

// newRejectedHosts remembers refusals for ttl by the clock now.
func newRejectedHosts(ttl time.Duration, now func() time.Time) *rejectedHosts {
	return &rejectedHosts{ttl: ttl, now: now, until: map[string]rejection{}}
}

// rejectedKey is the map key of an email in a workspace; emails compare
// case-insensitively, as Zoom's do.
func rejectedKey(team incident.TeamID, email string) string {
	return string(team) + "\x00" + strings.ToLower(email)
}

// add remembers that Zoom refused email as a host in team's account, and
// why, and forgets what has expired, so the memory stays as small as the
// refusals of the last ttl.
func (r *rejectedHosts) add(team incident.TeamID, email string, why refusal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for k, rj := range r.until {
		if !now.Before(rj.until) {
			delete(r.until, k)
		}
	}
	r.until[rejectedKey(team, email)] = rejection{until: now.Add(r.ttl), why: why}
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
		if rj, ok := r.until[k]; ok {
			if now.Before(rj.until) {
				continue
			}
			delete(r.until, k)
		}
		out = append(out, h)
	}
	return out
}

// reasons returns the unexpired refusals remembered for hosts.
func (r *rejectedHosts) reasons(team incident.TeamID, hosts []incident.Host) refusals {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := refusals{}
	for _, h := range hosts {
		if rj, ok := r.until[rejectedKey(team, h.Email)]; ok && now.Before(rj.until) {
			out[strings.ToLower(h.Email)] = rj.why
		}
	}
	return out
}
