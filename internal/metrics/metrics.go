// Package metrics holds incident-bridge's Prometheus metrics on a registry
// of its own (never the default one), and the small adapters that feed it:
// the app's and the bot's observer interfaces, the store's backup report
// and HTTP transports that time Slack and Zoom calls.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

const namespace = "incident_bridge"

// ackBuckets are for Socket Mode acks, which should take well under a
// millisecond of our own time; Slack's limit is 3 s.
var ackBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5}

// requestBuckets are for outbound API calls: tens of milliseconds to the
// 30 s client timeout.
var requestBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Metrics is the app's set of Prometheus metrics. It satisfies app.Metrics
// and bot.Observer. The zero value is not usable; call New.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	meetingsCreated   *prometheus.CounterVec
	meetingFailures   *prometheus.CounterVec
	fallbackHosts     prometheus.Counter
	zoomDuration      *prometheus.HistogramVec
	slackDuration     *prometheus.HistogramVec
	slackRequests     *prometheus.CounterVec
	ackLatency        *prometheus.HistogramVec
	socketConnected   prometheus.Gauge
	zoomBroken        prometheus.Counter
	backupLastSuccess prometheus.Gauge
	backupLastSize    prometheus.Gauge
	backupFailures    prometheus.Counter
	webhooks          *prometheus.CounterVec
}

// New builds the metrics on a new registry that also carries the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		now: time.Now,
		meetingsCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "meetings_created_total",
			Help: "Zoom meetings created, by what triggered them and whose account hosts them.",
		}, []string{"trigger", "host"}),
		meetingFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "meeting_failures_total",
			Help: "Meeting creations that failed, by reason.",
		}, []string{"reason"}),
		fallbackHosts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "fallback_hosts_total",
			Help: "Meetings hosted by the fallback Zoom user.",
		}),
		zoomDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "zoom_request_duration_seconds",
			Help:    "Zoom API and OAuth request duration, by operation (method and path template) and HTTP status (\"error\" when no response).",
			Buckets: requestBuckets,
		}, []string{"op", "code"}),
		slackDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "slack_request_duration_seconds",
			Help:    "Slack Web API request duration, by API method and whether Slack answered ok (HTTP 200 without \"ok\":false).",
			Buckets: requestBuckets,
		}, []string{"method", "ok"}),
		slackRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "slack_requests_total",
			Help: "Slack Web API calls, by API method and outcome: \"ok\", Slack's error code (\"channel_not_found\", \"ratelimited\"), \"http_<status>\" or \"transport_error\".",
		}, []string{"method", "outcome"}),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "ack_latency_seconds",
			Help:    "Time from receiving a Socket Mode envelope to acknowledging it, by envelope type.",
			Buckets: ackBuckets,
		}, []string{"kind"}),
		socketConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "socket_connected",
			Help: "1 while the Slack Socket Mode connection is up, else 0.",
		}),
		zoomBroken: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "zoom_connection_broken_total",
			Help: "Times Zoom refused a workspace's stored authorisation, so an admin had to reconnect.",
		}),
		backupLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "backup_last_success_timestamp_seconds",
			Help: "Unix time of the last successful database snapshot.",
		}),
		backupLastSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "backup_last_size_bytes",
			Help: "Size of the last successful database snapshot.",
		}),
		backupFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "backup_failures_total",
			Help: "Database snapshots that failed.",
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhooks_total",
			Help: "Zoom webhooks received, by event and result.",
		}, []string{"event", "result"}),
	}
	m.reg.MustRegister( // only fails on a wiring mistake (a duplicate name)
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.meetingsCreated, m.meetingFailures, m.fallbackHosts,
		m.zoomDuration, m.slackDuration, m.slackRequests, m.ackLatency, m.socketConnected,
		m.zoomBroken, m.backupLastSuccess, m.backupLastSize, m.backupFailures,
		m.webhooks,
	)
	// Start every (trigger, host) series at zero so rate() and alerts see
	// them before the first meeting.
	for _, t := range []incident.Trigger{incident.TriggerOneClick, incident.TriggerAutomatic, incident.TriggerReplace} {
		for _, h := range []incident.HostKind{incident.HostRequester, incident.HostCommander, incident.HostFallback} {
			m.meetingsCreated.WithLabelValues(t.String(), h.String())
		}
	}
	return m
}

