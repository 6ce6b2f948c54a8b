package app_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
)

// The meeting use cases over the real store and fake Zoom and Slack ports.

const (
	mtTeam     = incident.TeamID("T1")
	mtAlice    = incident.UserID("UALICE") // admin, in Zoom
	mtBob      = incident.UserID("UBOB")   // in Zoom
	mtCarol    = incident.UserID("UCAROL") // not in Zoom
	mtFallback = "oncall@example.com"
)

// mtWait bounds every wait in these tests.
const mtWait = 10 * time.Second

// mtZoom is the app's Zoom port. Emails in users may host; others get
// incident.ErrHostNotInAccount. fail, when set for an email, is returned
// instead. gate, when set for an email, holds that create until closed.
type mtZoom struct {
	mu      sync.Mutex
	users   map[string]bool
	fail    map[string]error
	gate    map[string]chan struct{}
	calls   []incident.MeetingRequest
	called  chan string // receives each create's host email, if not nil
	found   map[string]incident.CreatedMeeting
	findErr error
	checked []string
	slow    map[string]bool // CheckUser for these emails answers only when ctx ends
	next    int
}

func mtNewZoom(emails ...string) *mtZoom {
	z := &mtZoom{users: map[string]bool{}, fail: map[string]error{}, slow: map[string]bool{}, gate: map[string]chan struct{}{}, found: map[string]incident.CreatedMeeting{}}
	for _, e := range emails {
		z.users[e] = true
	}
	return z
}

func (z *mtZoom) CreateMeeting(ctx context.Context, _ incident.TeamID, req incident.MeetingRequest) (incident.CreatedMeeting, error) {
	z.mu.Lock()
	z.calls = append(z.calls, req)
	gate, called := z.gate[req.HostEmail], z.called
	z.mu.Unlock()
	if called != nil {
		called <- req.HostEmail
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return incident.CreatedMeeting{}, ctx.Err()
		}
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if err := z.fail[req.HostEmail]; err != nil {
		return incident.CreatedMeeting{}, err
	}
	if !z.users[req.HostEmail] {
		return incident.CreatedMeeting{}, fmt.Errorf("create: %w", incident.ErrHostNotInAccount)
	}
	z.next++
	id := fmt.Sprintf("8%010d", z.next)
	return incident.CreatedMeeting{ID: id, JoinURL: "https://zoom.test/j/" + id, Passcode: "pw", StartURL: "https://zoom.test/s/" + id + "?zak=secret"}, nil
}

func (z *mtZoom) FindMeeting(_ context.Context, _ incident.TeamID, hostEmail, marker string) (incident.CreatedMeeting, bool, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.findErr != nil {
		return incident.CreatedMeeting{}, false, z.findErr
	}
	m, ok := z.found[hostEmail+" "+marker]
	return m, ok, nil
}

func (z *mtZoom) CheckUser(ctx context.Context, _ incident.TeamID, email string) error {
	z.mu.Lock()
	slow := z.slow[email]
	z.mu.Unlock()
	if slow {
		<-ctx.Done()
		return fmt.Errorf("check user: %w", ctx.Err())
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	z.checked = append(z.checked, email)
	if err := z.fail[email]; err != nil {
		return err
	}
	if !z.users[email] {
		return incident.ErrHostNotInAccount
	}
	return nil
}

func (z *mtZoom) hosts() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	var out []string
	for _, c := range z.calls {
		out = append(out, c.HostEmail)
	}
	return out
}

// mtSlack is the app's Slack port: it records what the channel and
// people saw.
type mtSlack struct {
	mu        sync.Mutex
	users     map[incident.UserID]app.SlackUser
	notices   []string
	announced []incident.Meeting
	bookmarks map[string]string // id → link
	added     int
	edits     int
	nextBk    int
}

func mtNewSlack() *mtSlack {
	return &mtSlack{bookmarks: map[string]string{}, users: map[incident.UserID]app.SlackUser{
		mtAlice: {ID: mtAlice, Email: "alice@example.com", Admin: true},
		mtBob:   {ID: mtBob, Email: "bob@example.com"},
		mtCarol: {ID: mtCarol, Email: "carol@example.com"},
	}}
}

