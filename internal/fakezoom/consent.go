package fakezoom

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// The consent drivers tell /oauth/authorize who is signed in and what they
// clicked, standing in for Zoom's login cookie and consent screen.
const (
	userHeader    = "X-Fakezoom-User"
	consentHeader = "X-Fakezoom-Consent"
	errorHeader   = "X-Fakezoom-Error"
)

// Authorize is an admin clicking "Allow" on Zoom's consent screen for
// authorizeURL (the app's link to OAuthURL()/oauth/authorize?…), signed in
// as asUser (an email or user ID). It returns the URL Zoom redirects the
// browser to, redirect_uri?code=…&state=…, without following it. Zoom's
// error pages (unknown client, redirect_uri not registered, a member
// authorising admin scopes) come back as errors.
func (s *Server) Authorize(ctx context.Context, authorizeURL, asUser string) (string, error) {
	return s.consent(ctx, authorizeURL, asUser, "allow")
}

// Deny is the account owner clicking "Decline": the redirect carries
// error=access_denied and the state.
func (s *Server) Deny(ctx context.Context, authorizeURL string) (string, error) {
	s.mu.Lock()
	u := s.owner
	if u == nil {
		u = s.users[0]
	}
	s.mu.Unlock()
	return s.consent(ctx, authorizeURL, u.Email, "deny")
}

func (s *Server) consent(ctx context.Context, authorizeURL, asUser, decision string) (string, error) {
	if !strings.HasPrefix(authorizeURL, s.OAuthURL()+"/oauth/authorize?") {
		return "", errors.New("fakezoom: authorize URL does not point at this fake's /oauth/authorize")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return "", fmt.Errorf("fakezoom: build authorize request: %w", err)
	}
	req.Header.Set(userHeader, asUser)
	req.Header.Set(consentHeader, decision)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fakezoom: authorize: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return "", fmt.Errorf("fakezoom: authorize as %s: zoom answered %d: %s",
			asUser, resp.StatusCode, resp.Header.Get(errorHeader))
	}
	return resp.Header.Get("Location"), nil
}

// handleAuthorize serves GET /oauth/authorize?response_type=code&client_id&
// redirect_uri&state[&code_challenge&code_challenge_method].
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.opts.ClientID:
		errorPage(w, http.StatusBadRequest, "Invalid client_id: "+q.Get("client_id")+" (4700)")
		return
	case q.Get("response_type") != "code":
		errorPage(w, http.StatusBadRequest, "Unsupported response_type (4705)")
		return
	case err != nil || !redirect.IsAbs() || (redirect.Scheme != "https" && redirect.Scheme != "http"):
		errorPage(w, http.StatusBadRequest, "Invalid redirect: redirect_uri must be an absolute URL (4709)")
		return
	case s.opts.RedirectURL != "" && q.Get("redirect_uri") != s.opts.RedirectURL:
		errorPage(w, http.StatusBadRequest, "Invalid redirect: "+q.Get("redirect_uri")+" (4709)")
		return
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method != "S256" && method != "plain" {
		errorPage(w, http.StatusBadRequest, "Invalid code_challenge_method")
		return
	}
	login := r.Header.Get(userHeader)
	if login == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html><body><h1>Sign In to Zoom</h1></body></html>")) // a page for browsers
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.anyUserLocked(login)
	switch {
	case u == nil || u.Status != "active":
		errorPage(w, http.StatusForbidden, "No active Zoom user "+login)
		return
	case u.Role == "Member" && s.adminScopes():
		// Reference §4: admin scopes need an account-level admin. Zoom's
		// wording here is UNCONFIRMED.
		errorPage(w, http.StatusForbidden, "This app requires admin privileges; contact your account admin")
		return
	}
	v := redirect.Query()
	if r.Header.Get(consentHeader) == "deny" {
		v.Set("error", "access_denied")
	} else {
		code := newSecret()[:32]
		s.codes[code] = &authCode{
			clientID:    s.opts.ClientID,
			redirectURI: q.Get("redirect_uri"),
			user:        u,
			challenge:   q.Get("code_challenge"),
			method:      method,
			expires:     s.now().Add(codeTTL),
		}
		v.Set("code", code)
	}
	if q.Has("state") {
		v.Set("state", q.Get("state"))
	}
	redirect.RawQuery = v.Encode()
	w.Header().Set("Location", redirect.String())
	w.WriteHeader(http.StatusFound)
}

func (s *Server) adminScopes() bool {
	for _, sc := range s.opts.Scopes {
		if strings.HasSuffix(sc, ":admin") {
			return true
		}
	}
	return false
}

// anyUserLocked finds a user of any account by ID or email.
func (s *Server) anyUserLocked(idOrEmail string) *User {
	for _, u := range s.users {
		if u.ID == idOrEmail || strings.EqualFold(u.Email, idOrEmail) {
			return u
		}
	}
	return nil
}

func errorPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set(errorHeader, msg)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html><body><h1>Zoom</h1><p>" + html.EscapeString(msg) + "</p></body></html>")) // a page for browsers
}
