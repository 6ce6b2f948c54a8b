package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Issue 3: the whole incident lifecycle in Slack, through the front door.

// lcDeploybot is a bot user of the workspace: it cannot be a commander.
const lcDeploybot = fakeslack.UserID("UDEPLOYBOT")

// TestLifecycleFieldCommands: every field command, with forgiving spellings,
// changes the incident, rewrites the pinned header in place and posts one
// line saying who changed what; repeating a value changes nothing.
func TestLifecycleFieldCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.declare(alice, "Checkout slow", fakeslack.Fields{"Severity": "SEV-3"})
	if err := w.slack.JoinChannel(bob, ch.ID); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		by     fakeslack.UserID
		text   string
		line   string   // the channel line
		header []string // what the header then shows
	}{
		{alice, "severity sev1", "<@UALICE> set severity SEV-3 → SEV-1", []string{"SEV-1"}},
		{alice, "severity 2", "<@UALICE> set severity SEV-1 → SEV-2", []string{"SEV-2"}},
		{bob, "sev Sev-4", "<@UBOB> set severity SEV-2 → SEV-4", []string{"SEV-4"}},
		{alice, "SEVERITY SEV1", "<@UALICE> set severity SEV-4 → SEV-1", []string{"SEV-1"}},
		{alice, "severity sev 5", "<@UALICE> set severity SEV-1 → SEV-5", []string{"SEV-5"}},
		{bob, "status STABLE", "<@UBOB> set status active → stable", []string{"stable"}},
		{alice, "status Active", "<@UALICE> set status stable → active", []string{"active"}},
		{alice, "commander <@UBOB|bob>", "<@UALICE> set commander none → <@UBOB>", []string{"<@UBOB>"}},
		// Slack did not escape it: alice's own name is known without a lookup.
		{alice, "commander @alice", "<@UALICE> set commander <@UBOB> → <@UALICE>", []string{"<@UALICE>"}},
		{bob, "ic me", "<@UBOB> set commander <@UALICE> → <@UBOB>", []string{"<@UBOB>"}},
		{alice, "commander UCAROL", "<@UALICE> set commander <@UBOB> → <@UCAROL>", []string{"<@UCAROL>"}},
		// A plain @name that is someone else's is looked up in users.list.
		{alice, "commander @bob", "<@UALICE> set commander <@UCAROL> → <@UBOB>", []string{"<@UBOB>"}},
		{bob, "commander @carol", "<@UBOB> set commander <@UBOB> → <@UCAROL>", []string{"<@UCAROL>"}},
		{alice, "title Checkout &amp; payments slow", "<@UALICE> set title “Checkout slow” → “Checkout &amp; payments slow”", []string{"INC-1: Checkout & payments slow"}},
		{bob, "impact YES", "<@UBOB> set customer impact no → yes", []string{"*Customer impact*\nyes"}},
		{alice, "impact no", "<@UALICE> set customer impact yes → no", []string{"*Customer impact*\nno"}},
		{alice, "commander none", "<@UALICE> set commander <@UCAROL> → none", []string{"*Commander*\nnone"}},
		{bob, "resolve", "<@UBOB> set status active → resolved", []string{"resolved"}},
	}
	for i, s := range steps {
		w.slack.MustSlash(t, s.by, ch.ID, s.text)
		w.slack.MustWaitMessage(t, ch.ID, s.line)
		lcEventuallyHeader(t, w, ch.ID, s.header...)
		if n := lcCount(w.channelText(ch.ID), " set "); n != i+1 {
			t.Fatalf("after %q the channel has %d change lines; want %d:\n%s", s.text, n, i+1, w.channelText(ch.ID))
		}
	}

	pins := w.slack.Pins(ch.ID)
	if len(pins) != 1 || pins[0].Edited < len(steps) {
		t.Fatalf("pins %d, header edited %d times; want the one header, edited in place at least %d times", len(pins), pins[0].Edited, len(steps))
	}
	if got := fakeslack.Texts(pins[0]); slices.Contains(got, "Resolve") || !slices.Contains(got, "Edit") {
		t.Errorf("resolved header buttons %q; want Edit and no Resolve", got)
	}
	if n := len(w.slack.Messages(ch.ID)); n != len(steps)+1 {
		t.Errorf("channel has %d messages; want the header and %d change lines", n, len(steps))
	}

	// Setting a field to its value is not a change: nothing is posted.
	for _, c := range []struct{ text, want string }{
		{"resolve", "INC-1 is already resolved."},
		{"status resolved", "INC-1 is already resolved."},
		{"severity 5", "INC-1's severity is already SEV-5; nothing changed."},
		{"impact no", "INC-1's customer impact is already no; nothing changed."},
		{"commander none", "INC-1 has no commander; nothing changed."},
		{"title   Checkout &amp; payments slow  ", "INC-1 already has that title; nothing changed."},
	} {
		if got := lcReply(t, w, alice, ch.ID, c.text); !strings.Contains(got, c.want) {
			t.Errorf("%q answered %q; want %q", c.text, got, c.want)
		}
	}
	if n := len(w.slack.Messages(ch.ID)); n != len(steps)+1 {
		t.Errorf("no-op commands posted: the channel has %d messages; want %d", n, len(steps)+1)
	}
	if got := w.slack.Pins(ch.ID)[0].Edited; got != pins[0].Edited {
		t.Errorf("no-op commands rewrote the header (%d edits, was %d)", got, pins[0].Edited)
	}

	// The resolved incident has left the list; reopening brings it back.
	if got := lcReply(t, w, bob, w.general, "list"); !strings.Contains(got, "No open incidents") {
		t.Errorf("list after resolve:\n%s\nwant no open incidents", got)
	}
	w.slack.MustSlash(t, alice, ch.ID, "status active")
	w.slack.MustWaitMessage(t, ch.ID, "<@UALICE> set status resolved → active")
	lcEventuallyHeader(t, w, ch.ID, "active", "Resolve")
	got := lcReply(t, w, bob, w.general, "list")
	for _, want := range []string{"<#" + string(ch.ID) + ">", "INC-1: Checkout &amp; payments slow", "SEV-5 · active · no commander · no meeting"} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %q:\n%s", want, got)
		}
	}

	// The stored timeline has every change: who, what, old → new, when;
	// the no-op commands added nothing.
	w.stop()
	inc := lcStored(t, w, ch.ID)
	if len(inc.Timeline) != len(steps)+2 || inc.Timeline[0].Kind != incident.EventDeclared {
		t.Fatalf("timeline has %d events; want declared, %d changes and the reopening: %+v", len(inc.Timeline), len(steps), inc.Timeline)
	}
	first, last := inc.Timeline[1], inc.Timeline[len(inc.Timeline)-1]
	if first.Kind != incident.EventChanged || first.By != incident.UserID(alice) || first.At.IsZero() ||
		!slices.Equal(first.Changes, []incident.Change{{Field: incident.FieldSeverity, Old: "SEV-3", New: "SEV-1"}}) {
		t.Errorf("first change %+v; want alice's SEV-3 → SEV-1, timed", first)
	}
	if !slices.Equal(last.Changes, []incident.Change{{Field: incident.FieldStatus, Old: "resolved", New: "active"}}) || last.At.Before(first.At) {
		t.Errorf("last change %+v; want resolved → active, after the first", last)
	}
}