func (s *mtSlack) CreateChannel(context.Context, incident.TeamID, string) (incident.ChannelID, error) {
	return "", errors.New("not used")
}
func (s *mtSlack) JoinChannel(context.Context, incident.TeamID, incident.ChannelID) (string, error) {
	return "", errors.New("not used")
}
func (s *mtSlack) Invite(context.Context, incident.TeamID, incident.ChannelID, ...incident.UserID) error {
	return nil
}
func (s *mtSlack) PostHeader(context.Context, incident.Incident, bool) (string, error) {
	return "1.0", nil
}
func (s *mtSlack) UpdateHeader(context.Context, incident.Incident, bool) error { return nil }
func (s *mtSlack) PostChanges(context.Context, incident.Incident, incident.UserID, []incident.Change) error {
	return nil
}

func (s *mtSlack) AnnounceMeeting(_ context.Context, inc incident.Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.announced = append(s.announced, *inc.Meeting)
	return nil
}

func (s *mtSlack) PostNotice(_ context.Context, _ incident.Incident, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notices = append(s.notices, text)
	return nil
}

func (s *mtSlack) AddBookmark(_ context.Context, _ incident.Incident, _, link string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextBk++
	s.added++
	id := fmt.Sprintf("Bk%d", s.nextBk)
	s.bookmarks[id] = link
	return id, nil
}

func (s *mtSlack) EditBookmark(_ context.Context, _ incident.Incident, id, _, link string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bookmarks[id]; !ok {
		return app.ErrBookmarkGone
	}
	s.edits++
	s.bookmarks[id] = link
	return nil
}

func (s *mtSlack) User(_ context.Context, _ incident.TeamID, u incident.UserID) (app.SlackUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	su, ok := s.users[u]
	if !ok {
		return app.SlackUser{}, app.ErrUnknownUser
	}
	return su, nil
}

func (s *mtSlack) Whisper(context.Context, incident.TeamID, incident.ChannelID, incident.UserID, string) error {
	return nil
}
func (s *mtSlack) ShowMeeting(context.Context, incident.Incident, incident.UserID) error {
	return nil
}
func (s *mtSlack) DirectMessage(context.Context, incident.TeamID, incident.UserID, string) error {
	return nil
}

// mtStore is the real store, telling the test when a request has
// loaded settings (the last step before joining a creation in flight) and
// when a claim was refused as held.
type mtStore struct {
	*store.Store
	settings chan struct{} // told of Settings calls (without blocking), if not nil
	held     chan struct{} // receives when ClaimMeeting says ErrClaimHeld, if not nil
}

func (s *mtStore) Settings(ctx context.Context, t incident.TeamID) (incident.Settings, error) {
	st, err := s.Store.Settings(ctx, t)
	if s.settings != nil {
		select {
		case s.settings <- struct{}{}:
		default:
		}
	}
	return st, err
}

func (s *mtStore) ClaimMeeting(ctx context.Context, key incident.Key, c app.Claim) error {
	err := s.Store.ClaimMeeting(ctx, key, c)
	if errors.Is(err, incident.ErrClaimHeld) && s.held != nil {
		select {
		case s.held <- struct{}{}:
		default:
		}
	}
	return err
}

// mtEnv is one App over a fresh store.
type mtEnv struct {
	t     *testing.T
	app   *app.App
	st    *mtStore
	zoom  *mtZoom
	slack *mtSlack
	deps  app.Deps
}

