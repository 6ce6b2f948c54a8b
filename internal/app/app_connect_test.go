package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/bot"
	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

// The people: alice is a Slack admin, bob is not. Zoom has two accounts,
// each with an owner who may authorise admin scopes.
const (
	cxAlice      = incident.UserID("UALICE")
	cxBob        = incident.UserID("UBOB")
	cxTeamA      = incident.TeamID("TTEAMA")
	cxTeamB      = incident.TeamID("TTEAMB")
	cxOwner      = "owner@one.example"
	cxOtherOwner = "owner@two.example"
	cxOtherAcct  = "zoom-account-two"
	cxRedirect   = "https://bridge.example/zoom/oauth/callback"
)

// cxClock is a settable clock for OAuth state expiry.
type cxClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *cxClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cxClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cxEnv is the app in install mode over the real store, the real Zoom
// adapter against fake Zoom and the real Slack poster against fake Slack.
type cxEnv struct {
	app   *app.App
	store *store.Store
	conns *cxConns // the app's view of the store, with a hook
	zoom  *fakezoom.Server
	slack *fakeslack.Server
	clock *cxClock
}

// cxConns is the store as the app's ZoomConnections, with a one-shot hook
// that runs between the app reading a connection and writing it: after a
// ZoomConnection read returns, or before an UpdateZoomConnection starts.
// It stages a disconnect or reconnect landing in the middle of the app's
// read-then-write, deterministically.
type cxConns struct {
	*store.Store
	mu   sync.Mutex
	hook func()
}

func (c *cxConns) fire() {
	c.mu.Lock()
	f := c.hook
	c.hook = nil
	c.mu.Unlock()
	if f != nil {
		f()
	}
}

// onNextAccess sets the hook.
func (c *cxConns) onNextAccess(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hook = f
}

func (c *cxConns) ZoomConnection(ctx context.Context, team incident.TeamID) (incident.ZoomConnection, error) {
	conn, err := c.Store.ZoomConnection(ctx, team)
	c.fire()
	return conn, err
}

func (c *cxConns) UpdateZoomConnection(ctx context.Context, team incident.TeamID, fn func(*incident.ZoomConnection) error) (incident.ZoomConnection, error) {
	c.fire()
	return c.Store.UpdateZoomConnection(ctx, team, fn)
}

type cxOption func(*fakezoom.Options, *app.Deps)