// TestLifecycleConcurrentChanges: changes made at the same moment all land,
// each posts its line, and the header ends up showing all of them.
func TestLifecycleConcurrentChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.declare(alice, "Race", fakeslack.Fields{"Severity": "SEV-4"})
	if err := w.slack.JoinChannel(bob, ch.ID); err != nil {
		t.Fatal(err)
	}
	cmds := []struct {
		by   fakeslack.UserID
		text string
	}{
		{alice, "severity 1"}, {bob, "status stable"}, {alice, "impact yes"},
		{bob, "title Race to the top"}, {alice, "commander <@UBOB|bob>"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, len(cmds))
	var wg sync.WaitGroup
	for _, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.slack.SlashCommand(ctx, c.by, ch.ID, c.text)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range []string{"severity SEV-4 → SEV-1", "status active → stable", "customer impact no → yes", "title “Race” → “Race to the top”", "commander none → <@UBOB>"} {
		w.slack.MustWaitMessage(t, ch.ID, line)
	}
	lcEventuallyHeader(t, w, ch.ID, "INC-1: Race to the top", "SEV-1", "stable", "<@UBOB>", "*Customer impact*\nyes")
	if pins := w.slack.Pins(ch.ID); len(pins) != 1 {
		t.Errorf("%d pinned messages; want the header alone", len(pins))
	}
}

