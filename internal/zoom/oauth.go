package zoom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// DefaultOAuthURL is Zoom's OAuth base (/oauth/authorize, /oauth/token,
// /oauth/revoke).
const DefaultOAuthURL = "https://zoom.us"

const (
	opToken  = "POST /oauth/token"
	opRevoke = "POST /oauth/revoke"
	// earlyExpiry renews access tokens this long before they expire, so a
	// token never dies between being handed out and reaching Zoom.
	earlyExpiry = 5 * time.Minute
	// tokenTimeout bounds a token fetch made through the context-less
	// oauth2.TokenSource interface.
	tokenTimeout = 30 * time.Second
)

// defaultHTTPClient is used when no client is configured; built per call,
// never shared mutable state.
func defaultHTTPClient() *http.Client { return &http.Client{Timeout: 30 * time.Second} }

// oauthBase returns base without a trailing slash, DefaultOAuthURL if empty.
func oauthBase(base string) string {
	if base == "" {
		return DefaultOAuthURL
	}
	return strings.TrimRight(base, "/")
}

// tokenReply is Zoom's /oauth/token answer.
type tokenReply struct {
	AccessToken  string      `json:"access_token"`
	TokenType    string      `json:"token_type"`
	RefreshToken string      `json:"refresh_token"`
	ExpiresIn    json.Number `json:"expires_in"`
	Scope        string      `json:"scope"`
	APIURL       string      `json:"api_url"`
}

// postToken calls /oauth/token with Basic client authentication and form,
// returning the token with "scope" and "api_url" as extras.
func postToken(ctx context.Context, hc *http.Client, base, clientID, clientSecret string, form url.Values, now time.Time) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, oauthBase(base)+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, errors.New("zoom oauth: invalid OAuth URL")
	}
	req.SetBasicAuth(clientID, clientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &TransportError{Op: opToken, Err: stripURL(err)}
	}
	defer resp.Body.Close()
	if err := checkOAuthResponse(opToken, resp); err != nil {
		return nil, err
	}
	var tr tokenReply
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&tr); err != nil {
		return nil, fmt.Errorf("zoom oauth %s: decode answer: %w", opToken, err)
	}
	if tr.AccessToken == "" {
		return nil, &OAuthError{Op: opToken, HTTPStatus: resp.StatusCode, Reason: "answer has no access_token"}
	}
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType, RefreshToken: tr.RefreshToken}
	if secs, err := tr.ExpiresIn.Int64(); err == nil && secs > 0 {
		tok.Expiry = now.Add(time.Duration(secs) * time.Second)
	}
	return tok.WithExtra(map[string]any{"scope": tr.Scope, "api_url": tr.APIURL}), nil
}

// Scopes returns the scopes a token reply granted (its space-separated
// "scope"), nil when Zoom did not say.
func Scopes(tok *oauth2.Token) []string {
	if tok == nil {
		return nil
	}
	s, _ := tok.Extra("scope").(string) // absent or not a string: unknown
	return strings.Fields(s)
}

// OAuth is the install flow of a Zoom OAuth app (SPEC §6): the authorize
// link, the code exchange, revocation, and per-workspace token sources
// with rotating refresh tokens. Set the exported fields, then use it by
// pointer only; it is safe for concurrent use.
type OAuth struct {
	ClientID     string
	ClientSecret string
	// OAuthURL is Zoom's OAuth base; "" means DefaultOAuthURL.
	OAuthURL string
	// RedirectURL is PUBLIC_URL + "/zoom/oauth/callback"; the exchange
	// must send it exactly as the authorize link did.
	RedirectURL string
	// HTTPClient calls the OAuth endpoints; nil means a 30 s client.
	HTTPClient *http.Client

	now func() time.Time // nil means time.Now; tests set it

	mu    sync.Mutex
	teams map[incident.TeamID]*teamTokens
}

// teamTokens is one workspace's refresh lock and in-memory token state.
type teamTokens struct {
	refresh chan struct{} // one refresh at a time: hold by sending
	// rejected is an access token Zoom refused (guarded by OAuth.mu); a
	// stored token equal to it is treated as expired.
	rejected string
}

func (o *OAuth) clock() time.Time {
	if o.now != nil {
		return o.now()
	}
	return time.Now()
}

func (o *OAuth) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return defaultHTTPClient()
}