func cxNew(t *testing.T, opts ...cxOption) *cxEnv {
	t.Helper()
	sl := fakeslack.New(fakeslack.Options{Users: []fakeslack.User{
		{ID: fakeslack.UserID(cxAlice), Name: "alice", Email: "alice@example.com", IsAdmin: true},
		{ID: fakeslack.UserID(cxBob), Name: "bob", Email: "bob@example.com"},
	}})
	t.Cleanup(sl.Close)
	zo := fakezoom.Options{
		RedirectURL: cxRedirect,
		Users: []fakezoom.User{
			{Email: cxOwner, Role: "Owner", CanHost: true},
			{Email: "alice@example.com", CanHost: true},
			{Email: cxOtherOwner, Role: "Owner", CanHost: true, AccountID: cxOtherAcct},
		},
	}
	clock := &cxClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	deps := app.Deps{Log: zerolog.Nop(), Now: clock.Now}
	for _, o := range opts {
		o(&zo, &deps)
	}
	zm := fakezoom.New(zo)
	t.Cleanup(zm.Close)

	st, err := store.Open(filepath.Join(t.TempDir(), "app.db"), store.Options{Key: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	hc := &http.Client{Timeout: 10 * time.Second}
	zc := zoom.New(zm.APIURL(), hc)
	o := &zoom.OAuth{ClientID: zm.ClientID(), ClientSecret: zm.ClientSecret(), OAuthURL: zm.OAuthURL(), RedirectURL: cxRedirect, HTTPClient: hc}
	api := slack.New(sl.BotToken(), slack.OptionAPIURL(sl.APIURL()), slack.OptionHTTPClient(hc))
	deps.Store, deps.Slack = st, bot.NewPoster(api, hc)
	conns := &cxConns{Store: st}
	if deps.Zoom == nil {
		deps.Zoom, deps.Connections, deps.Connector = zoom.NewInstallService(zc, o, st), conns, zoom.NewConnector(o, zc)
	}
	return &cxEnv{app: app.New(deps), store: st, conns: conns, zoom: zm, slack: sl, clock: clock}
}

// authorize has admin start the flow for team and zoomUser approve it at
// Zoom; it returns the state and code Zoom redirects with.
func (e *cxEnv) authorize(t *testing.T, team incident.TeamID, admin incident.UserID, zoomUser string) (state, code string) {
	t.Helper()
	link, err := e.app.ConnectZoom(t.Context(), team, admin)
	if err != nil {
		t.Fatalf("ConnectZoom(%s, %s): %v", team, admin, err)
	}
	redirect, err := e.zoom.Authorize(t.Context(), link, zoomUser)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != cxRedirect {
		t.Fatalf("zoom redirected to %s; want %s", got, cxRedirect)
	}
	return u.Query().Get("state"), u.Query().Get("code")
}

// connect runs the whole flow and fails t if it does not connect team.
func (e *cxEnv) connect(t *testing.T, team incident.TeamID, zoomUser string) {
	t.Helper()
	state, code := e.authorize(t, team, cxAlice, zoomUser)
	got, err := e.app.CompleteZoomConnect(t.Context(), state, code)
	if err != nil || got != team {
		t.Fatalf("CompleteZoomConnect = %s, %v; want %s connected", got, err, team)
	}
}

// dms counts alice's direct messages containing substr.
func (e *cxEnv) dms(substr string) int {
	n := 0
	for _, m := range e.slack.DirectMessages(fakeslack.UserID(cxAlice)) {
		if strings.Contains(fakeslack.Text(m), substr) {
			n++
		}
	}
	return n
}

func cxProblem(t *testing.T, err error, want string) {
	t.Helper()
	var p *incident.Problem
	if !errors.As(err, &p) || !strings.Contains(p.Msg, want) {
		t.Errorf("error %v; want a problem saying %q", err, want)
	}
}

// TestCxSecondWorkspaceRefused: a Zoom account connected to one workspace
// is refused to another (SPEC §6), which keeps working; once the first
// disconnects, the second may connect it.
func TestCxSecondWorkspaceRefused(t *testing.T) {
	t.Parallel()
	e := cxNew(t)
	ctx := t.Context()
	e.connect(t, cxTeamA, cxOwner)

	state, code := e.authorize(t, cxTeamB, cxAlice, cxOwner)
	_, err := e.app.CompleteZoomConnect(ctx, state, code)
	cxProblem(t, err, "already connected to another Slack workspace")
	if _, err := e.store.ZoomConnection(ctx, cxTeamB); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("team B's connection after the refusal: %v; want none", err)
	}
	if team, err := e.store.TeamForZoomAccount(ctx, fakezoom.DefaultAccountID); err != nil || team != cxTeamA {
		t.Errorf("account is connected to %q, %v; want still team A", team, err)
	}
	stA, err := e.app.ZoomStatus(ctx, cxTeamA)
	if err != nil || !stA.Connected || !strings.Contains(stA.Detail, "scopes granted") {
		t.Errorf("team A status %+v, %v; want connected, its token working", stA, err)
	}
	if n := e.dms("Zoom is connected"); n != 1 {
		t.Errorf("alice was told %d times that Zoom is connected; want once (team A only)", n)
	}

	// Another Zoom account is fine for team B.
	e.connect(t, cxTeamB, cxOtherOwner)
	if err := e.app.DisconnectZoom(ctx, cxTeamB, cxAlice); err != nil {
		t.Fatal(err)
	}

	// After team A lets go, team B may take the first account.
	if err := e.app.DisconnectZoom(ctx, cxTeamA, cxAlice); err != nil {
		t.Fatal(err)
	}
	e.connect(t, cxTeamB, cxOwner)
	if st, err := e.app.ZoomStatus(ctx, cxTeamB); err != nil || !st.Connected || st.AccountID != fakezoom.DefaultAccountID || st.ConnectedBy != cxAlice {
		t.Errorf("team B status %+v, %v; want connected to %s by alice", st, err, fakezoom.DefaultAccountID)
	}
	if n := len(e.zoom.Revocations()); n != 4 {
		t.Errorf("revocations = %d; want 4 (access and refresh token, per disconnect)", n)
	}
}

// TestCxOAuthStateExpiry: an Authorize link is valid for ten minutes
// (SPEC §6); after that the redirect is refused before the code is
// exchanged.
func TestCxOAuthStateExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		after time.Duration
		ok    bool
	}{
		{9*time.Minute + 59*time.Second, true},
		{10*time.Minute + time.Second, false},
		{24 * time.Hour, false},
	} {
		e := cxNew(t)
		state, code := e.authorize(t, cxTeamA, cxAlice, cxOwner)
		e.clock.Advance(tc.after)
		_, err := e.app.CompleteZoomConnect(t.Context(), state, code)
		if tc.ok {
			if err != nil {
				t.Errorf("completed %v after connect: %v; want connected", tc.after, err)
			}
			continue
		}
		cxProblem(t, err, "invalid, expired or already used")
		if n := e.zoom.TokenRequests("authorization_code"); n != 0 {
			t.Errorf("completed %v after connect: the code was exchanged %d times; want never", tc.after, n)
		}
	}
}

