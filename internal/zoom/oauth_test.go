package zoom

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

const (
	clientID     = "cid-1"
	clientSecret = "csecret-SHOULD-NOT-LEAK"
)

// tokenServer is a Zoom OAuth endpoint: the three grants with Basic client
// auth, and refresh tokens that rotate and die on first use.
type tokenServer struct {
	t   *testing.T
	url string

	mu        sync.Mutex
	issued    int             // tokens issued, for unique names
	live      map[string]bool // refresh tokens that may still be used
	used      map[string]int  // refresh token → times presented
	grants    map[string]int  // grant_type → requests
	revoked   []string
	failWith  int           // if non-zero, answer every request with this status
	onRefresh func()        // called before a refresh answer, outside mu
	gate      chan struct{} // if set, refresh answers wait on it
	expiresIn int
	scope     string
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{t: t, live: map[string]bool{}, used: map[string]int{}, grants: map[string]int{}, expiresIn: 3599,
		scope: "meeting:write:meeting:admin user:read:user:admin"}
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/token", ts.token)
	mux.HandleFunc("/oauth/revoke", ts.revoke)
	ts.url = newLocalServer(t, mux).URL
	return ts
}

func (s *tokenServer) checkClient(w http.ResponseWriter, r *http.Request) bool {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+clientSecret))
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != want {
		s.t.Errorf("%s %s: method or Basic auth wrong: %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		writeJSON(w, 401, `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`)
		return false
	}
	return true
}