// TestLifecycleBadInput: a rejected command says what is accepted and
// changes nothing: not the header, not the channel, not its members.
func TestLifecycleBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.slack.AddUser(fakeslack.User{ID: lcDeploybot, Name: "deploybot", RealName: "Deploy Bot", IsBot: true})
	ch := w.declare(alice, "Stays put", fakeslack.Fields{"Severity": "SEV-3", "Commander": string(alice)})
	header := w.header(ch.ID)
	messages := len(w.slack.Messages(ch.ID))
	members := w.slack.Members(ch.ID)

	for _, c := range []struct{ text, want string }{
		{"severity SEV-9", "Use one of SEV-1, SEV-2, SEV-3, SEV-4, SEV-5"},
		{"severity critical", "\"critical\" is not a severity. Use one of SEV-1, SEV-2, SEV-3, SEV-4, SEV-5"},
		{"severity", "Levels are SEV-1, SEV-2, SEV-3, SEV-4 and SEV-5"},
		{"severity 0", "Use one of SEV-1"},
		{"status closed", "\"closed\" is not a status. Use one of active, stable, resolved."},
		{"status", "Statuses are active, stable and resolved"},
		{"impact maybe", "Use yes or no"},
		{"impact", "`/incident impact yes` or `/incident impact no`"},
		{"commander", "Name the commander with a mention"},
		{"commander bob and carol", "Name the commander with a mention"},
		{"commander <#C123|general>", "Name the commander with a mention"},
		{"commander <@UNOBODY|ghost>", "<@UNOBODY> is not a user in this workspace"},
		{"commander <@UDEPLOYBOT|deploybot>", "<@UDEPLOYBOT> cannot be the commander"},
		// A name Slack did not turn into a mention, and that is not the
		// caller's own, is looked up (users.list); nobody by that name
		// gets an answer that says how to mention.
		{"commander @zed", "Nobody in this workspace is called @zed. Mention the commander instead"},
		{"title", "The title is empty"},
		{"title    ", "The title is empty"},
		{"title " + strings.Repeat("x", incident.MaxTitle+1), "The title is 121 characters; keep it to 120."},
		{"adopt", "already an incident channel"},
		{"adopt Something else", "already an incident channel"},
	} {
		got := lcReply(t, w, alice, ch.ID, c.text)
		if !strings.Contains(got, c.want) {
			t.Errorf("%q answered %q; want %q", c.text, got, c.want)
		}
		if h := w.header(ch.ID); h != header {
			t.Fatalf("%q changed the header:\n%s", c.text, h)
		}
		if n := len(w.slack.Messages(ch.ID)); n != messages {
			t.Fatalf("%q posted in the channel:\n%s", c.text, w.channelText(ch.ID))
		}
	}
	if got := w.slack.Members(ch.ID); !slices.Equal(got, members) {
		t.Errorf("members changed from %v to %v", members, got)
	}
	if incs := lcReply(t, w, bob, w.general, "list"); lcCount(incs, "INC-") != 1 || !strings.Contains(incs, "SEV-3 · active · commander <@UALICE>") {
		t.Errorf("list after rejected commands:\n%s\nwant INC-1 as declared", incs)
	}

	// Incident commands outside an incident channel say so and how to
	// declare one; nothing is posted there and no modal opens.
	generalMessages := len(w.slack.Messages(w.general))
	for _, text := range []string{"severity sev1", "status stable", "commander <@UBOB|bob>", "commander me", "title New title", "impact yes", "resolve", "edit"} {
		got := lcReply(t, w, bob, w.general, text)
		if !strings.Contains(got, "This is not an incident channel") || !strings.Contains(got, "/incident declare") {
			t.Errorf("%q outside an incident channel answered %q", text, got)
		}
	}
	if n := len(w.slack.Messages(w.general)); n != generalMessages {
		t.Errorf("commands outside an incident channel posted there:\n%s", w.channelText(w.general))
	}
	if v := w.slack.Views(bob); len(v) != 0 {
		t.Errorf("edit outside an incident channel opened %d views", len(v))
	}
}