// TestCxStateIsSingleUse: a state works once; the second use is refused
// without reaching Zoom, and the connection stays as the first made it.
func TestCxStateIsSingleUse(t *testing.T) {
	t.Parallel()
	e := cxNew(t)
	state, code := e.authorize(t, cxTeamA, cxAlice, cxOwner)
	if _, err := e.app.CompleteZoomConnect(t.Context(), state, code); err != nil {
		t.Fatal(err)
	}
	_, err := e.app.CompleteZoomConnect(t.Context(), state, code)
	cxProblem(t, err, "already used")
	if n := e.zoom.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("code exchanged %d times; want 1", n)
	}
	_, err = e.app.CompleteZoomConnect(t.Context(), "", code)
	cxProblem(t, err, "no state")
}

// TestCxConnectRefusals: who may connect, and what each mode answers.
func TestCxConnectRefusals(t *testing.T) {
	t.Parallel()
	install := cxNew(t)
	s2s := cxNew(t, func(_ *fakezoom.Options, d *app.Deps) {
		d.Zoom = zoom.NewServerToServerService(zoom.New("http://127.0.0.1:1", nil), nil) // never called
	})
	none := cxNew(t, func(_ *fakezoom.Options, d *app.Deps) { d.Zoom = app.NoZoom{} })
	for _, tc := range []struct {
		name string
		e    *cxEnv
		call func(*app.App) error
		want string
	}{
		{"bob connects", install, func(a *app.App) error { _, err := a.ConnectZoom(t.Context(), cxTeamA, cxBob); return err }, "Only workspace admins"},
		{"bob disconnects", install, func(a *app.App) error { return a.DisconnectZoom(t.Context(), cxTeamA, cxBob) }, "Only workspace admins"},
		{"nothing to disconnect", install, func(a *app.App) error { return a.DisconnectZoom(t.Context(), cxTeamA, cxAlice) }, "Zoom is not connected to this workspace"},
		{"s2s connect", s2s, func(a *app.App) error { _, err := a.ConnectZoom(t.Context(), cxTeamA, cxAlice); return err }, "Server-to-Server OAuth"},
		{"s2s disconnect", s2s, func(a *app.App) error { return a.DisconnectZoom(t.Context(), cxTeamA, cxAlice) }, "Server-to-Server OAuth"},
		{"s2s complete", s2s, func(a *app.App) error { _, err := a.CompleteZoomConnect(t.Context(), "s", "c"); return err }, "no install flow"},
		{"unconfigured connect", none, func(a *app.App) error { _, err := a.ConnectZoom(t.Context(), cxTeamA, cxAlice); return err }, "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"},
		{"unconfigured complete", none, func(a *app.App) error { _, err := a.CompleteZoomConnect(t.Context(), "s", "c"); return err }, "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"},
		{"unconfigured disconnect", none, func(a *app.App) error { return a.DisconnectZoom(t.Context(), cxTeamA, cxAlice) }, "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"},
	} {
		t.Run(tc.name, func(t *testing.T) { cxProblem(t, tc.call(tc.e.app), tc.want) })
	}

	st, err := none.app.ZoomStatus(t.Context(), cxTeamA)
	if err != nil || st.Configured || st.Connected || !strings.Contains(st.Detail, "ZOOM_CLIENT_ID") {
		t.Errorf("status without Zoom credentials %+v, %v; want not configured, not connected, and what to set", st, err)
	}
	if n := install.zoom.TokenRequests("authorization_code"); n != 0 {
		t.Errorf("refused requests reached Zoom's token endpoint %d times", n)
	}
}

