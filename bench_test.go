package main

// Benchmarks of the whole app through the fakes (issues 2, 3 and 4). They
// run only with -bench; docs/benchmarks.md has the commands and results.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

// bnLimit bounds every wait in the benchmarks.
const bnLimit = 60 * time.Second

// bnLab is one benchmark set-up: fake Slack and fake Zoom on loopback and
// either the real app (main's run) or the bare baseline bot connected to
// them. Its users are the end-to-end tests' alice, bob and carol.
type bnLab struct {
	tb      testing.TB
	slack   *fakeslack.Server
	zoom    *fakezoom.Server
	general fakeslack.ChannelID
	stop    func()
}

// bnNewLab starts the fakes; call startApp or startBaseline next.
func bnNewLab(tb testing.TB) *bnLab {
	tb.Helper()
	sl := fakeslack.New(fakeslack.Options{Users: []fakeslack.User{
		{ID: alice, Name: "alice", RealName: "Alice Admin", Email: "alice@example.com", IsAdmin: true},
		{ID: bob, Name: "bob", RealName: "Bob", Email: "bob@example.com"},
		{ID: carol, Name: "carol", RealName: "Carol", Email: "carol@example.com"},
	}})
	tb.Cleanup(sl.Close)
	zm := fakezoom.New(fakezoom.Options{Users: []fakezoom.User{
		{ID: "zalice", Email: "alice@example.com", Role: "Owner", CanHost: true, Type: 2, Status: "active"},
		{ID: "zbob", Email: "bob@example.com", Role: "Member", CanHost: true, Type: 2, Status: "active"},
	}})
	tb.Cleanup(zm.Close)
	l := &bnLab{tb: tb, slack: sl, zoom: zm, stop: func() {}}
	l.general = sl.AddChannel("general", alice, bob, carol)
	tb.Cleanup(func() { l.stop() })
	return l
}

// startApp runs the app as production does (logs at info, discarded
// here) and waits for Socket Mode.
func (l *bnLab) startApp() {
	l.tb.Helper()
	key := make([]byte, config.KeySize)
	if _, err := rand.Read(key); err != nil {
		l.tb.Fatal(err)
	}
	cfg := config.Config{
		SlackAppToken: config.Secret(l.slack.AppToken()), SlackBotToken: config.Secret(l.slack.BotToken()), SlackAPIURL: l.slack.APIURL(),
		ZoomClientID: l.zoom.ClientID(), ZoomClientSecret: config.Secret(l.zoom.ClientSecret()), ZoomAccountID: l.zoom.AccountID(),
		ZoomAPIURL: l.zoom.APIURL(), ZoomOAuthURL: l.zoom.OAuthURL(),
		HTTPAddr: "127.0.0.1:0", DBPath: filepath.Join(l.tb.TempDir(), "bench.db"), EncryptionKey: config.Secret(key),
		BackupInterval: time.Hour, BackupKeep: 1, LogLevel: "info", LogFormat: "json",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{}, 1)
	go func() {
		done <- run(ctx, cfg, zerolog.New(io.Discard).Level(zerolog.InfoLevel), func(string) { started <- struct{}{} })
	}()
	var once sync.Once
	l.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				l.tb.Errorf("run returned %v", err)
			}
		})
	}
	select {
	case <-started:
	case err := <-done:
		l.tb.Fatalf("app did not start: %v", err)
	case <-time.After(10 * time.Second):
		l.tb.Fatal("app did not start in 10 s")
	}
	l.slack.MustWaitConnected(l.tb)
}

// startBaseline connects the judges' baseline: a bare slack-go Socket Mode
// bot (socketmode.New and one loop) that acks every envelope at once and
// does nothing else.
func (l *bnLab) startBaseline() {
	l.tb.Helper()
	api := slack.New(l.slack.BotToken(), slack.OptionAPIURL(l.slack.APIURL()), slack.OptionAppLevelToken(l.slack.AppToken()))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := sm.RunContext(gctx); err != nil && gctx.Err() == nil {
			return err
		}
		return nil
	})
	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case evt := <-sm.Events:
				if evt.Request != nil {
					if err := sm.Ack(*evt.Request); err != nil {
						return fmt.Errorf("baseline ack: %w", err)
					}
				}
			}
		}
	})
	var once sync.Once
	l.stop = func() {
		once.Do(func() {
			cancel()
			if err := g.Wait(); err != nil {
				l.tb.Errorf("baseline bot: %v", err)
			}
		})
	}
	l.slack.MustWaitConnected(l.tb)
}