func mtNewEnv(t *testing.T, z app.Zoom, opts ...func(*app.Deps)) *mtEnv {
	t.Helper()
	key := make([]byte, 32)
	s, err := store.Open(filepath.Join(t.TempDir(), "app.db"), store.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	e := &mtEnv{t: t, st: &mtStore{Store: s}, slack: mtNewSlack()}
	e.zoom, _ = z.(*mtZoom)
	e.deps = app.Deps{Store: e.st, Zoom: z, Slack: e.slack, Log: zerolog.Nop(), ClaimWait: mtWait}
	for _, o := range opts {
		o(&e.deps)
	}
	e.app = app.New(e.deps)
	return e
}

// incident creates incident n in channel C<n>.
func (e *mtEnv) incident(commander incident.UserID) incident.Incident {
	e.t.Helper()
	ctx := context.Background()
	n, err := e.st.NextNumber(ctx, mtTeam)
	if err != nil {
		e.t.Fatal(err)
	}
	inc := incident.Incident{
		Team: mtTeam, Number: n, Title: "Checkout down", Severity: incident.Sev1, Status: incident.StatusActive,
		Commander: commander, Channel: incident.ChannelID(fmt.Sprintf("C%d", n)), HeaderTS: "1.0",
	}
	if err := e.st.CreateIncident(ctx, inc); err != nil {
		e.t.Fatal(err)
	}
	return inc
}

func (e *mtEnv) settings(fn func(*incident.Settings)) {
	e.t.Helper()
	s := incident.DefaultSettings()
	fn(&s)
	if err := e.st.Store.SaveSettings(context.Background(), mtTeam, s); err != nil {
		e.t.Fatal(err)
	}
}

func (e *mtEnv) press(inc incident.Incident, u incident.UserID, trigger incident.Trigger) (app.MeetingResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), mtWait)
	defer cancel()
	return e.app.EnsureMeeting(ctx, app.MeetingRequest{Team: mtTeam, Channel: inc.Channel, User: u, Trigger: trigger})
}

func mtProblemText(err error) string {
	var p *incident.Problem
	if errors.As(err, &p) {
		return p.Msg
	}
	return ""
}

// TestMtHostOrder: who hosts, for each row of SPEC §5.3, and what Zoom was
// asked.
func TestMtHostOrder(t *testing.T) {
	for _, tt := range []struct {
		name      string
		fallback  string
		always    bool
		presser   incident.UserID
		wantHosts []string // creates asked of Zoom, in order
		wantKind  incident.HostKind
		wantStart bool
		wantErr   string
	}{
		{"presser hosts", mtFallback, false, mtAlice, []string{"alice@example.com"}, incident.HostRequester, true, ""},
		{"not in Zoom: fallback", mtFallback, false, mtCarol, []string{"carol@example.com", mtFallback}, incident.HostFallback, false, ""},
		{"always the fallback", mtFallback, true, mtAlice, []string{mtFallback}, incident.HostFallback, false, ""},
		{"no fallback", "", false, mtCarol, []string{"carol@example.com"}, 0, false, "your Slack email is not a user"},
		{"fallback not in Zoom either", "ghost@example.com", false, mtCarol, []string{"carol@example.com", "ghost@example.com"}, 0, false, "is not a user of the connected Zoom account either"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mtNewEnv(t, mtNewZoom("alice@example.com", "bob@example.com", mtFallback))
			e.settings(func(s *incident.Settings) { s.FallbackEmail, s.AlwaysUseFallback = tt.fallback, tt.always })
			inc := e.incident("")
			res, err := e.press(inc, tt.presser, incident.TriggerOneClick)
			if !slices.Equal(e.zoom.hosts(), tt.wantHosts) {
				t.Errorf("zoom asked for %v; want %v", e.zoom.hosts(), tt.wantHosts)
			}
			if tt.wantErr != "" {
				if !strings.Contains(mtProblemText(err), tt.wantErr) {
					t.Errorf("err %v; want a problem saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := res.Incident.Meeting
			if m == nil || m.HostKind != tt.wantKind || (res.StartURL != "") != tt.wantStart {
				t.Errorf("meeting %+v, start URL %q; want host %v, start URL %v", m, res.StartURL, tt.wantKind, tt.wantStart)
			}
		})
	}
}

// TestMtZoomFailuresDoNotFallBack: only "not a user of the account" moves on
// to the fallback; other failures are told in plain words, and the claim
// is released so the next press can try again.
func TestMtZoomFailuresDoNotFallBack(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{incident.ErrZoomNotConnected, "Server-to-Server credentials"},
		{incident.ErrZoomScope, "missing the scope meeting:write:meeting:admin"},
		{incident.ErrZoomUnavailable, "Zoom is not answering right now"},
		{incident.ErrOutcomeUnknown, "it may exist in the host's Zoom account"},
	} {
		t.Run(tt.err.Error(), func(t *testing.T) {
			t.Parallel()
			z := mtNewZoom("alice@example.com", mtFallback)
			e := mtNewEnv(t, z)
			e.settings(func(s *incident.Settings) { s.FallbackEmail = mtFallback })
			inc := e.incident("")
			z.fail["alice@example.com"] = fmt.Errorf("create: %w", tt.err)
			_, err := e.press(inc, mtAlice, incident.TriggerOneClick)
			if !strings.Contains(mtProblemText(err), tt.want) || !errors.Is(err, tt.err) {
				t.Errorf("err %v; want a problem saying %q that keeps its cause", err, tt.want)
			}
			if hosts := z.hosts(); !slices.Equal(hosts, []string{"alice@example.com"}) {
				t.Errorf("zoom asked for %v; want alice only, no fallback", hosts)
			}
			delete(z.fail, "alice@example.com")
			if res, err := e.press(inc, mtAlice, incident.TriggerOneClick); err != nil || res.Incident.Meeting == nil {
				t.Errorf("the next press: %v, %+v; want a meeting (the claim was released)", err, res)
			}
		})
	}
}

// TestMtNotConnectedSaysWhatToDo: the advice fits how Zoom is connected.
func TestMtNotConnectedSaysWhatToDo(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		zoom app.Zoom
		opt  func(*app.Deps)
		want string
	}{
		{"no credentials", app.NoZoom{}, nil, "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET are not set"},
		{"install flow", mtNewZoom(), func(d *app.Deps) { d.Connector = mtConnector{}; d.Connections = d.Store.(*mtStore).Store },
			"`/incident zoom connect`"},
	} {
		var opts []func(*app.Deps)
		if tt.opt != nil {
			opts = append(opts, tt.opt)
		}
		e := mtNewEnv(t, tt.zoom, opts...)
		if z, ok := tt.zoom.(*mtZoom); ok {
			z.fail["alice@example.com"] = incident.ErrZoomNotConnected
		}
		_, err := e.press(e.incident(""), mtAlice, incident.TriggerOneClick)
		if !strings.Contains(mtProblemText(err), tt.want) {
			t.Errorf("%s: %v; want %q", tt.name, err, tt.want)
		}
	}
}

