package zoom_test

import (
	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/zoom"
)

// The Service is the app's Zoom port (and describes itself), the Connector
// its install flow, and the app's store can back the install flow's token
// sources.
var (
	_ app.Zoom             = (*zoom.Service)(nil)
	_ app.ZoomDescriber    = (*zoom.Service)(nil)
	_ app.Connector        = (*zoom.Connector)(nil)
	_ zoom.ConnectionStore = (app.ZoomConnections)(nil)
)
