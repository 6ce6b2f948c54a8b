package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fuzzSecret signs the seeds in testdata/fuzz/FuzzWebhook.
const fuzzSecret = "fuzz-secret"

// validlySigned reports whether sig and ts are a correct, fresh signature
// of body, computed independently of the zoom package.
func validlySigned(body []byte, ts, sig string) bool {
	if sig != sign(fuzzSecret, ts, body) {
		return false
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := fixedNow.Sub(time.Unix(secs, 0))
	return d <= 5*time.Minute && d >= -5*time.Minute
}

// FuzzWebhook sends arbitrary bodies, timestamps and signatures: the
// handler must never panic, never answer 200 to anything not signed with
// the secret, and never reach the app for it.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"event":"app_deauthorized","payload":{"account_id":"a"}}`), "1780000000", "v0=00")
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		fa := &fakeApp{}
		s := New(Options{App: fa, WebhookSecret: []byte(fuzzSecret), ClientID: "client-1", Now: clock})
		req := httptest.NewRequest("POST", "/zoom/webhook", bytes.NewReader(body))
		if ts != "" {
			req.Header["X-Zm-Request-Timestamp"] = []string{ts}
		}
		if sig != "" {
			req.Header["X-Zm-Signature"] = []string{sig}
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)

		ok := validlySigned(body, ts, sig) && len(body) <= MaxWebhookBody
		switch rec.Code {
		case http.StatusOK:
			if !ok {
				t.Fatalf("200 for an unsigned webhook: body %q ts %q sig %q", body, ts, sig)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusInternalServerError:
		default:
			t.Fatalf("unexpected status %d", rec.Code)
		}
		if _, deauths := fa.calls(); len(deauths) > 0 && !ok {
			t.Fatalf("app reached by an unsigned webhook: %v", deauths)
		}
	})
}
