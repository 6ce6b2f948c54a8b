package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	got, err := e.s.Settings(ctx, "T1")
	if err != nil || !reflect.DeepEqual(got, incident.DefaultSettings()) {
		t.Errorf("unsaved settings = %+v, %v; want defaults", got, err)
	}
	want := incident.Settings{
		ZoomEnabled: true, AutoCreate: true,
		Criteria: incident.Criteria{
			Severities:            []incident.Severity{incident.Sev1, incident.Sev2},
			Statuses:              []incident.Status{incident.StatusActive},
			RequireCustomerImpact: true,
		},
		FallbackEmail: "oncall@example.com", AlwaysUseFallback: true,
		JoinBeforeHost: false, WaitingRoom: true, Recording: incident.RecordingCloud,
		Bookmarks: false, ChannelPrefix: "sev-",
	}
	if err := e.s.SaveSettings(ctx, "T1", want); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{e.s, e.reopen()} {
		if got, err := s.Settings(ctx, "T1"); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Settings = %+v, %v; want %+v", got, err, want)
		}
		if got, _ := s.Settings(ctx, "T2"); !reflect.DeepEqual(got, incident.DefaultSettings()) {
			t.Errorf("T2 sees T1's settings: %+v", got)
		}
	}
	// All-false settings stay false (not defaults).
	if err := e.s.SaveSettings(ctx, "T3", incident.Settings{Recording: incident.RecordingNone}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.Settings(ctx, "T3"); got.ZoomEnabled || got.Bookmarks {
		t.Errorf("saved false flags came back %+v", got)
	}
}

func TestFirstDelivery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	first := func(s *Store, id string, at time.Time) bool {
		t.Helper()
		ok, err := s.FirstDelivery(ctx, id, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !first(e.s, "Ev1", t0) {
		t.Error("Ev1 not new")
	}
	if first(e.s, "Ev1", t0.Add(time.Minute)) {
		t.Error("Ev1 new twice")
	}
	if !first(e.s, "Ev2", t0.Add(time.Minute)) {
		t.Error("Ev2 not new")
	}
	if first(e.reopen(), "Ev1", t0.Add(EventRetention-time.Second)) {
		t.Error("Ev1 new again after reopen, within a day")
	}
	// After the retention, a call prunes Ev1 (seen at t0) but not Ev2.
	later := t0.Add(EventRetention + 30*time.Second)
	if !first(e.s, "Ev3", later) {
		t.Error("Ev3 not new")
	}
	if first(e.s, "Ev2", later) {
		t.Error("Ev2 pruned before its day was up")
	}
	if !first(e.s, "Ev1", later) {
		t.Error("Ev1 still remembered after more than a day")
	}
	if _, err := e.s.FirstDelivery(ctx, "", t0); err == nil {
		t.Error("empty event ID accepted")
	}
}

func TestFirstDeliveryPrunesInBoundedBatches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	for i := range maxPrune + 10 {
		if _, err := e.s.FirstDelivery(ctx, fmt.Sprintf("old%04d", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (ids, times int) {
		err := e.s.db.View(func(tx *bbolt.Tx) error {
			ev := tx.Bucket(bucketEvents)
			ids = ev.Bucket(eventIDs).Stats().KeyN
			times = ev.Bucket(eventTimes).Stats().KeyN
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, times
	}
	later := t0.Add(2 * EventRetention)
	if _, err := e.s.FirstDelivery(ctx, "new1", later); err != nil {
		t.Fatal(err)
	}
	if ids, times := count(); ids != 11 || times != 11 {
		t.Errorf("after one prune: %d ids, %d times; want 11 (10 old + new1)", ids, times)
	}
	if _, err := e.s.FirstDelivery(ctx, "new2", later); err != nil {
		t.Fatal(err)
	}
	if ids, times := count(); ids != 2 || times != 2 {
		t.Errorf("after two prunes: %d ids, %d times; want 2", ids, times)
	}
}
