package zoom

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// testNow is the fixed clock of every test client.
var testNow = time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)

// fakeSleeper records the waits a client asks for without waiting.
type fakeSleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleeper) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return ctx.Err()
}

func (f *fakeSleeper) got() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// fixture is a client talking to an httptest mux on 127.0.0.1, go-github
// style.
type fixture struct {
	client *Client
	mux    *http.ServeMux
	srv    *httptest.Server
	sleep  *fakeSleeper
}

// newLocalServer starts an httptest server bound to 127.0.0.1.
func newLocalServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// setup returns a client whose API base is a fresh mux, with a fixed clock,
// a recording sleeper and no jitter (backoff is exactly half its step).
func setup(t *testing.T) *fixture {
	t.Helper()
	mux := http.NewServeMux()
	srv := newLocalServer(t, mux)
	c := New(srv.URL+"/v2", srv.Client())
	fs := &fakeSleeper{}
	c.now = func() time.Time { return testNow }
	c.sleep = fs.sleep
	c.jitter = func() float64 { return 0 }
	return &fixture{client: c, mux: mux, srv: srv, sleep: fs}
}

// staticTS is a token source with one token.
func staticTS(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "bearer"})
}

// testMethod fails unless r has method want.
func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("method = %s, want %s", r.Method, want)
	}
}

// testHeader fails unless r's header name is want.
func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("header %s = %q, want %q", name, got, want)
	}
}

// testJSONBody fails unless r's body is JSON equal to want.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	data, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	var got, exp any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, data)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	g, _ := json.Marshal(got) // re-marshal both: map keys sort, so equal JSON compares equal
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Errorf("body = %s\nwant   %s", g, e)
	}
}

// writeJSON answers status with body.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body) // the test fails on the client side if this is lost
}

// noSecrets fails if s holds any of secrets.
func noSecrets(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, x := range secrets {
		if x != "" && strings.Contains(s, x) {
			t.Errorf("%q leaks %q", s, x)
		}
	}
}

func TestNewRequest(t *testing.T) {
	c := New("https://api.example.test/v2/", nil)
	r, err := c.NewRequest(context.Background(), http.MethodPost, "/users/x/meetings", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.URL.String(); got != "https://api.example.test/v2/users/x/meetings" {
		t.Errorf("URL = %s", got)
	}
	testHeader(t, r, "Content-Type", "application/json")
	testHeader(t, r, "Accept", "application/json")
	testHeader(t, r, "User-Agent", userAgent)
	if r.GetBody == nil {
		t.Error("body is not replayable")
	}
	if New("", nil).baseURL != DefaultAPIURL {
		t.Error("empty API URL does not default to Zoom's")
	}
}

func TestDoSendsBearerAndDecodes(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testHeader(t, r, "Authorization", "Bearer tok-1")
		writeJSON(w, 200, `{"id":"u1"}`)
	})
	r, err := f.client.NewRequest(context.Background(), http.MethodGet, "users/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ ID string }
	if err := f.client.Do(staticTS("tok-1"), opUser, r, &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "u1" {
		t.Errorf("decoded %+v", out)
	}
}

func TestDoRetriesGetOnServerErrorAndTransport(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	f.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			writeJSON(w, 503, `<html>busy</html>`)
			return
		}
		writeJSON(w, 200, `{"id":"u1"}`)
	})
	u, err := f.client.User(context.Background(), staticTS("t"), "me")
	if err != nil || u.ID != "u1" {
		t.Fatalf("User = %+v, %v", u, err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("calls = %d, want 3", n)
	}
	// Jitter 0: half of 500ms, then half of 1s.
	if got := f.sleep.got(); len(got) != 2 || got[0] != 250*time.Millisecond || got[1] != 500*time.Millisecond {
		t.Errorf("waits = %v", got)
	}
}

func TestDoDoesNotRetryPastDeadline(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	f.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, 429, `{"code":429,"message":"You have reached the maximum per-second rate limit for this API."}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := f.client.User(ctx, staticTS("t"), "me")
	if !IsRateLimited(err) {
		t.Fatalf("err = %v, want rate limited", err)
	}
	if n := calls.Load(); n != 1 || len(f.sleep.got()) != 0 {
		t.Errorf("calls = %d, waits = %v; want one call and no wait past the deadline", n, f.sleep.got())
	}
}

func TestBackoff(t *testing.T) {
	c := New("", nil)
	c.jitter = func() float64 { return 0.999999 }
	for _, tt := range []struct {
		try  int
		want time.Duration
	}{{1, 500 * time.Millisecond}, {2, time.Second}, {3, 2 * time.Second}, {6, 10 * time.Second}, {80, 10 * time.Second}} {
		got := c.backoff(tt.try)
		if got > tt.want || got < tt.want*99/100 {
			t.Errorf("backoff(%d) = %v, want about %v", tt.try, got, tt.want)
		}
	}
	c.jitter = func() float64 { return 0 }
	if got := c.backoff(2); got != 500*time.Millisecond {
		t.Errorf("backoff(2) with zero jitter = %v, want 500ms", got)
	}
}

func TestRetryAfter(t *testing.T) {
	c := New("", nil)
	c.now = func() time.Time { return testNow }
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 1.5 ", 1500 * time.Millisecond, true},
		{"-4", 0, true},
		{"2026-11-24T10:15:07Z", 7 * time.Second, true},
		{"2026-11-24T11:15:07+01:00", 7 * time.Second, true},
		{"Tue, 24 Nov 2026 10:15:09 GMT", 9 * time.Second, true},
		{"2026-11-24T10:00:00Z", 0, true}, // in the past
		{"2026-11-25T00:00:00Z", 13*time.Hour + 45*time.Minute, true},
		{"soon", 0, false},
	} {
		got, ok := c.retryAfter(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