// bnIncident is a declared incident: its channel and pinned header.
type bnIncident struct {
	ch       fakeslack.ChannelID
	headerTS string
}

// declare declares an incident through the modal as alice, with a title
// unique in the workspace, and waits for its pinned header.
func (l *bnLab) declare(title string, fields fakeslack.Fields) bnIncident {
	l.tb.Helper()
	l.slack.MustSlash(l.tb, alice, l.general, "declare "+title)
	l.slack.MustWaitView(l.tb, alice, "Declare incident")
	if res := l.slack.MustSubmit(l.tb, alice, "Declare incident", fields); len(res.Errors) > 0 {
		l.tb.Fatalf("declare refused: %v", res.Errors)
	}
	suffix := "-" + slugOf(title)
	var inc bnIncident
	l.poll("header of "+title, func() bool {
		for _, c := range l.slack.Channels() {
			if strings.HasSuffix(c.Name, suffix) {
				if pins := l.slack.Pins(c.ID); len(pins) == 1 {
					inc = bnIncident{ch: c.ID, headerTS: pins[0].TS}
					return true
				}
			}
		}
		return false
	})
	// The declaration ends with telling alice where the channel is
	// (ephemerally in #general, or by DM when the bot is not there).
	l.poll("declare confirmation for "+title, func() bool {
		for _, e := range l.slack.Ephemerals(alice) {
			if strings.Contains(e.Text, title) {
				return true
			}
		}
		for _, m := range l.slack.DirectMessages(alice) {
			if strings.Contains(fakeslack.Text(m), title) {
				return true
			}
		}
		return false
	})
	return inc
}

// header is the visible text of inc's header as it is now.
func (l *bnLab) header(inc bnIncident) fakeslack.Message {
	m, ok := l.slack.Message(inc.ch, inc.headerTS)
	if !ok {
		l.tb.Fatalf("header %s of %s is gone", inc.headerTS, inc.ch)
	}
	return m
}

// poll checks cond every millisecond until it holds, failing after bnLimit.
// It runs on the benchmark's goroutine only.
func (l *bnLab) poll(what string, cond func() bool) {
	l.tb.Helper()
	l.pollEvery(time.Millisecond, what, cond)
}

// pollEvery is poll with a tick, coarser where cond is costly and the
// clock is stopped.
func (l *bnLab) pollEvery(every time.Duration, what string, cond func() bool) {
	l.tb.Helper()
	deadline := time.Now().Add(bnLimit)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			l.tb.Fatalf("%s: not within %v", what, bnLimit)
		}
		<-tick.C
	}
}

// callCounts counts the Web API calls made so far, by method.
func (l *bnLab) callCounts() map[string]int {
	out := map[string]int{}
	for _, c := range l.slack.Calls("") {
		out[c.Method]++
	}
	return out
}

// bnCmd is one slash command a person types.
type bnCmd struct {
	user fakeslack.UserID
	ch   fakeslack.ChannelID
	text string
}

// bnSlashAll types every command at once and returns their envelope IDs
// and how many Slack reported as dispatch_failed (no ack within 3 s).
func bnSlashAll(tb testing.TB, sl *fakeslack.Server, cmds []bnCmd) ([]string, int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bnLimit)
	defer cancel()
	ids := make([]string, len(cmds))
	errs := make([]error, len(cmds))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Go(func() {
			<-start
			r, err := sl.SlashCommand(ctx, c.user, c.ch, c.text)
			ids[i], errs[i] = r.EnvelopeID, err
		})
	}
	close(start)
	wg.Wait()
	failed := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, fakeslack.ErrDispatchFailed):
			failed++
		case err != nil:
			tb.Fatalf("%s: %v", cmds[i].text, err)
		}
	}
	return ids, failed
}

// bnPercentiles reports p50, p95, p99 and max of ds in milliseconds.
func bnPercentiles(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		b.Fatal("no samples")
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(math.Ceil(q*float64(len(ds))))-1] }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(at(0.50)), prefix+"p50-ms")
	b.ReportMetric(ms(at(0.95)), prefix+"p95-ms")
	b.ReportMetric(ms(at(0.99)), prefix+"p99-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), prefix+"max-ms")
}

// bnBurst is the number of slash commands sent at once in the ack benchmark.
const bnBurst = 100

