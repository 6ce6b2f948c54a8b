package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testSecret   = "whsec-test-4b1d"
	testClientID = "client-abc123"
)

func deauthBody(clientID, account string) []byte {
	return []byte(`{"event":"app_deauthorized","event_ts":1780000000123,"payload":{"account_id":"` + account +
		`","user_id":"u-1","signature":"x","deauthorization_time":"2026-05-28T20:26:40Z","client_id":"` + clientID + `"}}`)
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	validation := []byte(`{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1780000000000}`)
	ended := []byte(`{"event":"meeting.ended","event_ts":1780000000000,"payload":{"account_id":"acc-1","object":{"id":"85746065432","uuid":"u=="}}}`)
	for _, tt := range []struct {
		name       string
		body       []byte
		hdr        map[string]string
		deauthErr  error
		wantStatus int
		wantDeauth []string
		wantHook   string
	}{
		{
			name: "deauthorization", body: deauthBody(testClientID, "acc-1"),
			hdr:        signed(testSecret, fixedNow, deauthBody(testClientID, "acc-1")),
			wantStatus: http.StatusOK, wantDeauth: []string{"acc-1"}, wantHook: "app_deauthorized/ok",
		},
		{
			name: "deauthorization slightly in the past", body: deauthBody(testClientID, "acc-2"),
			hdr:        signed(testSecret, fixedNow.Add(-4*time.Minute), deauthBody(testClientID, "acc-2")),
			wantStatus: http.StatusOK, wantDeauth: []string{"acc-2"}, wantHook: "app_deauthorized/ok",
		},
		{
			name: "deauthorization for another app", body: deauthBody("someone-else", "acc-1"),
			hdr:        signed(testSecret, fixedNow, deauthBody("someone-else", "acc-1")),
			wantStatus: http.StatusOK, wantHook: "app_deauthorized/ignored",
		},
		{
			name: "deauthorization without account", body: deauthBody(testClientID, ""),
			hdr:        signed(testSecret, fixedNow, deauthBody(testClientID, "")),
			wantStatus: http.StatusOK, wantHook: "app_deauthorized/ignored",
		},
		{
			name: "deauthorization fails in the app", body: deauthBody(testClientID, "acc-1"),
			hdr:       signed(testSecret, fixedNow, deauthBody(testClientID, "acc-1")),
			deauthErr: errors.New("zoom deauthorized: delete: disk full"), wantStatus: http.StatusInternalServerError,
			wantDeauth: []string{"acc-1"}, wantHook: "app_deauthorized/error",
		},
		{
			name: "other event", body: ended, hdr: signed(testSecret, fixedNow, ended),
			wantStatus: http.StatusOK, wantHook: "other/ignored",
		},
		{
			name: "bad signature", body: deauthBody(testClientID, "acc-1"),
			hdr:        signed("wrong-secret", fixedNow, deauthBody(testClientID, "acc-1")),
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "body changed after signing", body: deauthBody(testClientID, "acc-evil"),
			hdr:        signed(testSecret, fixedNow, deauthBody(testClientID, "acc-1")),
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "stale timestamp", body: deauthBody(testClientID, "acc-1"),
			hdr:        signed(testSecret, fixedNow.Add(-6*time.Minute), deauthBody(testClientID, "acc-1")),
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "future timestamp", body: deauthBody(testClientID, "acc-1"),
			hdr:        signed(testSecret, fixedNow.Add(6*time.Minute), deauthBody(testClientID, "acc-1")),
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "missing headers", body: deauthBody(testClientID, "acc-1"),
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "missing signature", body: deauthBody(testClientID, "acc-1"),
			hdr:        map[string]string{"x-zm-request-timestamp": "1780000000"},
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "missing timestamp", body: deauthBody(testClientID, "acc-1"),
			hdr:        map[string]string{"x-zm-signature": signed(testSecret, fixedNow, deauthBody(testClientID, "acc-1"))["x-zm-signature"]},
			wantStatus: http.StatusUnauthorized, wantHook: "unknown/unauthorized",
		},
		{
			name: "signed but not json", body: []byte("not json"), hdr: signed(testSecret, fixedNow, []byte("not json")),
			wantStatus: http.StatusBadRequest, wantHook: "unknown/bad_request",
		},
		{
			name: "validation without token", body: []byte(`{"event":"endpoint.url_validation","payload":{}}`),
			hdr:        signed(testSecret, fixedNow, []byte(`{"event":"endpoint.url_validation","payload":{}}`)),
			wantStatus: http.StatusBadRequest, wantHook: "endpoint.url_validation/bad_request",
		},
		{
			name: "url validation", body: validation, hdr: signed(testSecret, fixedNow, validation),
			wantStatus: http.StatusOK, wantHook: "endpoint.url_validation/ok",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fa := &fakeApp{deauthErr: tt.deauthErr}
			h := &hook{}
			_, base := start(t, Options{App: fa, WebhookSecret: []byte(testSecret), ClientID: testClientID, Now: clock, Webhooks: h.record})

			code, _, _ := send(t, "POST", base+"/zoom/webhook", tt.body, tt.hdr)
			if code != tt.wantStatus {
				t.Errorf("status %d, want %d", code, tt.wantStatus)
			}
			if _, deauths := fa.calls(); !slices.Equal(deauths, tt.wantDeauth) {
				t.Errorf("ZoomDeauthorized calls %v, want %v", deauths, tt.wantDeauth)
			}
			if got := h.got(); !slices.Equal(got, []string{tt.wantHook}) {
				t.Errorf("webhook hook %v, want [%s]", got, tt.wantHook)
			}
		})
	}
}

