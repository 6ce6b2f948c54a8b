package fakezoom

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"
)

// codeTTL is how long an authorization code lives (reference §4: 5 min).
const codeTTL = 5 * time.Minute

type authCode struct {
	clientID    string
	redirectURI string
	user        *User
	challenge   string // PKCE code_challenge, "" without PKCE
	method      string // "S256" or "plain"
	expires     time.Time
	used        bool
}

// Revocation is one call to /oauth/revoke that passed client authentication.
type Revocation struct {
	Token     string // the token the client asked to revoke
	AccountID string // the token's account; "" when the fake did not know it
	Known     bool   // the token was one the fake issued
}

// oauthError is the body of Zoom's OAuth errors.
type oauthError struct {
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

func writeOAuthError(w http.ResponseWriter, status int, kind, reason string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, oauthError{Reason: reason, Error: kind})
}

// TokenRequests counts /oauth/token requests with this grant_type
// ("account_credentials", "authorization_code", "refresh_token"), whatever
// the answer was.
func (s *Server) TokenRequests(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs[grantType]
}

// Revocations returns the /oauth/revoke calls so far, in order.
func (s *Server) Revocations() []Revocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Revocation(nil), s.revocations...)
}

// clientOK checks HTTP Basic client authentication. Like x/oauth2, clients
// may form-encode the ID and secret first (RFC 6749 §2.3.1).
func (s *Server) clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return false
	}
	if uid, err := url.QueryUnescape(id); err == nil {
		id = uid
	}
	if usecret, err := url.QueryUnescape(secret); err == nil {
		secret = usecret
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	return idOK && secretOK
}

// handleToken serves POST /oauth/token; parameters may come in the query
// string or the form body, as Zoom accepts both.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Invalid request : malformed parameters")
		return
	}
	grantType := r.Form.Get("grant_type")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenReqs[grantType]++
	if f, ok := s.popFaultLocked(OpToken); ok {
		f.writeOAuth(w)
		return
	}
	if !s.clientOK(r) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	switch grantType {
	case "account_credentials":
		if r.Form.Get("account_id") != s.opts.AccountID {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Invalid request : Account ID is invalid")
			return
		}
		g := &grant{kind: grantS2S, accountID: s.opts.AccountID, user: s.owner, scopes: s.scopes()}
		s.writeTokenLocked(w, g)
	case "authorization_code":
		s.exchangeCodeLocked(w, r)
	case "refresh_token":
		rt := s.refresh[r.Form.Get("refresh_token")]
		if rt == nil || rt.used || rt.g.revoked {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid Token!")
			return
		}
		rt.used = true // rotation: only the newest refresh token works
		s.writeTokenLocked(w, rt.g)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type")
	}
}

func (s *Server) scopes() []string { return append([]string(nil), s.opts.Scopes...) }

func (s *Server) writeTokenLocked(w http.ResponseWriter, g *grant) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.issueLocked(g))
}

func (s *Server) exchangeCodeLocked(w http.ResponseWriter, r *http.Request) {
	c := s.codes[r.Form.Get("code")]
	if c == nil || c.used || !s.now().Before(c.expires) || c.clientID != s.opts.ClientID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
		return
	}
	c.used = true // single use, even when the rest of the request is wrong
	if r.Form.Get("redirect_uri") != c.redirectURI {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Redirect URI mismatch.")
		return
	}
	if c.challenge != "" && !pkceOK(c, r.Form.Get("code_verifier")) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid code_verifier")
		return
	}
	g := &grant{kind: grantInstall, accountID: c.user.AccountID, user: c.user, scopes: s.scopes()}
	s.writeTokenLocked(w, g)
}

func pkceOK(c *authCode, verifier string) bool {
	if verifier == "" {
		return false
	}
	want := verifier
	if c.method != "plain" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) == 1
}

// handleRevoke serves POST /oauth/revoke?token=…: the token's whole grant
// (for an install, every access and refresh token of its chain) stops
// working. Whether Zoom accepts refresh tokens here is UNCONFIRMED; the
// fake accepts both kinds. An unknown token gets 400 invalid_request.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Invalid request : malformed parameters")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.popFaultLocked(OpRevoke); ok {
		f.writeOAuth(w)
		return
	}
	if !s.clientOK(r) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	tok := r.Form.Get("token")
	var g *grant
	if at := s.access[tok]; at != nil {
		g = at.g
	} else if rt := s.refresh[tok]; rt != nil {
		g = rt.g
	}
	rev := Revocation{Token: tok, Known: g != nil}
	if g != nil {
		rev.AccountID = g.accountID
		g.revoked = true
	}
	s.revocations = append(s.revocations, rev)
	if g == nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Invalid Token!")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}