// TestLifecycleEditModal: /incident edit and the header's Edit button open
// the same modal at the incident's values; saving changes every field at
// once, as the commands would; invalid fields are shown on the field and
// save nothing; Resolve resolves.
func TestLifecycleEditModal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.slack.AddUser(fakeslack.User{ID: lcDeploybot, Name: "deploybot", RealName: "Deploy Bot", IsBot: true})
	// Declaring with a bot as commander is refused on the field, with the
	// form still open, and creates nothing.
	w.slack.MustSlash(t, alice, w.general, "declare Bots command")
	w.slack.MustWaitView(t, alice, "Declare incident")
	res := w.slack.MustSubmit(t, alice, "Declare incident", fakeslack.Fields{"Commander": string(lcDeploybot)})
	if !strings.Contains(res.Errors["Commander"], "bots and deactivated accounts cannot be the commander") || res.Closed {
		t.Fatalf("a bot as commander was not refused on the Declare form's field: %+v", res)
	}
	if err := w.slack.CloseView(context.Background(), alice, "Declare incident"); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.slack.ChannelByName("inc-1-bots-command"); ok {
		t.Fatal("a refused declare created a channel")
	}

	ch := w.declare(alice, "Edit me", fakeslack.Fields{"Severity": "SEV-3"})

	w.slack.MustSlash(t, alice, ch.ID, "edit")
	v := w.slack.MustWaitView(t, alice, "Edit incident")
	for label, want := range map[string]any{"Title": "Edit me", "Severity": "SEV-3", "Status": "active", "Customer impact": "No"} {
		if in, ok := v.Input(label); !ok || in.Initial != want {
			t.Errorf("edit modal %q starts at %v; want %v", label, in.Initial, want)
		}
	}
	res = w.slack.MustSubmit(t, alice, "Edit incident", fakeslack.Fields{
		"Title": "Edited title", "Severity": "SEV-1", "Status": "stable", "Commander": string(bob),
		"Customer impact": "Yes", "Description": "Card payments fail at the last step",
	})
	if len(res.Errors) > 0 || !res.Closed {
		t.Fatalf("edit modal refused: %+v", res)
	}
	w.slack.MustWaitMessage(t, ch.ID, "<@UALICE> set title “Edit me” → “Edited title”, severity SEV-3 → SEV-1, status active → stable, commander none → <@UBOB> and customer impact no → yes and updated the description")
	lcEventuallyHeader(t, w, ch.ID, "INC-1: Edited title", "SEV-1", "stable", "<@UBOB>", "*Customer impact*\nyes", "Card payments fail at the last step")
	if !containsUser(w.slack.Members(ch.ID), bob) {
		t.Error("the new commander was not invited")
	}
	messages := len(w.slack.Messages(ch.ID))

	// The header's Edit button opens the modal at the new values.
	w.slack.MustClick(t, bob, ch.ID, "Edit")
	v = w.slack.MustWaitView(t, bob, "Edit incident")
	for label, want := range map[string]any{"Title": "Edited title", "Severity": "SEV-1", "Status": "stable", "Commander": string(bob), "Customer impact": "Yes"} {
		if in, ok := v.Input(label); !ok || in.Initial != want {
			t.Errorf("Edit button modal %q starts at %v; want %v", label, in.Initial, want)
		}
	}
	// An invalid field is shown on it and nothing is saved.
	res = w.slack.MustSubmit(t, bob, "Edit incident", fakeslack.Fields{"Title": "   ", "Severity": "SEV-2"})
	if res.Errors["Title"] == "" || res.Closed {
		t.Fatalf("a blank title was not refused on its field: %+v", res)
	}
	// Saving it unchanged changes nothing.
	res = w.slack.MustSubmit(t, bob, "Edit incident", fakeslack.Fields{"Title": "Edited title"})
	if len(res.Errors) > 0 || !res.Closed {
		t.Fatalf("unchanged edit refused: %+v", res)
	}
	// A bot as commander is refused, and nothing is saved.
	w.slack.MustClick(t, bob, ch.ID, "Edit")
	w.slack.MustWaitView(t, bob, "Edit incident")
	res = w.slack.MustSubmit(t, bob, "Edit incident", fakeslack.Fields{"Commander": string(lcDeploybot), "Severity": "SEV-2"})
	if !strings.Contains(res.Errors["Commander"], "bots and deactivated accounts cannot be the commander") || res.Closed {
		t.Fatalf("a bot as commander was not refused on its field, with the modal open: %+v", res)
	}
	// Fixed in the same modal, it saves.
	res = w.slack.MustSubmit(t, bob, "Edit incident", fakeslack.Fields{"Commander": string(bob), "Severity": "SEV-1"})
	if len(res.Errors) > 0 || !res.Closed {
		t.Fatalf("the corrected edit was refused: %+v", res)
	}
	// A real change after those proves they posted nothing.
	w.slack.MustSlash(t, bob, ch.ID, "impact no")
	w.slack.MustWaitMessage(t, ch.ID, "<@UBOB> set customer impact yes → no")
	if n := len(w.slack.Messages(ch.ID)); n != messages+1 {
		t.Errorf("channel has %d messages; want %d (the refused and unchanged edits post nothing):\n%s", n, messages+1, w.channelText(ch.ID))
	}
	lcEventuallyHeader(t, w, ch.ID, "SEV-1", "<@UBOB>", "*Customer impact*\nno")

	// Resolve, from the header.
	w.slack.MustClick(t, bob, ch.ID, "Resolve")
	w.slack.MustWaitMessage(t, ch.ID, "<@UBOB> set status stable → resolved")
	lcEventuallyHeader(t, w, ch.ID, "resolved")
	pins := w.slack.Pins(ch.ID)
	if len(pins) != 1 || pins[0].Edited < 3 {
		t.Fatalf("%d pins, header edited %d times; want one header updated in place", len(pins), pins[0].Edited)
	}
	if slices.Contains(fakeslack.Texts(pins[0]), "Resolve") {
		t.Error("the resolved header still has a Resolve button")
	}
	// Editing a resolved incident through the modal reopens it the same way.
	w.slack.MustClick(t, alice, ch.ID, "Edit")
	w.slack.MustWaitView(t, alice, "Edit incident")
	w.slack.MustSubmit(t, alice, "Edit incident", fakeslack.Fields{"Status": "active"})
	w.slack.MustWaitMessage(t, ch.ID, "<@UALICE> set status resolved → active")
	lcEventuallyHeader(t, w, ch.ID, "active", "Resolve")
}

