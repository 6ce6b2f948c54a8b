package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
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

// maxSlackPeek bounds how much of a Slack answer the transport holds to
// find its "ok" and "error". Web API answers are small; a longer one (a
// big users.list page) is judged by its HTTP status alone.
const maxSlackPeek = 1 << 20

// SlackTransport wraps next (http.DefaultTransport when nil) to count and
// time each Slack Web API call, labelled by the API method (the URL's last
// path element, "other" if it does not look like one). Slack answers most
// failures with HTTP 200 and {"ok":false,"error":"channel_not_found"}, so
// the transport reads the JSON answer's "ok" and "error" and hands the
// caller (slack-go) the same bytes, unchanged:
//   - slack_requests_total{method,outcome}: outcome "ok", Slack's error
//     code, "http_<status>" for a failed status without one, or
//     "transport_error" when no answer came;
//   - slack_request_duration_seconds{method,ok}: until the body was read,
//     ok "true" only for outcome "ok".
func (m *Metrics) SlackTransport(next http.RoundTripper) http.RoundTripper {
	next = orDefault(next)
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		method := slackMethod(r.URL.Path)
		if err != nil {
			m.observeSlack(method, "transport_error", time.Since(start))
			return resp, err
		}
		m.observeSlack(method, peekSlack(resp), time.Since(start))
		return resp, nil
	})
}

// peekSlack reads resp's body (up to maxSlackPeek), judges the outcome and
// puts the bytes back in front of the rest, so the caller reads the body
// exactly as sent. A body that fails mid-read is given back with the
// failure where it happened, which the caller then meets as its own read
// error.
func peekSlack(resp *http.Response) string {
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType != "application/json" || resp.Body == nil || resp.Body == http.NoBody {
		return statusOutcome(resp.StatusCode, "")
	}
	var buf bytes.Buffer
	_, rerr := io.CopyN(&buf, resp.Body, maxSlackPeek)
	whole := errors.Is(rerr, io.EOF)
	if whole {
		rerr = nil // all of it is in buf
	}
	body := resp.Body
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(buf.Bytes()), errReader{rerr}, body), closer: body}
	code := ""
	if whole {
		code = slackErrorCode(buf.Bytes())
	}
	return statusOutcome(resp.StatusCode, code)
}

// statusOutcome combines the HTTP status and Slack's error code (from the
// body, "" when none) into the outcome label.
func statusOutcome(status int, code string) string {
	switch {
	case code != "":
		return code
	case status != http.StatusOK:
		return "http_" + strconv.Itoa(status)
	}
	return "ok"
}

// slackErrorCode returns the "error" of a Slack answer whose "ok" is false,
// "unknown_error" when Slack said false without a code, and "" when ok is
// true or the answer is not Slack's JSON.
func slackErrorCode(body []byte) string {
	var answer struct {
		OK    *bool `json:"ok"`
		Error any   `json:"error"`
	}
	if json.Unmarshal(body, &answer) != nil || answer.OK == nil || *answer.OK {
		return ""
	}
	code, _ := answer.Error.(string) // a non-string error is no code
	if code == "" {
		return "unknown_error"
	}
	return slackCode(code)
}

// slackCode keeps an error code as a label value when it looks like one of
// Slack's ("channel_not_found": lower-case letters, digits, "_", "."), so
// label values stay few and hold nothing from a message.
func slackCode(code string) string {
	if code == "" || len(code) > 64 {
		return "other_error"
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return "other_error"
		}
	}
	return code
}

// peekedBody is a response body whose beginning was read ahead: Read
// replays it, then the rest; Close closes the original.
type peekedBody struct {
	io.Reader
	closer io.Closer
}

// Close closes the original body.
func (b *peekedBody) Close() error { return b.closer.Close() }

// errReader returns err once reached, or EOF (and so nothing) when err is
// nil, putting a read failure met while peeking back where it happened.
type errReader struct{ err error }

// Read returns the stored error, or io.EOF.
func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
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
