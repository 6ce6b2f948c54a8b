package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/bot"
	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
)

// The incident lifecycle over the real store, the real Poster on fake Slack,
// and no Zoom.

const (
	lcAlice  = incident.UserID("UALICE")
	lcBob    = incident.UserID("UBOB")
	lcDeploy = incident.UserID("UDEPLOY") // a bot
	lcGone   = incident.UserID("UGONE")   // deactivated
	lcOther  = incident.TeamID("TOTHER")  // a second workspace
)

// lcEnv is the app with the store it writes and the Slack it posts to.
type lcEnv struct {
	app   *app.App
	store *store.Store
	slack *fakeslack.Server
	team  incident.TeamID
	path  string
	key   []byte
	clock *lcClock
}

// lcClock is a settable clock.
type lcClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lcClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *lcClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func lcNew(t *testing.T) *lcEnv {
	t.Helper()
	sl := fakeslack.New(fakeslack.Options{Users: []fakeslack.User{
		{ID: fakeslack.UserID(lcAlice), Name: "alice", Email: "alice@example.com", IsAdmin: true},
		{ID: fakeslack.UserID(lcBob), Name: "bob", Email: "bob@example.com"},
		{ID: fakeslack.UserID(lcDeploy), Name: "deploy", IsBot: true},
		{ID: fakeslack.UserID(lcGone), Name: "gone", Deleted: true},
	}})
	t.Cleanup(sl.Close)
	e := &lcEnv{
		slack: sl, team: incident.TeamID(sl.TeamID()), path: filepath.Join(t.TempDir(), "state.db"),
		key: []byte(strings.Repeat("k", store.KeySize)), clock: &lcClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)},
	}
	e.open(t)
	t.Cleanup(func() {
		if err := e.store.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// open opens the store and builds the app on it.
func (e *lcEnv) open(t *testing.T) {
	t.Helper()
	st, err := store.Open(e.path, store.Options{Key: e.key})
	if err != nil {
		t.Fatal(err)
	}
	api := slack.New(e.slack.BotToken(), slack.OptionAPIURL(e.slack.APIURL()))
	e.store = st
	e.app = app.New(app.Deps{Store: st, Slack: bot.NewPoster(api, nil), Zoom: app.NoZoom{}, Log: zerolog.Nop(), Now: e.clock.Now})
}

// reopen closes the store and opens the same file again, as a restart does.
func (e *lcEnv) reopen(t *testing.T) {
	t.Helper()
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	e.open(t)
}

// lcRecorder collects published changes.
type lcRecorder struct {
	mu     sync.Mutex
	events []app.ChangeEvent
}

func (r *lcRecorder) take() []app.ChangeEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// TestLcStreamPublishesEachCommittedChangeOnce: declare, adopt, field edits
// and resolve are each published exactly once, after they are committed;
// edits that change nothing and refused edits are not published.
func TestLcStreamPublishesEachCommittedChangeOnce(t *testing.T) {
	t.Parallel()
	e := lcNew(t)
	ctx := context.Background()
	rec := &lcRecorder{}
	var subErr error
	e.app.Subscribe(func(ctx context.Context, ev app.ChangeEvent) {
		// Published after commit: the store already holds what is published.
		stored, err := e.store.Incident(ctx, ev.Incident.Key())
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if err != nil || stored.Severity != ev.Incident.Severity || stored.Status != ev.Incident.Status ||
			stored.Title != ev.Incident.Title || len(stored.Timeline) != len(ev.Incident.Timeline) {
			subErr = errors.Join(subErr, errors.New("published "+ev.Incident.Number.String()+" before it was committed"))
		}
		rec.events = append(rec.events, ev)
	})
	expect := func(step string, kind incident.EventKind, changes ...incident.Change) app.ChangeEvent {
		t.Helper()
		got := rec.take()
		if len(got) != 1 || got[0].Kind != kind || !slices.Equal(got[0].Changes, changes) {
			t.Fatalf("%s published %+v; want one event of kind %d with changes %v", step, got, kind, changes)
		}
		return got[0]
	}
	none := func(step string) {
		t.Helper()
		if got := rec.take(); len(got) != 0 {
			t.Fatalf("%s published %d events; want none", step, len(got))
		}
	}

	inc, err := e.app.Declare(ctx, app.DeclareRequest{Team: e.team, User: lcAlice, Title: "Stream", Severity: incident.Sev3})
	if err != nil {
		t.Fatal(err)
	}
	if ev := expect("declare", incident.EventDeclared); ev.By != lcAlice || ev.Incident.HeaderTS == "" {
		t.Errorf("declare event %+v; want by alice, with the posted header", ev)
	}
	ch := inc.Channel
	change := func(ed incident.Edit) (app.ChangeResult, error) {
		return e.app.Change(ctx, app.ChangeRequest{Team: e.team, Channel: ch, User: lcBob, Edit: ed})
	}
	sev1, sev3 := incident.Sev1, incident.Sev3

	e.clock.Advance(time.Minute)
	if _, err := change(incident.Edit{Severity: &sev1}); err != nil {
		t.Fatal(err)
	}
	ev := expect("severity", incident.EventChanged, incident.Change{Field: incident.FieldSeverity, Old: "SEV-3", New: "SEV-1"})
	if ev.By != lcBob || ev.Incident.Severity != incident.Sev1 {
		t.Errorf("severity event %+v", ev)
	}

	// Nothing changes: not a change.
	if res, err := change(incident.Edit{Severity: &sev1}); err != nil || len(res.Changes) != 0 || res.Incident.Severity != incident.Sev1 {
		t.Fatalf("same severity: %+v, %v", res, err)
	}
	none("the same severity")
	title, active, no, nobody := "  Stream ", incident.StatusActive, false, incident.UserID("")
	if res, err := change(incident.Edit{Title: &title, Severity: &sev1, Status: &active, CustomerImpact: &no, Commander: &nobody}); err != nil || len(res.Changes) != 0 {
		t.Fatalf("an edit of every field to its value: %+v, %v", res, err)
	}
	none("an edit to the same values")

	// Refused: not published, not stored.
	empty := ""
	for _, c := range []struct {
		name string
		ed   incident.Edit
		ch   incident.ChannelID
	}{
		{"a bot commander", incident.Edit{Commander: lcPtr(lcDeploy), Severity: &sev3}, ch},
		{"a deactivated commander", incident.Edit{Commander: lcPtr(lcGone)}, ch},
		{"an unknown commander", incident.Edit{Commander: lcPtr(incident.UserID("UNOBODY"))}, ch},
		{"an empty title", incident.Edit{Title: &empty, Severity: &sev3}, ch},
		{"another channel", incident.Edit{Severity: &sev3}, "CNOTANINCIDENT"},
	} {
		_, err := e.app.Change(ctx, app.ChangeRequest{Team: e.team, Channel: c.ch, User: lcBob, Edit: c.ed})
		var p *incident.Problem
		var fe incident.FieldErrors
		if !errors.As(err, &p) && !errors.As(err, &fe) {
			t.Errorf("%s: error %v; want a *Problem or FieldErrors for the user", c.name, err)
		}
		none(c.name)
	}

	e.clock.Advance(time.Minute)
	yes := true
	if _, err := change(incident.Edit{Severity: &sev3, CustomerImpact: &yes}); err != nil {
		t.Fatal(err)
	}
	expect("two fields", incident.EventChanged,
		incident.Change{Field: incident.FieldSeverity, Old: "SEV-1", New: "SEV-3"},
		incident.Change{Field: incident.FieldCustomerImpact, Old: "no", New: "yes"})

	e.clock.Advance(time.Minute)
	if _, err := e.app.Resolve(ctx, e.team, ch, lcAlice); err != nil {
		t.Fatal(err)
	}
	expect("resolve", incident.EventChanged, incident.Change{Field: incident.FieldStatus, Old: "active", New: "resolved"})
	if res, err := e.app.Resolve(ctx, e.team, ch, lcAlice); err != nil || len(res.Changes) != 0 {
		t.Fatalf("second resolve: %+v, %v", res, err)
	}
	none("a second resolve")

	room := incident.ChannelID(e.slack.AddChannel("war-room", fakeslack.UserID(lcAlice)))
	adopted, err := e.app.Adopt(ctx, app.AdoptRequest{Team: e.team, User: lcAlice, Channel: room, Title: "Adopted"})
	if err != nil {
		t.Fatal(err)
	}
	if ev := expect("adopt", incident.EventAdopted); ev.Incident.Number != 2 || ev.Incident.Channel != room {
		t.Errorf("adopt event %+v", ev.Incident)
	}
	if _, err := e.app.Adopt(ctx, app.AdoptRequest{Team: e.team, User: lcBob, Channel: room}); err == nil {
		t.Error("adopting an incident channel again succeeded")
	}
	if _, err := e.app.Adopt(ctx, app.AdoptRequest{Team: e.team, User: lcBob, Channel: ch}); err == nil {
		t.Error("adopting a declared incident's channel succeeded")
	}
	none("refused adopts")

	// Channel events are not incident changes.
	if err := e.app.ChannelRenamed(ctx, e.team, room, "war-room-2"); err != nil {
		t.Fatal(err)
	}
	if err := e.app.ChannelArchived(ctx, e.team, room); err != nil {
		t.Fatal(err)
	}
	none("channel events")
	if subErr != nil {
		t.Error(subErr)
	}

	// The timeline says who changed what, from what to what, and when.
	stored, err := e.store.Incident(ctx, inc.Key())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	want := []incident.Event{
		{Kind: incident.EventDeclared, By: lcAlice, At: start},
		{Kind: incident.EventChanged, By: lcBob, At: start.Add(time.Minute), Changes: []incident.Change{{Field: incident.FieldSeverity, Old: "SEV-3", New: "SEV-1"}}},
		{Kind: incident.EventChanged, By: lcBob, At: start.Add(2 * time.Minute), Changes: []incident.Change{
			{Field: incident.FieldSeverity, Old: "SEV-1", New: "SEV-3"}, {Field: incident.FieldCustomerImpact, Old: "no", New: "yes"}}},
		{Kind: incident.EventChanged, By: lcAlice, At: start.Add(3 * time.Minute), Changes: []incident.Change{{Field: incident.FieldStatus, Old: "active", New: "resolved"}}},
	}
	if len(stored.Timeline) != len(want) {
		t.Fatalf("timeline has %d events; want %d: %+v", len(stored.Timeline), len(want), stored.Timeline)
	}
	for i, w := range want {
		g := stored.Timeline[i]
		if g.Kind != w.Kind || g.By != w.By || !g.At.Equal(w.At) || !slices.Equal(g.Changes, w.Changes) {
			t.Errorf("timeline[%d] = %+v; want %+v", i, g, w)
		}
	}
	adoptedStored, err := e.store.Incident(ctx, adopted.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !adoptedStored.ChannelArchived || adoptedStored.ChannelName != "war-room-2" {
		t.Errorf("adopted incident after rename and archive: name %q, archived %v", adoptedStored.ChannelName, adoptedStored.ChannelArchived)
	}
}

// TestLcCheckChangeReportsFieldProblems: the checks a form needs before it
// closes come back on the fields, and save nothing.
func TestLcCheckChangeReportsFieldProblems(t *testing.T) {
	t.Parallel()
	e := lcNew(t)
	ctx := context.Background()
	inc, err := e.app.Declare(ctx, app.DeclareRequest{Team: e.team, User: lcAlice, Title: "Checks", Commander: lcBob})
	if err != nil {
		t.Fatal(err)
	}
	empty := ""
	for _, c := range []struct {
		name  string
		ed    incident.Edit
		field incident.Field
	}{
		{"bot", incident.Edit{Commander: lcPtr(lcDeploy)}, incident.FieldCommander},
		{"deactivated", incident.Edit{Commander: lcPtr(lcGone)}, incident.FieldCommander},
		{"unknown", incident.Edit{Commander: lcPtr(incident.UserID("UNOBODY"))}, incident.FieldCommander},
		{"empty title", incident.Edit{Title: &empty}, incident.FieldTitle},
	} {
		err := e.app.CheckChange(ctx, app.ChangeRequest{Team: e.team, Channel: inc.Channel, User: lcAlice, Edit: c.ed})
		var fe incident.FieldErrors
		if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != string(c.field) || strings.Contains(fe[0].Msg, "<@") {
			t.Errorf("%s: CheckChange = %v; want one plain-text problem on %s", c.name, err, c.field)
		}
	}
	// The current commander, a person, and no commander are fine.
	for _, u := range []incident.UserID{lcBob, lcAlice, ""} {
		if err := e.app.CheckChange(ctx, app.ChangeRequest{Team: e.team, Channel: inc.Channel, User: lcAlice, Edit: incident.Edit{Commander: lcPtr(u)}}); err != nil {
			t.Errorf("commander %q: CheckChange = %v", u, err)
		}
	}
	for u, ok := range map[incident.UserID]bool{lcAlice: true, "": true, lcDeploy: false, lcGone: false, "UNOBODY": false} {
		err := e.app.CheckCommander(ctx, e.team, u)
		var fe incident.FieldErrors
		if ok != (err == nil) || (!ok && (!errors.As(err, &fe) || fe[0].Field != string(incident.FieldCommander))) {
			t.Errorf("CheckCommander(%q) = %v; want ok=%v", u, err, ok)
		}
	}
	var p *incident.Problem
	if err := e.app.CheckChange(ctx, app.ChangeRequest{Team: e.team, Channel: "CELSEWHERE", Edit: incident.Edit{}}); !errors.As(err, &p) {
		t.Errorf("CheckChange outside an incident channel = %v; want the not-an-incident-channel problem", err)
	}
	stored, err := e.store.Incident(ctx, inc.Key())
	if err != nil {
		t.Fatal(err)
	}
	if stored.Commander != lcBob || len(stored.Timeline) != 1 {
		t.Errorf("CheckChange changed the incident: %+v", stored)
	}
}

// TestLcWorkspacesAreSeparate: two workspaces share a database but never
// see, change or list each other's incidents; numbers are per workspace.
func TestLcWorkspacesAreSeparate(t *testing.T) {
	t.Parallel()
	e := lcNew(t)
	ctx := context.Background()
	mine, err := e.app.Declare(ctx, app.DeclareRequest{Team: e.team, User: lcAlice, Title: "Ours", Severity: incident.Sev2})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.app.Declare(ctx, app.DeclareRequest{Team: lcOther, User: lcBob, Title: "Theirs", Severity: incident.Sev1})
	if err != nil {
		t.Fatal(err)
	}
	if mine.Number != 1 || theirs.Number != 1 {
		t.Errorf("numbers %s and %s; want INC-1 in each workspace", mine.Number, theirs.Number)
	}

	for _, c := range []struct {
		team incident.TeamID
		want string
	}{{e.team, "Ours"}, {lcOther, "Theirs"}} {
		list, err := e.app.List(ctx, c.team)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Title != c.want || list[0].Team != c.team {
			t.Errorf("List(%s) = %+v; want only %q", c.team, list, c.want)
		}
	}

	// From the other workspace, our channel is no incident channel.
	sev5 := incident.Sev5
	var p *incident.Problem
	if _, err := e.app.IncidentIn(ctx, lcOther, mine.Channel); !errors.As(err, &p) {
		t.Errorf("IncidentIn from the other workspace = %v; want not an incident channel", err)
	}
	if _, err := e.app.Change(ctx, app.ChangeRequest{Team: lcOther, Channel: mine.Channel, User: lcBob, Edit: incident.Edit{Severity: &sev5}}); !errors.As(err, &p) {
		t.Errorf("Change from the other workspace = %v; want refused", err)
	}
	if _, err := e.app.Resolve(ctx, lcOther, mine.Channel, lcBob); !errors.As(err, &p) {
		t.Errorf("Resolve from the other workspace = %v; want refused", err)
	}
	for _, fn := range []func() error{
		func() error { return e.app.ChannelRenamed(ctx, lcOther, mine.Channel, "hijacked") },
		func() error { return e.app.ChannelArchived(ctx, lcOther, mine.Channel) },
		func() error { return e.app.MemberJoined(ctx, lcOther, mine.Channel, lcBob) },
	} {
		if err := fn(); err != nil {
			t.Errorf("channel event from the other workspace: %v", err)
		}
	}
	stored, err := e.store.Incident(ctx, mine.Key())
	if err != nil {
		t.Fatal(err)
	}
	if stored.Severity != incident.Sev2 || !stored.Open() || stored.ChannelArchived || stored.ChannelName != mine.ChannelName || len(stored.Timeline) != 1 {
		t.Errorf("our incident was touched from the other workspace: %+v", stored)
	}

	// Each workspace changes its own.
	if _, err := e.app.Change(ctx, app.ChangeRequest{Team: lcOther, Channel: theirs.Channel, User: lcBob, Edit: incident.Edit{Severity: &sev5}}); err != nil {
		t.Fatal(err)
	}
	ours, _ := e.app.List(ctx, e.team)
	others, _ := e.app.List(ctx, lcOther)
	if len(ours) != 1 || ours[0].Severity != incident.Sev2 || len(others) != 1 || others[0].Severity != incident.Sev5 {
		t.Errorf("after their change: ours %+v, theirs %+v", ours, others)
	}
}

// TestLcListOrder: open incidents only, most severe first, UNKNOWN last,
// newest first within a severity.
func TestLcListOrder(t *testing.T) {
	t.Parallel()
	e := lcNew(t)
	ctx := context.Background()
	for _, d := range []struct {
		title string
		sev   incident.Severity
	}{{"a", incident.Sev3}, {"b", incident.SevUnknown}, {"c", incident.Sev1}, {"d", incident.Sev3}, {"e", incident.Sev1}} {
		if _, err := e.app.Declare(ctx, app.DeclareRequest{Team: e.team, User: lcAlice, Title: d.title, Severity: d.sev}); err != nil {
			t.Fatal(err)
		}
	}
	e5, err := e.store.Incident(ctx, incident.Key{Team: e.team, Number: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Resolve(ctx, e.team, e5.Channel, lcAlice); err != nil {
		t.Fatal(err)
	}
	list, err := e.app.List(ctx, e.team)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inc := range list {
		got = append(got, inc.Title)
	}
	if want := []string{"c", "d", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("List = %q; want %q", got, want)
	}
}

// TestLcEventsDedupedAcrossRestart: an event ID is acted on once, also
// after the store is closed and opened again.
func TestLcEventsDedupedAcrossRestart(t *testing.T) {
	t.Parallel()
	e := lcNew(t)
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		if first, err := e.app.FirstDelivery(ctx, "T0001/Ev1"); err != nil || first != want {
			t.Fatalf("delivery %d: first = %v, %v; want %v", i+1, first, err, want)
		}
	}
	e.reopen(t)
	if first, err := e.app.FirstDelivery(ctx, "T0001/Ev1"); err != nil || first {
		t.Errorf("after restart: first = %v, %v; want a duplicate", first, err)
	}
	if first, err := e.app.FirstDelivery(ctx, "TOTHER/Ev1"); err != nil || !first {
		t.Errorf("same event ID from another workspace: first = %v, %v; want new", first, err)
	}
}

func lcPtr[T any](v T) *T { return &v }

// TestLcChangeDuringDeclareKeepsOneHeader: a change that arrives while the
// new incident's header is still being posted (Slack is slow to pin it)
// waits for that post, and then updates the header in place: the channel
// has one header, showing the change.
func TestLcChangeDuringDeclareKeepsOneHeader(t *testing.T) {
	t.Parallel()
	e := lcNew(t)
	ctx := context.Background()
	e.slack.DelayNext("pins.add", 300*time.Millisecond)
	declared := make(chan incident.Incident, 1)
	go func() {
		inc, err := e.app.Declare(ctx, app.DeclareRequest{Team: e.team, User: lcAlice, Title: "Slow pin", Severity: incident.Sev3})
		if err != nil {
			t.Error(err)
		}
		declared <- inc
	}()
	var ch incident.ChannelID
	fakeslack.Eventually(t, func() bool { // committed, its header not yet recorded
		incs, err := e.store.OpenIncidents(ctx, e.team)
		if err != nil || len(incs) != 1 {
			return false
		}
		ch = incs[0].Channel
		return incs[0].HeaderTS == ""
	})
	sev1 := incident.Sev1
	if _, err := e.app.Change(ctx, app.ChangeRequest{Team: e.team, Channel: ch, User: lcAlice, Edit: incident.Edit{Severity: &sev1}}); err != nil {
		t.Fatal(err)
	}
	<-declared
	headers := 0
	for _, m := range e.slack.Messages(fakeslack.ChannelID(ch)) {
		if strings.Contains(fakeslack.Text(m), "Declared by") {
			headers++
			if !strings.Contains(fakeslack.Text(m), "SEV-1") {
				t.Errorf("the header does not show the change:\n%s", fakeslack.Text(m))
			}
		}
	}
	if headers != 1 {
		t.Errorf("%d headers in the channel; want one", headers)
	}
}
