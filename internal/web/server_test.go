package web

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/app"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	_, base := start(t, Options{Ready: func() error { return errors.New("not yet") }})

	code, _, body := send(t, "GET", base+"/healthz", nil, nil)
	if code != http.StatusOK || body != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\" even when not ready", code, body)
	}
	if code, _, _ := send(t, "POST", base+"/healthz", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", code)
	}
	if code, _, _ := send(t, "GET", base+"/nope", nil, nil); code != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", code)
	}
}

func TestReadyzFlips(t *testing.T) {
	t.Parallel()
	var notReady atomic.Pointer[error]
	reason := errors.New("slack socket mode not connected")
	notReady.Store(&reason)
	_, base := start(t, Options{Ready: func() error {
		if p := notReady.Load(); p != nil {
			return *p
		}
		return nil
	}})

	code, _, body := send(t, "GET", base+"/readyz", nil, nil)
	if code != http.StatusServiceUnavailable || body != "slack socket mode not connected" {
		t.Errorf("not ready: %d %q, want 503 with the reason", code, body)
	}
	notReady.Store(nil)
	code, _, body = send(t, "GET", base+"/readyz", nil, nil)
	if code != http.StatusOK || body != "ready" {
		t.Errorf("ready: %d %q, want 200 \"ready\"", code, body)
	}
	notReady.Store(&reason)
	if code, _, _ := send(t, "GET", base+"/readyz", nil, nil); code != http.StatusServiceUnavailable {
		t.Errorf("not ready again: %d, want 503", code)
	}
}

func TestReadyzWithoutCheckIsReady(t *testing.T) {
	t.Parallel()
	_, base := start(t, Options{})
	if code, _, body := send(t, "GET", base+"/readyz", nil, nil); code != http.StatusOK || body != "ready" {
		t.Errorf("GET /readyz = %d %q, want 200 ready", code, body)
	}
}

func TestMetricsRoute(t *testing.T) {
	t.Parallel()
	m := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "incident_bridge_test 1\n") // test handler; the client reads it
	})
	_, base := start(t, Options{Metrics: m})
	if code, _, body := send(t, "GET", base+"/metrics", nil, nil); code != http.StatusOK || body != "incident_bridge_test 1\n" {
		t.Errorf("GET /metrics = %d %q", code, body)
	}

	_, bare := start(t, Options{})
	if code, _, _ := send(t, "GET", bare+"/metrics", nil, nil); code != http.StatusNotFound {
		t.Errorf("GET /metrics without handler = %d, want 404", code)
	}
}

func TestListenAndAddr(t *testing.T) {
	t.Parallel()
	s := New(Options{Addr: "127.0.0.1:0"})
	if got := s.Addr(); got != "127.0.0.1:0" {
		t.Errorf("Addr before Listen = %q", got)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" {
		t.Fatalf("Addr after Listen = %q, want a real port", addr)
	}
	if err := s.Listen(); err == nil {
		t.Error("second Listen succeeded")
	}

	// The port is taken, so a second server cannot run on it.
	other := New(Options{Addr: addr})
	if err := other.Run(t.Context()); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Run on a taken port = %v, want an error naming %s", err, addr)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Serve(ctx); err != nil {
		t.Errorf("Serve with an ended context = %v, want nil", err)
	}
}

func TestServerLimits(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	if s.srv.ReadHeaderTimeout <= 0 || s.srv.ReadTimeout <= 0 || s.srv.WriteTimeout <= 0 || s.srv.IdleTimeout <= 0 || s.srv.MaxHeaderBytes <= 0 {
		t.Errorf("limits not all set: %+v", s.srv)
	}
	if s.srv.WriteTimeout <= s.workTimeout {
		t.Errorf("WriteTimeout %v must exceed the work bound %v so slow work can still answer", s.srv.WriteTimeout, s.workTimeout)
	}
	if s.shutdownTimeout != DefaultShutdownTimeout || s.workTimeout != DefaultWorkTimeout {
		t.Errorf("defaults: shutdown %v, work %v", s.shutdownTimeout, s.workTimeout)
	}
}

// serveUntil runs s until the returned cancel, reporting Serve's result on
// the channel.
func serveUntil(t *testing.T, s *Server) (context.CancelFunc, <-chan error) {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(cancel)
	return cancel, done
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	fa := &fakeApp{team: "T1", onConnect: func(context.Context) {
		close(entered)
		<-release
	}}
	s := New(Options{Addr: "127.0.0.1:0", App: fa})
	stop, served := serveUntil(t, s)
	base := "http://" + s.Addr()

	type result struct {
		code int
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/zoom/oauth/callback?state=s&code=c")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()

	<-entered
	stop()
	// Shutdown closes the listener at once; poll until new connections
	// are refused, while the request in flight is still held.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections after shutdown began")
		}
		runtime.Gosched()
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) before the request in flight finished", err)
	default:
	}

	close(release)
	r := <-got
	if r.err != nil || r.code != http.StatusOK || !strings.Contains(r.body, msgConnected) {
		t.Errorf("in-flight request = %d %q %v, want 200 success page", r.code, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
	}
}

func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	workErr := make(chan error, 1)
	entered := make(chan struct{})
	fa := &fakeApp{team: "T1", onConnect: func(ctx context.Context) {
		close(entered)
		<-ctx.Done() // work that only its own deadline stops
		workErr <- ctx.Err()
	}}
	s := New(Options{Addr: "127.0.0.1:0", App: fa, ShutdownTimeout: 50 * time.Millisecond, WorkTimeout: 300 * time.Millisecond})
	stop, served := serveUntil(t, s)

	clientDone := make(chan struct{})
	go func() {
		defer close(clientDone)
		resp, err := http.Get("http://" + s.Addr() + "/zoom/oauth/callback?state=s&code=c")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	stop()

	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within its bounds")
	}
	// Serve waited for the handler, whose work ended at its own deadline.
	select {
	case err := <-workErr:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("work context ended with %v, want deadline exceeded", err)
		}
	default:
		t.Error("Serve returned before the handler's work ended")
	}
	<-clientDone
}

func TestRequestsAfterDrainAreRefused(t *testing.T) {
	t.Parallel()
	fa := &fakeApp{}
	s := New(Options{App: fa})
	s.drain()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/zoom/oauth/callback?state=s&code=c", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503 once draining", rec.Code)
	}
	if c, _ := fa.calls(); len(c) != 0 {
		t.Errorf("app called while draining: %v", c)
	}
}

// Both the fake and the real app satisfy App.
var (
	_ App = (*fakeApp)(nil)
	_ App = (*app.App)(nil)
)
