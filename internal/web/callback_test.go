package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Distinctive values that must never appear in a page or a log line.
const (
	secretCode  = "CODE-c0de-7d1f"
	secretState = "STATE-5tat-e9a2"
)

func TestCallback(t *testing.T) {
	t.Parallel()
	expired := "This authorization link is invalid, expired or already used. Start again with /incident zoom connect in Slack."
	for _, tt := range []struct {
		name       string
		query      url.Values
		connectErr error
		wantStatus int
		wantText   string
		wantCall   bool
	}{
		{
			name:       "success",
			query:      url.Values{"code": {secretCode}, "state": {secretState}},
			wantStatus: http.StatusOK, wantText: "Zoom is connected to your Slack workspace. You can close this tab.", wantCall: true,
		},
		{
			name:       "expired, reused or unknown state",
			query:      url.Values{"code": {secretCode}, "state": {secretState}},
			connectErr: incident.Problemf("%s", expired),
			wantStatus: http.StatusBadRequest, wantText: expired, wantCall: true,
		},
		{
			name:       "missing state",
			query:      url.Values{"code": {secretCode}},
			connectErr: incident.Problemf("The authorization request has no state. Start again with /incident zoom connect in Slack."),
			wantStatus: http.StatusBadRequest, wantText: "The authorization request has no state.", wantCall: true,
		},
		{
			name:       "problem wrapped by the app",
			query:      url.Values{"code": {secretCode}, "state": {secretState}},
			connectErr: fmt.Errorf("complete zoom connect: %w", incident.Problemf("This Zoom account is already connected to another Slack workspace.")),
			wantStatus: http.StatusBadRequest, wantText: "This Zoom account is already connected to another Slack workspace.", wantCall: true,
		},
		{
			name:       "user declined in zoom",
			query:      url.Values{"error": {"access_denied"}, "state": {secretState}},
			wantStatus: http.StatusBadRequest, wantText: "You declined to authorize incident-bridge in Zoom",
		},
		{
			name:       "other zoom error",
			query:      url.Values{"error": {"server_error"}, "state": {secretState}},
			wantStatus: http.StatusBadRequest, wantText: "Zoom did not authorize incident-bridge",
		},
		{
			name:       "internal failure",
			query:      url.Values{"code": {secretCode}, "state": {secretState}},
			connectErr: errors.New("complete zoom connect: save: disk full"),
			wantStatus: http.StatusInternalServerError, wantText: "Something went wrong (ref ", wantCall: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log, logs := testLogger()
			fa := &fakeApp{team: "T123", connectErr: tt.connectErr}
			_, base := start(t, Options{App: fa, Log: log})

			code, hdr, body := send(t, "GET", base+"/zoom/oauth/callback?"+tt.query.Encode(), nil, nil)
			if code != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Errorf("status %d, body %q; want %d containing %q", code, body, tt.wantStatus, tt.wantText)
			}
			if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := hdr.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("CSP %q allows outside resources", hdr.Get("Content-Security-Policy"))
			}

			connects, _ := fa.calls()
			switch {
			case tt.wantCall && (len(connects) != 1 || connects[0] != [2]string{tt.query.Get("state"), tt.query.Get("code")}):
				t.Errorf("app calls %v, want one with the state and code", connects)
			case !tt.wantCall && len(connects) != 0:
				t.Errorf("app called %v; want no call", connects)
			}

			all := body + logs.String()
			for _, secret := range []string{secretCode, secretState} {
				if strings.Contains(all, secret) {
					t.Errorf("%q leaked into the page or logs:\n%s", secret, all)
				}
			}

			if tt.wantStatus == http.StatusInternalServerError {
				m := regexp.MustCompile(`Something went wrong \(ref ([0-9a-f]{8})\)`).FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no ref in %q", body)
				}
				if !strings.Contains(logs.String(), `"ref":"`+m[1]+`"`) || !strings.Contains(logs.String(), "disk full") {
					t.Errorf("log lacks ref %s with the cause:\n%s", m[1], logs.String())
				}
				if strings.Contains(body, "disk full") {
					t.Error("the page shows the internal cause")
				}
			}
		})
	}
}

func TestCallbackEscapesMessage(t *testing.T) {
	t.Parallel()
	fa := &fakeApp{connectErr: incident.Problemf(`Bad <script>alert("x")</script> & more`)}
	_, base := start(t, Options{App: fa})
	code, _, body := send(t, "GET", base+"/zoom/oauth/callback?state=s&code=c", nil, nil)
	if code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", code)
	}
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("message not escaped: %q", body)
	}
}

func TestCallbackHeadSpendsNothing(t *testing.T) {
	t.Parallel()
	fa := &fakeApp{team: "T1"}
	_, base := start(t, Options{App: fa})
	if code, _, _ := send(t, "HEAD", base+"/zoom/oauth/callback?state=s&code=c", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("HEAD status %d, want 405", code)
	}
	if code, _, _ := send(t, "POST", base+"/zoom/oauth/callback?state=s&code=c", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST status %d, want 405", code)
	}
	if connects, _ := fa.calls(); len(connects) != 0 {
		t.Errorf("app called %v", connects)
	}
}

func TestCallbackWithoutApp(t *testing.T) {
	t.Parallel()
	_, base := start(t, Options{})
	if code, _, _ := send(t, "GET", base+"/zoom/oauth/callback?state=s&code=c", nil, nil); code != http.StatusNotFound {
		t.Errorf("status %d, want 404 without an app", code)
	}
}

// The state is single-use, so once the app has it the exchange must finish
// even if the browser goes away.
func TestCallbackWorkSurvivesHangup(t *testing.T) {
	t.Parallel()
	type seen struct {
		err         error
		hasDeadline bool
	}
	got := make(chan seen, 1)
	fa := &fakeApp{team: "T1", onConnect: func(ctx context.Context) {
		_, ok := ctx.Deadline()
		got <- seen{ctx.Err(), ok}
	}}
	s := New(Options{App: fa})

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client has hung up
	req := httptest.NewRequest("GET", "/zoom/oauth/callback?state=s&code=c", nil).WithContext(ctx)
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)

	g := <-got
	if g.err != nil || !g.hasDeadline {
		t.Errorf("app context: err %v, deadline %v; want live and bounded", g.err, g.hasDeadline)
	}
}
