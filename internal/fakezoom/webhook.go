package fakezoom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// webhookTimeout is how long Zoom waits for a webhook answer (reference §5).
const webhookTimeout = 3 * time.Second

// WebhookOption changes how SendWebhook delivers an event.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	badSignature bool
	unsigned     bool
	staleBy      time.Duration
	eventTS      int64
	attempts     int
}

// BadSignature signs with the wrong key, as a forger would.
func BadSignature() WebhookOption { return func(c *webhookConfig) { c.badSignature = true } }

// Unsigned sends no x-zm-signature or x-zm-request-timestamp header.
func Unsigned() WebhookOption { return func(c *webhookConfig) { c.unsigned = true } }

// StaleTimestamp dates x-zm-request-timestamp age in the past (correctly
// signed), as a replayed delivery would be.
func StaleTimestamp(age time.Duration) WebhookOption {
	return func(c *webhookConfig) { c.staleBy = age }
}

// EventTS fixes the body's event_ts (Unix milliseconds), e.g. to resend
// the same event and test de-duplication. Default: the clock's now.
func EventTS(ms int64) WebhookOption { return func(c *webhookConfig) { c.eventTS = ms } }

// Attempts delivers up to n times until the receiver answers 2xx within 3
// seconds, as Zoom retries (after 5, 20 and 60 minutes; the fake retries at
// once). Each attempt is signed afresh with the same body. Default 1.
func Attempts(n int) WebhookOption { return func(c *webhookConfig) { c.attempts = n } }

// Sign returns Zoom's x-zm-signature for a body sent at timestamp ts (Unix
// seconds): "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookBody is Zoom's event envelope.
type webhookBody struct {
	Event   string `json:"event"`
	Payload any    `json:"payload"`
	EventTS int64  `json:"event_ts"`
}

// SendWebhook posts event with payload to url as Zoom does, signed with
// secret. The returned response's body is already read into memory, so
// closing it is optional. It fails if no attempt got an HTTP answer.
func (s *Server) SendWebhook(ctx context.Context, url, secret, event string, payload any, opts ...WebhookOption) (*http.Response, error) {
	cfg := webhookConfig{attempts: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.eventTS == 0 {
		cfg.eventTS = s.now().UnixMilli()
	}
	body, err := json.Marshal(webhookBody{Event: event, Payload: payload, EventTS: cfg.eventTS})
	if err != nil {
		return nil, fmt.Errorf("fakezoom: encode %s webhook: %w", event, err)
	}
	var resp *http.Response
	for range max(cfg.attempts, 1) {
		resp, err = s.deliver(ctx, url, secret, body, cfg)
		if err == nil && resp.StatusCode/100 == 2 {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	if resp == nil {
		return nil, err
	}
	return resp, nil
}

func (s *Server) deliver(ctx context.Context, url, secret string, body []byte, cfg webhookConfig) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("fakezoom: build webhook request: %w", err)
	}
	ts := s.now().Add(-cfg.staleBy).Unix()
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Zoom Marketplace/1.0a")
	req.Header.Set("clientid", s.opts.ClientID)
	req.Header.Set("x-zm-trackingid", "v=2.0&s="+rand.Text()+"&c=fakezoom")
	if !cfg.unsigned {
		key := secret
		if cfg.badSignature {
			key = "not-" + secret
		}
		req.Header.Set("x-zm-request-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("x-zm-signature", Sign(key, ts, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fakezoom: deliver webhook: %w", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fakezoom: read webhook answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(got))
	return resp, nil
}

// ValidateURL performs Zoom's endpoint.url_validation challenge against url
// and checks the answer: 200 with the same plainToken and encryptedToken =
// hex(HMAC-SHA256(secret, plainToken)). A nil error means Zoom would accept
// the endpoint.
func (s *Server) ValidateURL(ctx context.Context, url, secret string) error {
	plain := rand.Text()
	resp, err := s.SendWebhook(ctx, url, secret, "endpoint.url_validation", map[string]string{"plainToken": plain})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fakezoom: url validation: answer %d, want 200", resp.StatusCode)
	}
	var got struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return fmt.Errorf("fakezoom: url validation: decode answer: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(plain))
	switch {
	case got.PlainToken != plain:
		return errors.New("fakezoom: url validation: plainToken not echoed")
	case !hmac.Equal([]byte(got.EncryptedToken), []byte(hex.EncodeToString(mac.Sum(nil)))):
		return errors.New("fakezoom: url validation: encryptedToken is not hex(HMAC-SHA256(secret, plainToken))")
	}
	return nil
}

// Deauthorize is an admin uninstalling the app from accountID: every token
// of that account is revoked, then app_deauthorized is sent to url
// (reference §5 shape), signed with secret.
func (s *Server) Deauthorize(ctx context.Context, url, secret, accountID string) (*http.Response, error) {
	s.mu.Lock()
	userID := ""
	if u := s.installerLocked(accountID); u != nil {
		userID = u.ID
	}
	s.revokeLocked(func(g *grant) bool { return g.accountID == accountID })
	s.mu.Unlock()
	sig := make([]byte, 32)
	_, _ = rand.Read(sig) // crypto/rand.Read never fails
	payload := map[string]string{
		"account_id":           accountID,
		"user_id":              userID,
		"signature":            hex.EncodeToString(sig),
		"deauthorization_time": s.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"client_id":            s.opts.ClientID,
	}
	return s.SendWebhook(ctx, url, secret, "app_deauthorized", payload)
}

// installerLocked is who installed the app on accountID (the user of a
// live install grant), else the account's owner, else its first user.
func (s *Server) installerLocked(accountID string) *User {
	for _, rt := range s.refresh {
		if rt.g.accountID == accountID && !rt.used && rt.g.user != nil {
			return rt.g.user
		}
	}
	var first *User
	for _, u := range s.users {
		if u.AccountID != accountID {
			continue
		}
		if u.Role == "Owner" {
			return u
		}
		if first == nil {
			first = u
		}
	}
	return first
}
