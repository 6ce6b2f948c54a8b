package fakezoom_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

const redirectURL = "https://bridge.example/zoom/oauth/callback"

func s2sConfig(s *fakezoom.Server, account string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID:       s.ClientID(),
		ClientSecret:   s.ClientSecret(),
		TokenURL:       s.OAuthURL() + "/oauth/token",
		EndpointParams: url.Values{"grant_type": {"account_credentials"}, "account_id": {account}},
		AuthStyle:      oauth2.AuthStyleInHeader,
	}
}

func installConfig(s *fakezoom.Server) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     s.ClientID(),
		ClientSecret: s.ClientSecret(),
		RedirectURL:  redirectURL,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.OAuthURL() + "/oauth/authorize",
			TokenURL:  s.OAuthURL() + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

func TestClientCredentialsWithXOAuth2(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, nil)
	ctx := context.Background()

	tok, err := s2sConfig(s, s.AccountID()).Token(ctx)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken != "" {
		t.Errorf("access %q, refresh %q; want an access token and no refresh token", tok.AccessToken, tok.RefreshToken)
	}
	if tok.Extra("expires_in") != float64(3600) || tok.Extra("scope") != "meeting:write:meeting:admin user:read:user:admin" ||
		tok.Extra("api_url") != s.URL() {
		t.Errorf("expires_in %v, scope %v, api_url %v", tok.Extra("expires_in"), tok.Extra("scope"), tok.Extra("api_url"))
	}
	second, err := s2sConfig(s, s.AccountID()).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Several S2S tokens are valid at once (reference §4).
	for _, at := range []string{tok.AccessToken, second.AccessToken} {
		r := call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(at))
		if r.status != http.StatusOK || r.str("email") != "owner@example.com" {
			t.Errorf("GET /users/me = %d %s; want the owner", r.status, r.raw)
		}
	}
	if n := s.TokenRequests("account_credentials"); n != 2 {
		t.Errorf("TokenRequests = %d, want 2", n)
	}

	_, err = s2sConfig(s, "wrong-account").Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_request" {
		t.Errorf("wrong account: err %v, want invalid_request", err)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {s.AccountID()}}
	for _, tt := range []struct {
		name       string
		basic      string // "" = the right credentials
		form       url.Values
		status     int
		wantError  string
		wantReason string
	}{
		{"wrong secret", "Basic " + b64(s.ClientID()+":nope"), form, 401, "invalid_client", "Invalid client_id or client_secret"},
		{"no client auth", "-", form, 401, "invalid_client", "Invalid client_id or client_secret"},
		{"wrong account", "", url.Values{"grant_type": {"account_credentials"}, "account_id": {"x"}}, 400,
			"invalid_request", "Invalid request : Account ID is invalid"},
		{"unknown grant", "", url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type", "Unsupported grant type"},
		{"unknown refresh token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, 400,
			"invalid_grant", "Invalid Token!"},
		{"unknown code", "", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {redirectURL}},
			400, "invalid_grant", "Invalid authorization code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			var r reply
			switch tt.basic {
			case "":
				r = tokenForm(t, s, tt.form)
			case "-":
				r = call(t, http.MethodPost, s.OAuthURL()+"/oauth/token", []byte(tt.form.Encode()), h)
			default:
				h["Authorization"] = tt.basic
				r = call(t, http.MethodPost, s.OAuthURL()+"/oauth/token", []byte(tt.form.Encode()), h)
			}
			if r.status != tt.status || r.str("error") != tt.wantError || r.str("reason") != tt.wantReason {
				t.Errorf("got %d %s; want %d %s %q", r.status, r.raw, tt.status, tt.wantError, tt.wantReason)
			}
		})
	}
	// Parameters in the query string work too (Zoom's S2S docs use them).
	r := callBasic(t, s, s.OAuthURL()+"/oauth/token?"+form.Encode(), nil, nil)
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Errorf("query parameters: %d %s", r.status, r.raw)
	}
}

