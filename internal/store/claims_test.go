package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func createIncident(t *testing.T, s *Store, team incident.TeamID, n incident.Number) incident.Key {
	t.Helper()
	if err := s.CreateIncident(context.Background(), incident.Incident{Team: team, Number: n, Title: "t"}); err != nil {
		t.Fatal(err)
	}
	return incident.Key{Team: team, Number: n}
}

func TestClaimRecordRelease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	t0 := e.clock.Now()

	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a1", Hosts: []incident.Host{{Email: "x@example.com"}}, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a2", At: t0.Add(time.Second)}); !errors.Is(err, incident.ErrClaimHeld) {
		t.Errorf("second claim = %v, want ErrClaimHeld", err)
	}
	// The holder may claim again (refresh).
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a1", At: t0.Add(time.Second)}); err != nil {
		t.Errorf("re-claim by holder: %v", err)
	}
	// Another attempt cannot record or release.
	m := incident.Meeting{ID: "111", JoinURL: "https://zoom.us/j/111", CreatedAt: t0}
	if _, err := e.s.RecordMeeting(ctx, key, "a2", m); !errors.Is(err, incident.ErrClaimLost) {
		t.Errorf("record by non-holder = %v, want ErrClaimLost", err)
	}
	if err := e.s.ReleaseClaim(ctx, key, "a2"); err != nil {
		t.Fatal(err)
	}
	if claims, _ := e.s.Claims(ctx); len(claims) != 1 || claims[0].Claim.Attempt != "a1" {
		t.Errorf("claims after foreign release = %+v", claims)
	}

	inc, err := e.s.RecordMeeting(ctx, key, "a1", m)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Meeting == nil || !reflect.DeepEqual(*inc.Meeting, m) {
		t.Errorf("recorded meeting = %+v", inc.Meeting)
	}
	if claims, _ := e.s.Claims(ctx); len(claims) != 0 {
		t.Errorf("claim not cleared by record: %+v", claims)
	}
	// Recording clears the claim, so a second record under it is lost.
	if _, err := e.s.RecordMeeting(ctx, key, "a1", m); !errors.Is(err, incident.ErrClaimLost) {
		t.Errorf("second record = %v, want ErrClaimLost", err)
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a3", At: t0}); !errors.Is(err, incident.ErrMeetingExists) {
		t.Errorf("claim after meeting = %v, want ErrMeetingExists", err)
	}
	stored, _ := e.reopen().Incident(ctx, key)
	if stored.Meeting == nil || stored.Meeting.ID != "111" {
		t.Errorf("meeting after reopen = %+v", stored.Meeting)
	}

	// Release by the holder frees the incident at once.
	key2 := createIncident(t, e.s, "T1", 2)
	if err := e.s.ClaimMeeting(ctx, key2, app.Claim{Attempt: "b1", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ReleaseClaim(ctx, key2, "b1"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ClaimMeeting(ctx, key2, app.Claim{Attempt: "b2", At: t0}); err != nil {
		t.Errorf("claim after release: %v", err)
	}
}

func TestClaimErrorsOnMissingIncident(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := incident.Key{Team: "T1", Number: 9}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a"}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("ClaimMeeting = %v", err)
	}
	if _, err := e.s.RecordMeeting(ctx, key, "a", incident.Meeting{}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("RecordMeeting = %v", err)
	}
	if err := e.s.ReleaseClaim(ctx, key, "a"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("ReleaseClaim = %v", err)
	}
	if err := e.s.ClaimMeeting(ctx, createIncident(t, e.s, "T1", 1), app.Claim{}); err == nil {
		t.Error("claim with empty attempt succeeded")
	}
}

func TestClaimTTL(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	t0 := e.clock.Now()
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "old", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "new", At: t0.Add(ClaimTTL - time.Nanosecond)}); !errors.Is(err, incident.ErrClaimHeld) {
		t.Errorf("just before TTL = %v, want ErrClaimHeld", err)
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "new", At: t0.Add(ClaimTTL)}); err != nil {
		t.Fatalf("at TTL: %v", err)
	}
	// The overtaken attempt can no longer record or release.
	if _, err := e.s.RecordMeeting(ctx, key, "old", incident.Meeting{ID: "1"}); !errors.Is(err, incident.ErrClaimLost) {
		t.Errorf("record by expired attempt = %v, want ErrClaimLost", err)
	}
	if inc, _ := e.s.Incident(ctx, key); inc.Meeting != nil {
		t.Errorf("lost record changed the incident: %+v", inc.Meeting)
	}
	if _, err := e.s.RecordMeeting(ctx, key, "new", incident.Meeting{ID: "2"}); err != nil {
		t.Errorf("record by new holder: %v", err)
	}

	// A zero At uses the store's clock.
	key2 := createIncident(t, e.s, "T1", 2)
	if err := e.s.ClaimMeeting(ctx, key2, app.Claim{Attempt: "c1"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(ClaimTTL - time.Second)
	if err := e.s.ClaimMeeting(ctx, key2, app.Claim{Attempt: "c2"}); !errors.Is(err, incident.ErrClaimHeld) {
		t.Errorf("store clock before TTL = %v, want ErrClaimHeld", err)
	}
	e.clock.Add(time.Second)
	if err := e.s.ClaimMeeting(ctx, key2, app.Claim{Attempt: "c2"}); err != nil {
		t.Errorf("store clock at TTL: %v", err)
	}
}

func TestClaimReplacing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	t0 := e.clock.Now()

	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "r0", Replacing: "M1", At: t0}); !errors.Is(err, incident.ErrMeetingExists) {
		t.Errorf("replace with no meeting = %v, want ErrMeetingExists", err)
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a1", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RecordMeeting(ctx, key, "a1", incident.Meeting{ID: "M1"}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		replacing string
		want      error
	}{{"", incident.ErrMeetingExists}, {"M0", incident.ErrMeetingExists}} {
		if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "x", Replacing: tt.replacing, At: t0}); !errors.Is(err, tt.want) {
			t.Errorf("Replacing %q = %v, want %v", tt.replacing, err, tt.want)
		}
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "r1", Replacing: "M1", At: t0}); err != nil {
		t.Fatalf("replace M1: %v", err)
	}
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "r2", Replacing: "M1", At: t0}); !errors.Is(err, incident.ErrClaimHeld) {
		t.Errorf("concurrent replace = %v, want ErrClaimHeld", err)
	}
	inc, err := e.s.RecordMeeting(ctx, key, "r1", incident.Meeting{ID: "M2"})
	if err != nil || inc.Meeting.ID != "M2" {
		t.Fatalf("record replacement = %+v, %v", inc.Meeting, err)
	}
	// A second "new" based on the stale meeting does not replace again.
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "r3", Replacing: "M1", At: t0.Add(time.Hour)}); !errors.Is(err, incident.ErrMeetingExists) {
		t.Errorf("stale replace = %v, want ErrMeetingExists", err)
	}
}

