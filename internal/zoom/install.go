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
	// SaveZoomConnection stores conn, replacing the workspace's earlier one,
	// and commits before it returns.
	SaveZoomConnection(ctx context.Context, conn incident.ZoomConnection) error
}

// InstallTokenSource is one workspace's token source in the install flow.
// The store is the only copy of the token pair. A refresh:
//   - runs alone: one per workspace at a time, whatever the number of
//     callers (a lock held by the OAuth value, shared by every source it
//     made for that workspace);
//   - re-reads the store first, since another caller may just have
//     refreshed;
//   - commits the new pair to the store before the access token is used
//     or returned, because Zoom rotates refresh tokens and the old one is
//     dead once Zoom has answered;
//   - on invalid_grant, re-reads the store once more and uses a newer
//     pair if one appeared; if none did, marks the connection Broken in the
//     store and fails with incident.ErrZoomNotConnected: an admin must
//     reconnect.
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
// Broken, or Zoom refused the refresh token); an *OAuthError or transport
// error when the refresh failed otherwise; the store's error when the new
// pair could not be committed (it is then not used).
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

	// Two rounds: the second uses a newer pair found after invalid_grant.
	for range 2 {
		conn, err := s.load(ctx)
		if err != nil {
			return nil, err
		}
		if s.usable(tt, conn) { // another caller refreshed while we waited
			return connToken(conn), nil
		}
		if conn.RefreshToken == "" {
			return nil, s.markBroken(ctx, conn, errors.New("no refresh token stored"))
		}
		tok, err := s.o.refresh(ctx, conn.RefreshToken)
		if err == nil {
			return s.commit(ctx, conn, tok)
		}
		if !IsInvalidGrant(err) {
			return nil, fmt.Errorf("refresh zoom token: %w", err)
		}
		latest, lerr := s.load(ctx)
		if lerr != nil {
			return nil, errors.Join(fmt.Errorf("refresh zoom token: %w", err), lerr)
		}
		if latest.RefreshToken == conn.RefreshToken {
			return nil, s.markBroken(ctx, latest, err)
		}
		// A newer pair was stored meanwhile (a reconnect, another process):
		// go round again with it.
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

// commit stores tok's pair in conn and returns the token only once stored.
func (s *InstallTokenSource) commit(ctx context.Context, conn incident.ZoomConnection, tok *oauth2.Token) (*oauth2.Token, error) {
	conn.AccessToken = tok.AccessToken
	if tok.RefreshToken != "" {
		conn.RefreshToken = tok.RefreshToken
	}
	conn.Expiry = tok.Expiry
	if sc := Scopes(tok); len(sc) > 0 {
		conn.Scopes = sc
	}
	if err := s.store.SaveZoomConnection(ctx, conn); err != nil {
		// Zoom has rotated the refresh token; the pair we could not store
		// is dropped rather than used, so memory never runs ahead of disk.
		return nil, fmt.Errorf("store refreshed zoom token: %w", err)
	}
	return connToken(conn), nil
}

// markBroken records that the grant is dead and returns the error to give.
func (s *InstallTokenSource) markBroken(ctx context.Context, conn incident.ZoomConnection, cause error) error {
	err := fmt.Errorf("%w: zoom refused the refresh token; an admin must reconnect: %w", incident.ErrZoomNotConnected, cause)
	conn.Broken = true
	if serr := s.store.SaveZoomConnection(ctx, conn); serr != nil {
		return errors.Join(err, fmt.Errorf("mark zoom connection broken: %w", serr))
	}
	return err
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