// TestLifecycleAdopt: adopt turns the current channel into an incident
// channel with its header, and refuses a channel that already is one.
func TestLifecycleAdopt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	room := w.slack.AddChannel("payments-war-room", alice, bob)

	// A title that is too long is refused before the bot even joins.
	if got := lcReply(t, w, alice, room, "adopt "+strings.Repeat("y", incident.MaxTitle+5)); !strings.Contains(got, "keep it to 120") {
		t.Errorf("long adopt title answered %q", got)
	}
	if containsUser(w.slack.Members(room), w.slack.BotUserID()) {
		t.Error("a refused adopt joined the channel")
	}

	w.slack.MustSlash(t, alice, room, "adopt Payments latency")
	w.eventuallySaw(alice, "This channel is now INC-1: Payments latency")
	if !containsUser(w.slack.Members(room), w.slack.BotUserID()) {
		t.Error("the bot did not join the adopted channel")
	}
	h := w.header(room)
	for _, want := range []string{"INC-1: Payments latency", "UNKNOWN", "active", "Create Zoom Meeting", "Edit", "Resolve"} {
		if !strings.Contains(h, want) {
			t.Errorf("adopted header lacks %q:\n%s", want, h)
		}
	}

	if got := lcReply(t, w, bob, room, "adopt Again"); !strings.Contains(got, "already an incident channel") {
		t.Errorf("second adopt answered %q", got)
	}
	if n := len(w.slack.Pins(room)); n != 1 {
		t.Errorf("%d pinned headers after a refused adopt; want 1", n)
	}

	// The adopted channel takes the field commands.
	w.slack.MustSlash(t, bob, room, "severity 2")
	w.slack.MustWaitMessage(t, room, "<@UBOB> set severity UNKNOWN → SEV-2")
	lcEventuallyHeader(t, w, room, "SEV-2")

	// Without a title the channel's name is the title.
	db := w.slack.AddChannel("db-outage", bob)
	w.slack.MustSlash(t, bob, db, "adopt")
	w.eventuallySaw(bob, "This channel is now INC-2: db-outage")
	lcEventuallyHeader(t, w, db, "INC-2: db-outage")

	got := lcReply(t, w, carol, w.general, "list")
	if i, j := strings.Index(got, "INC-1: Payments latency"), strings.Index(got, "INC-2: db-outage"); i < 0 || j < 0 || i > j {
		t.Errorf("list:\n%s\nwant INC-1 (SEV-2) before INC-2 (UNKNOWN)", got)
	}
	for _, want := range []string{"<#" + string(room) + ">", "<#" + string(db) + ">"} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks the channel link %s:\n%s", want, got)
		}
	}
	next := w.declare(alice, "After adoption", fakeslack.Fields{})
	if next.Name != "inc-3-after-adoption" {
		t.Errorf("declared after two adoptions: channel %q; want inc-3-after-adoption", next.Name)
	}
}