func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	at := e.clock.Now()
	const n = 20
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: fmt.Sprintf("a%d", i), At: at})
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, incident.ErrClaimHeld):
			t.Errorf("attempt %d: %v, want nil or ErrClaimHeld", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d winners, want 1", winners)
	}
}

func TestClaimsListsAllTeamsAndSurvivesReopen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := e.clock.Now()
	k1 := createIncident(t, e.s, "T1", 1)
	createIncident(t, e.s, "T1", 2) // no claim
	k3 := createIncident(t, e.s, "T2", 1)
	c1 := app.Claim{Attempt: "a1", Hosts: []incident.Host{
		{Kind: incident.HostCommander, User: "U1", Email: "u@example.com"},
		{Kind: incident.HostFallback, Email: "fallback@example.com"},
	}, Trigger: incident.TriggerAutomatic, At: at}
	c3 := app.Claim{Attempt: "a3", Trigger: incident.TriggerOneClick, By: "U3", At: at.Add(-time.Hour)}
	if err := e.s.ClaimMeeting(ctx, k1, c1); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ClaimMeeting(ctx, k3, c3); err != nil {
		t.Fatal(err)
	}
	want := []app.PendingClaim{{Key: k1, Claim: c1}, {Key: k3, Claim: c3}}
	got, err := e.reopen().Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Claims =\n%+v\nwant\n%+v", got, want)
	}
}

