package zoom

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"
)

var whSecret = []byte("wh-secret-0123456789")

// signed returns headers signing body at ts with secret.
func signed(secret []byte, ts int64, body []byte) http.Header {
	h := http.Header{}
	s := strconv.FormatInt(ts, 10)
	h.Set("x-zm-request-timestamp", s)
	h.Set("x-zm-signature", SignWebhook(secret, s, body))
	return h
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"event":"app_deauthorized","event_ts":1740439732278,"payload":{"account_id":"A1"}}`)
	now := time.Unix(1740439732, 0)
	good := signed(whSecret, now.Unix(), body)
	for _, tt := range []struct {
		name   string
		secret []byte
		h      http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"good", whSecret, good, body, now, nil},
		{"good, 4 min old", whSecret, good, body, now.Add(4 * time.Minute), nil},
		{"good, clock 4 min behind", whSecret, good, body, now.Add(-4 * time.Minute), nil},
		{"stale", whSecret, good, body, now.Add(5*time.Minute + time.Second), ErrWebhookStale},
		{"future", whSecret, good, body, now.Add(-6 * time.Minute), ErrWebhookStale},
		{"body changed", whSecret, good, []byte(string(body) + " "), now, ErrWebhookSignature},
		{"other secret", []byte("other"), good, body, now, ErrWebhookSignature},
		{"no secret", nil, good, body, now, ErrWebhookSignature},
		{"no signature", whSecret, http.Header{"X-Zm-Request-Timestamp": good["X-Zm-Request-Timestamp"]}, body, now, ErrWebhookSignature},
		{"no timestamp", whSecret, http.Header{"X-Zm-Signature": good["X-Zm-Signature"]}, body, now, ErrWebhookStale},
		{"timestamp in ms", whSecret, signed(whSecret, now.UnixMilli(), body), body, now, ErrWebhookStale},
		{"timestamp with plus", whSecret, http.Header{"X-Zm-Request-Timestamp": {"+" + strconv.FormatInt(now.Unix(), 10)},
			"X-Zm-Signature": {SignWebhook(whSecret, "+"+strconv.FormatInt(now.Unix(), 10), body)}}, body, now, ErrWebhookStale},
		{"uppercase hex", whSecret, http.Header{"X-Zm-Request-Timestamp": good["X-Zm-Request-Timestamp"],
			"X-Zm-Signature": {"v0=" + upperHex(good.Get("X-Zm-Signature")[3:])}}, body, now, ErrWebhookSignature},
		{"v1 prefix", whSecret, http.Header{"X-Zm-Request-Timestamp": good["X-Zm-Request-Timestamp"],
			"X-Zm-Signature": {"v1=" + good.Get("X-Zm-Signature")[3:]}}, body, now, ErrWebhookSignature},
	} {
		err := VerifyWebhook(tt.secret, tt.h, tt.body, tt.now)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyWebhook = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func upperHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestSignKnownVector(t *testing.T) {
	// The well-known HMAC-SHA256 test value for key "key".
	if enc := URLValidation([]byte("key"), "The quick brown fox jumps over the lazy dog"); enc != "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Errorf("URLValidation = %s", enc)
	}
	// The signature is that HMAC over exactly "v0:" + ts + ":" + body.
	if SignWebhook([]byte("key"), "The quick brown fox", []byte("jumps over the lazy dog")) !=
		"v0="+URLValidation([]byte("key"), "v0:The quick brown fox:jumps over the lazy dog") {
		t.Error("signature is not HMAC of v0:ts:body")
	}
}

func TestParseWebhook(t *testing.T) {
	for _, tt := range []struct {
		name string
		body string
		want Event
		ok   bool
	}{
		{"url validation", `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`,
			Event{Name: EventURLValidation, TS: 1654503849680, PlainToken: "qgg8vlvZRS6UYooatFL8Aw"}, true},
		{"deauthorized", `{"event":"app_deauthorized","event_ts":1740439732278,"payload":{"account_id":"EabCDEFghiLHMA","user_id":"z9jkdsfsdfjhdkfjQ",
			"signature":"827edc3452044f0bc86bdd5684afb7d1e6becfa1a767f24df1b287853cf73000","deauthorization_time":"2019-06-17T13:52:28.632Z",
			"client_id":"ADZ9k9bTWmGUoUbECUKU_a","user_data_retention":"false"}}`,
			Event{Name: EventAppDeauthorized, TS: 1740439732278, AccountID: "EabCDEFghiLHMA", UserID: "z9jkdsfsdfjhdkfjQ", ClientID: "ADZ9k9bTWmGUoUbECUKU_a"}, true},
		{"meeting started", `{"event":"meeting.started","event_ts":1626230691572,"payload":{"account_id":"AAAAAABBBB",
			"object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","type":8,
			"start_time":"2021-07-13T21:44:51Z","timezone":"America/Los_Angeles","duration":60}}}`,
			Event{Name: "meeting.started", TS: 1626230691572, AccountID: "AAAAAABBBB", ObjectID: "1234567890", ObjectUUID: "4444AAAiAAAAAiAiAiiAii=="}, true},
		{"numeric object id", `{"event":"meeting.ended","event_ts":1,"payload":{"object":{"id":85746065432,"uuid":"u"}}}`,
			Event{Name: "meeting.ended", TS: 1, ObjectID: "85746065432", ObjectUUID: "u"}, true},
		{"no payload", `{"event":"x.y"}`, Event{Name: "x.y"}, true},
		{"no event", `{"payload":{}}`, Event{}, false},
		{"not json", `event=x`, Event{}, false},
		{"bad ts", `{"event":"x","event_ts":"soon"}`, Event{}, false},
		{"payload not object", `{"event":"x","payload":[1]}`, Event{}, false},
	} {
		got, err := ParseWebhook([]byte(tt.body))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		got.Payload = nil
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
	ev, _ := ParseWebhook([]byte(`{"event":"meeting.ended","event_ts":7,"payload":{"object":{"uuid":"U"}}}`))
	if ev.DedupeKey() != "meeting.ended/7/U" {
		t.Errorf("DedupeKey = %s", ev.DedupeKey())
	}
	ev, _ = ParseWebhook([]byte(`{"event":"app_deauthorized","event_ts":7,"payload":{"account_id":"A"}}`))
	if ev.DedupeKey() != "app_deauthorized/7/A" || string(ev.Payload) != `{"account_id":"A"}` {
		t.Errorf("DedupeKey = %s, payload %s", ev.DedupeKey(), ev.Payload)
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte("secret"), "1740439732", "v0=00", []byte(`{"event":"x"}`), int64(1740439732))
	f.Add([]byte(""), "", "", []byte(""), int64(0))
	f.Add([]byte("k"), "-1", "v0=", []byte("\x00\xff"), int64(-1))
	f.Fuzz(func(t *testing.T, secret []byte, ts, sig string, body []byte, now int64) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		at := time.Unix(now, 0)
		if err := VerifyWebhook(secret, h, body, at); err == nil {
			// Accepted only if it is exactly our signature over a fresh timestamp.
			secs, perr := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
			if perr != nil || len(secret) == 0 || h.Get(HeaderSignature) != SignWebhook(secret, h.Get(HeaderTimestamp), body) {
				t.Fatalf("accepted a bad request: ts %q sig %q", ts, sig)
			}
			if d := at.Sub(time.Unix(secs, 0)); d > WebhookTolerance || d < -WebhookTolerance {
				t.Fatalf("accepted a stale timestamp %q at %d", ts, now)
			}
		}
		// Our own signature over a fresh timestamp always passes.
		if len(secret) > 0 {
			fresh := strconv.FormatInt(now, 10)
			h.Set(HeaderTimestamp, fresh)
			h.Set(HeaderSignature, SignWebhook(secret, fresh, body))
			if err := VerifyWebhook(secret, h, body, at); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
	})
}
