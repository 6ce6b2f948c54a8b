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
	Describe(ctx context.Context, team incident.TeamID) (string, error)
}

// ZoomStatus is what `/incident zoom status` shows.
type ZoomStatus struct {
	// Install is true for the install flow, false for Server-to-Server.
	Install     bool
	Connected   bool
	Broken      bool
	ConnectedBy incident.UserID
	AccountID   string
	// Detail is the Zoom side's own description (scopes), if it gives one.
	Detail   string
	Settings incident.Settings
}

// ZoomStatus reports the workspace's Zoom connection and settings.
func (a *App) ZoomStatus(ctx context.Context, team incident.TeamID) (ZoomStatus, error) {
	s, err := a.store.Settings(ctx, team)
	if err != nil {
		return ZoomStatus{}, fmt.Errorf("zoom status: %w", err)
	}
	st := ZoomStatus{Settings: s, Install: a.connect != nil, Connected: a.connect == nil}
	if st.Install {
		conn, err := a.conns.ZoomConnection(ctx, team)
		switch {
		case errors.Is(err, incident.ErrZoomNotConnected):
		case err != nil:
			return ZoomStatus{}, fmt.Errorf("zoom status: %w", err)
		default:
			st.Connected, st.Broken = !conn.Broken, conn.Broken
			st.ConnectedBy, st.AccountID = conn.ConnectedBy, conn.AccountID
		}
	}
	if d, ok := a.zoom.(ZoomDescriber); ok && st.Connected {
		desc, err := d.Describe(ctx, team)
		if err != nil {
			st.Detail = "Zoom could not be reached to check the connection: " + describeErr(err)
			if errors.Is(err, incident.ErrZoomNotConnected) {
				st.Connected = false
			}
		} else {
			st.Detail = desc
		}
	}
	return st, nil
}

func describeErr(err error) string {
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected):
		return "the credentials were refused."
	case errors.Is(err, incident.ErrZoomUnavailable):
		return "Zoom is not answering."
	}
	return "an unexpected error (see the app's logs)."
}
