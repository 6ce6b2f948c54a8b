package zoom

import (
	"context"
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

// Revoke revokes the connection's access token at Zoom.
func (c *Connector) Revoke(ctx context.Context, conn incident.ZoomConnection) error {
	return c.oauth.Revoke(ctx, conn.AccessToken)
}