// TestCxExchangeWithoutUserScope: a Zoom app without a user-read scope
// cannot identify its account; the admin is told which scope to add and
// nothing is stored.
func TestCxExchangeWithoutUserScope(t *testing.T) {
	t.Parallel()
	e := cxNew(t, func(zo *fakezoom.Options, _ *app.Deps) { zo.Scopes = []string{"meeting:write:meeting:admin"} })
	state, code := e.authorize(t, cxTeamA, cxAlice, cxOwner)
	_, err := e.app.CompleteZoomConnect(t.Context(), state, code)
	cxProblem(t, err, "user:read:user:admin")
	if _, err := e.store.ZoomConnection(t.Context(), cxTeamA); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("connection after a refused exchange: %v; want none", err)
	}
}

// TestCxZoomBrokenToldOnce: however many requests find the grant dead at
// once, admins get one message.
func TestCxZoomBrokenToldOnce(t *testing.T) {
	t.Parallel()
	e := cxNew(t)
	ctx := t.Context()
	e.connect(t, cxTeamA, cxOwner)
	conn, err := e.store.ZoomConnection(ctx, cxTeamA)
	if err != nil {
		t.Fatal(err)
	}
	e.app.ZoomBroken(ctx, cxTeamA) // not broken: nothing to tell
	if n := e.dms("Zoom refused"); n != 0 {
		t.Fatalf("admins told %d times about a working connection", n)
	}
	conn.Broken = true
	if err := e.store.SaveZoomConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { e.app.ZoomBroken(ctx, cxTeamA) })
	}
	wg.Wait()
	e.app.ZoomBroken(ctx, cxTeamA)
	if n := e.dms("Zoom refused"); n != 1 {
		t.Errorf("admins told %d times; want once", n)
	}
	st, err := e.app.ZoomStatus(ctx, cxTeamA)
	if err != nil || !st.Broken || st.Connected {
		t.Errorf("status %+v, %v; want broken", st, err)
	}
}

