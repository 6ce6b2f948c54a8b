package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// stateTTL is how long an Authorize link is valid (SPEC §6).
const stateTTL = 10 * time.Minute

// noZoomMsg answers the Zoom connection commands when no Zoom credentials
// are configured at all: connecting is the operator's job, not an admin's.
const noZoomMsg = "Zoom is not configured for incident-bridge: whoever runs the app must set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET " +
	"(with ZOOM_ACCOUNT_ID for a Server-to-Server OAuth app, or PUBLIC_URL for the install flow) and restart it."

// unconfigured reports whether the app runs without Zoom credentials.
func (a *App) unconfigured() bool {
	_, none := a.zoom.(NoZoom)
	return a.zoom == nil || none
}

// ConnectZoom starts the install flow for an admin and returns the Zoom
// page to authorise the app on, valid once for ten minutes. It returns a
// *Problem for non-admins and when the app does not use the install flow.
func (a *App) ConnectZoom(ctx context.Context, team incident.TeamID, user incident.UserID) (string, error) {
	if a.connect == nil {
		if a.unconfigured() {
			return "", incident.Problemf("%s", noZoomMsg)
		}
		return "", incident.Problemf("Zoom is connected with Server-to-Server OAuth (ZOOM_ACCOUNT_ID is set), so there is nothing to connect. `/incident zoom status` shows the connection.")
	}
	if err := a.requireAdmin(ctx, team, user, "connect Zoom"); err != nil {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("connect zoom: random state: %w", err)
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	if err := a.conns.PutOAuthState(ctx, state, incident.OAuthState{Team: team, User: user, Expires: a.now().Add(stateTTL)}); err != nil {
		return "", fmt.Errorf("connect zoom: save state: %w", err)
	}
	return a.connect.AuthorizeURL(state), nil
}

// CompleteZoomConnect finishes the install flow from Zoom's redirect: the
// state must be one this app issued, unused and unexpired; the code is
// exchanged, the account identified, and the tokens stored. A Zoom account
// already connected to another workspace is refused.
func (a *App) CompleteZoomConnect(ctx context.Context, state, code string) (incident.TeamID, error) {
	if a.connect == nil {
		if a.unconfigured() {
			return "", incident.Problemf("%s", noZoomMsg)
		}
		return "", incident.Problemf("This app uses Server-to-Server OAuth; there is no install flow to complete.")
	}
	if state == "" {
		return "", incident.Problemf("The authorization request has no state. Start again with /incident zoom connect in Slack.")
	}
	st, err := a.conns.TakeOAuthState(ctx, state, a.now())
	if errors.Is(err, incident.ErrNotFound) {
		return "", incident.Problemf("This authorization link is invalid, expired or already used. Start again with /incident zoom connect in Slack.")
	}
	if err != nil {
		return "", fmt.Errorf("complete zoom connect: take state: %w", err)
	}
	if code == "" {
		return "", incident.Problemf("Zoom sent no authorization code. Start again with /incident zoom connect in Slack.")
	}
	conn, err := a.connect.Exchange(ctx, code)
	switch {
	case errors.Is(err, incident.ErrZoomScope):
		// The tokens are dropped unstored: without a user-read scope the
		// account cannot be identified for the one-workspace rule.
		return "", wrapProblem(err, "The Zoom app may not read users, so incident-bridge cannot tell which Zoom account this is. "+
			"A Zoom admin must add the scope user:read:user:admin to the app in the Zoom App Marketplace; then start again with /incident zoom connect in Slack.")
	case errors.Is(err, incident.ErrZoomUnavailable):
		return "", wrapProblem(err, "Zoom is not answering right now, so Zoom is not connected. Start again with /incident zoom connect in Slack in a few minutes.")
	case err != nil:
		return "", wrapProblem(err, "Zoom did not accept the authorization (the code may have expired). Start again with /incident zoom connect in Slack.")
	}
	other, err := a.conns.TeamForZoomAccount(ctx, conn.AccountID)
	switch {
	case err == nil && other != st.Team:
		return "", incident.Problemf("This Zoom account is already connected to another Slack workspace. Disconnect it there first (/incident zoom disconnect), then connect it here.")
	case err != nil && !errors.Is(err, incident.ErrNotFound):
		return "", fmt.Errorf("complete zoom connect: look up account: %w", err)
	}
	conn.Team, conn.ConnectedBy, conn.ConnectedAt = st.Team, st.User, a.now().UTC()
	if err := a.conns.SaveZoomConnection(ctx, conn); err != nil {
		return "", fmt.Errorf("complete zoom connect: save: %w", err)
	}
	a.logger(ctx).Info().Str("team", string(st.Team)).Str("user", string(st.User)).Msg("zoom connected")
	if err := a.slack.DirectMessage(ctx, st.Team, st.User, "Zoom is connected. Incidents can now get Zoom meetings: press *Create Zoom Meeting* in an incident channel, or set up automatic meetings with `/incident settings`."); err != nil {
		a.logger(ctx).Warn().Err(err).Msg("tell admin zoom connected failed")
	}
	return st.Team, nil
}

// DisconnectZoom revokes the workspace's Zoom token and deletes it. It
// returns a *Problem for non-admins, when nothing is connected and when the
// app does not use the install flow.
func (a *App) DisconnectZoom(ctx context.Context, team incident.TeamID, user incident.UserID) error {
	if a.connect == nil {
		if a.unconfigured() {
			return incident.Problemf("%s", noZoomMsg)
		}
		return incident.Problemf("Zoom is connected with Server-to-Server OAuth (ZOOM_ACCOUNT_ID is set); remove those credentials from the app's configuration to disconnect it.")
	}
	if err := a.requireAdmin(ctx, team, user, "disconnect Zoom"); err != nil {
		return err
	}
	// Take (read and delete at once), then revoke what was taken: a token
	// refresh racing the disconnect either committed before the take, and
	// its pair is the one revoked, or finds the connection gone and does
	// not bring it back (it revokes its own new pair).
	conn, err := a.conns.TakeZoomConnection(ctx, team)
	if errors.Is(err, incident.ErrZoomNotConnected) {
		return incident.Problemf("Zoom is not connected to this workspace.")
	}
	if err != nil {
		return fmt.Errorf("disconnect zoom: %w", err)
	}
	if err := a.connect.Revoke(ctx, conn); err != nil {
		// The tokens are deleted anyway: a dead token at Zoom is harmless,
		// a kept one is not what the admin asked for.
		a.logger(ctx).Warn().Err(err).Msg("revoke zoom grant failed; its tokens are deleted")
	}
	a.logger(ctx).Info().Str("team", string(team)).Str("user", string(user)).Msg("zoom disconnected")
	return nil
}

// ZoomDeauthorized handles Zoom's app_deauthorized: the account's tokens are
// deleted and the workspace's admins told.
func (a *App) ZoomDeauthorized(ctx context.Context, accountID string) error {
	if a.conns == nil {
		return nil
	}
	team, err := a.conns.TeamForZoomAccount(ctx, accountID)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("zoom deauthorized: %w", err)
	}
	conn, err := a.conns.TakeZoomConnection(ctx, team)
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected):
		return nil // the account index outlived its connection: nothing to delete
	case err != nil:
		// Unreadable (say, a damaged record): Zoom has ended the grant,
		// so delete it unread.
		if derr := a.conns.DeleteZoomConnection(ctx, team); derr != nil {
			return fmt.Errorf("zoom deauthorized: delete: %w", errors.Join(err, derr))
		}
	}
	a.logger(ctx).Warn().Str("team", string(team)).Msg("zoom app deauthorized; tokens deleted")
	a.tellAdmins(ctx, team, conn.ConnectedBy,
		"The Zoom app was removed from your Zoom account, so incident-bridge can no longer create meetings. An admin can reconnect it with `/incident zoom connect`.")
	return nil
}

