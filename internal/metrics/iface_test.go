package metrics_test

import (
	"github.com/incident-bridge/incident-bridge/bot"
	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/metrics"
)

// *Metrics is what main passes as the app's Metrics and the bot's Observer.
var (
	_ app.Metrics  = (*metrics.Metrics)(nil)
	_ bot.Observer = (*metrics.Metrics)(nil)
)
