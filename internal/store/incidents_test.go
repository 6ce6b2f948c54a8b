package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// fullIncident sets every field, so a round trip proves each is persisted.
func fullIncident(team incident.TeamID, n incident.Number, ch incident.ChannelID) incident.Incident {
	at := time.Date(2025, 3, 14, 10, 0, 0, 123456789, time.UTC)
	return incident.Incident{
		Team:            team,
		Number:          n,
		Title:           "Checkout down",
		Description:     "5xx on /pay",
		Severity:        incident.Sev2,
		Status:          incident.StatusStable,
		Commander:       "U2",
		CustomerImpact:  true,
		Channel:         ch,
		ChannelName:     "inc-1-checkout-down",
		ChannelArchived: false,
		HeaderTS:        "1700000000.000100",
		DeclaredBy:      "U1",
		DeclaredAt:      at,
		Meeting: &incident.Meeting{
			ID: "85746065432", JoinURL: "https://zoom.us/j/85746065432", Passcode: "abc",
			HostKind: incident.HostFallback, HostUser: "", CreatedBy: "U1",
			Trigger: incident.TriggerAutomatic, CreatedAt: at.Add(time.Minute),
		},
		BookmarkID:   "Bk1",
		AutoFailures: []string{"host_not_in_account"},
		Timeline: []incident.Event{
			{Kind: incident.EventDeclared, By: "U1", At: at},
			{Kind: incident.EventChanged, By: "U2", At: at.Add(2 * time.Minute),
				Changes: []incident.Change{{Field: incident.FieldSeverity, Old: "SEV-3", New: "SEV-2"}}, Note: "worse"},
			{Kind: incident.EventMeetingCreated, At: at.Add(3 * time.Minute)},
		},
	}
}

func TestIncidentRoundTripAndReopen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.s.NextNumber(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	want := fullIncident("T1", n, "C1")
	if err := e.s.CreateIncident(ctx, want); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{e.s, e.reopen()} {
		got, err := s.Incident(ctx, want.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Incident =\n%+v\nwant\n%+v", got, want)
		}
		byCh, err := s.IncidentByChannel(ctx, "T1", "C1")
		if err != nil || !reflect.DeepEqual(byCh, want) {
			t.Errorf("IncidentByChannel = %+v, %v", byCh, err)
		}
	}
}

func TestTimesAreStoredAsInstants(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, paris)
	inc := incident.Incident{Team: "T1", Number: 1, Title: "x", DeclaredAt: at}
	if err := e.s.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.Incident(ctx, inc.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !got.DeclaredAt.Equal(at) {
		t.Errorf("DeclaredAt = %v, want %v", got.DeclaredAt, at)
	}
}

func TestNumbersArePerTeamAndSequential(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	next := func(team incident.TeamID) incident.Number {
		t.Helper()
		n, err := e.s.NextNumber(ctx, team)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tt := range []struct {
		team incident.TeamID
		want incident.Number
	}{{"T1", 1}, {"T1", 2}, {"T2", 1}, {"T1", 3}, {"T2", 2}} {
		if got := next(tt.team); got != tt.want {
			t.Errorf("NextNumber(%s) = %d, want %d", tt.team, got, tt.want)
		}
	}
	e.reopen()
	if got := next("T1"); got != 4 {
		t.Errorf("NextNumber(T1) after reopen = %d, want 4", got)
	}
	if _, err := e.s.NextNumber(ctx, ""); err == nil {
		t.Error("NextNumber(\"\") succeeded")
	}
}

func TestNumbersAreUniqueUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 30
	got := make([]incident.Number, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			num, err := e.s.NextNumber(ctx, "T1")
			if err != nil {
				t.Error(err)
			}
			got[i] = num
		})
	}
	wg.Wait()
	seen := map[incident.Number]bool{}
	for _, num := range got {
		if num < 1 || num > n || seen[num] {
			t.Fatalf("numbers %v are not 1..%d each once", got, n)
		}
		seen[num] = true
	}
}