// team returns team's state, creating it on first use.
func (o *OAuth) team(team incident.TeamID) *teamTokens {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.teams == nil {
		o.teams = make(map[incident.TeamID]*teamTokens)
	}
	t := o.teams[team]
	if t == nil {
		t = &teamTokens{refresh: make(chan struct{}, 1)}
		o.teams[team] = t
	}
	return t
}

// config is the install flow as an oauth2.Config: Zoom's endpoints under
// OAuthURL, client_secret_basic authentication (AuthStyleInHeader, so
// x/oauth2 never probes by sending the secret in the form) and the
// registered redirect URL. No scopes: Zoom grants those configured on the
// app in its Marketplace.
func (o *OAuth) config() *oauth2.Config {
	base := oauthBase(o.OAuthURL)
	return &oauth2.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		RedirectURL:  o.RedirectURL,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/oauth/authorize",
			TokenURL:  base + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

// AuthorizeURL is the link an admin follows to authorise the app:
// {OAuthURL}/oauth/authorize?response_type=code&client_id&redirect_uri&state.
// state must be random and single use; checking it on the way back is the
// caller's job.
func (o *OAuth) AuthorizeURL(state string) string {
	return o.config().AuthCodeURL(state)
}

// Exchange trades an authorisation code (5 minutes, single use) for a
// token pair with oauth2.Config.Exchange. Use Scopes(tok) for the scopes
// granted. Errors are *OAuthError when Zoom refused (IsInvalidGrant for a
// used or expired code) and *TransportError when Zoom did not answer.
func (o *OAuth) Exchange(ctx context.Context, code string) (*oauth2.Token, error) {
	tok, err := o.config().Exchange(o.httpContext(ctx), code)
	if err != nil {
		return nil, fmt.Errorf("exchange zoom authorization code: %w", oauthFailure(err))
	}
	return o.stamp(tok), nil
}

// refresh trades refreshToken for a new pair through x/oauth2. Zoom
// rotates: the old refresh token is dead once this succeeds at Zoom. The
// caller stores the pair; x/oauth2 keeps nothing.
func (o *OAuth) refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	tok, err := o.config().TokenSource(o.httpContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthFailure(err)
	}
	return o.stamp(tok), nil
}

// httpContext carries the configured HTTP client to x/oauth2, which would
// otherwise use http.DefaultClient (no timeout, no metrics).
func (o *OAuth) httpContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, o.client())
}

// stamp sets tok's expiry from its expires_in by the OAuth clock (x/oauth2
// uses the wall clock), so tests and the early-expiry margin agree.
func (o *OAuth) stamp(tok *oauth2.Token) *oauth2.Token {
	if tok.ExpiresIn > 0 {
		tok.Expiry = o.clock().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return tok
}

// oauthFailure turns x/oauth2's errors into ours: an *OAuthError decoded
// from Zoom's answer ({"reason","error"}) for a refusal, a
// *TransportError when no answer came, the error as is otherwise (an
// answer without an access token). None of them quotes a token or code.
func oauthFailure(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if status < 200 || status > 299 {
			// Decode Zoom's body as a direct call would.
			return checkOAuthResponse(opToken, &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(re.Body))})
		}
		// A 2xx carrying an OAuth "error".
		return &OAuthError{Op: opToken, HTTPStatus: status, Code: re.ErrorCode, Reason: redact(re.ErrorDescription)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &TransportError{Op: opToken, Err: stripURL(err)}
	}
	return fmt.Errorf("zoom oauth %s: %w", opToken, err)
}

// Revoke revokes token at Zoom (POST /oauth/revoke?token=…, Basic auth).
// The caller deletes its stored tokens whatever the result.
func (o *OAuth) Revoke(ctx context.Context, token string) error {
	u := oauthBase(o.OAuthURL) + "/oauth/revoke?" + url.Values{"token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return errors.New("revoke zoom token: invalid OAuth URL")
	}
	req.SetBasicAuth(o.ClientID, o.ClientSecret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := o.client().Do(req)
	if err != nil {
		// stripURL matters here: the URL holds the token.
		return fmt.Errorf("revoke zoom token: zoom oauth %s: %w", opRevoke, stripURL(err))
	}
	defer resp.Body.Close()
	if err := checkOAuthResponse(opRevoke, resp); err != nil {
		return fmt.Errorf("revoke zoom token: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // drain for connection reuse
	return nil
}