// bnAckIncidents is how many incidents the burst's changes go to: each gets
// one severity, one impact and one title change per burst, so every change
// command really changes something.
const bnAckIncidents = 11

// BenchmarkAckLatency (issue 2) sends bursts of 100 concurrent slash
// commands and measures, at the fake Slack, the time from writing each
// envelope to reading its ack. One op is one burst; the work each burst
// starts is drained before the next, outside the timer.
//
//   - app: incident-bridge via run, with commands that do real work after
//     the ack: 33 changes (severity, impact and title of 11 incidents),
//     34 /incident list, and 33 help (answered in the ack itself).
//   - app-help: the app with 100 help commands: the bot's own cost per
//     envelope (route, render the help, ack), without background work.
//   - baseline: a bare slack-go Socket Mode bot acking every envelope at
//     once, against the same fake and the same commands as app.
func BenchmarkAckLatency(b *testing.B) {
	b.Run("app", func(b *testing.B) { bnAckLatency(b, bnAckApp) })
	b.Run("app-help", func(b *testing.B) { bnAckLatency(b, bnAckHelp) })
	b.Run("baseline", func(b *testing.B) { bnAckLatency(b, bnAckBaseline) })
}

// bnAckMode is what answers the burst in BenchmarkAckLatency.
type bnAckMode int

const (
	bnAckApp bnAckMode = iota
	bnAckHelp
	bnAckBaseline
)

func bnAckLatency(b *testing.B, mode bnAckMode) {
	l := bnNewLab(b)
	app := mode != bnAckBaseline
	var incs []bnIncident
	if app {
		l.startApp()
		for k := range bnAckIncidents {
			incs = append(incs, l.declare(fmt.Sprintf("Ack target %02d", k), fakeslack.Fields{"Severity": "SEV-3", "Customer impact": "No"}))
		}
	} else {
		l.startBaseline()
		for k := range bnAckIncidents {
			incs = append(incs, bnIncident{ch: l.slack.AddChannel(fmt.Sprintf("inc-%d-ack-target-%02d", k+1, k), alice, bob, carol)})
		}
	}
	burst := func(n int) []bnCmd {
		var cmds []bnCmd
		if mode == bnAckHelp {
			for range bnBurst {
				cmds = append(cmds, bnCmd{carol, l.general, "help"})
			}
			return cmds
		}
		sev, impact := "sev1", "yes"
		if n%2 == 1 {
			sev, impact = "sev2", "no"
		}
		for k, inc := range incs {
			cmds = append(cmds,
				bnCmd{alice, inc.ch, "severity " + sev},
				bnCmd{alice, inc.ch, "impact " + impact},
				bnCmd{alice, inc.ch, fmt.Sprintf("title Burst %d target %02d", n, k)})
		}
		for len(cmds) < bnBurst {
			if len(cmds)%2 == 0 {
				cmds = append(cmds, bnCmd{bob, l.general, "list"})
			} else {
				cmds = append(cmds, bnCmd{carol, l.general, "help"})
			}
		}
		return cmds
	}
	changes := 3 * len(incs)
	lists := 0
	for _, c := range burst(0) {
		if c.text == "list" {
			lists++
		}
	}

	var ids []string
	failed := 0
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		before := l.callCounts()
		listed := len(l.slack.Ephemerals(bob))
		got, f := bnSlashAll(b, l.slack, burst(n))
		ids, failed = append(ids, got...), failed+f
		b.StopTimer()
		if mode == bnAckApp { // drain: every change posted its line (after its header), every list was answered
			l.pollEvery(10*time.Millisecond, "burst's work", func() bool {
				now := l.callCounts()
				return now["chat.postMessage"]-before["chat.postMessage"] >= changes &&
					len(l.slack.Ephemerals(bob))-listed >= lists
			})
		}
		b.StartTimer()
	}
	b.StopTimer()

	byID := map[string]fakeslack.Ack{}
	for _, a := range l.slack.Acks() {
		if !a.Duplicate && !a.Unknown {
			byID[a.EnvelopeID] = a
		}
	}
	var lat []time.Duration
	late := 0
	for _, id := range ids {
		a, ok := byID[id]
		if !ok {
			continue
		}
		if a.Late {
			late++
		}
		lat = append(lat, a.Latency)
	}
	if len(lat) != len(ids) {
		b.Errorf("%d of %d envelopes were never acked", len(ids)-len(lat), len(ids))
	}
	bnPercentiles(b, "ack-", lat)
	b.ReportMetric(float64(failed+late), "acks-over-3s")
	if mode == bnAckHelp {
		// Every help was answered in its ack.
		shown := 0
		for _, e := range l.slack.Ephemerals(carol) {
			if e.Source == "slash_ack" && strings.Contains(strings.Join(fakeslack.EphemeralTexts(e), "\n"), "declare") {
				shown++
			}
		}
		if shown < len(ids) {
			b.Errorf("carol saw %d help answers for %d commands", shown, len(ids))
		}
	}
	if mode == bnAckApp {
		// The work really ran: the store holds the last burst's titles.
		l.pollStored(fmt.Sprintf("Burst %d target %02d", b.N-1, bnAckIncidents-1))
	}
}