// install runs the admin consent and returns the code from the redirect.
func install(t *testing.T, s *fakezoom.Server, cfg *oauth2.Config, as string, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	loc, err := s.Authorize(context.Background(), cfg.AuthCodeURL("st4te", opts...), as)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(loc, redirectURL+"?") || q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("redirect %q: want %s?code=…&state=st4te", loc, redirectURL)
	}
	return q.Get("code")
}

func TestInstallFlowWithXOAuth2(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), func(o *fakezoom.Options) { o.RedirectURL = redirectURL })
	ctx := context.Background()
	cfg := installConfig(s)
	verifier := oauth2.GenerateVerifier()
	code := install(t, s, cfg, admin, oauth2.S256ChallengeOption(verifier))

	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("expires_in") != float64(3599) || tok.Extra("api_url") != s.URL() {
		t.Errorf("token: refresh %q, expires_in %v, api_url %v", tok.RefreshToken, tok.Extra("expires_in"), tok.Extra("api_url"))
	}
	me := call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(tok.AccessToken))
	if me.str("email") != admin || me.str("account_id") != s.AccountID() {
		t.Errorf("/users/me = %s; want the authorising admin and the account", me.raw)
	}

	// A code is single use.
	_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	wantGrantError(t, err, "invalid_grant")

	// Refresh rotates: the new pair works, the old refresh token is dead.
	old := tok.RefreshToken
	fresh, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == old || fresh.AccessToken == tok.AccessToken {
		t.Errorf("refresh did not rotate: %q -> %q", old, fresh.RefreshToken)
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
	wantGrantError(t, err, "invalid_grant")
	r := tokenForm(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}})
	if r.status != 400 || r.str("reason") != "Invalid Token!" || r.str("error") != "invalid_grant" {
		t.Errorf("reused refresh token: %d %s", r.status, r.raw)
	}
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); err != nil {
		t.Errorf("newest refresh token: %v", err)
	}
	if got := s.TokenRequests("refresh_token"); got != 4 {
		t.Errorf("TokenRequests(refresh_token) = %d, want 4", got)
	}
}

func wantGrantError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code || re.Response.StatusCode != http.StatusBadRequest {
		t.Errorf("err = %v; want 400 %s", err, code)
	}
}

func TestAuthorizationCodeRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		run  func(t *testing.T, s *fakezoom.Server, c *clock, cfg *oauth2.Config) error
		want string
	}{
		{"expired after 5 minutes", func(t *testing.T, s *fakezoom.Server, c *clock, cfg *oauth2.Config) error {
			code := install(t, s, cfg, admin)
			c.Advance(5*time.Minute + time.Second)
			_, err := cfg.Exchange(context.Background(), code)
			return err
		}, "invalid_grant"},
		{"redirect_uri must match", func(t *testing.T, s *fakezoom.Server, c *clock, cfg *oauth2.Config) error {
			code := install(t, s, cfg, admin)
			other := *cfg
			other.RedirectURL = redirectURL + "/"
			_, err := other.Exchange(context.Background(), code)
			return err
		}, "invalid_request"},
		{"PKCE verifier must match", func(t *testing.T, s *fakezoom.Server, c *clock, cfg *oauth2.Config) error {
			code := install(t, s, cfg, admin, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			_, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}, "invalid_grant"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := newServer(t, c, nil)
			err := tt.run(t, s, c, installConfig(s))
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != tt.want {
				t.Errorf("err = %v; want %s", err, tt.want)
			}
		})
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), func(o *fakezoom.Options) { o.RedirectURL = redirectURL })
	cfg := installConfig(s)
	ctx := context.Background()
	wrongClient := *cfg
	wrongClient.ClientID = "someone-else"
	wrongRedirect := *cfg
	wrongRedirect.RedirectURL = "https://evil.example/cb"
	for _, tt := range []struct {
		name, url, as, want string
	}{
		{"unknown client", wrongClient.AuthCodeURL("s"), admin, "Invalid client_id"},
		{"unregistered redirect", wrongRedirect.AuthCodeURL("s"), admin, "Invalid redirect"},
		{"member cannot grant admin scopes", cfg.AuthCodeURL("s"), alice, "admin privileges"},
		{"unknown user", cfg.AuthCodeURL("s"), "ghost@example.com", "No active Zoom user"},
		{"not this fake", "https://zoom.us/oauth/authorize?client_id=x", admin, "does not point at this fake"},
	} {
		if loc, err := s.Authorize(ctx, tt.url, tt.as); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Authorize = %q, %v; want error containing %q", tt.name, loc, err, tt.want)
		}
	}

	loc, err := s.Deny(ctx, cfg.AuthCodeURL("s1"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if q := u.Query(); q.Get("error") != "access_denied" || q.Get("state") != "s1" || q.Has("code") {
		t.Errorf("Deny redirect %q; want error=access_denied&state=s1 without code", loc)
	}

	// A browser that is not signed in gets Zoom's sign-in page.
	r := call(t, http.MethodGet, cfg.AuthCodeURL("s"), nil, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.raw), "Sign In") {
		t.Errorf("anonymous authorize: %d %s", r.status, r.raw)
	}
}