// TestClaimWrittenByOlderVersion: a claim written before hosts carried
// their kind and the trigger lists emails only; it still decodes, its
// hosts as requesters (reconciliation recognises the fallback by email).
func TestClaimWrittenByOlderVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	at := e.clock.Now()
	err := e.s.db.Update(func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		rec.Claim = &claimRecord{Attempt: "old", Hosts: []string{"u@example.com", "fb@example.com"}, At: at}
		return putIncident(tx, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.reopen().Claims(ctx)
	want := []app.PendingClaim{{Key: key, Claim: app.Claim{Attempt: "old", Hosts: []incident.Host{
		{Kind: incident.HostRequester, Email: "u@example.com"}, {Kind: incident.HostRequester, Email: "fb@example.com"},
	}, Trigger: incident.TriggerOneClick, At: at}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Claims = %+v, %v\nwant %+v", got, err, want)
	}
}

// TestUnsettledAttempts: marking an attempt unsettled releases its claim in
// the same transaction and survives a reopen and unrelated updates; while
// any is unsettled, automatic claims are refused (except re-taking one of
// them), others are not; clearing one, or recording a meeting, settles.
func TestUnsettledAttempts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	at := e.clock.Now()
	auto := app.Claim{Attempt: "a1", Hosts: []incident.Host{{Kind: incident.HostCommander, User: "U1", Email: "c@example.com"}}, Trigger: incident.TriggerAutomatic, At: at}
	if err := e.s.ClaimMeeting(ctx, key, auto); err != nil {
		t.Fatal(err)
	}
	if err := e.s.MarkUnsettled(ctx, key, auto); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.UpdateIncident(ctx, key, func(i *incident.Incident) error { i.Title = "renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	s := e.reopen()
	inc, err := s.Incident(ctx, key)
	wantAttempt := incident.Attempt{ID: "a1", Hosts: auto.Hosts, Trigger: incident.TriggerAutomatic, At: at}
	if err != nil || len(inc.Unsettled) != 1 || !reflect.DeepEqual(inc.Unsettled[0], wantAttempt) || inc.Title != "renamed" {
		t.Fatalf("incident after mark, update and reopen: %+v, %v; want a1 unsettled", inc.Unsettled, err)
	}
	if claims, _ := s.Claims(ctx); len(claims) != 0 {
		t.Errorf("claims %+v; want the marked attempt's claim released", claims)
	}
	if got, err := s.Unfinished(ctx); err != nil || len(got) != 1 || got[0].Key() != key {
		t.Errorf("Unfinished = %+v, %v; want the incident", got, err)
	}

	later := at.Add(time.Hour) // claim TTLs play no part
	if err := s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a2", Trigger: incident.TriggerAutomatic, At: later}); !errors.Is(err, app.ErrMeetingUncertain) {
		t.Errorf("automatic claim while unsettled = %v, want ErrMeetingUncertain", err)
	}
	retake := auto
	retake.At = later
	if err := s.ClaimMeeting(ctx, key, retake); err != nil {
		t.Errorf("re-taking the unsettled attempt = %v", err)
	}
	if err := s.ReleaseClaim(ctx, key, "a1"); err != nil {
		t.Fatal(err)
	}
	press := app.Claim{Attempt: "p1", Trigger: incident.TriggerOneClick, By: "U2", At: later}
	if err := s.ClaimMeeting(ctx, key, press); err != nil {
		t.Errorf("a person's claim while unsettled = %v", err)
	}
	if err := s.MarkUnsettled(ctx, key, press); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearUnsettled(ctx, key, "a1"); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident(ctx, key); len(inc.Unsettled) != 1 || inc.Unsettled[0].ID != "p1" {
		t.Errorf("unsettled %+v; want p1 only", inc.Unsettled)
	}
	if err := s.ClaimMeeting(ctx, key, app.Claim{Attempt: "p2", At: later}); err != nil {
		t.Fatal(err)
	}
	inc, err = s.RecordMeeting(ctx, key, "p2", incident.Meeting{ID: "M1", JoinURL: "https://zoom.us/j/1"})
	if err != nil || len(inc.Unsettled) != 0 {
		t.Errorf("after a recorded meeting: %+v, %v; want nothing unsettled", inc.Unsettled, err)
	}
	if got, _ := s.Unfinished(ctx); len(got) != 0 {
		t.Errorf("Unfinished = %+v; want none", got)
	}
}

// TestUnpublishedMeeting: a meeting recorded unpublished is listed by
// Unfinished, across a reopen, until an update marks it published.
func TestUnpublishedMeeting(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	createIncident(t, e.s, "T2", 1) // nothing to finish
	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RecordMeeting(ctx, key, "a1", incident.Meeting{ID: "M1", JoinURL: "https://zoom.us/j/1", Unpublished: true}); err != nil {
		t.Fatal(err)
	}
	s := e.reopen()
	got, err := s.Unfinished(ctx)
	if err != nil || len(got) != 1 || got[0].Key() != key || !got[0].Meeting.Unpublished {
		t.Fatalf("Unfinished = %+v, %v; want T1's unpublished meeting", got, err)
	}
	if _, err := s.UpdateIncident(ctx, key, func(i *incident.Incident) error { i.Meeting.Unpublished = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.reopen().Unfinished(ctx); len(got) != 0 {
		t.Errorf("Unfinished after publishing = %+v; want none", got)
	}
}
