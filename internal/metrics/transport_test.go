package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"
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
			_, _ = w.Write([]byte(`{"ok":true}`)) // a test server: nobody to tell
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

// slackAnswers is a Slack Web API double: each method answers as the
// table says, with Slack's JSON content type unless ctype is set.
type slackAnswer struct {
	status int
	ctype  string
	body   string
}

func slackServer(t *testing.T, answers map[string]slackAnswer) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[strings.TrimPrefix(r.URL.Path, "/api/")]
		if !ok {
			t.Errorf("unexpected call %s", r.URL.Path)
			return
		}
		ct := a.ctype
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(max(a.status, http.StatusOK))
		_, _ = io.WriteString(w, a.body) // a test server: nobody to tell
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSlackTransportCountsSlackErrors: Slack's {"ok":false,"error":…}
// answers, which come with HTTP 200, are counted by their error code; the
// body reaches the caller byte for byte, however long.
func TestSlackTransportCountsSlackErrors(t *testing.T) {
	t.Parallel()
	long := `{"ok":true,"members":[` + strings.Repeat(`{"id":"U1","name":"someone"},`, 60000) + `{"id":"U2"}]}`
	answers := map[string]slackAnswer{
		"chat.postMessage":      {body: `{"ok":false,"error":"channel_not_found"}`},
		"users.info":            {body: `{"user":{"id":"U1"},"warning":"x","ok":true}`},
		"conversations.join":    {status: 429, body: `{"ok":false,"error":"ratelimited"}`},
		"bookmarks.add":         {status: 500, ctype: "text/html", body: "<html>down</html>"},
		"users.list":            {body: long},
		"pins.add":              {body: `{"ok":false}`},
		"conversations.create":  {body: `{"ok":false,"error":"Name Taken! <script>"}`},
		"apps.connections.open": {body: `{"ok":false,"error":"internal_error","needed":["a","b"]}`},
	}
	srv := slackServer(t, answers)
	m := New()
	c := &http.Client{Transport: m.SlackTransport(nil)}
	for method, a := range answers {
		resp, err := c.Post(srv.URL+"/api/"+method, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if cerr := resp.Body.Close(); err == nil {
			err = cerr
		}
		if err != nil || string(body) != a.body {
			t.Errorf("%s: the caller read %d bytes (err %v); want the %d bytes Slack sent, unchanged", method, len(body), err, len(a.body))
		}
	}
	for method, want := range map[string]string{
		"chat.postMessage":      "channel_not_found",
		"users.info":            "ok",
		"conversations.join":    "ratelimited",
		"bookmarks.add":         "http_500",
		"users.list":            "ok",
		"pins.add":              "unknown_error",
		"conversations.create":  "other_error",
		"apps.connections.open": "internal_error",
	} {
		if got := value(t, m, "incident_bridge_slack_requests_total", map[string]string{"method": method, "outcome": want}); got != 1 {
			t.Errorf("slack_requests_total{method=%q,outcome=%q} = %v; want 1", method, want, got)
		}
		ok := strconv.FormatBool(want == "ok")
		if h := histogram(t, m, "incident_bridge_slack_request_duration_seconds", map[string]string{"method": method, "ok": ok}); h.GetSampleCount() != 1 {
			t.Errorf("slack_request_duration_seconds{method=%q,ok=%q} count = %d; want 1", method, ok, h.GetSampleCount())
		}
	}
}

// TestSlackTransportKeepsSlackGoWorking: slack-go, reading through the
// transport, still sees Slack's error code and data.
func TestSlackTransportKeepsSlackGoWorking(t *testing.T) {
	t.Parallel()
	srv := slackServer(t, map[string]slackAnswer{
		"chat.postMessage": {body: `{"ok":false,"error":"channel_not_found"}`},
		"auth.test":        {body: `{"ok":true,"team_id":"T1","user_id":"UBOT"}`},
	})
	m := New()
	api := slack.New("xoxb-test", slack.OptionAPIURL(srv.URL+"/api/"),
		slack.OptionHTTPClient(&http.Client{Transport: m.SlackTransport(nil)}))
	_, _, err := api.PostMessageContext(t.Context(), "C404", slack.MsgOptionText("hi", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Errorf("slack-go got %v; want its SlackErrorResponse channel_not_found", err)
	}
	who, err := api.AuthTestContext(t.Context())
	if err != nil || who.TeamID != "T1" || who.UserID != "UBOT" {
		t.Errorf("auth.test through the transport = %+v, %v", who, err)
	}
	if got := value(t, m, "incident_bridge_slack_requests_total", map[string]string{"method": "chat.postMessage", "outcome": "channel_not_found"}); got != 1 {
		t.Errorf("channel_not_found counted %v times; want 1", got)
	}
}

// TestSlackTransportReadFailure: a body that breaks while the transport
// peeks at it gives the caller the same read error, not a short body.
func TestSlackTransportReadFailure(t *testing.T) {
	t.Parallel()
	m := New()
	broken := errors.New("connection reset")
	next := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(io.MultiReader(strings.NewReader(`{"ok":fa`), errReader{broken})),
			Request:    r,
		}, nil
	})
	req, err := http.NewRequestWithContext(t.Context(), "POST", "http://slack.invalid/api/chat.postMessage", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.SlackTransport(next).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, broken) || string(body) != `{"ok":fa` {
		t.Errorf("read %q, %v; want the bytes before the failure and the failure", body, err)
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

	if h := histogram(t, m, "incident_bridge_slack_request_duration_seconds", map[string]string{"method": "chat.postMessage", "ok": "true"}); h.GetSampleCount() != 2 {
		t.Errorf("chat.postMessage ok=true count = %d, want 2", h.GetSampleCount())
	}
	if h := histogram(t, m, "incident_bridge_slack_request_duration_seconds", map[string]string{"method": "users.info", "ok": "false"}); h.GetSampleCount() != 1 {
		t.Errorf("users.info ok=false count = %d, want 1", h.GetSampleCount())
	}
	if got := value(t, m, "incident_bridge_slack_requests_total", map[string]string{"method": "users.info", "outcome": "http_429"}); got != 1 {
		t.Errorf("users.info http_429 = %v, want 1", got)
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
	if got := value(t, m, "incident_bridge_slack_requests_total", map[string]string{"method": "auth.test", "outcome": "transport_error"}); got != 1 {
		t.Errorf("auth.test transport_error = %v, want 1", got)
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