// bnTitleRE finds the benchmark's change marker in a title.
var bnTitleRE = regexp.MustCompile(`Change \d{7}`)

// BenchmarkChangeThroughput (issue 3) pushes incident changes through the
// whole path: /incident title → store commit → header chat.update → change
// line → change published. One op is one change. The clock stops at what
// Slack sees last (the header, or the change line); the app publishes the
// change in-process right after posting the line (app.Change), so that
// last step is a function call, not I/O. BenchmarkMeetingPath times what
// a subscriber (automatic creation) does with a published change.
//
//   - serial: one person, one incident; each change is sent once the header
//     shows the previous one. Also reports the command → header latency.
//   - concurrent16: 16 people typing at once, spread over 4 incidents; the
//     clock stops when every change has posted its line (which follows its
//     header update). It reports header-updates/change (chat.update calls
//     per change) and stale-headers: incidents whose header, at the end,
//     does not show the title the store holds (0 is correct).
func BenchmarkChangeThroughput(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		l := bnNewLab(b)
		l.startApp()
		inc := l.declare("Throughput serial", fakeslack.Fields{"Severity": "SEV-3"})
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			marker := fmt.Sprintf("Change %07d", n)
			start := time.Now()
			l.slack.MustSlash(b, alice, inc.ch, "title "+marker)
			l.poll("header shows "+marker, func() bool { return strings.Contains(fakeslack.Text(l.header(inc)), marker) })
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
		bnPercentiles(b, "header-", lat)
	})
	b.Run("concurrent16", func(b *testing.B) {
		const workers, incidents = 16, 4
		l := bnNewLab(b)
		l.startApp()
		var incs []bnIncident
		for k := range incidents {
			incs = append(incs, l.declare(fmt.Sprintf("Throughput concurrent %d", k), fakeslack.Fields{"Severity": "SEV-3"}))
		}
		lines, updates := len(l.slack.Calls("chat.postMessage")), len(l.slack.Calls("chat.update"))
		var next atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), bnLimit)
		defer cancel()
		b.ResetTimer()
		g, gctx := errgroup.WithContext(ctx)
		for range workers {
			g.Go(func() error {
				for {
					n := int(next.Add(1) - 1)
					if n >= b.N {
						return nil
					}
					inc := incs[n%incidents]
					if _, err := l.slack.SlashCommand(gctx, alice, inc.ch, fmt.Sprintf("title Change %07d", n)); err != nil {
						return fmt.Errorf("change %d: %w", n, err)
					}
				}
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		// Each change posts its line once its header refresh is done.
		l.pollEvery(5*time.Millisecond, "every change line", func() bool {
			return len(l.slack.Calls("chat.postMessage"))-lines >= b.N
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
		b.ReportMetric(float64(len(l.slack.Calls("chat.update"))-updates)/float64(b.N), "header-updates/change")
		b.ReportMetric(float64(l.staleHeaders(incs)), "stale-headers")
	})
}

// staleHeaders counts incidents whose header title differs from the title
// the store holds, as /incident list shows it.
func (l *bnLab) staleHeaders(incs []bnIncident) int {
	l.tb.Helper()
	before := len(l.slack.Ephemerals(bob))
	l.slack.MustSlash(l.tb, bob, l.general, "list")
	l.poll("list answer", func() bool { return len(l.slack.Ephemerals(bob)) > before })
	eph := l.slack.Ephemerals(bob)
	list := fakeslack.EphemeralTexts(eph[len(eph)-1])
	stale := 0
	for _, inc := range incs {
		shown := bnTitleRE.FindString(fakeslack.Text(l.header(inc)))
		stored, listed := "", false
		for _, line := range list {
			if strings.Contains(line, "<#"+string(inc.ch)+">") {
				stored, listed = bnTitleRE.FindString(line), true
			}
		}
		if !listed {
			l.tb.Fatalf("list does not show %s:\n%s", inc.ch, strings.Join(list, "\n"))
		}
		if shown != stored {
			stale++
			l.tb.Logf("stale header in %s: shows %q, store holds %q", inc.ch, shown, stored)
		}
	}
	return stale
}

// BenchmarkMeetingPath (issue 4) measures one meeting end to end and counts
// the Slack Web API and Zoom calls it makes. One op is one meeting on a
// fresh incident (declared outside the timer).
//
//   - automatic: criteria SEV-1; /incident severity sev1 on a SEV-2
//     incident commanded by bob → meeting hosted by bob → header,
//     announcement and bookmark. The clock stops at the bookmark, the last
//     step. The calls of the severity change itself (header update and
//     change line, measured on a SEV-3 → SEV-2 change that matches no
//     criteria) are subtracted, leaving the meeting's own.
//   - oneclick: alice presses Create Zoom Meeting; the clock stops when she
//     sees her Start as host link, the last step.
func BenchmarkMeetingPath(b *testing.B) {
	b.Run("automatic", func(b *testing.B) { bnMeetingPath(b, true) })
	b.Run("oneclick", func(b *testing.B) { bnMeetingPath(b, false) })
}

func bnMeetingPath(b *testing.B, automatic bool) {
	l := bnNewLab(b)
	l.startApp()
	if automatic {
		l.slack.MustSlash(b, alice, l.general, "settings")
		l.slack.MustWaitView(b, alice, "Incident settings")
		res := l.slack.MustSubmit(b, alice, "Incident settings", fakeslack.Fields{
			"Automatically create Zoom meetings": true, "Severity": []string{"SEV-1"},
		})
		if len(res.Errors) > 0 {
			b.Fatalf("settings refused: %v", res.Errors)
		}
	}
	slackCalls, zoomCalls := map[string]int{}, map[string]int{}
	joined := 0
	var lat []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		inc := l.declare(fmt.Sprintf("Meeting path %04d", n), fakeslack.Fields{"Severity": "SEV-3", "Commander": string(bob)})
		var control map[string]int
		if automatic {
			k := len(l.slack.Calls(""))
			l.slack.MustSlash(b, alice, inc.ch, "severity sev2")
			l.poll("SEV-2 change line", func() bool { return l.incidentCalls(inc, k)["chat.postMessage"] > 0 })
			control = l.incidentCalls(inc, k)
		}
		k, zk := len(l.slack.Calls("")), len(l.zoom.Requests())
		seen := len(l.slack.Ephemerals(alice))
		b.StartTimer()

		start := time.Now()
		if automatic {
			l.slack.MustSlash(b, alice, inc.ch, "severity sev1")
			l.poll("meeting bookmark", func() bool { return l.slack.HasBookmark(inc.ch, "Zoom meeting") })
		} else {
			l.slack.MustClick(b, alice, inc.ch, "Create Zoom Meeting")
			l.poll("start link shown to alice", func() bool {
				eph := l.slack.Ephemerals(alice)
				return len(eph) > seen && strings.Contains(strings.Join(fakeslack.EphemeralTexts(eph[len(eph)-1]), "\n"), "Start as host")
			})
		}
		lat = append(lat, time.Since(start))

		b.StopTimer()
		ms := l.zoom.Meetings()
		m := ms[len(ms)-1]
		if h := fakeslack.Text(l.header(inc)); !strings.Contains(h, m.JoinURL) {
			b.Fatalf("header does not show the meeting %s:\n%s", m.JoinURL, h)
		}
		if !l.slack.HasBookmark(inc.ch, "Zoom meeting") {
			b.Fatal("no meeting bookmark")
		}
		if _, err := l.slack.WaitMessage(context.Background(), inc.ch, "Zoom meeting for"); err != nil {
			b.Fatal(err)
		}
		wantHost := "alice@example.com"
		if automatic {
			wantHost = "bob@example.com"
		}
		if m.HostEmail != wantHost {
			b.Fatalf("meeting hosted by %s; want %s", m.HostEmail, wantHost)
		}
		calls := l.incidentCalls(inc, k)
		// A chat.postEphemeral in the channel is the member_joined_channel
		// notice (users.info, then the join link) for someone invited at
		// declaration whose event was handled after the meeting existed:
		// counted apart, it is not part of creating the meeting.
		if j := calls["chat.postEphemeral"]; j > 0 {
			joined += j
			calls["users.info"] -= j
			delete(calls, "chat.postEphemeral")
		}
		for method, v := range calls {
			slackCalls[method] += v - control[method]
		}
		for _, r := range l.zoom.Requests()[zk:] {
			zoomCalls[r.Method+" "+bnZoomOp(r.Path)]++
		}
		b.StartTimer()
	}
	b.StopTimer()
	if got := len(l.zoom.Meetings()); got != b.N {
		b.Fatalf("zoom has %d meetings after %d ops", got, b.N)
	}
	bnPercentiles(b, "meeting-", lat)
	total := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	b.ReportMetric(float64(total(slackCalls))/float64(b.N), "slack-calls/meeting")
	b.ReportMetric(float64(total(zoomCalls))/float64(b.N), "zoom-calls/meeting")
	b.ReportMetric(float64(joined)/float64(b.N), "join-notices/meeting")
	b.Logf("per meeting (N=%d): slack %s; zoom %s", b.N, bnPerOp(slackCalls, b.N), bnPerOp(zoomCalls, b.N))
}

// incidentCalls counts, by method, the Slack calls since the k-th that
// belong to inc: those naming its channel, users.info (host look-ups) and
// response_url posts (answers to the person who asked). Calls of other
// incidents' work or in other channels are left out.
func (l *bnLab) incidentCalls(inc bnIncident, k int) map[string]int {
	out := map[string]int{}
	for _, c := range l.slack.Calls("")[k:] {
		ch := c.Params.Get("channel")
		if ch == "" {
			ch = c.Params.Get("channel_id")
		}
		if ch == string(inc.ch) || c.Method == "users.info" || c.Method == "response_url" {
			out[c.Method]++
		}
	}
	return out
}

// bnZoomOp names a Zoom request path without its IDs or emails.
func bnZoomOp(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if i > 0 && (parts[i-1] == "users" || parts[i-1] == "meetings") && p != "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// bnPerOp renders counts divided by n, sorted by key: "a=1.00 b=0.05".
func bnPerOp(m map[string]int, n int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s=%.2f", k, float64(m[k])/float64(n)))
		}
	}
	return strings.Join(parts, " ")
}