// TestLifecycleList: open incidents only, most severe first (UNKNOWN last),
// each with its channel, severity, status, commander and meeting link.
func TestLifecycleList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	low := w.declare(alice, "Low thing", fakeslack.Fields{"Severity": "SEV-3"})
	big := w.declare(alice, "Big outage", fakeslack.Fields{"Severity": "SEV-1", "Commander": string(bob)})
	unknown := w.declare(bob, "Unknown thing", fakeslack.Fields{})
	mid := w.declare(alice, "Middle", fakeslack.Fields{"Severity": "SEV-2"})
	done := w.declare(alice, "Done already", fakeslack.Fields{"Severity": "SEV-1"})
	w.slack.MustClick(t, alice, done.ID, "Resolve")
	w.slack.MustWaitMessage(t, done.ID, "set status active → resolved")
	w.slack.MustClick(t, bob, big.ID, "Create Zoom Meeting")
	w.eventuallySaw(bob, "Start as host")
	join := w.zoom.Meetings()[0].JoinURL

	got := lcReply(t, w, carol, w.general, "list")
	want := []string{
		"<#" + string(big.ID) + "> *INC-2: Big outage*\nSEV-1 · active · commander <@UBOB> · <" + join + "|join meeting>",
		"<#" + string(mid.ID) + "> *INC-4: Middle*\nSEV-2 · active · no commander · no meeting",
		"<#" + string(low.ID) + "> *INC-1: Low thing*\nSEV-3 · active · no commander · no meeting",
		"<#" + string(unknown.ID) + "> *INC-3: Unknown thing*\nUNKNOWN · active · no commander · no meeting",
	}
	last := -1
	for _, line := range want {
		i := strings.Index(got, line)
		if i < 0 || i < last {
			t.Fatalf("list:\n%s\nwant, in this order:\n%s", got, strings.Join(want, "\n"))
		}
		last = i
	}
	if strings.Contains(got, "INC-5") || !strings.Contains(got, "Open incidents (4)") {
		t.Errorf("list:\n%s\nwant 4 open incidents and not the resolved INC-5", got)
	}
}

// TestLifecycleChannelEvents: joining an incident channel with a meeting
// shows the joiner its link; a rename is stored; events are acted on once,
// even when Slack redelivers them after a restart.
func TestLifecycleChannelEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.declare(alice, "Joiners", fakeslack.Fields{"Severity": "SEV-2"})
	quiet := w.declare(alice, "No meeting here", fakeslack.Fields{})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Start as host")
	join := w.zoom.Meetings()[0].JoinURL

	if err := w.slack.JoinChannel(carol, ch.ID); err != nil {
		t.Fatal(err)
	}
	w.eventuallySaw(carol, join)
	eventID := lcWaitLog(t, w, "event handled", map[string]string{"event": "member_joined_channel", "channel": string(ch.ID), "user": string(carol)})["event_id"].(string)
	if n := lcEphemeralsWith(w, carol, join); n != 1 {
		t.Fatalf("carol was shown the link %d times; want once", n)
	}

	// No meeting, no message.
	if err := w.slack.JoinChannel(carol, quiet.ID); err != nil {
		t.Fatal(err)
	}
	lcWaitLog(t, w, "event handled", map[string]string{"event": "member_joined_channel", "channel": string(quiet.ID), "user": string(carol)})
	for _, e := range w.slack.Ephemerals(carol) {
		if e.Channel == quiet.ID {
			t.Errorf("joining an incident channel without a meeting showed %q", e.Text)
		}
	}

	// Slack redelivers: once in this process, once after a restart.
	if err := w.slack.Redeliver(eventID, 1); err != nil {
		t.Fatal(err)
	}
	lcWaitLog(t, w, "duplicate event ignored", map[string]string{"event_id": eventID, "retry_attempt": "1"})
	w.restart()
	if err := w.slack.Redeliver(eventID, 2); err != nil {
		t.Fatal(err)
	}
	lcWaitLog(t, w, "duplicate event ignored", map[string]string{"event_id": eventID, "retry_attempt": "2"})
	if n := lcEphemeralsWith(w, carol, join); n != 1 {
		t.Errorf("after redeliveries carol was shown the link %d times; want once", n)
	}
	// A new join after the restart is a new event, and is acted on.
	if err := w.slack.JoinChannel(bob, ch.ID); err != nil {
		t.Fatal(err)
	}
	w.eventuallySaw(bob, join)

	// A rename is stored (and is not an incident change: nothing posted).
	messages := len(w.slack.Messages(ch.ID))
	if err := w.slack.RenameChannel(ch.ID, "inc-1-joiners-renamed"); err != nil {
		t.Fatal(err)
	}
	lcWaitLog(t, w, "incident channel renamed", map[string]string{"channel": string(ch.ID)})
	if n := len(w.slack.Messages(ch.ID)); n != messages {
		t.Errorf("a rename posted in the channel:\n%s", w.channelText(ch.ID))
	}
	w.stop()
	inc := lcStored(t, w, ch.ID)
	if inc.ChannelName != "inc-1-joiners-renamed" {
		t.Errorf("stored channel name %q after the rename", inc.ChannelName)
	}
	if last := inc.Timeline[len(inc.Timeline)-1]; last.Kind != incident.EventChannelRenamed || last.Note != "inc-1-joiners → inc-1-joiners-renamed" {
		t.Errorf("last timeline event %+v; want the rename", last)
	}
}