func TestCreateIncidentSavedNumberAdvancesSequence(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: 5, Title: "x"}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.s.NextNumber(ctx, "T1"); err != nil || n != 6 {
		t.Errorf("NextNumber after saving INC-5 = %d, %v; want 6", n, err)
	}
}

func TestCreateIncidentErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: 1, Title: "a", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		inc  incident.Incident
		is   error
	}{
		{"channel taken", incident.Incident{Team: "T1", Number: 2, Channel: "C1"}, incident.ErrChannelTaken},
		{"number taken", incident.Incident{Team: "T1", Number: 1, Channel: "C9"}, nil},
		{"no number", incident.Incident{Team: "T1", Channel: "C8"}, nil},
		{"no team", incident.Incident{Number: 3}, nil},
	} {
		err := e.s.CreateIncident(ctx, tt.inc)
		if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: CreateIncident = %v, want error %v", tt.name, err, tt.is)
		}
	}
	// A refused create leaves no trace: C9 and C8 are still free.
	if _, err := e.s.IncidentByChannel(ctx, "T1", "C9"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("C9 after refused create: %v, want ErrNotFound", err)
	}
	// The same channel ID in another workspace is a different channel.
	if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T2", Number: 1, Channel: "C1"}); err != nil {
		t.Errorf("C1 in T2: %v", err)
	}
}

func TestTeamsAreIsolated(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: 1, Title: "one", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Incident(ctx, incident.Key{Team: "T2", Number: 1}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("T2/INC-1 = %v, want ErrNotFound", err)
	}
	if _, err := e.s.IncidentByChannel(ctx, "T2", "C1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("T2 channel C1 = %v, want ErrNotFound", err)
	}
	if open, err := e.s.OpenIncidents(ctx, "T2"); err != nil || len(open) != 0 {
		t.Errorf("OpenIncidents(T2) = %v, %v; want none", open, err)
	}
	if _, err := e.s.UpdateIncident(ctx, incident.Key{Team: "T2", Number: 1}, func(*incident.Incident) error { return nil }); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("UpdateIncident(T2/INC-1) = %v, want ErrNotFound", err)
	}
	if _, err := e.s.Incident(ctx, incident.Key{Number: 1}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("empty team = %v, want ErrNotFound", err)
	}
}

