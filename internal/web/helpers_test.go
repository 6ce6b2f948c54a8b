package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// fixedNow is the test clock for webhook timestamps.
var fixedNow = time.Unix(1_780_000_000, 0)

func clock() time.Time { return fixedNow }

// fakeApp is a scriptable App that records its calls.
type fakeApp struct {
	team       incident.TeamID
	connectErr error
	deauthErr  error
	// onConnect and onDeauth, when set, run inside the call (to block or
	// inspect the context).
	onConnect func(ctx context.Context)
	onDeauth  func(ctx context.Context)

	mu       sync.Mutex
	connects [][2]string // state, code
	deauths  []string
}

func (f *fakeApp) CompleteZoomConnect(ctx context.Context, state, code string) (incident.TeamID, error) {
	f.mu.Lock()
	f.connects = append(f.connects, [2]string{state, code})
	f.mu.Unlock()
	if f.onConnect != nil {
		f.onConnect(ctx)
	}
	return f.team, f.connectErr
}

func (f *fakeApp) ZoomDeauthorized(ctx context.Context, accountID string) error {
	f.mu.Lock()
	f.deauths = append(f.deauths, accountID)
	f.mu.Unlock()
	if f.onDeauth != nil {
		f.onDeauth(ctx)
	}
	return f.deauthErr
}

func (f *fakeApp) calls() (connects [][2]string, deauths []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][2]string(nil), f.connects...), append([]string(nil), f.deauths...)
}

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger logs everything, debug included, into a buffer.
func testLogger() (zerolog.Logger, *logBuf) {
	b := &logBuf{}
	return zerolog.New(b).Level(zerolog.DebugLevel), b
}

// hook records what Options.Webhooks is told.
type hook struct {
	mu   sync.Mutex
	seen []string
}

func (h *hook) record(event, result string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, event+"/"+result)
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

// start runs a Server on 127.0.0.1:0 until the test ends and returns its
// base URL.
func start(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	s := New(opts)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, "http://" + s.Addr()
}

// send makes a request and returns status, headers and body.
func send(t *testing.T, method, url string, body []byte, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// sign computes Zoom's webhook signature independently of the zoom
// package: "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")).
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// signed returns the headers of a webhook signed with secret at ts.
func signed(secret string, ts time.Time, body []byte) map[string]string {
	s := strconv.FormatInt(ts.Unix(), 10)
	return map[string]string{
		"x-zm-request-timestamp": s,
		"x-zm-signature":         sign(secret, s, body),
	}
}
