package fakezoom

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"time"
)

type grantKind int

const (
	grantS2S     grantKind = iota // account_credentials: one grant per token
	grantInstall                  // authorization_code and its refresh chain
)

// grant is one authorisation: an S2S token, or an install and every token
// refreshed from it. Revoking any token of a grant revokes all of it.
type grant struct {
	kind      grantKind
	accountID string
	user      *User // "me": the owner (S2S) or the authorising user
	scopes    []string
	revoked   bool
}

type accessToken struct {
	g       *grant
	expires time.Time
	expired bool // forced by ExpireAccessTokens
}

type refreshToken struct {
	g    *grant
	used bool // rotated away: reuse is invalid_grant
}

// tokenResponse is /oauth/token's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	APIURL       string `json:"api_url"`
}

// issueLocked mints an access token (and a refresh token for installs).
func (s *Server) issueLocked(g *grant) tokenResponse {
	expiresIn := 3600
	if g.kind == grantInstall {
		expiresIn = 3599
	}
	if s.opts.TokenTTL > 0 {
		expiresIn = int(s.opts.TokenTTL / time.Second)
	}
	tok := newSecret()
	s.access[tok] = &accessToken{g: g, expires: s.now().Add(time.Duration(expiresIn) * time.Second)}
	resp := tokenResponse{
		AccessToken: tok,
		TokenType:   "bearer",
		ExpiresIn:   expiresIn,
		Scope:       strings.Join(g.scopes, " "),
		APIURL:      s.srv.URL,
	}
	if g.kind == grantInstall {
		resp.RefreshToken = newSecret()
		s.refresh[resp.RefreshToken] = &refreshToken{g: g}
	}
	return resp
}

func newSecret() string { return rand.Text() + rand.Text() }

// authLocked returns the grant behind r's bearer token. Otherwise it writes
// Zoom's 401/124 and returns nil. Tokens in the query string do not count
// (refused since 2023-02-14, reference §1).
func (s *Server) authLocked(w http.ResponseWriter, r *http.Request) *grant {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		writeAPIError(w, http.StatusUnauthorized, 124, "Requires an access token.")
		return nil
	}
	at := s.access[strings.TrimSpace(tok)]
	switch {
	case at == nil || at.g.revoked:
		writeAPIError(w, http.StatusUnauthorized, 124, "Invalid access token.")
		return nil
	case at.expired || !s.now().Before(at.expires):
		writeAPIError(w, http.StatusUnauthorized, 124, "Access token has expired.")
		return nil
	}
	return at.g
}

// scopeRule lists the scopes that allow an operation: admin ones for any
// user of the account, self ones only for the token's own user.
type scopeRule struct {
	granular      []string // named in 4711 messages
	admin, self   []string
	meOnlyClassic []string // user_info:read works only with "me"
}

func createScopes() scopeRule {
	return scopeRule{
		granular: []string{"meeting:write:meeting", "meeting:write:meeting:admin"},
		admin:    []string{"meeting:write:meeting:admin", "meeting:write:admin"},
		self:     []string{"meeting:write:meeting", "meeting:write"},
	}
}

func listScopes() scopeRule {
	return scopeRule{
		granular: []string{"meeting:read:list_meetings", "meeting:read:list_meetings:admin"},
		admin:    []string{"meeting:read:list_meetings:admin", "meeting:read:admin"},
		self:     []string{"meeting:read:list_meetings", "meeting:read"},
	}
}

func userScopes() scopeRule {
	return scopeRule{
		granular:      []string{"user:read:user", "user:read:user:admin"},
		admin:         []string{"user:read:user:admin", "user:read:admin", "user:write:admin"},
		self:          []string{"user:read:user", "user:read", "user:write", "user_profile"},
		meOnlyClassic: []string{"user_info:read"},
	}
}

// allowed reports whether g may act on target (resolved from userID).
func (g *grant) allowed(rule scopeRule, target *User, userID string) bool {
	has := func(list []string) bool {
		return slices.ContainsFunc(list, func(sc string) bool { return slices.Contains(g.scopes, sc) })
	}
	if has(rule.admin) {
		return true
	}
	if target != nil && target == g.user && has(rule.self) {
		return true
	}
	return userID == "me" && has(rule.meOnlyClassic)
}

// hasAny reports whether g holds any scope of rule, for the order Zoom
// checks in: a token with none of them is refused before the user lookup.
func (g *grant) hasAny(rule scopeRule) bool {
	for _, list := range [][]string{rule.admin, rule.self, rule.meOnlyClassic} {
		for _, sc := range list {
			if slices.Contains(g.scopes, sc) {
				return true
			}
		}
	}
	return false
}

func writeMissingScope(w http.ResponseWriter, rule scopeRule) {
	writeAPIError(w, http.StatusBadRequest, 4711,
		"Invalid access token, does not contain scopes:["+strings.Join(rule.granular, ", ")+"].")
}

// ExpireAccessTokens makes every access token issued so far answer 401/124
// "Access token has expired." on its next use, as an hour passing would.
// Refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.access {
		at.expired = true
	}
}

// RevokeAll revokes every grant, as an admin removing the app would: all
// access and refresh tokens stop working.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(func(*grant) bool { return true })
}

// RevokeAccount revokes every grant of one Zoom account.
func (s *Server) RevokeAccount(accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(func(g *grant) bool { return g.accountID == accountID })
}

func (s *Server) revokeLocked(match func(*grant) bool) {
	for _, at := range s.access {
		if match(at.g) {
			at.g.revoked = true
		}
	}
	for _, rt := range s.refresh {
		if match(rt.g) {
			rt.g.revoked = true
		}
	}
}

// userLocked finds userID (an ID, an email or "me") in g's account.
func (s *Server) userLocked(g *grant, userID string) *User {
	if userID == "me" {
		return g.user
	}
	for _, u := range s.users {
		if u.AccountID == g.accountID && (u.ID == userID || strings.EqualFold(u.Email, userID)) {
			return u
		}
	}
	return nil
}

func (s *Server) writeUnknownUser(w http.ResponseWriter, userID string) {
	if s.opts.UnknownUserCode == 1010 {
		writeAPIError(w, http.StatusBadRequest, 1010, "User not belong to this account")
		return
	}
	writeAPIError(w, http.StatusNotFound, 1001, "User does not exist: "+userID+".")
}
