package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// TestMtRejectedHosts: refused emails are skipped per workspace, without
// regard to case, until the TTL passes or the workspace's settings change;
// expired ones are forgotten.
func TestMtRejectedHosts(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	r := newRejectedHosts(10*time.Minute, func() time.Time { return now })
	carol := incident.Host{Kind: incident.HostRequester, User: "UC", Email: "carol@example.com"}
	fb := incident.Host{Kind: incident.HostFallback, Email: "oncall@example.com"}
	emails := func(hs []incident.Host) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Email)
		}
		return out
	}

	r.add("T1", "Carol@Example.com", notInAccount)
	for _, tt := range []struct {
		name  string
		team  incident.TeamID
		after time.Duration
		want  []string
	}{
		{"refused: skipped", "T1", 0, []string{"oncall@example.com"}},
		{"other workspace: tried", "T2", 0, []string{"carol@example.com", "oncall@example.com"}},
		{"just before expiry: skipped", "T1", 10*time.Minute - time.Nanosecond, []string{"oncall@example.com"}},
		{"expired: tried again", "T1", 10 * time.Minute, []string{"carol@example.com", "oncall@example.com"}},
	} {
		now = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC).Add(tt.after)
		if got := emails(r.filter(tt.team, []incident.Host{carol, fb})); !slices.Equal(got, tt.want) {
			t.Errorf("%s: filter = %v; want %v", tt.name, got, tt.want)
		}
	}

	r.add("T1", "carol@example.com", mayNotHost)
	r.add("T2", "carol@example.com", notInAccount)
	if got := r.reasons("T1", []incident.Host{carol, fb}); len(got) != 1 || got.of("CAROL@example.com") != mayNotHost {
		t.Errorf("reasons = %v; want carol: may not host", got)
	}
	r.forget("T1")
	if got := emails(r.filter("T1", []incident.Host{carol})); !slices.Equal(got, []string{"carol@example.com"}) {
		t.Errorf("after forget: %v; want carol tried", got)
	}
	if got := r.filter("T2", []incident.Host{carol}); len(got) != 0 {
		t.Errorf("forget of T1 forgot T2's refusal: %v", got)
	}

	now = now.Add(time.Hour)
	r.add("T3", "dave@example.com", notInAccount)
	if n := r.len(); n != 1 {
		t.Errorf("%d refusals remembered an hour later; want only the new one", n)
	}
}

// TestMtFailureKeys: metrics reasons are a small fixed set; the channel is
// told once per key, and a host problem's key says which host was missing.
func TestMtFailureKeys(t *testing.T) {
	inc := incident.Incident{Number: 7}
	auto := func(s incident.Settings, commander incident.Host) error {
		return noHostProblem(inc, s, commander, incident.TriggerAutomatic, refusals{})
	}
	withFallback := incident.DefaultSettings()
	withFallback.FallbackEmail = "oncall@example.com"
	always := withFallback
	always.AlwaysUseFallback = true
	none := incident.DefaultSettings()
	for _, tt := range []struct {
		err         error
		reason, key string
	}{
		{fmt.Errorf("x: %w", incident.ErrZoomNotConnected), "not_connected", "not_connected"},
		{fmt.Errorf("x: %w", incident.ErrZoomScope), "scope", "scope"},
		{fmt.Errorf("x: %w", incident.ErrZoomUnavailable), "unavailable", "unavailable"},
		{fmt.Errorf("x: %w", incident.ErrOutcomeUnknown), "outcome_unknown", "outcome_unknown"},
		{auto(none, incident.Host{Kind: incident.HostCommander}), "no_host", "no_host:no_commander"},
		{auto(withFallback, incident.Host{Kind: incident.HostCommander}), "no_host", "no_host:no_commander+fallback"},
		{auto(none, incident.Host{Kind: incident.HostCommander, User: "UC", Email: "c@example.com"}), "no_host", "no_host:commander_not_in_account:UC"},
		{auto(none, incident.Host{Kind: incident.HostCommander, User: "UD", Email: "d@example.com"}), "no_host", "no_host:commander_not_in_account:UD"},
		{auto(none, incident.Host{Kind: incident.HostCommander, User: "UE"}), "no_host", "no_host:commander_no_email:UE"},
		{auto(always, incident.Host{Kind: incident.HostCommander, User: "UC"}), "no_host", "no_host:fallback_not_in_account"},
		{incident.Problemf("Zoom meeting creation is turned off."), "refused", "refused:Zoom meeting creation is turned off."},
		{errors.New("disk full"), "error", "error"},
	} {
		if got := failureReason(tt.err); got != tt.reason {
			t.Errorf("failureReason(%v) = %q; want %q", tt.err, got, tt.reason)
		}
		if got := failureKey(tt.err); got != tt.key {
			t.Errorf("failureKey(%v) = %q; want %q", tt.err, got, tt.key)
		}
	}
}

