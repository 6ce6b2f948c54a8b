package fakezoom_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	admin = "admin@example.com"
)

// testUsers: an owner, a licensed admin, two hosts, one user who may not host.
func testUsers() []fakezoom.User {
	return []fakezoom.User{
		{Email: "owner@example.com", FirstName: "Olga", LastName: "Owner", CanHost: true},
		{Email: admin, FirstName: "Ada", LastName: "Admin", Role: "Admin", CanHost: true},
		{Email: alice, FirstName: "Alice", LastName: "A", CanHost: true},
		{Email: bob, FirstName: "Bob", LastName: "B", CanHost: true},
		{Email: "viewer@example.com", FirstName: "Vic", LastName: "Viewer", CanHost: false},
		{Email: "stranger@other.example", AccountID: "other-account", Role: "Owner", CanHost: true},
	}
}

// newServer starts a fake with testUsers and the clock, closed at cleanup.
func newServer(t *testing.T, c *clock, mod func(*fakezoom.Options)) *fakezoom.Server {
	t.Helper()
	opts := fakezoom.Options{Users: testUsers(), Now: c.Now}
	if mod != nil {
		mod(&opts)
	}
	s := fakezoom.New(opts)
	t.Cleanup(s.Close)
	return s
}

// reply is a decoded HTTP answer.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r reply) str(key string) string { s, _ := r.body[key].(string); return s }

func (r reply) num(key string) int64 {
	n, _ := r.body[key].(json.Number)
	v, _ := n.Int64()
	return v
}

// call performs one request; header values are set as given.
func call(t *testing.T, method, target string, body []byte, header map[string]string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, target, raw, err)
		}
	}
	return r
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// tokenForm posts form to /oauth/token with the fake's client credentials.
func tokenForm(t *testing.T, s *fakezoom.Server, form url.Values) reply {
	t.Helper()
	req := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	return callBasic(t, s, s.OAuthURL()+"/oauth/token", []byte(form.Encode()), req)
}

func callBasic(t *testing.T, s *fakezoom.Server, target string, body []byte, header map[string]string) reply {
	t.Helper()
	if header == nil {
		header = map[string]string{}
	}
	header["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(s.ClientID()+":"+s.ClientSecret()))
	return call(t, http.MethodPost, target, body, header)
}

// s2sToken gets a Server-to-Server access token.
func s2sToken(t *testing.T, s *fakezoom.Server) string {
	t.Helper()
	r := tokenForm(t, s, url.Values{"grant_type": {"account_credentials"}, "account_id": {s.AccountID()}})
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("s2s token: %d %s", r.status, r.raw)
	}
	return r.str("access_token")
}

// createBody is the request incident-bridge sends (reference §2).
func createBody() map[string]any {
	return map[string]any{
		"topic": "INC-42: Checkout errors", "type": 2, "start_time": "2026-11-24T10:15:00Z",
		"duration": 60, "timezone": "UTC", "agenda": "Incident INC-42 (SEV-1)",
		"settings": map[string]any{
			"join_before_host": true, "jbh_time": 0, "waiting_room": false,
			"auto_recording": "none", "approval_type": 2, "email_notification": false,
		},
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// create posts body as a meeting for host with tok.
func create(t *testing.T, s *fakezoom.Server, tok, host string, body any) reply {
	t.Helper()
	var raw []byte
	if b, ok := body.([]byte); ok {
		raw = b
	} else {
		raw = mustJSON(t, body)
	}
	h := bearer(tok)
	h["Content-Type"] = "application/json"
	return call(t, http.MethodPost, s.APIURL()+"/users/"+url.PathEscape(host)+"/meetings", raw, h)
}

// wantError checks a Zoom REST error answer.
func wantError(t *testing.T, r reply, status int, code int64, msgPart string) {
	t.Helper()
	if r.status != status || r.num("code") != code || !strings.Contains(r.str("message"), msgPart) {
		t.Errorf("got %d %s; want %d code %d message containing %q", r.status, r.raw, status, code, msgPart)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