func TestWebhookURLValidation(t *testing.T) {
	t.Parallel()
	_, base := start(t, Options{WebhookSecret: []byte(testSecret), Now: clock})
	body := []byte(`{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1780000000000}`)

	code, hdr, resp := send(t, "POST", base+"/zoom/webhook", body, signed(testSecret, fixedNow, body))
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", code, hdr.Get("Content-Type"))
	}
	var got struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	if err := json.Unmarshal([]byte(resp), &got); err != nil {
		t.Fatalf("response %q: %v", resp, err)
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte("qgg8vlvZRS6UYooatFL8Aw"))
	want := hex.EncodeToString(mac.Sum(nil))
	if got.PlainToken != "qgg8vlvZRS6UYooatFL8Aw" || got.EncryptedToken != want {
		t.Errorf("got %+v, want plainToken echoed and encryptedToken %s", got, want)
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	t.Parallel()
	fa := &fakeApp{}
	h := &hook{}
	_, base := start(t, Options{App: fa, WebhookSecret: []byte(testSecret), ClientID: testClientID, Now: clock, Webhooks: h.record})

	// A signed deauthorization padded past the limit is refused unread.
	big := append(deauthBody(testClientID, "acc-1"), bytes.Repeat([]byte(" "), MaxWebhookBody)...)
	if code, _, _ := send(t, "POST", base+"/zoom/webhook", big, signed(testSecret, fixedNow, big)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize: status %d, want 413", code)
	}
	// Exactly at the limit is read and verified (and is valid JSON here).
	exact := append(deauthBody(testClientID, "acc-1"), bytes.Repeat([]byte(" "), MaxWebhookBody-len(deauthBody(testClientID, "acc-1")))...)
	if code, _, _ := send(t, "POST", base+"/zoom/webhook", exact, signed(testSecret, fixedNow, exact)); code != http.StatusOK {
		t.Errorf("at the limit: status %d, want 200", code)
	}
	if _, deauths := fa.calls(); !slices.Equal(deauths, []string{"acc-1"}) {
		t.Errorf("deauths %v, want only the one within the limit", deauths)
	}
	if got := h.got(); !slices.Equal(got, []string{"unknown/too_large", "app_deauthorized/ok"}) {
		t.Errorf("hook %v", got)
	}
}

func TestWebhookWithoutSecret(t *testing.T) {
	t.Parallel()
	log, logs := testLogger()
	fa := &fakeApp{}
	h := &hook{}
	_, base := start(t, Options{App: fa, Log: log, Now: clock, Webhooks: h.record})

	// Signed with an empty key, which must not count as a secret.
	body := deauthBody("", "acc-1")
	code, _, _ := send(t, "POST", base+"/zoom/webhook", body, signed("", fixedNow, body))
	if code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	if _, deauths := fa.calls(); len(deauths) != 0 {
		t.Errorf("app called: %v", deauths)
	}
	if !strings.Contains(logs.String(), "ZOOM_WEBHOOK_SECRET_TOKEN is not set") {
		t.Errorf("no log line about the missing secret:\n%s", logs.String())
	}
	if got := h.got(); !slices.Equal(got, []string{"unknown/disabled"}) {
		t.Errorf("hook %v", got)
	}
}

func TestWebhookMethod(t *testing.T) {
	t.Parallel()
	_, base := start(t, Options{WebhookSecret: []byte(testSecret)})
	if code, _, _ := send(t, "GET", base+"/zoom/webhook", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /zoom/webhook = %d, want 405", code)
	}
}

func TestWebhookLogsNoSecrets(t *testing.T) {
	t.Parallel()
	log, logs := testLogger()
	_, base := start(t, Options{Log: log, WebhookSecret: []byte(testSecret), Now: clock, App: &fakeApp{}})
	body := deauthBody(testClientID, "acc-1")
	hdr := signed(testSecret, fixedNow, body)
	send(t, "POST", base+"/zoom/webhook", body, hdr)
	bad := signed("wrong", fixedNow, body)
	send(t, "POST", base+"/zoom/webhook", body, bad)
	for _, s := range []string{testSecret, hdr["x-zm-signature"], bad["x-zm-signature"]} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log contains %q:\n%s", s, logs.String())
		}
	}
}

// Zoom may hang up after 3 s; the deletion must still finish.
func TestDeauthorizationSurvivesHangup(t *testing.T) {
	t.Parallel()
	type seen struct {
		err         error
		hasDeadline bool
	}
	got := make(chan seen, 1)
	fa := &fakeApp{onDeauth: func(ctx context.Context) {
		_, ok := ctx.Deadline()
		got <- seen{ctx.Err(), ok}
	}}
	s := New(Options{App: fa, WebhookSecret: []byte(testSecret), ClientID: testClientID, Now: clock})

	body := deauthBody(testClientID, "acc-1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Zoom has hung up
	req := httptest.NewRequest("POST", "/zoom/webhook", bytes.NewReader(body)).WithContext(ctx)
	for k, v := range signed(testSecret, fixedNow, body) {
		req.Header.Set(k, v)
	}
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)

	g := <-got
	if g.err != nil || !g.hasDeadline {
		t.Errorf("app context: err %v, deadline %v; want live and bounded", g.err, g.hasDeadline)
	}
}