// BenchmarkHeaderAfterSlowUpdate (issue 3, ordering) makes two changes to
// one incident while Slack is slow to answer the first one's chat.update
// (held 300 ms, as a Slack hiccup or a 429 retry would), the second change
// committing after the first. One op is one such pair; stale-headers is the
// fraction of pairs after which the pinned header shows the older title
// although the store holds the newer, a state that lasts until the next
// change. 0 is correct.
func BenchmarkHeaderAfterSlowUpdate(b *testing.B) {
	l := bnNewLab(b)
	l.startApp()
	inc := l.declare("Slow header update", fakeslack.Fields{"Severity": "SEV-3"})
	stale, updates := 0, 0
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		first, second := fmt.Sprintf("Change %07d", 2*n), fmt.Sprintf("Change %07d", 2*n+1)
		k := len(l.slack.Calls(""))
		l.slack.DelayNext("chat.update", 300*time.Millisecond)
		l.slack.MustSlash(b, alice, inc.ch, "title "+first)
		l.pollStored(first)
		l.slack.MustSlash(b, alice, inc.ch, "title "+second)
		// Each change posts its line once its header refresh is done.
		l.poll("both change lines", func() bool { return l.incidentCalls(inc, k)["chat.postMessage"] >= 2 })
		updates += l.incidentCalls(inc, k)["chat.update"]
		stale += l.staleHeaders([]bnIncident{inc})
	}
	b.StopTimer()
	b.ReportMetric(float64(stale)/float64(b.N), "stale-headers")
	b.ReportMetric(float64(updates)/float64(2*b.N), "header-updates/change")
}

// pollStored waits until /incident list shows an incident titled title,
// that is until its change is committed.
func (l *bnLab) pollStored(title string) {
	l.tb.Helper()
	l.poll("store holds "+title, func() bool {
		before := len(l.slack.Ephemerals(bob))
		l.slack.MustSlash(l.tb, bob, l.general, "list")
		l.poll("list answer", func() bool { return len(l.slack.Ephemerals(bob)) > before })
		eph := l.slack.Ephemerals(bob)
		return strings.Contains(strings.Join(fakeslack.EphemeralTexts(eph[len(eph)-1]), "\n"), title)
	})
}