// TestCxZoomStatus: the status names the mode and scopes, and which
// optional scope would turn on crash reconciliation; a grant Zoom revoked
// shows as broken when the status refreshes it, and admins are told.
func TestCxZoomStatus(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	e := cxNew(t)
	e.connect(t, cxTeamA, cxOwner)
	st, err := e.app.ZoomStatus(ctx, cxTeamA)
	if err != nil || !st.Configured || !st.Install || !st.Connected || st.ConnectedBy != cxAlice {
		t.Fatalf("status %+v, %v; want install, connected by alice", st, err)
	}
	for _, want := range []string{"Installed with OAuth", "meeting:write:meeting:admin", "optional scope meeting:read:list_meetings:admin not granted"} {
		if !strings.Contains(st.Detail, want) {
			t.Errorf("detail %q lacks %q", st.Detail, want)
		}
	}

	all := cxNew(t, func(zo *fakezoom.Options, _ *app.Deps) {
		zo.Scopes = append(fakezoom.DefaultScopes(), "meeting:read:list_meetings:admin")
	})
	all.connect(t, cxTeamA, cxOwner)
	if st, err := all.app.ZoomStatus(ctx, cxTeamA); err != nil || strings.Contains(st.Detail, "optional scope") || !strings.Contains(st.Detail, "meeting:read:list_meetings:admin") {
		t.Errorf("status with every scope: %q, %v; want the list scope granted and nothing off", st.Detail, err)
	}

	// Tokens that are always due for renewal: the status refreshes, and
	// finds the grant revoked.
	short := cxNew(t, func(zo *fakezoom.Options, _ *app.Deps) { zo.TokenTTL = time.Minute })
	short.connect(t, cxTeamA, cxOwner)
	short.zoom.RevokeAll()
	st, err = short.app.ZoomStatus(ctx, cxTeamA)
	if err != nil || st.Connected || !st.Broken {
		t.Errorf("status of a revoked grant %+v, %v; want broken", st, err)
	}
	if n := short.dms("Zoom refused"); n != 1 {
		t.Errorf("admins told %d times of the revoked grant; want once", n)
	}
	if _, err := short.app.ZoomStatus(ctx, cxTeamA); err != nil {
		t.Fatal(err)
	}
	if n := short.zoom.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("refresh_token requests = %d; want 1 (a broken grant is not retried)", n)
	}
}

// TestCxDeauthorized: app_deauthorized deletes the account's connection
// and tells alice; an unknown account or a repeat changes nothing.
func TestCxDeauthorized(t *testing.T) {
	t.Parallel()
	e := cxNew(t)
	ctx := context.WithoutCancel(t.Context())
	e.connect(t, cxTeamA, cxOwner)
	if err := e.app.ZoomDeauthorized(ctx, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ZoomConnection(ctx, cxTeamA); err != nil {
		t.Fatalf("an unknown account's deauthorization removed team A's connection: %v", err)
	}
	for range 2 {
		if err := e.app.ZoomDeauthorized(ctx, fakezoom.DefaultAccountID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.ZoomConnection(ctx, cxTeamA); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("connection after deauthorization: %v; want deleted", err)
	}
	if n := e.dms("removed from your Zoom account"); n != 1 {
		t.Errorf("alice told %d times; want once", n)
	}
}

// TestCxZoomBrokenNeverUndoesDisconnectOrReconnect: telling admins of a
// broken grant marks the connection in one compare-and-swap, so a
// disconnect or a reconnect that lands between the app's read and its
// write is neither undone nor overwritten with the old, broken pair.
func TestCxZoomBrokenNeverUndoesDisconnectOrReconnect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	markBroken := func(e *cxEnv) incident.ZoomConnection {
		t.Helper()
		conn, err := e.store.ZoomConnection(ctx, cxTeamA)
		if err != nil {
			t.Fatal(err)
		}
		conn.Broken = true
		if err := e.store.SaveZoomConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		return conn
	}

	t.Run("disconnect", func(t *testing.T) {
		e := cxNew(t)
		e.connect(t, cxTeamA, cxOwner)
		markBroken(e)
		e.conns.onNextAccess(func() {
			if err := e.app.DisconnectZoom(ctx, cxTeamA, cxAlice); err != nil {
				t.Error(err)
			}
		})
		e.app.ZoomBroken(ctx, cxTeamA)
		if c, err := e.store.ZoomConnection(ctx, cxTeamA); !errors.Is(err, incident.ErrZoomNotConnected) {
			t.Errorf("after a disconnect during ZoomBroken: connection %q (broken %v), %v; want none", c.AccountID, c.Broken, err)
		}
		if _, err := e.store.TeamForZoomAccount(ctx, fakezoom.DefaultAccountID); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("account index: %v; want none", err)
		}
		if n := e.dms("Zoom refused"); n != 0 {
			t.Errorf("admins told %d times of a connection that was disconnected", n)
		}
	})

	t.Run("reconnect", func(t *testing.T) {
		e := cxNew(t)
		e.connect(t, cxTeamA, cxOwner)
		old := markBroken(e)
		var fresh incident.ZoomConnection
		e.conns.onNextAccess(func() {
			e.connect(t, cxTeamA, cxOwner)
			var err error
			if fresh, err = e.store.ZoomConnection(ctx, cxTeamA); err != nil {
				t.Error(err)
			}
		})
		e.app.ZoomBroken(ctx, cxTeamA)
		got, err := e.store.ZoomConnection(ctx, cxTeamA)
		if err != nil || got.Broken || got.RefreshToken != fresh.RefreshToken || got.RefreshToken == old.RefreshToken {
			t.Errorf("after a reconnect during ZoomBroken: broken %v, fresh pair kept %v, %v; want the reconnect's pair, not broken",
				got.Broken, got.RefreshToken == fresh.RefreshToken, err)
		}
		if st, err := e.app.ZoomStatus(ctx, cxTeamA); err != nil || !st.Connected {
			t.Errorf("status after the reconnect %+v, %v; want connected", st, err)
		}
		if n := e.dms("Zoom refused"); n != 0 {
			t.Errorf("admins told %d times of a grant that a reconnect replaced", n)
		}
	})
}