func TestRevokeKillsTheWholeGrant(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	ctx := context.Background()
	cfg := installConfig(s)
	tok, err := cfg.Exchange(ctx, install(t, s, cfg, admin))
	if err != nil {
		t.Fatal(err)
	}
	other := s2sToken(t, s)

	r := callBasic(t, s, s.OAuthURL()+"/oauth/revoke?token="+url.QueryEscape(tok.AccessToken), nil, nil)
	if r.status != http.StatusOK || r.str("status") != "success" {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	wantError(t, call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(tok.AccessToken)), 401, 124, "Invalid access token.")
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	wantGrantError(t, err, "invalid_grant")
	if r := call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(other)); r.status != http.StatusOK {
		t.Errorf("an unrelated token stopped working: %d", r.status)
	}
	revs := s.Revocations()
	if len(revs) != 1 || revs[0].Token != tok.AccessToken || !revs[0].Known || revs[0].AccountID != s.AccountID() {
		t.Errorf("Revocations = %+v", revs)
	}

	if r := callBasic(t, s, s.OAuthURL()+"/oauth/revoke?token=unknown", nil, nil); r.status != 400 {
		t.Errorf("unknown token: %d %s; want 400", r.status, r.raw)
	}
	r = call(t, http.MethodPost, s.OAuthURL()+"/oauth/revoke?token="+url.QueryEscape(other), nil, nil)
	if r.status != 401 || r.str("error") != "invalid_client" {
		t.Errorf("revoke without client auth: %d %s", r.status, r.raw)
	}
}

func TestAdminActionsOnTokens(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, nil)
	me := func(tok string) reply { return call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(tok)) }

	tok := s2sToken(t, s)
	c.Advance(time.Hour)
	wantError(t, me(tok), 401, 124, "Access token has expired.")

	tok = s2sToken(t, s)
	s.ExpireAccessTokens()
	wantError(t, me(tok), 401, 124, "Access token has expired.")
	tok = s2sToken(t, s)
	if r := me(tok); r.status != http.StatusOK {
		t.Fatalf("a token issued after ExpireAccessTokens: %d", r.status)
	}

	s.RevokeAccount("other-account")
	if r := me(tok); r.status != http.StatusOK {
		t.Errorf("revoking another account broke this one: %d", r.status)
	}
	s.RevokeAccount(s.AccountID())
	wantError(t, me(tok), 401, 124, "Invalid access token.")

	tok = s2sToken(t, s)
	s.RevokeAll()
	wantError(t, me(tok), 401, 124, "Invalid access token.")
}

func TestTokenTTL(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, func(o *fakezoom.Options) { o.TokenTTL = 2 * time.Minute })
	r := tokenForm(t, s, url.Values{"grant_type": {"account_credentials"}, "account_id": {s.AccountID()}})
	if r.num("expires_in") != 120 {
		t.Errorf("expires_in = %d, want 120", r.num("expires_in"))
	}
	c.Advance(2 * time.Minute)
	wantError(t, call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(r.str("access_token"))),
		401, 124, "Access token has expired.")
}