func (s *tokenServer) token(w http.ResponseWriter, r *http.Request) {
	if !s.checkClient(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		s.t.Errorf("content type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("form: %v", err)
	}
	grant := r.PostForm.Get("grant_type")
	s.mu.Lock()
	s.grants[grant]++
	fail := s.failWith
	s.mu.Unlock()
	if fail != 0 {
		writeJSON(w, fail, `{"reason":"nope","error":"server_error"}`)
		return
	}
	switch grant {
	case "account_credentials":
		if r.PostForm.Get("account_id") != "acct-1" {
			s.t.Errorf("account_id = %q", r.PostForm.Get("account_id"))
		}
		s.hold()
		s.answer(w, false)
	case "authorization_code":
		if r.PostForm.Get("code") != "code-1" || r.PostForm.Get("redirect_uri") != "https://bridge.example/zoom/oauth/callback" {
			writeJSON(w, 400, `{"reason":"Invalid authorization code","error":"invalid_grant"}`)
			return
		}
		s.answer(w, true)
	case "refresh_token":
		s.hold()
		rt := r.PostForm.Get("refresh_token")
		s.mu.Lock()
		s.used[rt]++
		ok := s.live[rt]
		delete(s.live, rt)
		s.mu.Unlock()
		if !ok {
			writeJSON(w, 400, `{"reason":"Invalid Token!","error":"invalid_grant"}`)
			return
		}
		s.answer(w, true)
	default:
		writeJSON(w, 400, `{"reason":"Unsupported grant type","error":"unsupported_grant_type"}`)
	}
}

// hold runs the test's hooks before a token answer: onRefresh, then the
// gate.
func (s *tokenServer) hold() {
	if s.onRefresh != nil {
		s.onRefresh()
	}
	if s.gate != nil {
		<-s.gate
	}
}

func (s *tokenServer) answer(w http.ResponseWriter, withRefresh bool) {
	s.mu.Lock()
	s.issued++
	n := s.issued
	rt := ""
	if withRefresh {
		rt = fmt.Sprintf("refresh-%d", n)
		s.live[rt] = true
	}
	s.mu.Unlock()
	writeJSON(w, 200, fmt.Sprintf(`{"access_token":"access-%d","token_type":"bearer","refresh_token":%q,"expires_in":%d,"scope":%q,"api_url":"https://api.zoom.us"}`,
		n, rt, s.expiresIn, s.scope))
}

func (s *tokenServer) revoke(w http.ResponseWriter, r *http.Request) {
	if !s.checkClient(w, r) {
		return
	}
	tok := r.URL.Query().Get("token")
	if tok == "bad" {
		writeJSON(w, 400, `{"reason":"Invalid Token!","error":"invalid_request"}`)
		return
	}
	s.mu.Lock()
	s.revoked = append(s.revoked, tok)
	s.mu.Unlock()
	writeJSON(w, 200, `{"status":"success"}`)
}

func (s *tokenServer) count(grant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[grant]
}

// issue makes a live refresh token, as an earlier exchange would have.
func (s *tokenServer) issue(rt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[rt] = true
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestServerToServer(t *testing.T) {
	srv := newTokenServer(t)
	clk := &clock{t: testNow}
	ts := ServerToServer(srv.url, "acct-1", clientID, clientSecret, nil)
	ts.now = clk.now

	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-1" || !tok.Expiry.Equal(testNow.Add(3599*time.Second)) || len(Scopes(tok)) != 2 {
		t.Errorf("token = %+v scopes %v", tok, Scopes(tok))
	}
	if tok, _ = ts.Token(); tok.AccessToken != "access-1" || srv.count("account_credentials") != 1 {
		t.Errorf("cached token not reused: %s after %d fetches", tok.AccessToken, srv.count("account_credentials"))
	}
	clk.set(testNow.Add(3599*time.Second - 6*time.Minute))
	if tok, _ = ts.Token(); tok.AccessToken != "access-1" {
		t.Errorf("renewed too early: %s", tok.AccessToken)
	}
	clk.set(testNow.Add(3599*time.Second - 4*time.Minute)) // inside the 5-minute margin
	if tok, _ = ts.Token(); tok.AccessToken != "access-2" {
		t.Errorf("not renewed 4 minutes before expiry: %s", tok.AccessToken)
	}
	ts.Invalidate(&oauth2.Token{AccessToken: "access-1"}) // stale: ignored
	if tok, _ = ts.Token(); tok.AccessToken != "access-2" {
		t.Errorf("invalidating an old token dropped the current one")
	}
	ts.Invalidate(tok)
	if tok, _ = ts.Token(); tok.AccessToken != "access-3" {
		t.Errorf("invalidated token still served: %s", tok.AccessToken)
	}
}

func TestServerToServerOneRenewal(t *testing.T) {
	srv := newTokenServer(t)
	srv.gate = make(chan struct{})
	entered := make(chan struct{}, 100)
	srv.onRefresh = func() { entered <- struct{}{} }
	ts := ServerToServer(srv.url, "acct-1", clientID, clientSecret, nil)
	var wg, started sync.WaitGroup
	got := make([]string, 50)
	started.Add(len(got))
	for i := range got {
		wg.Go(func() {
			started.Done()
			tok, err := ts.TokenContext(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = tok.AccessToken
		})
	}
	started.Wait()
	<-entered // one fetch is at Zoom; hold it while the others pile up
	close(srv.gate)
	wg.Wait()
	if n := srv.count("account_credentials"); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	for _, g := range got {
		if g != "access-1" {
			t.Errorf("caller got %q", g)
		}
	}
}

func TestServerToServerErrors(t *testing.T) {
	f := setup(t)
	bad := http.NewServeMux()
	bad.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`)
	})
	ts := ServerToServer(newLocalServer(t, bad).URL, "acct-1", clientID, "wrong-secret-XYZ", nil)
	_, err := NewServerToServerService(f.client, ts).CreateMeeting(context.Background(), "T1", meetingReq())
	var oe *OAuthError
	if !errors.Is(err, incident.ErrZoomNotConnected) || !errors.As(err, &oe) || oe.Code != "invalid_client" {
		t.Fatalf("err = %v, want ErrZoomNotConnected from invalid_client", err)
	}
	noSecrets(t, err.Error(), "wrong-secret-XYZ", host)

	// A token endpoint that is down makes Zoom unavailable, not disconnected.
	srv := newTokenServer(t)
	srv.failWith = 503
	ts = ServerToServer(srv.url, "acct-1", clientID, clientSecret, nil)
	_, err = NewServerToServerService(f.client, ts).CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomUnavailable) || errors.Is(err, incident.ErrZoomNotConnected) {
		t.Fatalf("err = %v, want ErrZoomUnavailable", err)
	}
	noSecrets(t, err.Error(), clientSecret)
}

func TestTokenRefusedIsRenewedOnce(t *testing.T) {
	srv := newTokenServer(t)
	ts := ServerToServer(srv.url, "acct-1", clientID, clientSecret, nil)
	f := setup(t)
	var seen []string
	var mu sync.Mutex
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer access-1" {
			writeJSON(w, 401, `{"code":124,"message":"Invalid access token."}`)
			return
		}
		writeJSON(w, 201, created201)
	})
	m, err := NewServerToServerService(f.client, ts).CreateMeeting(context.Background(), "T1", meetingReq())
	if err != nil || m.ID != "85746065432" {
		t.Fatalf("CreateMeeting = %+v, %v", m, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[1] != "Bearer access-2" || srv.count("account_credentials") != 2 {
		t.Errorf("authorizations = %v after %d token fetches", seen, srv.count("account_credentials"))
	}
}

func TestAuthorizeURL(t *testing.T) {
	o := &OAuth{ClientID: clientID, ClientSecret: clientSecret, OAuthURL: "https://zoom.example/", RedirectURL: "https://bridge.example/zoom/oauth/callback"}
	u, err := url.Parse(o.AuthorizeURL("st-1"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme+"://"+u.Host+u.Path != "https://zoom.example/oauth/authorize" {
		t.Errorf("authorize URL = %s", u)
	}
	want := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"https://bridge.example/zoom/oauth/callback"}, "state": {"st-1"}}
	if u.Query().Encode() != want.Encode() {
		t.Errorf("query = %v, want %v", u.Query(), want)
	}
	noSecrets(t, u.String(), clientSecret)
	if got := (&OAuth{}).AuthorizeURL("s"); got[:len(DefaultOAuthURL)] != DefaultOAuthURL {
		t.Errorf("default base: %s", got)
	}
}

func newOAuth(srv *tokenServer, clk *clock) *OAuth {
	return &OAuth{ClientID: clientID, ClientSecret: clientSecret, OAuthURL: srv.url,
		RedirectURL: "https://bridge.example/zoom/oauth/callback", now: clk.now}
}

func TestExchange(t *testing.T) {
	srv := newTokenServer(t)
	o := newOAuth(srv, &clock{t: testNow})
	tok, err := o.Exchange(context.Background(), "code-1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" || !tok.Expiry.Equal(testNow.Add(3599*time.Second)) {
		t.Errorf("token = %+v", tok)
	}
	if sc := Scopes(tok); len(sc) != 2 || sc[0] != "meeting:write:meeting:admin" {
		t.Errorf("scopes = %v", sc)
	}
	_, err = o.Exchange(context.Background(), "code-used")
	if !IsInvalidGrant(err) {
		t.Errorf("bad code: err = %v, want invalid_grant", err)
	}
	noSecrets(t, err.Error(), "code-used", clientSecret)
}

// TestExchangeIsClientSecretBasic: the exchange (x/oauth2's
// Config.Exchange) authenticates with HTTP Basic only, as Zoom expects,
// sends the exact redirect_uri, and never puts the secret in the form.
func TestExchangeIsClientSecretBasic(t *testing.T) {
	mux := http.NewServeMux()
	var got url.Values
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got = r.PostForm
		if !ok || id != clientID || secret != clientSecret {
			writeJSON(w, 401, `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`)
			return
		}
		writeJSON(w, 200, `{"access_token":"a1","token_type":"bearer","refresh_token":"r1","expires_in":3599,"scope":"s1 s2"}`)
	})
	o := &OAuth{ClientID: clientID, ClientSecret: clientSecret, OAuthURL: newLocalServer(t, mux).URL,
		RedirectURL: "https://bridge.example/zoom/oauth/callback", now: (&clock{t: testNow}).now}
	tok, err := o.Exchange(context.Background(), "code-9")
	if err != nil || tok.AccessToken != "a1" || tok.RefreshToken != "r1" || !tok.Expiry.Equal(testNow.Add(3599*time.Second)) || len(Scopes(tok)) != 2 {
		t.Fatalf("Exchange = %+v, %v", tok, err)
	}
	want := url.Values{"grant_type": {"authorization_code"}, "code": {"code-9"}, "redirect_uri": {"https://bridge.example/zoom/oauth/callback"}}
	if got.Encode() != want.Encode() {
		t.Errorf("form = %v; want %v (no client credentials in it)", got, want)
	}
}

// TestExchangeWithoutAnswer: no answer from Zoom is a *TransportError
// that quotes neither the code nor the secret.
func TestExchangeWithoutAnswer(t *testing.T) {
	o := &OAuth{ClientID: clientID, ClientSecret: clientSecret, OAuthURL: "http://127.0.0.1:1", RedirectURL: "https://bridge.example/cb"}
	_, err := o.Exchange(context.Background(), "code-SECRET-77")
	var te *TransportError
	if !errors.As(err, &te) || te.Op != opToken {
		t.Fatalf("err = %v; want a *TransportError", err)
	}
	noSecrets(t, err.Error(), "code-SECRET-77", clientSecret)
}

func TestRevoke(t *testing.T) {
	srv := newTokenServer(t)
	o := newOAuth(srv, &clock{t: testNow})
	if err := o.Revoke(context.Background(), "access-9"); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	revoked := append([]string(nil), srv.revoked...)
	srv.mu.Unlock()
	if len(revoked) != 1 || revoked[0] != "access-9" {
		t.Errorf("revoked = %v", revoked)
	}
	err := o.Revoke(context.Background(), "bad")
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.HTTPStatus != 400 {
		t.Errorf("err = %v", err)
	}
	// Unreachable endpoint: the error must not quote the URL with the token.
	dead := &OAuth{ClientID: clientID, ClientSecret: clientSecret, OAuthURL: "http://127.0.0.1:1"}
	err = dead.Revoke(context.Background(), "tok-SECRET-123")
	if err == nil {
		t.Fatal("revoke against nothing succeeded")
	}
	noSecrets(t, err.Error(), "tok-SECRET-123", clientSecret)
}

// memStore is an in-memory ConnectionStore.
type memStore struct {
	mu      sync.Mutex
	conns   map[incident.TeamID]incident.ZoomConnection
	saves   int
	saveErr error
	// onSave runs inside Save with the connection being saved.
	onSave func(incident.ZoomConnection)
}

func newMemStore(conns ...incident.ZoomConnection) *memStore {
	s := &memStore{conns: map[incident.TeamID]incident.ZoomConnection{}}
	for _, c := range conns {
		s.conns[c.Team] = c
	}
	return s
}

func (s *memStore) ZoomConnection(_ context.Context, team incident.TeamID) (incident.ZoomConnection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[team]
	if !ok {
		return incident.ZoomConnection{}, fmt.Errorf("team %s: %w", team, incident.ErrZoomNotConnected)
	}
	return c, nil
}

func (s *memStore) SaveZoomConnection(_ context.Context, c incident.ZoomConnection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onSave != nil {
		s.onSave(c)
	}
	if s.saveErr != nil {
		return s.saveErr
	}
	s.saves++
	s.conns[c.Team] = c
	return nil
}

// UpdateZoomConnection is the store's compare-and-swap: fn runs under the
// lock on a copy, and a missing connection is never recreated.
func (s *memStore) UpdateZoomConnection(_ context.Context, team incident.TeamID, fn func(*incident.ZoomConnection) error) (incident.ZoomConnection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[team]
	if !ok {
		return incident.ZoomConnection{}, fmt.Errorf("team %s: %w", team, incident.ErrZoomNotConnected)
	}
	c.Scopes = append([]string(nil), c.Scopes...)
	if err := fn(&c); err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("update team %s: %w", team, err)
	}
	if s.onSave != nil {
		s.onSave(c)
	}
	if s.saveErr != nil {
		return incident.ZoomConnection{}, s.saveErr
	}
	s.saves++
	s.conns[team] = c
	return c, nil
}

// remove deletes team's connection, as a disconnect does.
func (s *memStore) remove(team incident.TeamID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, team)
}

// has reports whether team has a stored connection.
func (s *memStore) has(team incident.TeamID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.conns[team]
	return ok
}

func (s *memStore) get(team incident.TeamID) incident.ZoomConnection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[team]
}

// expiredConn is team T1's connection whose access token has expired.
func expiredConn(rt string) incident.ZoomConnection {
	return incident.ZoomConnection{Team: "T1", AccountID: "acct-1", AccessToken: "old-access", RefreshToken: rt,
		Expiry: testNow.Add(-time.Minute), Scopes: []string{"meeting:write:meeting:admin"}}
}

func TestInstallTokenSourceValidTokenNoRefresh(t *testing.T) {
	srv := newTokenServer(t)
	o := newOAuth(srv, &clock{t: testNow})
	conn := expiredConn("r0")
	conn.Expiry = testNow.Add(30 * time.Minute)
	store := newMemStore(conn)
	tok, err := o.TokenSource("T1", store).Token()
	if err != nil || tok.AccessToken != "old-access" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	if srv.count("refresh_token") != 0 {
		t.Error("refreshed a valid token")
	}
}

func TestInstallTokenSourceRefreshCommitsFirst(t *testing.T) {
	srv := newTokenServer(t)
	srv.issue("r0")
	o := newOAuth(srv, &clock{t: testNow})
	store := newMemStore(expiredConn("r0"))
	tok, err := o.TokenSource("T1", store).TokenContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := store.get("T1")
	if tok.AccessToken != "access-1" || got.AccessToken != "access-1" || got.RefreshToken != "refresh-1" ||
		!got.Expiry.Equal(testNow.Add(3599*time.Second)) || len(got.Scopes) != 2 || got.AccountID != "acct-1" {
		t.Errorf("token %+v, stored %+v", tok, got)
	}

	// A pair that cannot be committed is not used.
	srv.issue("r5")
	store2 := newMemStore(expiredConn("r5"))
	store2.saveErr = errors.New("disk full")
	tok, err = o.TokenSource("T1", store2).TokenContext(context.Background())
	if err == nil || tok != nil {
		t.Fatalf("uncommitted token used: %+v, %v", tok, err)
	}
	noSecrets(t, err.Error(), "access-", "refresh-", clientSecret)
}

func TestInstallTokenSourceConcurrentRefresh(t *testing.T) {
	srv := newTokenServer(t)
	srv.issue("r0")
	srv.gate = make(chan struct{})
	entered := make(chan struct{}, 100)
	srv.onRefresh = func() { entered <- struct{}{} }
	o := newOAuth(srv, &clock{t: testNow})
	store := newMemStore(expiredConn("r0"))

	const n = 50
	var wg sync.WaitGroup
	var started sync.WaitGroup
	started.Add(n)
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			// A fresh source per call, as Service makes them: the lock is
			// per workspace, not per source.
			tok, err := o.TokenSource("T1", store).TokenContext(context.Background())
			errs[i] = err
			if tok != nil {
				got[i] = tok.AccessToken
			}
		})
	}
	started.Wait()
	<-entered // one refresh is at Zoom; hold it while the others pile up
	close(srv.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != "access-1" {
			t.Errorf("caller %d: %q, %v", i, got[i], errs[i])
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.grants["refresh_token"] != 1 {
		t.Errorf("refreshes = %d, want 1", srv.grants["refresh_token"])
	}
	for rt, times := range srv.used {
		if times > 1 {
			t.Errorf("refresh token %s sent %d times", rt, times)
		}
	}
	if c := store.get("T1"); c.RefreshToken != "refresh-1" || c.Broken {
		t.Errorf("stored %+v", c)
	}
}

func TestInstallTokenSourceInvalidGrantMarksBroken(t *testing.T) {
	srv := newTokenServer(t) // "r-dead" was never issued: Zoom refuses it
	o := newOAuth(srv, &clock{t: testNow})
	store := newMemStore(expiredConn("r-dead"))
	f := setup(t)
	var creates atomic.Int32
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) { creates.Add(1) })
	svc := NewInstallService(f.client, o, store)
	_, err := svc.CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomNotConnected) || !IsInvalidGrant(err) {
		t.Fatalf("err = %v, want ErrZoomNotConnected from invalid_grant", err)
	}
	noSecrets(t, err.Error(), "r-dead", clientSecret, host)
	if c := store.get("T1"); !c.Broken || c.RefreshToken != "r-dead" {
		t.Errorf("stored %+v, want Broken", c)
	}
	// Broken: later calls fail at once, without asking Zoom again.
	_, err = svc.CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomNotConnected) || srv.count("refresh_token") != 1 || creates.Load() != 0 {
		t.Errorf("err = %v after %d refreshes, %d creates", err, srv.count("refresh_token"), creates.Load())
	}
}

func TestInstallTokenSourceInvalidGrantFindsNewerPair(t *testing.T) {
	srv := newTokenServer(t)
	o := newOAuth(srv, &clock{t: testNow})
	store := newMemStore(expiredConn("r-old"))
	// Another process refreshes first: by the time Zoom refuses "r-old",
	// the store holds its newer, valid pair.
	srv.onRefresh = func() {
		c := expiredConn("r-new")
		c.AccessToken, c.Expiry = "access-other", testNow.Add(time.Hour)
		if err := store.SaveZoomConnection(context.Background(), c); err != nil {
			t.Error(err)
		}
	}
	tok, err := o.TokenSource("T1", store).TokenContext(context.Background())
	if err != nil || tok.AccessToken != "access-other" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	if store.get("T1").Broken {
		t.Error("marked broken though a newer pair existed")
	}
}

func TestInstallTokenSourceInvalidate(t *testing.T) {
	srv := newTokenServer(t)
	srv.issue("r0")
	o := newOAuth(srv, &clock{t: testNow})
	conn := expiredConn("r0")
	conn.Expiry = testNow.Add(time.Hour)
	store := newMemStore(conn)
	f := setup(t)
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer access-1" {
			writeJSON(w, 401, `{"code":124,"message":"Invalid access token."}`)
			return
		}
		writeJSON(w, 201, created201)
	})
	m, err := NewInstallService(f.client, o, store).CreateMeeting(context.Background(), "T1", meetingReq())
	if err != nil || m.ID == "" {
		t.Fatalf("CreateMeeting = %+v, %v", m, err)
	}
	if srv.count("refresh_token") != 1 || store.get("T1").AccessToken != "access-1" {
		t.Errorf("refreshes = %d, stored %+v", srv.count("refresh_token"), store.get("T1"))
	}
}

func TestInstallServiceNotConnected(t *testing.T) {
	srv := newTokenServer(t)
	f := setup(t)
	svc := NewInstallService(f.client, newOAuth(srv, &clock{t: testNow}), newMemStore())
	if _, err := svc.CreateMeeting(context.Background(), "T9", meetingReq()); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("CreateMeeting: %v", err)
	}
	if err := svc.CheckUser(context.Background(), "T9", "x@example.com"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("CheckUser: %v", err)
	}
	if _, err := svc.Status(context.Background(), "T9"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("Status: %v", err)
	}
}

func TestInstallServiceStatusScopes(t *testing.T) {
	srv := newTokenServer(t)
	conn := expiredConn("r0")
	conn.Expiry = testNow.Add(time.Hour)
	conn.Scopes = []string{"meeting:write:meeting:admin", "user:read:user:admin"}
	svc := NewInstallService(New("", nil), newOAuth(srv, &clock{t: testNow}), newMemStore(conn))
	st, err := svc.Status(context.Background(), "T1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != ModeInstall || len(st.Missing) != 0 || len(st.MissingOptional) != 1 || st.MissingOptional[0].Scope != "meeting:read:list_meetings:admin" {
		t.Errorf("status = %+v", st)
	}
}
