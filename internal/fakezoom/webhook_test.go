package fakezoom_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

const webhookSecret = "whsec-test"

// delivery is one webhook the receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is an httptest webhook endpoint on 127.0.0.1 that records what
// it gets and answers with answer (200 when nil).
type receiver struct {
	mu     sync.Mutex
	got    []delivery
	answer func(n int, d delivery, w http.ResponseWriter)
	srv    *httptest.Server
}

func newReceiver(t *testing.T, answer func(n int, d delivery, w http.ResponseWriter)) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // an unreadable body shows up as an empty delivery
		d := delivery{header: r.Header.Clone(), body: body}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, d, w)
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// independentSignature computes Zoom's signature without the fake's code.
func independentSignature(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + string(body)))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestSendWebhookSignatures(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, nil)
	ctx := context.Background()
	payload := map[string]any{"account_id": s.AccountID(), "object": map[string]any{"id": "85310007919"}}
	for _, tt := range []struct {
		name      string
		opts      []fakezoom.WebhookOption
		age       time.Duration
		signedOK  bool
		hasHeader bool
	}{
		{"good", nil, 0, true, true},
		{"bad signature", []fakezoom.WebhookOption{fakezoom.BadSignature()}, 0, false, true},
		{"stale", []fakezoom.WebhookOption{fakezoom.StaleTimestamp(10 * time.Minute)}, 10 * time.Minute, true, true},
		{"unsigned", []fakezoom.WebhookOption{fakezoom.Unsigned()}, 0, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(_ int, _ delivery, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) })
			resp, err := s.SendWebhook(ctx, rc.srv.URL, webhookSecret, "meeting.started", payload, tt.opts...)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("SendWebhook = %v, %v", resp, err)
			}
			got := rc.deliveries()[0]
			ts := got.header.Get("x-zm-request-timestamp")
			sig := got.header.Get("x-zm-signature")
			if (ts != "") != tt.hasHeader || (sig != "") != tt.hasHeader {
				t.Fatalf("headers %v", got.header)
			}
			if tt.hasHeader {
				if want := strconv.FormatInt(c.Now().Add(-tt.age).Unix(), 10); ts != want {
					t.Errorf("timestamp %s, want %s (Unix seconds)", ts, want)
				}
				if ok := sig == independentSignature(webhookSecret, ts, got.body); ok != tt.signedOK {
					t.Errorf("signature verifies = %v, want %v", ok, tt.signedOK)
				}
				if fakezoom.Sign(webhookSecret, mustInt(t, ts), got.body) != independentSignature(webhookSecret, ts, got.body) {
					t.Error("Sign disagrees with an independent HMAC")
				}
			}
			var env struct {
				Event   string          `json:"event"`
				EventTS int64           `json:"event_ts"`
				Payload json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(got.body, &env); err != nil || env.Event != "meeting.started" ||
				env.EventTS != c.Now().UnixMilli() || len(env.Payload) == 0 {
				t.Errorf("envelope %s: %v", got.body, err)
			}
		})
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendWebhookRetriesUntil2xx(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	rc := newReceiver(t, func(n int, _ delivery, w http.ResponseWriter) {
		if n < 3 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	resp, err := s.SendWebhook(context.Background(), rc.srv.URL, webhookSecret, "meeting.ended", map[string]any{},
		fakezoom.Attempts(4), fakezoom.EventTS(1740439732278))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("SendWebhook = %v, %v", resp, err)
	}
	got := rc.deliveries()
	if len(got) != 3 || string(got[0].body) != string(got[2].body) {
		t.Fatalf("%d deliveries; want 3 with the same body", len(got))
	}
	var env struct {
		EventTS int64 `json:"event_ts"`
	}
	if err := json.Unmarshal(got[2].body, &env); err != nil || env.EventTS != 1740439732278 {
		t.Errorf("event_ts %d (%v)", env.EventTS, err)
	}
}

func TestValidateURL(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	answer := func(key string, echo bool) func(int, delivery, http.ResponseWriter) {
		return func(_ int, d delivery, w http.ResponseWriter) {
			var in struct {
				Event   string `json:"event"`
				Payload struct {
					PlainToken string `json:"plainToken"`
				} `json:"payload"`
			}
			if json.Unmarshal(d.body, &in) != nil || in.Event != "endpoint.url_validation" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			mac := hmac.New(sha256.New, []byte(key))
			mac.Write([]byte(in.Payload.PlainToken))
			plain := in.Payload.PlainToken
			if !echo {
				plain = "something else"
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"plainToken": plain, "encryptedToken": hex.EncodeToString(mac.Sum(nil))})
		}
	}
	ctx := context.Background()
	good := newReceiver(t, answer(webhookSecret, true))
	if err := s.ValidateURL(ctx, good.srv.URL, webhookSecret); err != nil {
		t.Errorf("correct endpoint: %v", err)
	}
	d := good.deliveries()[0]
	if d.header.Get("x-zm-signature") != independentSignature(webhookSecret, d.header.Get("x-zm-request-timestamp"), d.body) {
		t.Error("the validation request is not signed")
	}
	if err := s.ValidateURL(ctx, newReceiver(t, answer("wrong", true)).srv.URL, webhookSecret); err == nil {
		t.Error("an endpoint hashing with the wrong secret passed")
	}
	if err := s.ValidateURL(ctx, newReceiver(t, answer(webhookSecret, false)).srv.URL, webhookSecret); err == nil {
		t.Error("an endpoint not echoing plainToken passed")
	}
}

func TestDeauthorize(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	cfg := installConfig(s)
	tok, err := cfg.Exchange(context.Background(), install(t, s, cfg, admin))
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, nil)
	resp, err := s.Deauthorize(context.Background(), rc.srv.URL, webhookSecret, s.AccountID())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Deauthorize = %v, %v", resp, err)
	}
	d := rc.deliveries()[0]
	if d.header.Get("x-zm-signature") != independentSignature(webhookSecret, d.header.Get("x-zm-request-timestamp"), d.body) {
		t.Error("app_deauthorized is not signed")
	}
	var env struct {
		Event   string            `json:"event"`
		Payload map[string]string `json:"payload"`
	}
	if err := json.Unmarshal(d.body, &env); err != nil {
		t.Fatal(err)
	}
	p := env.Payload
	if env.Event != "app_deauthorized" || p["account_id"] != s.AccountID() || p["client_id"] != s.ClientID() ||
		p["user_id"] == "" || p["signature"] == "" || p["deauthorization_time"] != "2026-11-24T10:15:00.000Z" {
		t.Errorf("event %s", d.body)
	}
	wantError(t, call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(tok.AccessToken)), 401, 124, "Invalid access token.")
}
