package metrics

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// family gathers m's registry and returns the named family, or nil.
func family(t *testing.T, m *Metrics, name string) *dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

// series returns the metric of family name whose labels are exactly
// labels, or nil.
func series(t *testing.T, m *Metrics, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f := family(t, m, name)
	if f == nil {
		return nil
	}
next:
	for _, mt := range f.GetMetric() {
		if len(mt.GetLabel()) != len(labels) {
			continue
		}
		for _, lp := range mt.GetLabel() {
			if v, ok := labels[lp.GetName()]; !ok || v != lp.GetValue() {
				continue next
			}
		}
		return mt
	}
	return nil
}

// value returns a counter's or gauge's value (0 if the series is absent).
func value(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mt := series(t, m, name, labels)
	switch {
	case mt == nil:
		return 0
	case mt.Counter != nil:
		return mt.GetCounter().GetValue()
	case mt.Gauge != nil:
		return mt.GetGauge().GetValue()
	}
	t.Fatalf("%s%v is neither counter nor gauge", name, labels)
	return 0
}

// histogram returns a histogram series, failing if it is absent.
func histogram(t *testing.T, m *Metrics, name string, labels map[string]string) *dto.Histogram {
	t.Helper()
	mt := series(t, m, name, labels)
	if mt == nil || mt.Histogram == nil {
		t.Fatalf("no histogram %s%v", name, labels)
	}
	return mt.GetHistogram()
}

// bucketCount returns the cumulative count of h's bucket with upper bound le.
func bucketCount(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%v", le)
	return 0
}

func TestMeetingCreated(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		trigger      incident.Trigger
		host         incident.HostKind
		labels       map[string]string
		wantFallback float64
	}{
		{incident.TriggerOneClick, incident.HostRequester, map[string]string{"trigger": incident.TriggerOneClick.String(), "host": "requester"}, 0},
		{incident.TriggerAutomatic, incident.HostCommander, map[string]string{"trigger": incident.TriggerAutomatic.String(), "host": "commander"}, 0},
		{incident.TriggerAutomatic, incident.HostFallback, map[string]string{"trigger": incident.TriggerAutomatic.String(), "host": "fallback"}, 1},
		{incident.TriggerReplace, incident.HostFallback, map[string]string{"trigger": incident.TriggerReplace.String(), "host": "fallback"}, 1},
	} {
		m := New()
		if got := value(t, m, "incident_bridge_meetings_created_total", tt.labels); got != 0 {
			t.Fatalf("%v before: %v, want 0", tt.labels, got)
		}
		m.MeetingCreated(tt.trigger, tt.host)
		m.MeetingCreated(tt.trigger, tt.host)
		if got := value(t, m, "incident_bridge_meetings_created_total", tt.labels); got != 2 {
			t.Errorf("meetings_created_total%v = %v, want 2", tt.labels, got)
		}
		if got := value(t, m, "incident_bridge_fallback_hosts_total", nil); got != 2*tt.wantFallback {
			t.Errorf("%v: fallback_hosts_total = %v, want %v", tt.labels, got, 2*tt.wantFallback)
		}
	}
}

func TestMeetingsCreatedSeriesStartAtZero(t *testing.T) {
	t.Parallel()
	m := New()
	f := family(t, m, "incident_bridge_meetings_created_total")
	if f == nil || len(f.GetMetric()) != 9 {
		t.Fatalf("want 9 pre-created (trigger, host) series, got %v", f)
	}
	if series(t, m, "incident_bridge_meetings_created_total", map[string]string{"trigger": incident.TriggerAutomatic.String(), "host": "fallback"}) == nil {
		t.Error("automatic/fallback series missing before any meeting")
	}
}

func TestMeetingFailed(t *testing.T) {
	t.Parallel()
	m := New()
	m.MeetingFailed("no_host")
	m.MeetingFailed("no_host")
	m.MeetingFailed("unavailable")
	if got := value(t, m, "incident_bridge_meeting_failures_total", map[string]string{"reason": "no_host"}); got != 2 {
		t.Errorf("no_host = %v, want 2", got)
	}
	if got := value(t, m, "incident_bridge_meeting_failures_total", map[string]string{"reason": "unavailable"}); got != 1 {
		t.Errorf("unavailable = %v, want 1", got)
	}
}

func TestAckedUsesSubMillisecondBuckets(t *testing.T) {
	t.Parallel()
	m := New()
	m.Acked("slash_commands", 200*time.Microsecond)
	m.Acked("slash_commands", 2*time.Second)
	h := histogram(t, m, "incident_bridge_ack_latency_seconds", map[string]string{"kind": "slash_commands"})
	if h.GetSampleCount() != 2 {
		t.Errorf("sample count = %d, want 2", h.GetSampleCount())
	}
	if math.Abs(h.GetSampleSum()-2.0002) > 1e-9 {
		t.Errorf("sample sum = %v, want 2.0002", h.GetSampleSum())
	}
	if got := bucketCount(t, h, 0.0001); got != 0 {
		t.Errorf("le=0.0001: %d, want 0", got)
	}
	if got := bucketCount(t, h, 0.00025); got != 1 {
		t.Errorf("le=0.00025: %d, want 1 (200µs ack)", got)
	}
	if got := bucketCount(t, h, 1); got != 1 {
		t.Errorf("le=1: %d, want 1", got)
	}
}

func TestConnected(t *testing.T) {
	t.Parallel()
	m := New()
	for i, up := range []bool{true, false, true} {
		m.Connected(up)
		want := 0.0
		if up {
			want = 1
		}
		if got := value(t, m, "incident_bridge_socket_connected", nil); got != want {
			t.Errorf("step %d: socket_connected = %v, want %v", i, got, want)
		}
	}
}

