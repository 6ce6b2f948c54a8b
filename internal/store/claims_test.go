package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

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

	if err := e.s.ClaimMeeting(ctx, key, app.Claim{Attempt: "a1", Hosts: []string{"x@example.com"}, At: t0}); err != nil {
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
	c1 := app.Claim{Attempt: "a1", Hosts: []string{"u@example.com", "fallback@example.com"}, At: at}
	c3 := app.Claim{Attempt: "a3", At: at.Add(-time.Hour)}
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
