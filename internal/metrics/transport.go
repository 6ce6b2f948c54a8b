package metrics

import (
	"net/http"
	"path"
	"strings"
	"time"
)

// roundTripperFunc adapts a function to http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// orDefault returns next, or http.DefaultTransport when next is nil.
func orDefault(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		return http.DefaultTransport
	}
	return next
}

// SlackTransport wraps next (http.DefaultTransport when nil) to time each
// Slack Web API call in slack_request_duration_seconds, labelled by the API
// method (the URL's last path element, "other" if it does not look like
// one) and ok ("true" for HTTP 200). Bodies are never read, and the time is
// until the response headers arrive.
func (m *Metrics) SlackTransport(next http.RoundTripper) http.RoundTripper {
	next = orDefault(next)
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		m.observeSlack(slackMethod(r.URL.Path), err == nil && resp.StatusCode == http.StatusOK, time.Since(start))
		return resp, err
	})
}

// ZoomTransport wraps next (http.DefaultTransport when nil) to time each
// Zoom call in zoom_request_duration_seconds, labelled by op (method and
// path template, see ZoomOp) and the HTTP status code ("error" when no
// response arrived). Bodies are never read.
func (m *Metrics) ZoomTransport(next http.RoundTripper) http.RoundTripper {
	next = orDefault(next)
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		code := 0
		if err == nil {
			code = resp.StatusCode
		}
		m.ObserveZoom(ZoomOp(r.Method, r.URL.Path), code, time.Since(start))
		return resp, err
	})
}

// slackMethod returns the Slack API method named by a Web API path
// ("/api/chat.postMessage" → "chat.postMessage"), or "other" for anything
// that is not shaped like a method, so label values stay few.
func slackMethod(p string) string {
	m := path.Base(p)
	if len(m) > 64 || !strings.Contains(m, ".") || strings.HasPrefix(m, ".") || strings.HasSuffix(m, ".") {
		return "other"
	}
	for _, c := range m {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_') {
			return "other"
		}
	}
	return m
}

// ZoomOp turns a request into a low-cardinality operation name that holds
// no personal data: the method and the path without the API version, the
// segment after /users/ replaced by {userId} and any segment that is not a
// fixed lower-case word (numeric meeting IDs, UUIDs, emails) by {id}:
//
//	POST /v2/users/alice@example.com/meetings → POST /users/{userId}/meetings
//	GET /v2/meetings/85746065432              → GET /meetings/{id}
func ZoomOp(method, p string) string {
	trimmed := strings.Trim(p, "/")
	if trimmed == "" {
		return method + " /"
	}
	segs := strings.Split(trimmed, "/")
	if segs[0] == "v2" {
		segs = segs[1:]
	}
	for i, s := range segs {
		switch {
		case i > 0 && segs[i-1] == "users":
			segs[i] = "{userId}"
		case !isWord(s):
			segs[i] = "{id}"
		}
	}
	return method + " /" + strings.Join(segs, "/")
}

// isWord reports whether s is a fixed path word of Zoom's API: lower-case
// letters and underscores only.
func isWord(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}
