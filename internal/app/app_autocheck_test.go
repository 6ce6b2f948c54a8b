package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// autoOn turns automatic creation on, for any change.
func autoOn(s *incident.Settings) { s.ZoomEnabled, s.AutoCreate = true, true }

// TestAutoCheckNotedAndCleared: a change that may create a meeting notes
// its automatic check with the change; the check clears the note when it
// is done. With automatic creation off nothing is noted.
func TestAutoCheckNotedAndCleared(t *testing.T) {
	t.Parallel()
	e := mtNewEnv(t, mtNewZoom("bob@example.com"))
	ctx := context.Background()
	inc := e.incident(mtBob)
	sev2 := incident.Sev2
	if _, err := e.app.Change(ctx, app.ChangeRequest{Team: mtTeam, Channel: inc.Channel, User: mtAlice, Edit: incident.Edit{Severity: &sev2}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.st.Incident(ctx, inc.Key()); got.AutoCheck != 0 || got.Meeting != nil {
		t.Fatalf("with automatic creation off: AutoCheck %d, meeting %v; want neither", got.AutoCheck, got.Meeting)
	}

	e.settings(autoOn)
	sev3 := incident.Sev3
	if _, err := e.app.Change(ctx, app.ChangeRequest{Team: mtTeam, Channel: inc.Channel, User: mtAlice, Edit: incident.Edit{Severity: &sev3}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Incident(ctx, inc.Key())
	if err != nil || got.Meeting == nil || got.AutoCheck != 0 {
		t.Fatalf("after an automatic meeting: meeting %v, AutoCheck %d, %v; want a meeting and the note cleared", got.Meeting, got.AutoCheck, err)
	}
}

// TestAutoCheckResumedAfterCrash: the process dies while the automatic
// check of a committed change is in Zoom's create call. At start-up the
// claim it left is settled (Zoom made nothing) and the check runs again:
// the incident gets its meeting, once, instead of waiting for the next
// change.
func TestAutoCheckResumedAfterCrash(t *testing.T) {
	t.Parallel()
	z := mtNewZoom("bob@example.com")
	// A creation outlives its request's context, up to ClaimWait: keep
	// the dying one's short.
	e := mtNewEnv(t, z, func(d *app.Deps) { d.ClaimWait = time.Second })
	inc := e.incident(mtBob)
	e.settings(autoOn)
	gate := make(chan struct{})
	z.set(func(z *mtZoom) {
		z.gate["bob@example.com"] = gate
		z.called = make(chan string, 4)
	})

	dying, die := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sev2 := incident.Sev2
		_, _ = e.app.Change(dying, app.ChangeRequest{Team: mtTeam, Channel: inc.Channel, User: mtAlice, Edit: incident.Edit{Severity: &sev2}}) // dies in Zoom's call
	}()
	<-z.called // the create is in flight
	ctx := context.Background()
	if got, err := e.st.Incident(ctx, inc.Key()); err != nil || got.AutoCheck == 0 || got.Severity != incident.Sev2 {
		t.Fatalf("during the check: AutoCheck %d, severity %v, %v; want the change committed with its check noted", got.AutoCheck, got.Severity, err)
	}

	z.set(func(z *mtZoom) { delete(z.gate, "bob@example.com") })
	e.restart() // the old process's store is gone: nothing more it does is kept
	die()
	<-done // its create gave up (ClaimWait); its writes found the store closed
	if err := e.app.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Incident(ctx, inc.Key())
	if err != nil || got.Meeting == nil || got.AutoCheck != 0 || got.Meeting.Trigger != incident.TriggerAutomatic || got.Meeting.HostUser != mtBob {
		t.Fatalf("after start-up: meeting %+v, AutoCheck %d, %v; want bob's automatic meeting and the note cleared", got.Meeting, got.AutoCheck, err)
	}
	if n := len(e.slack.announced); n != 1 {
		t.Errorf("%d announcements; want 1", n)
	}
	if err := e.app.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(z.calls); n != 2 {
		t.Errorf("zoom saw %d creates; want 2 (the one that died, and the one at start-up)", n)
	}
}