// Registry returns the registry the metrics live on, to register more
// collectors or to gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// MeetingCreated counts a created meeting (app.Metrics). A meeting hosted
// by the fallback user also counts in fallback_hosts_total.
func (m *Metrics) MeetingCreated(trigger incident.Trigger, host incident.HostKind) {
	m.meetingsCreated.WithLabelValues(trigger.String(), host.String()).Inc()
	if host == incident.HostFallback {
		m.fallbackHosts.Inc()
	}
}

// MeetingFailed counts a failed meeting creation (app.Metrics). reason is
// one of the app's short, fixed reason codes.
func (m *Metrics) MeetingFailed(reason string) {
	m.meetingFailures.WithLabelValues(reason).Inc()
}

// Acked observes how long a Socket Mode envelope took to acknowledge
// (bot.Observer). kind is the envelope type ("slash_commands",
// "interactive", "events_api").
func (m *Metrics) Acked(kind string, latency time.Duration) {
	m.ackLatency.WithLabelValues(kind).Observe(latency.Seconds())
}

// Connected records whether Socket Mode is connected (bot.Observer).
func (m *Metrics) Connected(up bool) {
	if up {
		m.socketConnected.Set(1)
		return
	}
	m.socketConnected.Set(0)
}

// ZoomConnectionBroken counts a workspace whose Zoom authorisation was
// refused and must be reconnected.
func (m *Metrics) ZoomConnectionBroken() { m.zoomBroken.Inc() }

// BackupDone records a database snapshot's outcome; its signature matches
// the store's backup report callback. A failure leaves the last success
// time and size alone.
func (m *Metrics) BackupDone(path string, size int64, err error) {
	if err != nil {
		m.backupFailures.Inc()
		return
	}
	m.backupLastSuccess.Set(float64(m.now().UnixNano()) / 1e9)
	m.backupLastSize.Set(float64(size))
}

// BackupFound reports a snapshot that already exists (the newest in
// BACKUP_DIR at start-up) as the last good one, with the time it was
// taken, so a restart does not reset the last-success time to zero.
func (m *Metrics) BackupFound(taken time.Time, size int64) {
	m.backupLastSuccess.Set(float64(taken.UnixNano()) / 1e9)
	m.backupLastSize.Set(float64(size))
}

// WatchZoomConnections exposes incident_bridge_zoom_connections_broken, the
// number of workspaces whose Zoom authorisation Zoom refused and that an
// admin must reconnect, read from count at every scrape: it is 1 from the
// moment the store marks a connection broken until a reconnect or
// disconnect, across restarts. A failed count leaves the gauge out of that
// scrape rather than reporting a wrong number. Call it once (the install
// flow only).
func (m *Metrics) WatchZoomConnections(count func() (int, error)) {
	m.reg.MustRegister(&brokenCollector{count: count, desc: prometheus.NewDesc(
		namespace+"_zoom_connections_broken",
		"Workspaces whose stored Zoom authorisation Zoom refused; an admin must reconnect with /incident zoom connect.",
		nil, nil)})
}

// brokenCollector reads the broken-connection count at scrape time.
type brokenCollector struct {
	count func() (int, error)
	desc  *prometheus.Desc
}

// Describe sends the gauge's description.
func (c *brokenCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends the current count, or nothing if it cannot be read.
func (c *brokenCollector) Collect(ch chan<- prometheus.Metric) {
	n, err := c.count()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

// Webhook counts a Zoom webhook by event and result. Callers pass a
// bounded set of values (never text from an unverified request).
func (m *Metrics) Webhook(event, result string) {
	m.webhooks.WithLabelValues(event, result).Inc()
}

// ObserveZoom records one Zoom request: op is a method and path template
// ("POST /users/{userId}/meetings"), code the HTTP status, 0 when no
// response arrived.
func (m *Metrics) ObserveZoom(op string, code int, d time.Duration) {
	c := "error"
	if code > 0 {
		c = strconv.Itoa(code)
	}
	m.zoomDuration.WithLabelValues(op, c).Observe(d.Seconds())
}

// observeSlack records one Slack Web API request and its outcome ("ok",
// a Slack error code, "http_<status>", "transport_error").
func (m *Metrics) observeSlack(method, outcome string, d time.Duration) {
	m.slackDuration.WithLabelValues(method, strconv.FormatBool(outcome == "ok")).Observe(d.Seconds())
	m.slackRequests.WithLabelValues(method, outcome).Inc()
}