// TestMtNoHostProblemWords: each case tells the person why in plain words,
// never with an email address.
func TestMtNoHostProblemWords(t *testing.T) {
	inc := incident.Incident{Number: 3}
	s := incident.DefaultSettings()
	for _, tt := range []struct {
		trigger incident.Trigger
		primary incident.Host
		want    string
	}{
		{incident.TriggerOneClick, incident.Host{User: "UC", Email: "carol@example.com"}, "your Slack email is not a user of the connected Zoom account"},
		{incident.TriggerOneClick, incident.Host{User: "UC"}, "Slack has no email for you"},
		{incident.TriggerAutomatic, incident.Host{Kind: incident.HostCommander}, "it has no commander"},
		{incident.TriggerAutomatic, incident.Host{Kind: incident.HostCommander, User: "UC", Email: "carol@example.com"}, "the commander <@UC> is not a user"},
	} {
		err := noHostProblem(inc, s, tt.primary, tt.trigger, refusals{})
		var p *incident.Problem
		if !errors.As(err, &p) || !strings.Contains(p.Msg, tt.want) || strings.Contains(p.Msg, "@example.com") || !strings.Contains(p.Msg, "INC-3") {
			t.Errorf("noHostProblem(%v, %+v) = %v; want it to say %q, name INC-3 and show no email", tt.trigger, tt.primary, err, tt.want)
		}
	}
}

// TestMtMayNotHostWording: Zoom's 3161 (a user of the account without
// hosting rights) is told as such, never as "not a user of the connected
// Zoom account", for the presser, the commander and the fallback; the
// channel is told again when the reason changes.
func TestMtMayNotHostWording(t *testing.T) {
	inc := incident.Incident{Number: 4}
	carol := incident.Host{Kind: incident.HostRequester, User: "UC", Email: "carol@example.com"}
	cmdr := incident.Host{Kind: incident.HostCommander, User: "UC", Email: "carol@example.com"}
	none := incident.DefaultSettings()
	fb := incident.DefaultSettings()
	fb.FallbackEmail = "oncall@example.com"
	always := fb
	always.AlwaysUseFallback = true
	cannot := refusals{"carol@example.com": mayNotHost}
	both := refusals{"carol@example.com": mayNotHost, "oncall@example.com": mayNotHost}
	for _, tt := range []struct {
		name    string
		s       incident.Settings
		primary incident.Host
		trigger incident.Trigger
		why     refusals
		want    string
		key     string
	}{
		{"presser", none, carol, incident.TriggerOneClick, cannot, "your Zoom user may not host meetings", "no_host:requester_may_not_host"},
		{"commander", none, cmdr, incident.TriggerAutomatic, cannot, "the commander <@UC> is in the connected Zoom account but may not host meetings", "no_host:commander_may_not_host:UC"},
		{"fallback too", fb, cmdr, incident.TriggerAutomatic, both, "The *Fallback user account* may not host meetings either", "no_host:commander_may_not_host:UC+fallback_may_not_host"},
		{"always the fallback", always, carol, incident.TriggerOneClick, both, "the fallback user account that always hosts is in the connected Zoom account but may not host meetings", "no_host:fallback_may_not_host"},
	} {
		err := noHostProblem(inc, tt.s, tt.primary, tt.trigger, tt.why)
		var p *incident.Problem
		if !errors.As(err, &p) || !strings.Contains(p.Msg, tt.want) || strings.Contains(p.Msg, "not a user of the connected Zoom account") || strings.Contains(p.Msg, "@example.com") {
			t.Errorf("%s: %v; want it to say %q, not \"not a user\", and show no email", tt.name, err, tt.want)
		}
		if got := failureKey(err); got != tt.key {
			t.Errorf("%s: failureKey = %q; want %q", tt.name, got, tt.key)
		}
	}
	if got := refusalOf(fmt.Errorf("create: %w", incident.ErrHostMayNotHost)); got != mayNotHost {
		t.Errorf("refusalOf(ErrHostMayNotHost) = %v", got)
	}
	if got := refusalOf(fmt.Errorf("create: %w", incident.ErrHostNotInAccount)); got != notInAccount {
		t.Errorf("refusalOf(ErrHostNotInAccount) = %v", got)
	}
}