type mtConnector struct{}

func (mtConnector) AuthorizeURL(string) string { return "https://zoom.test/authorize" }
func (mtConnector) Exchange(context.Context, string) (incident.ZoomConnection, error) {
	return incident.ZoomConnection{}, errors.New("not used")
}
func (mtConnector) Revoke(context.Context, incident.ZoomConnection) error { return nil }

// TestMtRejectedHostRemembered: after Zoom refuses carol's email, the next
// creation goes straight to the fallback; saving settings forgets it.
func TestMtRejectedHostRemembered(t *testing.T) {
	t.Parallel()
	z := mtNewZoom(mtFallback, "alice@example.com")
	e := mtNewEnv(t, z)
	e.settings(func(s *incident.Settings) { s.FallbackEmail = mtFallback })
	if _, err := e.press(e.incident(""), mtCarol, incident.TriggerOneClick); err != nil {
		t.Fatal(err)
	}
	if _, err := e.press(e.incident(""), mtCarol, incident.TriggerOneClick); err != nil {
		t.Fatal(err)
	}
	want := []string{"carol@example.com", mtFallback, mtFallback}
	if got := z.hosts(); !slices.Equal(got, want) {
		t.Fatalf("zoom asked for %v; want %v", got, want)
	}
	s := incident.DefaultSettings()
	s.FallbackEmail = mtFallback
	if err := e.app.SaveSettings(context.Background(), mtTeam, mtAlice, s); err != nil {
		t.Fatal(err)
	}
	if _, err := e.press(e.incident(""), mtCarol, incident.TriggerOneClick); err != nil {
		t.Fatal(err)
	}
	if got := z.hosts(); len(got) != 5 || got[3] != "carol@example.com" {
		t.Errorf("after saving settings zoom was asked for %v; want carol tried again", got)
	}
}