func TestUpdateIncident(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := incident.Key{Team: "T1", Number: 1}
	if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: 1, Title: "old", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}

	got, err := e.s.UpdateIncident(ctx, key, func(inc *incident.Incident) error {
		inc.Title = "new"
		inc.Severity = incident.Sev1
		inc.Timeline = append(inc.Timeline, incident.Event{Kind: incident.EventChanged, Note: "n"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "new" || got.Severity != incident.Sev1 || len(got.Timeline) != 1 {
		t.Errorf("returned %+v", got)
	}
	if stored, _ := e.reopen().Incident(ctx, key); !reflect.DeepEqual(stored, got) {
		t.Errorf("stored after reopen %+v, want %+v", stored, got)
	}

	// fn's error aborts and comes back unchanged (not wrapped).
	sentinel := &incident.Problem{Msg: "no"}
	_, err = e.s.UpdateIncident(ctx, key, func(inc *incident.Incident) error {
		inc.Title = "aborted"
		return sentinel
	})
	if err != sentinel {
		t.Errorf("fn error returned as %v (%T), want the same value", err, err)
	}
	if stored, _ := e.s.Incident(ctx, key); stored.Title != "new" {
		t.Errorf("title after aborted update = %q", stored.Title)
	}

	// Changing the key is refused.
	if _, err := e.s.UpdateIncident(ctx, key, func(inc *incident.Incident) error { inc.Number = 9; return nil }); !errors.Is(err, errKeyChanged) {
		t.Errorf("number change: %v", err)
	}
	// Missing incident.
	if _, err := e.s.UpdateIncident(ctx, incident.Key{Team: "T1", Number: 7}, func(*incident.Incident) error { return nil }); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

func TestUpdateIncidentMovesChannelIndex(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for n, ch := range []incident.ChannelID{"C1", "C2"} {
		if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: incident.Number(n + 1), Channel: ch}); err != nil {
			t.Fatal(err)
		}
	}
	key := incident.Key{Team: "T1", Number: 1}
	setChannel := func(ch incident.ChannelID) error {
		_, err := e.s.UpdateIncident(ctx, key, func(inc *incident.Incident) error { inc.Channel = ch; return nil })
		return err
	}
	if err := setChannel("C2"); !errors.Is(err, incident.ErrChannelTaken) {
		t.Errorf("move to C2 = %v, want ErrChannelTaken", err)
	}
	if err := setChannel("C3"); err != nil {
		t.Fatal(err)
	}
	if inc, err := e.s.IncidentByChannel(ctx, "T1", "C3"); err != nil || inc.Number != 1 {
		t.Errorf("C3 = %v, %v", inc.Number, err)
	}
	if _, err := e.s.IncidentByChannel(ctx, "T1", "C1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("old channel C1 = %v, want ErrNotFound", err)
	}
}

func TestConcurrentUpdatesAreSerialised(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := incident.Key{Team: "T1", Number: 1}
	if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: 1}); err != nil {
		t.Fatal(err)
	}
	const n = 25
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := e.s.UpdateIncident(ctx, key, func(inc *incident.Incident) error {
				inc.Timeline = append(inc.Timeline, incident.Event{Note: fmt.Sprint(i)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	inc, err := e.s.Incident(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Timeline) != n {
		t.Errorf("timeline has %d events, want %d (lost updates)", len(inc.Timeline), n)
	}
}

func TestOpenIncidents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	statuses := []incident.Status{incident.StatusActive, incident.StatusResolved, incident.StatusStable, incident.StatusResolved}
	for i, st := range statuses {
		if err := e.s.CreateIncident(ctx, incident.Incident{Team: "T1", Number: incident.Number(i + 1), Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	open, err := e.s.OpenIncidents(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	var nums []incident.Number
	for _, inc := range open {
		nums = append(nums, inc.Number)
	}
	if !reflect.DeepEqual(nums, []incident.Number{1, 3}) {
		t.Errorf("open incidents = %v, want [1 3]", nums)
	}

	// A listing carries what the list shows, not the timeline.
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	full := incident.Incident{Team: "T3", Number: 1, Title: "Listed", Severity: incident.Sev2, Status: incident.StatusStable,
		Commander: "U9", Channel: "C9", Meeting: &incident.Meeting{ID: "m1", JoinURL: "https://zoom.example/j/1"},
		Timeline: []incident.Event{{Kind: incident.EventDeclared, By: "U1", At: at}, {Kind: incident.EventChanged, By: "U1", At: at}}}
	if err := e.s.CreateIncident(ctx, full); err != nil {
		t.Fatal(err)
	}
	listed, err := e.s.OpenIncidents(ctx, "T3")
	if err != nil || len(listed) != 1 {
		t.Fatalf("OpenIncidents(T3) = %v, %v", listed, err)
	}
	got := listed[0]
	if got.Timeline != nil || got.Title != "Listed" || got.Severity != incident.Sev2 || got.Commander != "U9" ||
		got.Channel != "C9" || got.Meeting == nil || got.Meeting.JoinURL != full.Meeting.JoinURL {
		t.Errorf("listed %+v; want every listed field and no timeline", got)
	}
	if stored, err := e.s.Incident(ctx, full.Key()); err != nil || len(stored.Timeline) != 2 {
		t.Errorf("the stored incident lost its timeline: %v, %v", stored.Timeline, err)
	}
}

func BenchmarkUpdateIncident(b *testing.B) {
	s, err := Open(b.TempDir()+"/bench.db", Options{Key: testKey(1)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	key := incident.Key{Team: "T1", Number: 1}
	if err := s.CreateIncident(ctx, fullIncident("T1", 1, "C1")); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.UpdateIncident(ctx, key, func(inc *incident.Incident) error {
			inc.CustomerImpact = !inc.CustomerImpact
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
