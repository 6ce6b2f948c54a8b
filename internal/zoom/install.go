package zoom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// ConnectionStore keeps install-flow connections; the app's store
// implements it (the subset of app.ZoomConnections the token source needs).
type ConnectionStore interface {
	// ZoomConnection returns the workspace's connection, or an error
	// wrapping incident.ErrZoomNotConnected.
	ZoomConnection(ctx context.Context, team incident.TeamID) (incident.ZoomConnection, error)
	// UpdateZoomConnection applies fn to the stored connection and commits
	// the result in one transaction, before it returns; fn's error aborts
	// it and is returned wrapped. It never recreates a deleted connection:
	// with none stored it returns an error wrapping
	// incident.ErrZoomNotConnected without calling fn.
	UpdateZoomConnection(ctx context.Context, team incident.TeamID, fn func(*incident.ZoomConnection) error) (incident.ZoomConnection, error)
}

// errPairChanged: the stored token pair is no longer the one a refresh (or
// a broken mark) was based on. A reconnect or another refresher got there
// first; the stored pair wins.
var errPairChanged = errors.New("the stored zoom token pair changed meanwhile")

// InstallTokenSource is one workspace's token source in the install flow.
// The store is the only copy of the token pair. A refresh:
//   - runs alone: one per workspace at a time, whatever the number of
//     callers (a lock held by the OAuth value, shared by every source it
//     made for that workspace);
//   - re-reads the store first, since another caller may just have
//     refreshed;
//   - commits the new pair to the store before the access token is used
//     or returned, because Zoom rotates refresh tokens and the old one is
//     dead once Zoom has answered. The commit is a compare-and-swap: it
//     writes only while the stored refresh token is still the one that
//     was presented, and never recreates a connection deleted meanwhile
//     (a disconnect or app_deauthorized), so a refresh that raced one can
//     neither bring tokens back nor overwrite a fresh reconnect. A pair
//     orphaned by a deletion is revoked at Zoom; one overtaken by a
//     reconnect is dropped and the stored pair used instead;
//   - on invalid_grant, marks the connection Broken, again only while the
//     stored refresh token is the refused one; if a newer pair appeared
//     (a reconnect, another process) it goes round again with that one. A
//     Broken connection fails with incident.ErrZoomNotConnected: an admin
//     must reconnect.
//
// It implements oauth2.TokenSource.
type InstallTokenSource struct {
	o     *OAuth
	team  incident.TeamID
	store ConnectionStore
}

// TokenSource returns team's token source over store.
func (o *OAuth) TokenSource(team incident.TeamID, store ConnectionStore) *InstallTokenSource {
	return &InstallTokenSource{o: o, team: team, store: store}
}

// Token returns a valid access token, bounded by 30 s. The Client uses
// TokenContext instead, with the call's context.
func (s *InstallTokenSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	return s.TokenContext(ctx)
}

// TokenContext returns the stored access token while it has more than
// five minutes left, else refreshes as the type's doc says. Errors wrap
// incident.ErrZoomNotConnected when there is no usable connection (none,
// deleted during the refresh, Broken, or Zoom refused the refresh token);
// an *OAuthError or *TransportError when the refresh failed otherwise; the
// store's error when the new pair could not be committed (it is then not
// used).
func (s *InstallTokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	tt := s.o.team(s.team)
	conn, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if s.usable(tt, conn) {
		return connToken(conn), nil
	}
	select {
	case tt.refresh <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for zoom token refresh: %w", ctx.Err())
	}
	defer func() { <-tt.refresh }()

	// Later rounds use a newer pair that appeared while Zoom answered.
	for range 3 {
		conn, err := s.load(ctx)
		if err != nil {
			return nil, err
		}
		if s.usable(tt, conn) { // another caller refreshed while we waited
			return connToken(conn), nil
		}
		if conn.RefreshToken == "" {
			err := s.markBroken(ctx, conn.RefreshToken, errors.New("no refresh token stored"))
			if errors.Is(err, errPairChanged) {
				continue
			}
			return nil, err
		}
		tok, err := s.o.refresh(ctx, conn.RefreshToken)
		if err == nil {
			t, err := s.commit(ctx, conn.RefreshToken, tok)
			if errors.Is(err, errPairChanged) {
				continue // a reconnect stored a newer pair: use that one
			}
			return t, err
		}
		if !IsInvalidGrant(err) {
			return nil, fmt.Errorf("refresh zoom token: %w", err)
		}
		err = s.markBroken(ctx, conn.RefreshToken, err)
		if errors.Is(err, errPairChanged) {
			continue // a newer pair was stored meanwhile: go round with it
		}
		return nil, err
	}
	return nil, errors.New("refresh zoom token: the stored token pair keeps changing")
}

// load reads the connection, refusing a Broken one.
func (s *InstallTokenSource) load(ctx context.Context) (incident.ZoomConnection, error) {
	conn, err := s.store.ZoomConnection(ctx, s.team)
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("load zoom connection: %w", err)
	}
	if conn.Broken {
		return incident.ZoomConnection{}, fmt.Errorf("%w: zoom refused the stored refresh token; an admin must reconnect", incident.ErrZoomNotConnected)
	}
	return conn, nil
}