// TestCxDeauthorizedTellsWorkspaceAdmins: app_deauthorized reaches the
// workspace's admins and owners (SPEC §7) as well as whoever connected
// Zoom and ADMIN_USER_IDS, each once; bots, deactivated admins and other
// members hear nothing.
func TestCxDeauthorizedTellsWorkspaceAdmins(t *testing.T) {
	t.Parallel()
	const (
		owner   = incident.UserID("UOWNER")
		admin2  = incident.UserID("UADMIN2")
		botAdm  = incident.UserID("UBOTADM")
		gone    = incident.UserID("UGONE")
		listed  = incident.UserID("ULISTED") // ADMIN_USER_IDS, not a Slack admin
		removed = "removed from your Zoom account"
	)
	e := cxNew(t, func(_ *fakezoom.Options, d *app.Deps) { d.Admins = []incident.UserID{listed, cxAlice} })
	for _, u := range []fakeslack.User{
		{ID: fakeslack.UserID(owner), Name: "owner", IsOwner: true},
		{ID: fakeslack.UserID(admin2), Name: "admin2", IsAdmin: true},
		{ID: fakeslack.UserID(botAdm), Name: "robot", IsAdmin: true, IsBot: true},
		{ID: fakeslack.UserID(gone), Name: "gone", IsAdmin: true, Deleted: true},
		{ID: fakeslack.UserID(listed), Name: "listed"},
	} {
		e.slack.AddUser(u)
	}
	e.connect(t, cxTeamA, cxOwner)
	if err := e.app.ZoomDeauthorized(context.WithoutCancel(t.Context()), fakezoom.DefaultAccountID); err != nil {
		t.Fatal(err)
	}
	count := func(u incident.UserID) int {
		n := 0
		for _, m := range e.slack.DirectMessages(fakeslack.UserID(u)) {
			if strings.Contains(fakeslack.Text(m), removed) {
				n++
			}
		}
		return n
	}
	for u, want := range map[incident.UserID]int{cxAlice: 1, owner: 1, admin2: 1, listed: 1, botAdm: 0, gone: 0, cxBob: 0} {
		if got := count(u); got != want {
			t.Errorf("%s was told %d times; want %d", u, got, want)
		}
	}
}