// TestMtFollowerTriesItsOwnHost: carol's press is creating the meeting when
// bob presses; Zoom refuses carol and there is no fallback. Bob's press,
// which joined carol's creation, must not inherit her "not in Zoom": it
// tries bob, who hosts.
func TestMtFollowerTriesItsOwnHost(t *testing.T) {
	t.Parallel()
	z := mtNewZoom("bob@example.com")
	e := mtNewEnv(t, z)
	inc := e.incident("")
	gate := make(chan struct{})
	z.gate["carol@example.com"] = gate
	z.called = make(chan string, 4)

	carolErr := make(chan error, 1)
	go func() {
		_, err := e.press(inc, mtCarol, incident.TriggerOneClick)
		carolErr <- err
	}()
	if got := <-z.called; got != "carol@example.com" {
		t.Fatalf("first create for %s", got)
	}
	e.st.settings = make(chan struct{}, 1)
	bobRes := make(chan app.MeetingResult, 1)
	bobErr := make(chan error, 1)
	go func() {
		res, err := e.press(inc, mtBob, incident.TriggerOneClick)
		bobRes <- res
		bobErr <- err
	}()
	<-e.st.settings // bob is about to join carol's creation
	close(gate)

	if err := <-carolErr; !strings.Contains(mtProblemText(err), "your Slack email is not a user") {
		t.Errorf("carol: %v; want told she is not in Zoom", err)
	}
	if err := <-bobErr; err != nil {
		t.Fatalf("bob: %v; want his own meeting", err)
	}
	res := <-bobRes
	if m := res.Incident.Meeting; m == nil || m.HostUser != mtBob || res.StartURL == "" {
		t.Errorf("bob got %+v (start URL %q); want a meeting he hosts, with his start link", m, res.StartURL)
	}
	if got := z.hosts(); !slices.Equal(got, []string{"carol@example.com", "bob@example.com"}) {
		t.Errorf("zoom asked for %v", got)
	}
}

// TestMtSharedCreationShowsStartURLToHostOnly: concurrent presses share one
// creation; only the host gets the start link.
func TestMtSharedCreationShowsStartURLToHostOnly(t *testing.T) {
	t.Parallel()
	z := mtNewZoom("alice@example.com", "bob@example.com")
	e := mtNewEnv(t, z)
	inc := e.incident("")
	gate := make(chan struct{})
	z.gate["alice@example.com"] = gate
	z.called = make(chan string, 4)
	type out struct {
		res app.MeetingResult
		err error
	}
	results := make(chan out, 2)
	go func() {
		res, err := e.press(inc, mtAlice, incident.TriggerOneClick)
		results <- out{res, err}
	}()
	<-z.called
	e.st.settings = make(chan struct{}, 1)
	go func() {
		res, err := e.press(inc, mtBob, incident.TriggerOneClick)
		results <- out{res, err}
	}()
	<-e.st.settings
	close(gate)
	starts := 0
	for range 2 {
		o := <-results
		if o.err != nil || o.res.Incident.Meeting == nil {
			t.Fatalf("press: %v, %+v", o.err, o.res)
		}
		if o.res.StartURL != "" {
			starts++
		}
	}
	if n := len(z.hosts()); n != 1 || starts != 1 {
		t.Errorf("%d zoom creates, %d start links; want 1 and 1 (alice hosts)", n, starts)
	}
}

// TestMtWaitsForHeldClaim: another attempt (another process, or a crashed
// one) holds the claim. A press waits; when that attempt records its
// meeting the press shows it without asking Zoom; when it gives up, the
// press claims and creates.
func TestMtWaitsForHeldClaim(t *testing.T) {
	t.Parallel()
	for _, outcome := range []string{"recorded", "released"} {
		t.Run(outcome, func(t *testing.T) {
			t.Parallel()
			z := mtNewZoom("alice@example.com")
			e := mtNewEnv(t, z)
			inc := e.incident("")
			ctx := context.Background()
			other := app.Claim{Attempt: "other", Hosts: []string{"alice@example.com"}, At: time.Now()}
			if err := e.st.ClaimMeeting(ctx, inc.Key(), other); err != nil {
				t.Fatal(err)
			}
			e.st.held = make(chan struct{}, 1)
			type out struct {
				res app.MeetingResult
				err error
			}
			done := make(chan out, 1)
			go func() {
				res, err := e.press(inc, mtAlice, incident.TriggerOneClick)
				done <- out{res, err}
			}()
			<-e.st.held
			theirs := incident.Meeting{ID: "81234567890", JoinURL: "https://zoom.test/j/81234567890"}
			if outcome == "recorded" {
				if _, err := e.st.RecordMeeting(ctx, inc.Key(), "other", theirs); err != nil {
					t.Fatal(err)
				}
			} else if err := e.st.ReleaseClaim(ctx, inc.Key(), "other"); err != nil {
				t.Fatal(err)
			}
			o := <-done
			if o.err != nil || o.res.Incident.Meeting == nil {
				t.Fatalf("press: %v, %+v", o.err, o.res)
			}
			switch outcome {
			case "recorded":
				if o.res.Incident.Meeting.ID != theirs.ID || !o.res.Existing || len(z.hosts()) != 0 {
					t.Errorf("got %+v after %d creates; want the other attempt's meeting, no create", o.res, len(z.hosts()))
				}
			case "released":
				if o.res.Existing || len(z.hosts()) != 1 {
					t.Errorf("got %+v after %d creates; want a new meeting from one create", o.res, len(z.hosts()))
				}
			}
		})
	}
}