// usable reports whether conn's access token can be used as is.
func (s *InstallTokenSource) usable(tt *teamTokens, conn incident.ZoomConnection) bool {
	if conn.AccessToken == "" {
		return false
	}
	s.o.mu.Lock()
	rejected := tt.rejected
	s.o.mu.Unlock()
	if conn.AccessToken == rejected {
		return false
	}
	return conn.Expiry.IsZero() || s.o.clock().Add(earlyExpiry).Before(conn.Expiry)
}

// commit stores tok's pair if the stored refresh token is still used, the
// one Zoom just rotated, and returns the token only once stored. It
// returns errPairChanged when another pair was stored meanwhile, and an
// error wrapping incident.ErrZoomNotConnected when the connection was
// deleted meanwhile, after revoking the orphaned pair at Zoom.
func (s *InstallTokenSource) commit(ctx context.Context, used string, tok *oauth2.Token) (*oauth2.Token, error) {
	conn, err := s.store.UpdateZoomConnection(ctx, s.team, func(c *incident.ZoomConnection) error {
		if c.RefreshToken != used {
			return errPairChanged
		}
		c.AccessToken = tok.AccessToken
		if tok.RefreshToken != "" {
			c.RefreshToken = tok.RefreshToken
		}
		c.Expiry = tok.Expiry
		if sc := Scopes(tok); len(sc) > 0 {
			c.Scopes = sc
		}
		// Zoom just honoured the stored refresh token, so the grant works.
		c.Broken, c.BrokenTold = false, false
		return nil
	})
	switch {
	case err == nil:
		return connToken(conn), nil
	case errors.Is(err, errPairChanged):
		return nil, errPairChanged
	case errors.Is(err, incident.ErrZoomNotConnected):
		// Disconnected while Zoom was refreshing: the disconnect revoked
		// the pair it took, which Zoom had just rotated away. The new pair
		// belongs to nobody; revoke it so the grant ends as asked.
		s.revokeOrphan(ctx, tok)
		return nil, fmt.Errorf("%w: disconnected during a token refresh", incident.ErrZoomNotConnected)
	default:
		// Zoom has rotated the refresh token; the pair we could not store
		// is dropped rather than used, so memory never runs ahead of disk.
		return nil, fmt.Errorf("store refreshed zoom token: %w", err)
	}
}

// revokeOrphan revokes a refreshed pair that can no longer be stored, on a
// context that outlives the caller's, bounded. Its failure is not the
// caller's concern: the caller is told Zoom is not connected either way.
func (s *InstallTokenSource) revokeOrphan(ctx context.Context, tok *oauth2.Token) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenTimeout)
	defer cancel()
	for _, t := range []string{tok.RefreshToken, tok.AccessToken} {
		if t != "" && s.o.Revoke(ctx, t) == nil {
			return
		}
	}
}

// markBroken records that the grant is dead, if refused is still the
// stored refresh token, and returns the error to give: errPairChanged when
// a newer pair was stored meanwhile, one wrapping
// incident.ErrZoomNotConnected otherwise.
func (s *InstallTokenSource) markBroken(ctx context.Context, refused string, cause error) error {
	err := fmt.Errorf("%w: zoom refused the refresh token; an admin must reconnect: %w", incident.ErrZoomNotConnected, cause)
	_, serr := s.store.UpdateZoomConnection(ctx, s.team, func(c *incident.ZoomConnection) error {
		if c.RefreshToken != refused {
			return errPairChanged
		}
		c.Broken = true
		return nil
	})
	switch {
	case serr == nil:
		return err
	case errors.Is(serr, errPairChanged):
		return errPairChanged
	case errors.Is(serr, incident.ErrZoomNotConnected):
		return fmt.Errorf("%w: disconnected during a token refresh", incident.ErrZoomNotConnected)
	}
	return errors.Join(err, fmt.Errorf("mark zoom connection broken: %w", serr))
}

// Invalidate records that Zoom refused tok, so the next call refreshes
// even though the stored token has not expired. The Client calls it.
func (s *InstallTokenSource) Invalidate(tok *oauth2.Token) {
	if tok == nil || tok.AccessToken == "" {
		return
	}
	tt := s.o.team(s.team)
	s.o.mu.Lock()
	tt.rejected = tok.AccessToken
	s.o.mu.Unlock()
}

// connToken is conn's access token as an oauth2.Token, its scopes as the
// "scope" extra.
func connToken(conn incident.ZoomConnection) *oauth2.Token {
	t := &oauth2.Token{AccessToken: conn.AccessToken, TokenType: "Bearer", Expiry: conn.Expiry}
	return t.WithExtra(map[string]any{"scope": strings.Join(conn.Scopes, " ")})
}

// The sources are oauth2.TokenSources the Client can drive with a context
// and tell about refused tokens.
var (
	_ oauth2.TokenSource = (*InstallTokenSource)(nil)
	_ tokenContexter     = (*InstallTokenSource)(nil)
	_ invalidator        = (*InstallTokenSource)(nil)
	_ oauth2.TokenSource = (*ServerTokenSource)(nil)
	_ tokenContexter     = (*ServerTokenSource)(nil)
	_ invalidator        = (*ServerTokenSource)(nil)
)
