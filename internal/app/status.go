package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// ZoomDescriber is optionally implemented by the Zoom port to say what the
// connection can do (mode, scopes granted, features off for lack of one).
type ZoomDescriber interface {
	// Describe checks the workspace's connection with Zoom and describes
	// it for admins. Errors (errors.Is): incident.ErrZoomNotConnected when
	// Zoom refuses the credentials or there is no connection;
	// incident.ErrZoomUnavailable when Zoom cannot be reached.
	Describe(ctx context.Context, team incident.TeamID) (string, error)
}

// ZoomStatus is what `/incident zoom status` shows.
type ZoomStatus struct {
	// Configured is false when the app runs without Zoom credentials
	// (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET); then nothing else applies and
	// only the app's operator can change it.
	Configured bool
	// Install is true for the install flow, false for Server-to-Server.
	Install   bool
	Connected bool
	// Broken is set when Zoom refused the installed authorisation: an
	// admin must reconnect.
	Broken      bool
	ConnectedBy incident.UserID
	AccountID   string
	// Detail is the Zoom side's own description (mode, scopes, and which
	// optional scope would turn a feature on), or why it could not be
	// checked.
	Detail   string
	Settings incident.Settings
}

// ZoomStatus reports the workspace's Zoom connection and settings. It asks
// Zoom for the token's scopes; when Zoom refuses an installed connection's
// authorisation, the admins are told (once) as for a failed click.
func (a *App) ZoomStatus(ctx context.Context, team incident.TeamID) (ZoomStatus, error) {
	s, err := a.store.Settings(ctx, team)
	if err != nil {
		return ZoomStatus{}, fmt.Errorf("zoom status: %w", err)
	}
	st := ZoomStatus{Settings: s, Configured: !a.unconfigured(), Install: a.connect != nil}
	if !st.Configured {
		st.Detail = noZoomMsg
		return st, nil
	}
	st.Connected = !st.Install
	if st.Install {
		if err := a.loadConnection(ctx, team, &st); err != nil {
			return ZoomStatus{}, err
		}
	}
	d, ok := a.zoom.(ZoomDescriber)
	if !ok || !st.Connected {
		return st, nil
	}
	desc, err := d.Describe(ctx, team)
	if err == nil {
		st.Detail = desc
		return st, nil
	}
	a.logger(ctx).Warn().Err(err).Str("team", string(team)).Msg("check zoom connection for status failed")
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected) && st.Install:
		// The token source may just have found the grant dead and marked
		// it Broken: show that, and tell the admins as a click would.
		a.ZoomBroken(ctx, team)
		if err := a.loadConnection(ctx, team, &st); err != nil {
			return ZoomStatus{}, err
		}
		st.Connected = false
		if !st.Broken {
			st.Detail = "Zoom refused the stored authorisation. An admin can reconnect with `/incident zoom connect`."
		}
	case errors.Is(err, incident.ErrZoomNotConnected):
		st.Connected = false
		st.Detail = "Zoom refused the Server-to-Server OAuth credentials: whoever runs the app must check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET against the Zoom app (and that the app is activated)."
	case errors.Is(err, incident.ErrZoomUnavailable):
		st.Detail = "Zoom is not answering right now, so the scopes could not be checked. Try again in a minute."
	default:
		st.Detail = "The connection could not be checked because of an unexpected error; the app's logs have it."
	}
	return st, nil
}

// loadConnection fills st from the workspace's stored install connection.
func (a *App) loadConnection(ctx context.Context, team incident.TeamID, st *ZoomStatus) error {
	conn, err := a.conns.ZoomConnection(ctx, team)
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected):
		st.Connected, st.Broken, st.ConnectedBy, st.AccountID = false, false, "", ""
	case err != nil:
		return fmt.Errorf("zoom status: %w", err)
	default:
		st.Connected, st.Broken = !conn.Broken, conn.Broken
		st.ConnectedBy, st.AccountID = conn.ConnectedBy, conn.AccountID
	}
	return nil
}