// TestMtReconcile: a claim left by a crash is recorded when Zoom has its
// meeting (found by the agenda marker), released when Zoom surely has
// none, and released when Zoom cannot be asked.
func TestMtReconcile(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		findErr  error
		foundFor string // the host email whose listing has the meeting
		want     incident.HostKind
	}{
		{name: "found for the presser", foundFor: "alice@example.com", want: incident.HostRequester},
		{name: "found for the fallback", foundFor: mtFallback, want: incident.HostFallback},
		{name: "not found"},
		{name: "cannot list", findErr: fmt.Errorf("list: %w", incident.ErrZoomScope)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			z := mtNewZoom("alice@example.com", mtFallback)
			e := mtNewEnv(t, z)
			e.settings(func(s *incident.Settings) { s.FallbackEmail = mtFallback })
			inc := e.incident("")
			ctx := context.Background()
			c := app.Claim{Attempt: "crashed1", Hosts: []string{"alice@example.com", mtFallback}, At: time.Now()}
			if err := e.st.ClaimMeeting(ctx, inc.Key(), c); err != nil {
				t.Fatal(err)
			}
			z.findErr = tt.findErr
			if tt.foundFor != "" {
				z.found[tt.foundFor+" "+app.AgendaMarker("crashed1")] = incident.CreatedMeeting{ID: "87777777777", JoinURL: "https://zoom.test/j/87777777777"}
			}
			if err := e.app.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			claims, err := e.st.Claims(ctx)
			if err != nil || len(claims) != 0 {
				t.Errorf("claims after reconcile: %v, %v; want none", claims, err)
			}
			got, err := e.st.Incident(ctx, inc.Key())
			if err != nil {
				t.Fatal(err)
			}
			if tt.foundFor == "" {
				if got.Meeting != nil || len(e.slack.announced) != 0 {
					t.Errorf("meeting %+v recorded; want none", got.Meeting)
				}
				return
			}
			if got.Meeting == nil || got.Meeting.ID != "87777777777" || got.Meeting.HostKind != tt.want {
				t.Errorf("meeting %+v; want 87777777777 hosted by %v", got.Meeting, tt.want)
			}
			if len(e.slack.announced) != 1 || e.slack.added != 1 || got.BookmarkID == "" {
				t.Errorf("announced %d, bookmarks added %d (id %q); want the recovered meeting published", len(e.slack.announced), e.slack.added, got.BookmarkID)
			}
			if len(z.hosts()) != 0 {
				t.Errorf("zoom asked to create %v during reconcile", z.hosts())
			}
		})
	}
}

