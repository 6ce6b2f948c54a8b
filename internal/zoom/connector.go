package zoom

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Connector runs the install flow for the app (it satisfies app.Connector):
// the authorize link, the code exchange with the account it belongs to, and
// revocation.
type Connector struct {
	oauth  *OAuth
	client *Client
}

// NewConnector returns a Connector over o, identifying accounts with c.
func NewConnector(o *OAuth, c *Client) *Connector { return &Connector{oauth: o, client: c} }

// AuthorizeURL is the page where an admin authorises the app.
func (c *Connector) AuthorizeURL(state string) string { return c.oauth.AuthorizeURL(state) }

// Exchange trades the code for tokens and reads the account they belong to
// (GET /users/me → account_id), for the one-account-one-workspace rule.
// Team and ConnectedBy are left to the caller. Errors: an *OAuthError for a
// refused code (IsInvalidGrant when used or expired); incident.ErrZoomScope
// when the token may not read users.
func (c *Connector) Exchange(ctx context.Context, code string) (incident.ZoomConnection, error) {
	tok, err := c.oauth.Exchange(ctx, code)
	if err != nil {
		return incident.ZoomConnection{}, err
	}
	me, err := c.client.User(ctx, oauth2.StaticTokenSource(tok), "me")
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("identify the connected zoom account: %w", mapError(err))
	}
	return incident.ZoomConnection{
		AccountID:    me.AccountID,
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
		Scopes:       Scopes(tok),
	}, nil
}

// Revoke ends the connection's grant at Zoom. It revokes the access token
// (the documented way) and the refresh token: an access token past its hour
// may be refused while the grant behind it lives on, and the refresh token
// is what keeps it alive (Zoom says revoke "works for all authorization
// types"; whether it takes refresh tokens is UNCONFIRMED). If Zoom accepts
// neither, it refreshes once and revokes the fresh access token. It
// returns nil when one revocation succeeded, else every failure joined.
// The caller deletes the stored tokens whatever the result.
func (c *Connector) Revoke(ctx context.Context, conn incident.ZoomConnection) error {
	var errs []error
	revoked := false
	for _, tok := range []string{conn.AccessToken, conn.RefreshToken} {
		if tok == "" {
			continue
		}
		if err := c.oauth.Revoke(ctx, tok); err != nil {
			errs = append(errs, err)
			continue
		}
		revoked = true
	}
	if revoked {
		return nil
	}
	if conn.RefreshToken == "" {
		return errors.Join(append(errs, errors.New("revoke zoom grant: no token to revoke"))...)
	}
	tok, err := c.oauth.refresh(ctx, conn.RefreshToken)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("revoke zoom grant: refresh to get a token to revoke: %w", err))...)
	}
	if err := c.oauth.Revoke(ctx, tok.AccessToken); err != nil {
		return errors.Join(append(errs, fmt.Errorf("revoke zoom grant: %w", err))...)
	}
	return nil
}