// TestLifecycleArchivedChannel: once an incident's channel is archived the
// app posts nothing there and creates no meeting for it, even when a change
// would otherwise create one automatically; the change itself is kept.
func TestLifecycleArchivedChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.declare(alice, "Archive me", fakeslack.Fields{"Severity": "SEV-3", "Commander": string(bob)})
	header := w.header(ch.ID)

	// Automatic creation on, for any change.
	w.slack.MustSlash(t, alice, w.general, "settings")
	w.slack.MustWaitView(t, alice, "Incident settings")
	if res := w.slack.MustSubmit(t, alice, "Incident settings", fakeslack.Fields{"Automatically create Zoom meetings": true}); len(res.Errors) > 0 {
		t.Fatalf("settings refused: %v", res.Errors)
	}

	// Alice opens the edit modal, then someone archives the channel.
	w.slack.MustClick(t, alice, ch.ID, "Edit")
	w.slack.MustWaitView(t, alice, "Edit incident")
	if err := w.slack.ArchiveChannel(ch.ID, bob); err != nil {
		t.Fatal(err)
	}
	lcWaitLog(t, w, "incident channel archived", map[string]string{"channel": string(ch.ID)})
	since := len(w.slack.Calls(""))

	res := w.slack.MustSubmit(t, alice, "Edit incident", fakeslack.Fields{"Severity": "SEV-1", "Customer impact": "Yes"})
	if len(res.Errors) > 0 {
		t.Fatalf("edit refused: %v", res.Errors)
	}
	lcWaitLog(t, w, "incident changed", map[string]string{"incident": "INC-1"})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "channel is archived, so no meeting is created")

	// A control incident in a live channel does get its automatic meeting.
	control := w.declare(alice, "Control", fakeslack.Fields{"Commander": string(bob)})
	defer func() {
		if t.Failed() {
			t.Log(w.logs.String())
		}
	}()
	w.slack.MustWaitMessage(t, control.ID, "was created automatically")

	for _, c := range w.slack.Calls("")[since:] {
		if c.Params.Get("channel") == string(ch.ID) {
			t.Errorf("after the archive the app called %s on the archived channel (error %q)", c.Method, c.Error)
		}
	}
	if h := w.header(ch.ID); h != header {
		t.Errorf("the archived channel's header changed:\n%s", h)
	}
	if n := len(w.zoom.Meetings()); n != 1 {
		t.Errorf("zoom has %d meetings; want only the control incident's", n)
	}
	got := lcReply(t, w, carol, w.general, "list")
	for _, want := range []string{"*INC-1: Archive me*\nSEV-1 · active · commander <@UBOB> · no meeting", "*INC-2: Control*"} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %q:\n%s", want, got)
		}
	}

	// Restored, the channel is live again: changes post there and the
	// automatic meeting follows.
	if err := w.slack.UnarchiveChannel(ch.ID, bob); err != nil {
		t.Fatal(err)
	}
	lcWaitLog(t, w, "incident channel unarchived", map[string]string{"channel": string(ch.ID)})
	w.slack.MustSlash(t, bob, ch.ID, "status stable")
	w.slack.MustWaitMessage(t, ch.ID, "<@UBOB> set status active → stable")
	w.slack.MustWaitMessage(t, ch.ID, "was created automatically")
	lcEventuallyHeader(t, w, ch.ID, "SEV-1", "stable", "Join Zoom Meeting")
}