// TestMtSaveSettings: admins only; invalid values and a fallback Zoom does
// not know come back on their fields and nothing is saved; when Zoom
// cannot check the email it is saved anyway.
func TestMtSaveSettings(t *testing.T) {
	t.Parallel()
	z := mtNewZoom(mtFallback)
	e := mtNewEnv(t, z, func(d *app.Deps) { d.Admins = []incident.UserID{mtBob} })
	ctx := context.Background()
	with := func(fn func(*incident.Settings)) incident.Settings {
		s := incident.DefaultSettings()
		fn(&s)
		return s
	}
	for _, tt := range []struct {
		name  string
		user  incident.UserID
		s     incident.Settings
		field string // "" for a *Problem
	}{
		{"not an admin", mtCarol, with(func(s *incident.Settings) { s.AutoCreate = true }), ""},
		{"bad email", mtAlice, with(func(s *incident.Settings) { s.FallbackEmail = "nope" }), incident.SettingFallbackEmail},
		{"always without fallback", mtAlice, with(func(s *incident.Settings) { s.AlwaysUseFallback = true }), incident.SettingAlwaysUseFallback},
		{"not a Zoom user", mtAlice, with(func(s *incident.Settings) { s.FallbackEmail = "ghost@example.com" }), incident.SettingFallbackEmail},
	} {
		err := e.app.SaveSettings(ctx, mtTeam, tt.user, tt.s)
		var fe incident.FieldErrors
		switch {
		case tt.field == "" && mtProblemText(err) == "":
			t.Errorf("%s: %v; want a refusal", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe[0].Field != tt.field):
			t.Errorf("%s: %v; want an error on %s", tt.name, err, tt.field)
		}
		if got, _ := e.st.Settings(ctx, mtTeam); got.AutoCreate || got.FallbackEmail != "" {
			t.Errorf("%s: settings saved: %+v", tt.name, got)
		}
	}
	if !slices.Equal(z.checked, []string{"ghost@example.com"}) {
		t.Errorf("zoom checked %v; want only the well-formed email", z.checked)
	}

	// bob is an admin by ADMIN_USER_IDS; Zoom cannot say (scope): saved.
	z.fail["later@example.com"] = incident.ErrZoomScope
	if err := e.app.SaveSettings(ctx, mtTeam, mtBob, with(func(s *incident.Settings) { s.FallbackEmail = " later@example.com " })); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.st.Settings(ctx, mtTeam); got.FallbackEmail != "later@example.com" {
		t.Errorf("fallback %q; want later@example.com saved, trimmed", got.FallbackEmail)
	}

	// Zoom does not answer within the caller's budget (the settings modal
	// waits 2 s): the check gives up in time for the save to succeed.
	z.slow["slow@example.com"] = true
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := e.app.SaveSettings(sctx, mtTeam, mtAlice, with(func(s *incident.Settings) { s.FallbackEmail = "slow@example.com" })); err != nil {
		t.Fatalf("save with a slow Zoom: %v", err)
	}
	if got, _ := e.st.Settings(ctx, mtTeam); got.FallbackEmail != "slow@example.com" {
		t.Errorf("fallback %q; want slow@example.com saved", got.FallbackEmail)
	}
}

// TestMtBookmarkFollowsReplacedMeeting: with bookmarks off, a bookmark added
// earlier is still pointed at the new meeting on `zoom new`, and none is
// added; with them on, a removed bookmark is added again.
func TestMtBookmarkFollowsReplacedMeeting(t *testing.T) {
	t.Parallel()
	z := mtNewZoom("alice@example.com")
	e := mtNewEnv(t, z)
	inc := e.incident("")
	first, err := e.press(inc, mtAlice, incident.TriggerOneClick)
	if err != nil {
		t.Fatal(err)
	}
	bk := first.Incident.BookmarkID
	if bk == "" || e.slack.bookmarks[bk] != first.Incident.Meeting.JoinURL {
		t.Fatalf("bookmark %q → %q; want the join link", bk, e.slack.bookmarks[bk])
	}
	e.settings(func(s *incident.Settings) { s.Bookmarks = false })
	second, err := e.press(inc, mtAlice, incident.TriggerReplace)
	if err != nil {
		t.Fatal(err)
	}
	if second.Incident.Meeting.ID == first.Incident.Meeting.ID || e.slack.bookmarks[bk] != second.Incident.Meeting.JoinURL || e.slack.added != 1 {
		t.Errorf("after zoom new with bookmarks off: bookmarks %v, %d added; want %s edited to the new link", e.slack.bookmarks, e.slack.added, bk)
	}

	e.settings(func(s *incident.Settings) { s.Bookmarks = true })
	delete(e.slack.bookmarks, bk)
	third, err := e.press(inc, mtAlice, incident.TriggerReplace)
	if err != nil {
		t.Fatal(err)
	}
	if id := third.Incident.BookmarkID; id == bk || e.slack.bookmarks[id] != third.Incident.Meeting.JoinURL {
		t.Errorf("after removal: bookmark %q → %q; want a new one to %s", id, e.slack.bookmarks[id], third.Incident.Meeting.JoinURL)
	}
}