// ZoomBroken tells a workspace's admins once that Zoom refused the stored
// authorisation (the token source marked the connection Broken). Callers
// may call it after any incident.ErrZoomNotConnected; it does nothing for
// a connection that is not broken or whose admins were told.
func (a *App) ZoomBroken(ctx context.Context, team incident.TeamID) {
	if a.conns == nil {
		return
	}
	// Many clicks fail at once when a grant dies. Concurrent calls share
	// one check-and-tell, and a later call reads BrokenTold, which the
	// shared one commits before it returns: admins hear it once.
	_, _, _ = a.flights.Do("zoom-broken/"+string(team), func() (any, error) { // nothing to return
		a.zoomBroken(ctx, team)
		return nil, nil
	})
}

// errNothingToTell: the connection is not broken, or its admins were told.
var errNothingToTell = errors.New("nothing to tell")

func (a *App) zoomBroken(ctx context.Context, team incident.TeamID) {
	// Check and mark in one store transaction: a disconnect or reconnect
	// between a read and a write would otherwise be undone by writing the
	// old, broken pair back.
	conn, err := a.conns.UpdateZoomConnection(ctx, team, func(c *incident.ZoomConnection) error {
		if !c.Broken || c.BrokenTold {
			return errNothingToTell
		}
		c.BrokenTold = true
		return nil
	})
	switch {
	case errors.Is(err, errNothingToTell), errors.Is(err, incident.ErrZoomNotConnected):
		return
	case err != nil:
		a.logger(ctx).Error().Err(err).Msg("mark zoom connection broken failed")
		return
	}
	a.metrics.ZoomConnectionBroken()
	a.tellAdmins(ctx, team, conn.ConnectedBy,
		"Zoom refused incident-bridge's authorisation (it was revoked or expired), so no meetings can be created. An admin can reconnect with `/incident zoom connect`.")
}

// tellAdmins sends text to the workspace's admins: whoever connected Zoom,
// the workspace's admins and owners (SPEC §7), and ADMIN_USER_IDS, each
// once. If Slack cannot list the admins, the others are still told.
func (a *App) tellAdmins(ctx context.Context, team incident.TeamID, connectedBy incident.UserID, text string) {
	var users []incident.UserID
	if connectedBy != "" {
		users = append(users, connectedBy)
	}
	if l, ok := a.slack.(AdminLister); ok {
		admins, err := l.WorkspaceAdmins(ctx, team)
		if err != nil {
			a.logger(ctx).Warn().Err(err).Str("team", string(team)).Msg("list workspace admins failed; telling those known")
		}
		users = append(users, admins...)
	}
	extra := make([]incident.UserID, 0, len(a.admins))
	for u := range a.admins {
		extra = append(extra, u)
	}
	slices.Sort(extra)
	users = append(users, extra...)

	told := map[incident.UserID]bool{}
	for _, u := range users {
		if told[u] {
			continue
		}
		told[u] = true
		if err := a.slack.DirectMessage(ctx, team, u, text); err != nil {
			a.logger(ctx).Warn().Err(err).Str("user", string(u)).Msg("tell admin failed")
		}
	}
}