// lcReply runs a slash command and returns what user was shown in answer,
// in the ack or later.
func lcReply(t *testing.T, w *world, user fakeslack.UserID, ch fakeslack.ChannelID, text string) string {
	t.Helper()
	before := len(w.slack.Ephemerals(user))
	w.slack.MustSlash(t, user, ch, text)
	fakeslack.Eventually(t, func() bool { return len(w.slack.Ephemerals(user)) > before })
	var b strings.Builder
	for _, e := range w.slack.Ephemerals(user)[before:] {
		b.WriteString(strings.Join(fakeslack.EphemeralTexts(e), "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

// lcEventuallyHeader waits until the pinned header shows every want.
func lcEventuallyHeader(t *testing.T, w *world, ch fakeslack.ChannelID, want ...string) {
	t.Helper()
	ok := func() bool {
		pins := w.slack.Pins(ch)
		if len(pins) != 1 {
			return false
		}
		h := fakeslack.Text(pins[0])
		for _, s := range want {
			if !strings.Contains(h, s) {
				return false
			}
		}
		return true
	}
	fakeslack.Eventually(lcFailer{t, func() string {
		return "header never showed " + strings.Join(want, ", ") + ":\n" + w.header(ch)
	}}, ok)
}

// lcFailer adds detail to a failed wait.
type lcFailer struct {
	t      *testing.T
	detail func() string
}

func (f lcFailer) Helper() { f.t.Helper() }

func (f lcFailer) Fatalf(format string, args ...any) {
	f.t.Helper()
	f.t.Fatalf(format+"\n%s", append(args, f.detail())...)
}

// lcCount counts the occurrences of sub in s.
func lcCount(s, sub string) int { return strings.Count(s, sub) }

// lcEphemeralsWith counts what user was shown privately that contains sub.
func lcEphemeralsWith(w *world, user fakeslack.UserID, sub string) int {
	n := 0
	for _, e := range w.slack.Ephemerals(user) {
		if strings.Contains(strings.Join(fakeslack.EphemeralTexts(e), "\n"), sub) {
			n++
		}
	}
	return n
}

// lcWaitLog waits for a log line with message msg and the given fields
// (compared as text) and returns it.
func lcWaitLog(t *testing.T, w *world, msg string, fields map[string]string) map[string]any {
	t.Helper()
	var found map[string]any
	fakeslack.Eventually(lcFailer{t, func() string { return "no log line " + msg + " with " + lcLogText(fields) }}, func() bool {
		for _, line := range strings.Split(w.logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) != nil || m["message"] != msg {
				continue
			}
			match := true
			for k, v := range fields {
				if got, ok := m[k]; !ok || lcLogText(got) != v {
					match = false
					break
				}
			}
			if match {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

func lcLogText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v) // a decoded JSON value always marshals
	return string(b)
}

// lcStored reads the channel's incident from the database of a stopped app.
func lcStored(t *testing.T, w *world, ch fakeslack.ChannelID) incident.Incident {
	t.Helper()
	st, closeStore := w.openStore()
	defer closeStore()
	inc, err := st.IncidentByChannel(context.Background(), incident.TeamID(w.slack.TeamID()), incident.ChannelID(ch))
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// TestLifecycleHeaderRecoversFromSlackFailures: a header Slack refused at
// declare is posted (and pinned) by the next change; a header posted but
// not pinned is still updated in place, never posted twice.
func TestLifecycleHeaderRecoversFromSlackFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	w.slack.FailNext("chat.postMessage", 1, "internal_error")
	w.slack.MustSlash(t, alice, w.general, "declare Header lost")
	w.slack.MustWaitView(t, alice, "Declare incident")
	w.slack.MustSubmit(t, alice, "Declare incident", fakeslack.Fields{"Severity": "SEV-3"})
	ch := w.slack.MustWaitChannel(t, "inc-1-header-lost")
	w.eventuallySaw(alice, "Declared INC-1: Header lost")
	if n := len(w.slack.Messages(ch.ID)); n != 0 {
		t.Fatalf("%d messages in the channel; want none (Slack refused the header)", n)
	}
	w.slack.MustSlash(t, alice, ch.ID, "severity 2")
	w.slack.MustWaitMessage(t, ch.ID, "<@UALICE> set severity SEV-3 → SEV-2")
	lcEventuallyHeader(t, w, ch.ID, "INC-1: Header lost", "SEV-2")

	w.slack.FailNext("pins.add", 1, "internal_error")
	w.slack.MustSlash(t, alice, w.general, "declare Pin lost")
	w.slack.MustWaitView(t, alice, "Declare incident")
	w.slack.MustSubmit(t, alice, "Declare incident", fakeslack.Fields{"Severity": "SEV-3"})
	ch2 := w.slack.MustWaitChannel(t, "inc-2-pin-lost")
	w.eventuallySaw(alice, "Declared INC-2: Pin lost")
	w.slack.MustSlash(t, alice, ch2.ID, "severity 1")
	w.slack.MustWaitMessage(t, ch2.ID, "<@UALICE> set severity SEV-3 → SEV-1")
	fakeslack.Eventually(t, func() bool {
		for _, m := range w.slack.Messages(ch2.ID) {
			if strings.Contains(fakeslack.Text(m), "INC-2: Pin lost") && strings.Contains(fakeslack.Text(m), "SEV-1") {
				return m.Edited == 1
			}
		}
		return false
	})
	if headers := lcCount(w.channelText(ch2.ID), "Declared by"); headers != 1 {
		t.Errorf("%d headers in the channel; want the one, updated in place:\n%s", headers, w.channelText(ch2.ID))
	}
}
