package zoom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook header names and event names.
const (
	HeaderSignature = "X-Zm-Signature"
	HeaderTimestamp = "X-Zm-Request-Timestamp"

	EventURLValidation   = "endpoint.url_validation"
	EventAppDeauthorized = "app_deauthorized"
)

// WebhookTolerance is how far a webhook's timestamp may be from now. Zoom
// documents no replay window; five minutes is the common choice.
const WebhookTolerance = 5 * time.Minute

// Webhook verification errors; VerifyWebhook wraps one of them.
var (
	// ErrWebhookSignature: the signature is missing, malformed or wrong,
	// or no secret is configured.
	ErrWebhookSignature = errors.New("zoom webhook: bad signature")
	// ErrWebhookStale: the timestamp is missing, malformed or outside
	// WebhookTolerance.
	ErrWebhookStale = errors.New("zoom webhook: stale or missing timestamp")
)

// sign returns "v0=" + hex(HMAC-SHA256(secret, "v0:"+ts+":"+body)).
func sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook checks a Zoom webhook: x-zm-signature must be "v0=" + hex
// HMAC-SHA256 with secret over "v0:{x-zm-request-timestamp}:{body}",
// compared in constant time over the raw body bytes, and the timestamp
// (Unix seconds) must be within WebhookTolerance of now. An empty secret
// fails every request. Errors wrap ErrWebhookSignature or ErrWebhookStale;
// answer 401 to both.
func VerifyWebhook(secret []byte, h http.Header, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", ErrWebhookSignature)
	}
	ts := h.Get(HeaderTimestamp)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts != strconv.FormatInt(secs, 10) {
		return ErrWebhookStale
	}
	got := h.Get(HeaderSignature)
	want := sign(secret, ts, body)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return ErrWebhookSignature
	}
	// Checked after the signature, so an unsigned request learns nothing
	// about our clock.
	if d := now.Sub(time.Unix(secs, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return ErrWebhookStale
	}
	return nil
}

// SignWebhook returns the x-zm-signature value for ts and body, for fakes
// and tests that send webhooks.
func SignWebhook(secret []byte, ts string, body []byte) string { return sign(secret, ts, body) }

// URLValidation answers Zoom's endpoint.url_validation challenge: the
// encryptedToken is hex(HMAC-SHA256(secret, plainToken)). Reply 200 with
// {"plainToken": plainToken, "encryptedToken": <this>}.
func URLValidation(secret []byte, plainToken string) (encryptedToken string) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(plainToken))
	return hex.EncodeToString(mac.Sum(nil))
}

// Event is a decoded Zoom webhook: the fields the app uses, plus the raw
// payload.
type Event struct {
	Name string // "event": "app_deauthorized", "meeting.ended"…
	TS   int64  // "event_ts", Unix milliseconds
	// AccountID is payload.account_id.
	AccountID string
	// ClientID is payload.client_id (app_deauthorized): check it is ours.
	ClientID string
	// UserID is payload.user_id (app_deauthorized: who removed the app).
	UserID string
	// PlainToken is payload.plainToken (endpoint.url_validation).
	PlainToken string
	// ObjectID and ObjectUUID are payload.object.id (a meeting number, as a
	// string) and payload.object.uuid, for meeting events.
	ObjectID   string
	ObjectUUID string
	// Payload is the raw payload.
	Payload json.RawMessage
}

// DedupeKey identifies a delivery across Zoom's retries: event, event_ts
// and the object UUID or account.
func (e Event) DedupeKey() string {
	subject := e.ObjectUUID
	if subject == "" {
		subject = e.AccountID
	}
	return e.Name + "/" + strconv.FormatInt(e.TS, 10) + "/" + subject
}

// ParseWebhook decodes a webhook body (verify it first). It needs an
// "event" name; everything else is optional and read leniently.
func ParseWebhook(body []byte) (Event, error) {
	var raw struct {
		Event   string          `json:"event"`
		EventTS json.Number     `json:"event_ts"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Event{}, fmt.Errorf("parse zoom webhook: %w", err)
	}
	if strings.TrimSpace(raw.Event) == "" {
		return Event{}, errors.New("parse zoom webhook: no event name")
	}
	ev := Event{Name: raw.Event, Payload: raw.Payload}
	if raw.EventTS != "" {
		ts, err := raw.EventTS.Int64()
		if err != nil {
			return Event{}, fmt.Errorf("parse zoom webhook: event_ts: %w", err)
		}
		ev.TS = ts
	}
	if len(raw.Payload) == 0 || string(raw.Payload) == "null" {
		return ev, nil
	}
	var p struct {
		AccountID  string `json:"account_id"`
		ClientID   string `json:"client_id"`
		UserID     string `json:"user_id"`
		PlainToken string `json:"plainToken"`
		Object     *struct {
			ID   looseID `json:"id"`
			UUID string  `json:"uuid"`
		} `json:"object"`
	}
	if err := json.Unmarshal(raw.Payload, &p); err != nil {
		return Event{}, fmt.Errorf("parse zoom webhook: payload: %w", err)
	}
	ev.AccountID, ev.ClientID, ev.UserID, ev.PlainToken = p.AccountID, p.ClientID, p.UserID, p.PlainToken
	if p.Object != nil {
		ev.ObjectID, ev.ObjectUUID = string(p.Object.ID), p.Object.UUID
	}
	return ev, nil
}

// looseID is an object ID given as a JSON string or number (meeting
// numbers arrive as strings in webhooks, other objects use opaque IDs).
type looseID string

// UnmarshalJSON keeps a string as is and a number as its text.
func (l *looseID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("object id: %w", err)
		}
		*l = looseID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("object id: %w", err)
	}
	*l = looseID(n.String())
	return nil
}
