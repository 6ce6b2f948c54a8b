package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestZoomOp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		method, path, want string
	}{
		{"POST", "/v2/users/alice@example.com/meetings", "POST /users/{userId}/meetings"},
		{"POST", "/users/me/meetings", "POST /users/{userId}/meetings"},
		{"GET", "/v2/users/me", "GET /users/{userId}"},
		{"GET", "/v2/users/KDcuGIm1QgePTO8WbOqwIQ", "GET /users/{userId}"},
		{"GET", "/v2/meetings/85746065432", "GET /meetings/{id}"},
		{"PATCH", "/v2/meetings/85746065432/status", "PATCH /meetings/{id}/status"},
		{"GET", "/v2/past_meetings/4444AAAiAAAAAiAiAiiAii==/participants", "GET /past_meetings/{id}/participants"},
		{"GET", "/v2/meetings/%2Fab%2Fc==", "GET /meetings/{id}"},
		{"POST", "/oauth/token", "POST /oauth/token"},
		{"POST", "/oauth/revoke", "POST /oauth/revoke"},
		{"GET", "/", "GET /"},
		{"GET", "/v2", "GET /"},
	} {
		if got := ZoomOp(tt.method, tt.path); got != tt.want {
			t.Errorf("ZoomOp(%q, %q) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestSlackMethod(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ path, want string }{
		{"/api/chat.postMessage", "chat.postMessage"},
		{"/api/apps.connections.open", "apps.connections.open"},
		{"/api/bookmarks.add", "bookmarks.add"},
		{"/api/", "other"},
		{"/upload/v1/ABC123", "other"},
		{"/api/users.info;x@example.com", "other"},
		{"/api/.hidden", "other"},
	} {
		if got := slackMethod(tt.path); got != tt.want {
			t.Errorf("slackMethod(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// statusServer answers every request with the status in ?status= (200 by
// default), so tests can drive the transports' labels.
func statusServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("status") {
		case "429":
			w.WriteHeader(http.StatusTooManyRequests)
		case "201":
			w.WriteHeader(http.StatusCreated)
		default:
			_, _ = w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`)) // body ignored by design
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, c *http.Client, method, url string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSlackTransport(t *testing.T) {
	t.Parallel()
	srv := statusServer(t)
	m := New()
	c := &http.Client{Transport: m.SlackTransport(nil)}

	do(t, c, "POST", srv.URL+"/api/chat.postMessage")
	do(t, c, "POST", srv.URL+"/api/chat.postMessage")
	do(t, c, "POST", srv.URL+"/api/users.info?status=429&user=U1")

	// 200 with "ok":false in the body is still ok="true": only the status counts.
	if h := histogram(t, m, "incident_bridge_slack_request_duration_seconds", map[string]string{"method": "chat.postMessage", "ok": "true"}); h.GetSampleCount() != 2 {
		t.Errorf("chat.postMessage ok=true count = %d, want 2", h.GetSampleCount())
	}
	if h := histogram(t, m, "incident_bridge_slack_request_duration_seconds", map[string]string{"method": "users.info", "ok": "false"}); h.GetSampleCount() != 1 {
		t.Errorf("users.info ok=false count = %d, want 1", h.GetSampleCount())
	}
}

func TestSlackTransportError(t *testing.T) {
	t.Parallel()
	srv := statusServer(t)
	url := srv.URL
	srv.Close() // nothing listens now: the call fails without a response

	m := New()
	c := &http.Client{Transport: m.SlackTransport(http.DefaultTransport)}
	req, err := http.NewRequestWithContext(t.Context(), "POST", url+"/api/auth.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("want a transport error from a closed server")
	}
	if h := histogram(t, m, "incident_bridge_slack_request_duration_seconds", map[string]string{"method": "auth.test", "ok": "false"}); h.GetSampleCount() != 1 {
		t.Errorf("auth.test ok=false count = %d, want 1", h.GetSampleCount())
	}
}

func TestZoomTransport(t *testing.T) {
	t.Parallel()
	srv := statusServer(t)
	m := New()
	c := &http.Client{Transport: m.ZoomTransport(nil)}

	do(t, c, "POST", srv.URL+"/v2/users/alice@example.com/meetings?status=201")
	do(t, c, "POST", srv.URL+"/v2/users/bob@example.com/meetings?status=429")
	do(t, c, "POST", srv.URL+"/oauth/token?refresh_token=secret-refresh")

	for _, tt := range []struct {
		op, code string
	}{
		{"POST /users/{userId}/meetings", "201"},
		{"POST /users/{userId}/meetings", "429"},
		{"POST /oauth/token", "200"},
	} {
		if h := histogram(t, m, "incident_bridge_zoom_request_duration_seconds", map[string]string{"op": tt.op, "code": tt.code}); h.GetSampleCount() != 1 {
			t.Errorf("%s %s count = %d, want 1", tt.op, tt.code, h.GetSampleCount())
		}
	}

	// No label anywhere may carry an email or a token.
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if v := lp.GetValue(); strings.Contains(v, "@") || strings.Contains(v, "secret") || strings.Contains(v, "alice") {
					t.Errorf("%s label %s=%q leaks request data", f.GetName(), lp.GetName(), v)
				}
			}
		}
	}
}
