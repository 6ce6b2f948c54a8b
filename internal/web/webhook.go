package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

// MaxWebhookBody is the largest webhook body accepted; Zoom's are a few
// kilobytes. Larger ones get 413.
const MaxWebhookBody = 64 << 10

// Webhook results, as given to Options.Webhooks.
const (
	resultOK           = "ok"
	resultIgnored      = "ignored"
	resultUnauthorized = "unauthorized"
	resultTooLarge     = "too_large"
	resultBadRequest   = "bad_request"
	resultDisabled     = "disabled"
	resultError        = "error"
)

// eventUnknown labels a webhook whose event we have not read (or may not
// trust yet); eventOther a verified event the app does not handle.
const (
	eventUnknown = "unknown"
	eventOther   = "other"
)

// webhook serves POST /zoom/webhook (SPEC §7): it verifies the signature
// and timestamp over the raw body, answers URL validation and handles
// app_deauthorized. Anything unverified gets 401 and changes nothing.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	if len(s.secret) == 0 {
		log.Warn().Msg("zoom webhook refused: ZOOM_WEBHOOK_SECRET_TOKEN is not set")
		s.webhooks(eventUnknown, resultDisabled)
		writeText(w, http.StatusServiceUnavailable, "webhooks are not configured")
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn().Int64("limit", tooBig.Limit).Msg("zoom webhook refused: body too large")
			s.webhooks(eventUnknown, resultTooLarge)
			writeText(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		log.Warn().Err(err).Msg("zoom webhook: read body")
		s.webhooks(eventUnknown, resultBadRequest)
		writeText(w, http.StatusBadRequest, "cannot read body")
		return
	}

	if err := zoom.VerifyWebhook(s.secret, r.Header, body, s.now()); err != nil {
		reason := "signature"
		if errors.Is(err, zoom.ErrWebhookStale) {
			reason = "timestamp"
		}
		log.Warn().Str("reason", reason).Msg("zoom webhook refused: verification failed")
		s.webhooks(eventUnknown, resultUnauthorized)
		writeText(w, http.StatusUnauthorized, "invalid signature")
		return
	}

	ev, err := zoom.ParseWebhook(body)
	if err != nil {
		log.Warn().Err(err).Msg("zoom webhook: signed but unreadable")
		s.webhooks(eventUnknown, resultBadRequest)
		writeText(w, http.StatusBadRequest, "cannot parse event")
		return
	}

	switch ev.Name {
	case zoom.EventURLValidation:
		s.urlValidation(w, r, ev)
	case zoom.EventAppDeauthorized:
		s.deauthorized(w, r, ev)
	default:
		log.Debug().Str("event", ev.Name).Msg("zoom webhook ignored")
		s.webhooks(eventOther, resultIgnored)
		w.WriteHeader(http.StatusOK)
	}
}

// urlValidation answers Zoom's endpoint.url_validation challenge.
func (s *Server) urlValidation(w http.ResponseWriter, r *http.Request, ev zoom.Event) {
	if ev.PlainToken == "" {
		zerolog.Ctx(r.Context()).Warn().Msg("zoom url validation without plainToken")
		s.webhooks(ev.Name, resultBadRequest)
		writeText(w, http.StatusBadRequest, "missing plainToken")
		return
	}
	resp := struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{ev.PlainToken, zoom.URLValidation(s.secret, ev.PlainToken)}
	b, err := json.Marshal(resp)
	if err != nil { // two strings always marshal
		s.webhooks(ev.Name, resultError)
		writeText(w, http.StatusInternalServerError, "internal error")
		return
	}
	zerolog.Ctx(r.Context()).Info().Msg("zoom webhook url validated")
	s.webhooks(ev.Name, resultOK)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// Zoom may be gone; it retries the validation anyway.
	_, _ = w.Write(b)
}

// deauthorized handles app_deauthorized: the account's tokens are deleted
// (by the app) even if Zoom hangs up meanwhile. A failure answers 500 so
// Zoom retries; the app's handling is idempotent.
func (s *Server) deauthorized(w http.ResponseWriter, r *http.Request, ev zoom.Event) {
	log := zerolog.Ctx(r.Context())
	switch {
	case s.clientID != "" && ev.ClientID != s.clientID:
		log.Warn().Str("client_id", safeToken(ev.ClientID)).Msg("zoom app_deauthorized for another app ignored")
		s.webhooks(ev.Name, resultIgnored)
		w.WriteHeader(http.StatusOK)
		return
	case ev.AccountID == "":
		log.Warn().Msg("zoom app_deauthorized without account_id ignored")
		s.webhooks(ev.Name, resultIgnored)
		w.WriteHeader(http.StatusOK)
		return
	case s.app == nil:
		log.Warn().Str("zoom_account", ev.AccountID).Msg("zoom app_deauthorized ignored: no app to tell")
		s.webhooks(ev.Name, resultIgnored)
		w.WriteHeader(http.StatusOK)
		return
	}

	ctx, cancel := s.workContext(r)
	defer cancel()
	if err := s.app.ZoomDeauthorized(ctx, ev.AccountID); err != nil {
		log.Error().Err(err).Str("zoom_account", ev.AccountID).Msg("zoom app_deauthorized failed; zoom will retry")
		s.webhooks(ev.Name, resultError)
		writeText(w, http.StatusInternalServerError, "internal error")
		return
	}
	log.Info().Str("zoom_account", ev.AccountID).Msg("zoom app_deauthorized handled")
	s.webhooks(ev.Name, resultOK)
	w.WriteHeader(http.StatusOK)
}
