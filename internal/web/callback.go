package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Messages of the callback page.
const (
	msgConnected = "Zoom is connected to your Slack workspace. You can close this tab."
	msgDeclined  = "You declined to authorize incident-bridge in Zoom, so Zoom is not connected. To try again, run /incident zoom connect in Slack."
	msgZoomError = "Zoom did not authorize incident-bridge, so Zoom is not connected. Start again with /incident zoom connect in Slack."
	msgNoInstall = "This server does not use the Zoom install flow, so there is nothing to complete here."
)

// pageTmpl is the callback's whole page: no scripts, images or outside
// resources, so the URL (which holds the code and state) goes nowhere.
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} · incident-bridge</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1d1c1d}h1{font-size:1.4em}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
`))

// page is what pageTmpl shows.
type page struct {
	Title, Message string
}

// oauthCallback finishes the Zoom install flow from Zoom's redirect
// (?code&state, or ?error=access_denied&state when the admin declined). It
// never logs or shows the code or the state.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	if r.Method != http.MethodGet {
		// The mux lets HEAD through GET routes; a HEAD must not spend the
		// single-use state.
		w.Header().Set("Allow", http.MethodGet)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if s.app == nil {
		renderPage(w, http.StatusNotFound, page{"Not available", msgNoInstall})
		return
	}
	q := r.URL.Query()
	if zerr := q.Get("error"); zerr != "" {
		// The state is left to expire: without a code it is worth nothing.
		if zerr == "access_denied" {
			log.Info().Msg("zoom authorization declined by the user")
			renderPage(w, http.StatusBadRequest, page{"Zoom not connected", msgDeclined})
			return
		}
		log.Warn().Str("zoom_error", safeToken(zerr)).Msg("zoom authorization returned an error")
		renderPage(w, http.StatusBadRequest, page{"Zoom not connected", msgZoomError})
		return
	}

	ctx, cancel := s.workContext(r)
	defer cancel()
	team, err := s.app.CompleteZoomConnect(ctx, q.Get("state"), q.Get("code"))
	var problem *incident.Problem
	switch {
	case err == nil:
		log.Info().Str("team", string(team)).Msg("zoom install flow completed")
		renderPage(w, http.StatusOK, page{"Zoom connected", msgConnected})
	case errors.As(err, &problem):
		log.Info().Str("problem", problem.Msg).Msg("zoom install flow refused")
		renderPage(w, http.StatusBadRequest, page{"Zoom not connected", problem.Msg})
	default:
		ref := newRef()
		log.Error().Err(err).Str("ref", ref).Msg("zoom install flow failed")
		renderPage(w, http.StatusInternalServerError, page{"Zoom not connected",
			"Something went wrong (ref " + ref + "). Try again with /incident zoom connect in Slack; if it keeps failing, give this reference to whoever runs incident-bridge."})
	}
}

// renderPage writes the callback page with headers that keep it out of
// caches, frames and referrers.
func renderPage(w http.ResponseWriter, status int, p page) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		// Only a broken template gets here; the fields are plain strings.
		http.Error(w, p.Message, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(status)
	// The browser may be gone; there is nobody left to tell.
	_, _ = w.Write(buf.Bytes())
}

// newRef returns a short random reference that ties an error page to its
// log line.
func newRef() string {
	b := make([]byte, 4)
	// crypto/rand.Read never returns an error (Go 1.24+: it crashes instead).
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// safeToken returns s for logging if it is a short identifier (an OAuth
// error code, a client ID: letters, digits, "_", "-", "."), else "other":
// such values come from outside.
func safeToken(s string) string {
	if len(s) > 64 {
		return "other"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "other"
		}
	}
	return s
}
