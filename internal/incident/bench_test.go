package incident_test

import (
	"slices"
	"testing"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// bnCase is criteria, the incident a change produced, and whether they
// should match.
type bnCase struct {
	name string
	c    incident.Criteria
	inc  incident.Incident
	want bool
}

// bnCriteriaCases are the shapes of criteria admins set (SPEC §5.4). The
// benchmarks check the answer, so a broken Match cannot look fast.
var bnCriteriaCases = []bnCase{
	{"blank", incident.Criteria{}, bnIncident(incident.Sev3, incident.StatusActive, false), true},
	{"sev1", incident.Criteria{Severities: []incident.Severity{incident.Sev1}}, bnIncident(incident.Sev1, incident.StatusActive, false), true},
	{"sev1-miss", incident.Criteria{Severities: []incident.Severity{incident.Sev1}}, bnIncident(incident.Sev2, incident.StatusActive, false), false},
	{"all-fields", incident.Criteria{
		Severities:            []incident.Severity{incident.Sev1, incident.Sev2, incident.Sev3},
		Statuses:              []incident.Status{incident.StatusActive, incident.StatusStable},
		RequireCustomerImpact: true,
	}, bnIncident(incident.Sev3, incident.StatusStable, true), true},
	{"all-fields-miss-last", incident.Criteria{
		Severities:            []incident.Severity{incident.Sev1, incident.Sev2, incident.Sev3, incident.Sev4, incident.Sev5},
		Statuses:              []incident.Status{incident.StatusActive, incident.StatusStable},
		RequireCustomerImpact: true,
	}, bnIncident(incident.Sev5, incident.StatusStable, false), false},
}

// bnIncident is an incident as it stands after a change, with a timeline
// and fields that Match must not look at.
func bnIncident(sev incident.Severity, st incident.Status, impact bool) incident.Incident {
	return incident.Incident{
		Team: "T1", Number: 42, Title: "Checkout errors", Severity: sev, Status: st, CustomerImpact: impact,
		Commander: "UBOB", Channel: "C1", HeaderTS: "1.000001",
		Timeline: make([]incident.Event, 20),
	}
}

// BenchmarkCriteriaMatch measures Criteria.Match, the check every incident
// change runs when automatic creation is on (issue 4).
func BenchmarkCriteriaMatch(b *testing.B) {
	for _, tt := range bnCriteriaCases {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			got := false
			for b.Loop() {
				got = tt.c.Match(tt.inc)
			}
			if got != tt.want {
				b.Fatalf("Match = %v; want %v", got, tt.want)
			}
		})
	}
}

// BenchmarkWantsAutoMeeting measures the whole per-change decision: settings
// flags, the incident's state and the criteria.
func BenchmarkWantsAutoMeeting(b *testing.B) {
	s := incident.DefaultSettings()
	s.AutoCreate = true
	withMeeting := bnIncident(incident.Sev1, incident.StatusActive, true)
	withMeeting.Meeting = &incident.Meeting{ID: "81234567890"}
	cases := append(slices.Clone(bnCriteriaCases), bnCase{"has-meeting", incident.Criteria{}, withMeeting, false})
	for _, tt := range cases {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			s := s
			s.Criteria = tt.c
			got := false
			for b.Loop() {
				got = incident.WantsAutoMeeting(s, tt.inc)
			}
			if got != tt.want {
				b.Fatalf("WantsAutoMeeting = %v; want %v", got, tt.want)
			}
		})
	}
}