func TestZoomConnectionBroken(t *testing.T) {
	t.Parallel()
	m := New()
	m.ZoomConnectionBroken()
	if got := value(t, m, "incident_bridge_zoom_connection_broken_total", nil); got != 1 {
		t.Errorf("zoom_connection_broken_total = %v, want 1", got)
	}
}

func TestBackupDone(t *testing.T) {
	t.Parallel()
	m := New()
	at := time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	m.now = func() time.Time { return at }

	m.BackupDone("/backups/a.db", 4096, nil)
	if got := value(t, m, "incident_bridge_backup_last_success_timestamp_seconds", nil); got != float64(at.Unix())+0.5 {
		t.Errorf("last success = %v, want %v", got, float64(at.Unix())+0.5)
	}
	if got := value(t, m, "incident_bridge_backup_last_size_bytes", nil); got != 4096 {
		t.Errorf("last size = %v, want 4096", got)
	}

	m.now = func() time.Time { return at.Add(time.Hour) }
	m.BackupDone("", 0, errors.New("disk full"))
	if got := value(t, m, "incident_bridge_backup_failures_total", nil); got != 1 {
		t.Errorf("failures = %v, want 1", got)
	}
	if got := value(t, m, "incident_bridge_backup_last_success_timestamp_seconds", nil); got != float64(at.Unix())+0.5 {
		t.Errorf("a failure moved last success to %v", got)
	}
	if got := value(t, m, "incident_bridge_backup_last_size_bytes", nil); got != 4096 {
		t.Errorf("a failure changed last size to %v", got)
	}
}

// TestBackupFound: a snapshot found at start-up is the last good one, with
// its own time, until the next snapshot.
func TestBackupFound(t *testing.T) {
	t.Parallel()
	m := New()
	taken := time.Date(2026, 3, 1, 11, 30, 0, 500_000_000, time.UTC)
	m.BackupFound(taken, 8192)
	if got := value(t, m, "incident_bridge_backup_last_success_timestamp_seconds", nil); got != float64(taken.Unix())+0.5 {
		t.Errorf("last success = %v, want the snapshot's time %v", got, float64(taken.Unix())+0.5)
	}
	if got := value(t, m, "incident_bridge_backup_last_size_bytes", nil); got != 8192 {
		t.Errorf("last size = %v, want 8192", got)
	}
}

// TestWatchZoomConnections: the broken-connection gauge follows the count
// at every scrape, and a count that fails leaves it out without breaking
// the scrape.
func TestWatchZoomConnections(t *testing.T) {
	t.Parallel()
	m := New()
	var (
		n   = 1
		err error
	)
	m.WatchZoomConnections(func() (int, error) { return n, err })
	if got := value(t, m, "incident_bridge_zoom_connections_broken", nil); got != 1 {
		t.Errorf("broken = %v, want 1", got)
	}
	n = 0
	if got := value(t, m, "incident_bridge_zoom_connections_broken", nil); got != 0 || series(t, m, "incident_bridge_zoom_connections_broken", nil) == nil {
		t.Errorf("broken = %v after mending; want 0, present", got)
	}
	err = errors.New("database not open")
	if series(t, m, "incident_bridge_zoom_connections_broken", nil) != nil {
		t.Error("a failed count was reported as a value")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/metrics with a failed count = %d; want 200", rec.Code)
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	m := New()
	m.Webhook("app_deauthorized", "ok")
	m.Webhook("unknown", "unauthorized")
	m.Webhook("unknown", "unauthorized")
	if got := value(t, m, "incident_bridge_webhooks_total", map[string]string{"event": "app_deauthorized", "result": "ok"}); got != 1 {
		t.Errorf("app_deauthorized/ok = %v, want 1", got)
	}
	if got := value(t, m, "incident_bridge_webhooks_total", map[string]string{"event": "unknown", "result": "unauthorized"}); got != 2 {
		t.Errorf("unknown/unauthorized = %v, want 2", got)
	}
}

func TestObserveZoom(t *testing.T) {
	t.Parallel()
	m := New()
	m.ObserveZoom("POST /users/{userId}/meetings", 201, 300*time.Millisecond)
	m.ObserveZoom("POST /users/{userId}/meetings", 0, time.Second)
	h := histogram(t, m, "incident_bridge_zoom_request_duration_seconds", map[string]string{"op": "POST /users/{userId}/meetings", "code": "201"})
	if h.GetSampleCount() != 1 || math.Abs(h.GetSampleSum()-0.3) > 1e-9 {
		t.Errorf("201: count %d sum %v, want 1, 0.3", h.GetSampleCount(), h.GetSampleSum())
	}
	h = histogram(t, m, "incident_bridge_zoom_request_duration_seconds", map[string]string{"op": "POST /users/{userId}/meetings", "code": "error"})
	if h.GetSampleCount() != 1 {
		t.Errorf("no-response call: count %d, want 1", h.GetSampleCount())
	}
}

func TestHandlerServesOwnRegistry(t *testing.T) {
	t.Parallel()
	m := New()
	m.MeetingFailed("scope")
	_ = New()       // a second set must not collide: nothing is registered globally
	_ = m.Handler() // a second handler must not re-register and panic

	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`incident_bridge_meeting_failures_total{reason="scope"} 1`,
		"incident_bridge_fallback_hosts_total 0",
		"# TYPE incident_bridge_socket_connected gauge",
		"incident_bridge_backup_failures_total 0",
		"go_goroutines",
		"process_start_time_seconds",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	fams, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "incident_bridge_") {
			t.Errorf("%s is on the default registry", f.GetName())
		}
	}
}
