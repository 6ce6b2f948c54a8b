package zoom

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// ServerTokenSource gets Server-to-Server OAuth tokens (the
// account_credentials grant) and caches one, renewing it five minutes
// before it expires. However many goroutines ask at once, one renewal runs
// and the others wait for its token. It implements oauth2.TokenSource.
type ServerTokenSource struct {
	oauthURL, accountID, clientID, clientSecret string
	hc                                          *http.Client
	now                                         func() time.Time

	renew chan struct{} // one renewal at a time: hold by sending

	mu  sync.Mutex // guards tok
	tok *oauth2.Token
}

// ServerToServer returns the token source of a Server-to-Server OAuth app:
// POST {oauthURL}/oauth/token with grant_type=account_credentials and
// account_id, Basic auth with the client ID and secret. oauthURL "" means
// DefaultOAuthURL; hc nil means a 30 s client. Nothing is fetched until a
// token is needed.
func ServerToServer(oauthURL, accountID, clientID, clientSecret string, hc *http.Client) *ServerTokenSource {
	if hc == nil {
		hc = defaultHTTPClient()
	}
	return &ServerTokenSource{
		oauthURL: oauthURL, accountID: accountID, clientID: clientID, clientSecret: clientSecret,
		hc: hc, now: time.Now, renew: make(chan struct{}, 1),
	}
}

// Token returns a valid token, fetching one if needed, bounded by 30 s.
// The Client uses TokenContext instead, with the call's context.
func (s *ServerTokenSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	return s.TokenContext(ctx)
}

// TokenContext returns the cached token while it has more than five
// minutes left, else fetches a new one; concurrent callers share one fetch.
// Errors are *OAuthError when Zoom refused (bad credentials, deactivated
// app), or the transport's error.
func (s *ServerTokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if t := s.cached(); t != nil {
		return t, nil
	}
	select {
	case s.renew <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for zoom token renewal: %w", ctx.Err())
	}
	defer func() { <-s.renew }()
	if t := s.cached(); t != nil { // renewed while we waited
		return t, nil
	}
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {s.accountID}}
	t, err := postToken(ctx, s.hc, s.oauthURL, s.clientID, s.clientSecret, form, s.now())
	if err != nil {
		return nil, fmt.Errorf("get zoom server-to-server token: %w", err)
	}
	s.mu.Lock()
	s.tok = t
	s.mu.Unlock()
	return t, nil
}

// cached returns the cached token if it is good for more than earlyExpiry.
func (s *ServerTokenSource) cached() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil || s.tok.AccessToken == "" {
		return nil
	}
	if !s.tok.Expiry.IsZero() && !s.now().Add(earlyExpiry).Before(s.tok.Expiry) {
		return nil
	}
	return s.tok
}

// Invalidate drops tok from the cache if it is still the cached token, so
// the next call fetches another. The Client calls it when Zoom refuses a
// token.
func (s *ServerTokenSource) Invalidate(tok *oauth2.Token) {
	if tok == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == tok.AccessToken {
		s.tok = nil
	}
}
