package incident_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestParseSeverity(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want incident.Severity
		ok   bool
	}{
		{"sev1", incident.Sev1, true}, {"SEV1", incident.Sev1, true}, {"1", incident.Sev1, true},
		{"Sev-1", incident.Sev1, true}, {"SEV-5", incident.Sev5, true}, {" sev 3 ", incident.Sev3, true},
		{"SEV-9", incident.SevUnknown, false}, {"0", incident.SevUnknown, false}, {"", incident.SevUnknown, false},
		{"high", incident.SevUnknown, false}, {"sev-", incident.SevUnknown, false},
	} {
		got, err := incident.ParseSeverity(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		var p *incident.Problem
		if err != nil && (!errors.As(err, &p) || !strings.Contains(p.Msg, "SEV-1, SEV-2, SEV-3, SEV-4, SEV-5")) {
			t.Errorf("ParseSeverity(%q) error %q does not list the levels", tt.in, err)
		}
	}
}

func TestParseStatusAndImpact(t *testing.T) {
	for in, want := range map[string]incident.Status{"active": incident.StatusActive, "Stable": incident.StatusStable, "RESOLVED": incident.StatusResolved} {
		if got, err := incident.ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := incident.ParseStatus("done"); err == nil || !strings.Contains(err.Error(), "active, stable, resolved") {
		t.Errorf("ParseStatus(done) = %v; want the accepted statuses", err)
	}
	for in, want := range map[string]bool{"yes": true, "Y": true, "no": false, "NO": false} {
		if got, err := incident.ParseImpact(in); err != nil || got != want {
			t.Errorf("ParseImpact(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := incident.ParseImpact("maybe"); err == nil {
		t.Error("ParseImpact(maybe) accepted")
	}
}

// TestHostCandidates covers every row of SPEC §5.3.
func TestHostCandidates(t *testing.T) {
	ann := incident.Host{Kind: incident.HostRequester, User: "UANN", Email: "ann@example.com"}
	ic := incident.Host{Kind: incident.HostCommander, User: "UIC", Email: "ic@example.com"}
	noIC := incident.Host{Kind: incident.HostCommander}
	fb := incident.Host{Kind: incident.HostFallback, Email: "oncall@example.com"}
	with := func(fallback string, always bool) incident.Settings {
		s := incident.DefaultSettings()
		s.FallbackEmail, s.AlwaysUseFallback = fallback, always
		return s
	}
	for _, tt := range []struct {
		name    string
		s       incident.Settings
		primary incident.Host
		want    []incident.Host
	}{
		{"always fallback hosts every meeting", with(fb.Email, true), ann, []incident.Host{fb}},
		{"requester first, then fallback", with(fb.Email, false), ann, []incident.Host{ann, fb}},
		{"commander first, then fallback", with(fb.Email, false), ic, []incident.Host{ic, fb}},
		{"no commander: fallback", with(fb.Email, false), noIC, []incident.Host{fb}},
		{"no fallback: requester only", with("", false), ann, []incident.Host{ann}},
		{"no commander, no fallback: nobody", with("", false), noIC, nil},
		{"requester is the fallback: tried once", with("ANN@example.com", false), ann, []incident.Host{ann}},
		{"always without fallback is ignored", with("", true), ann, []incident.Host{ann}},
	} {
		if got := incident.HostCandidates(tt.s, tt.primary); !slices.Equal(got, tt.want) {
			t.Errorf("%s: HostCandidates = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

// TestCriteriaMatch covers SPEC §5.2: AND across fields, OR within one,
// blank matches any.
func TestCriteriaMatch(t *testing.T) {
	inc := incident.Incident{Severity: incident.Sev2, Status: incident.StatusActive, CustomerImpact: false}
	for _, tt := range []struct {
		name string
		c    incident.Criteria
		want bool
	}{
		{"blank matches any change", incident.Criteria{}, true},
		{"severity in list", incident.Criteria{Severities: []incident.Severity{incident.Sev1, incident.Sev2}}, true},
		{"severity not in list", incident.Criteria{Severities: []incident.Severity{incident.Sev1}}, false},
		{"status in list", incident.Criteria{Statuses: []incident.Status{incident.StatusActive}}, true},
		{"status not in list", incident.Criteria{Statuses: []incident.Status{incident.StatusStable}}, false},
		{"impact required, none", incident.Criteria{RequireCustomerImpact: true}, false},
		{"AND: severity ok, status not", incident.Criteria{Severities: []incident.Severity{incident.Sev2}, Statuses: []incident.Status{incident.StatusStable}}, false},
		{"AND: both ok", incident.Criteria{Severities: []incident.Severity{incident.Sev2}, Statuses: []incident.Status{incident.StatusActive, incident.StatusStable}}, true},
	} {
		if got := tt.c.Match(inc); got != tt.want {
			t.Errorf("%s: Match = %v; want %v", tt.name, got, tt.want)
		}
	}
	withImpact := inc
	withImpact.CustomerImpact = true
	if !(incident.Criteria{RequireCustomerImpact: true}).Match(withImpact) {
		t.Error("impact required and present: no match")
	}
}

func TestWantsAutoMeeting(t *testing.T) {
	s := incident.DefaultSettings()
	s.AutoCreate = true
	base := incident.Incident{Severity: incident.Sev1, Status: incident.StatusActive}
	if !incident.WantsAutoMeeting(s, base) {
		t.Fatal("active incident with auto on and blank criteria: no meeting wanted")
	}
	resolved := base
	resolved.Status = incident.StatusResolved
	archived := base
	archived.ChannelArchived = true
	withMeeting := base
	withMeeting.Meeting = &incident.Meeting{ID: "1"}
	off := s
	off.AutoCreate = false
	disabled := s
	disabled.ZoomEnabled = false
	for name, c := range map[string]struct {
		s   incident.Settings
		inc incident.Incident
	}{"resolved": {s, resolved}, "archived": {s, archived}, "has meeting": {s, withMeeting}, "auto off": {off, base}, "zoom off": {disabled, base}} {
		if incident.WantsAutoMeeting(c.s, c.inc) {
			t.Errorf("%s: meeting wanted", name)
		}
	}
}

func TestChannelName(t *testing.T) {
	for _, tt := range []struct {
		prefix, title string
		n             incident.Number
		attempt       int
		want          string
	}{
		{"inc-", "Checkout down", 1, 0, "inc-1-checkout-down"},
		{"inc-", "  Payments: 50% errors!! (EU) ", 42, 0, "inc-42-payments-50-errors-eu"},
		{"inc-", "Checkout down", 1, 1, "inc-1-checkout-down-2"},
		{"inc-", "日本語", 7, 0, "inc-7"},
		{"ops_", "x", 3, 0, "ops_3-x"},
	} {
		if got := incident.ChannelName(tt.prefix, tt.n, tt.title, tt.attempt); got != tt.want {
			t.Errorf("ChannelName(%q, %d, %q, %d) = %q; want %q", tt.prefix, tt.n, tt.title, tt.attempt, got, tt.want)
		}
	}
	long := incident.ChannelName("inc-", 12345, strings.Repeat("very long title ", 20), 3)
	if len(long) > incident.MaxChannelName || !strings.HasSuffix(long, "-4") || strings.Contains(long, "--") {
		t.Errorf("long name %q (%d chars) breaks Slack's rules", long, len(long))
	}
}

func TestSettingsValidate(t *testing.T) {
	good := incident.DefaultSettings()
	if errs := good.Validate(); errs != nil {
		t.Fatalf("defaults invalid: %v", errs)
	}
	for _, tt := range []struct {
		name  string
		edit  func(*incident.Settings)
		field string
	}{
		{"bad email", func(s *incident.Settings) { s.FallbackEmail = "not-an-email" }, incident.SettingFallbackEmail},
		{"email with name", func(s *incident.Settings) { s.FallbackEmail = "Ann <ann@example.com>" }, incident.SettingFallbackEmail},
		{"always without fallback", func(s *incident.Settings) { s.AlwaysUseFallback = true }, incident.SettingAlwaysUseFallback},
		{"empty prefix", func(s *incident.Settings) { s.ChannelPrefix = "" }, incident.SettingChannelPrefix},
		{"prefix with space", func(s *incident.Settings) { s.ChannelPrefix = "inc -" }, incident.SettingChannelPrefix},
		{"bad recording", func(s *incident.Settings) { s.Recording = "tape" }, incident.SettingRecording},
	} {
		s := incident.DefaultSettings()
		tt.edit(&s)
		errs := s.Validate()
		if len(errs) != 1 || errs[0].Field != tt.field {
			t.Errorf("%s: Validate = %v; want one error on %s", tt.name, errs, tt.field)
		}
	}
	ok := incident.DefaultSettings()
	ok.FallbackEmail, ok.AlwaysUseFallback = "oncall@example.com", true
	if errs := ok.Validate(); errs != nil {
		t.Errorf("fallback + always: %v", errs)
	}
}

func TestApplyReportsOnlyRealChanges(t *testing.T) {
	inc := incident.Incident{Title: "A", Severity: incident.Sev2, Status: incident.StatusActive}
	sev2, sev1 := incident.Sev2, incident.Sev1
	if cs := inc.Apply(incident.Edit{Severity: &sev2}); len(cs) != 0 {
		t.Errorf("SEV-2 on SEV-2: changes %v", cs)
	}
	title := "  A  "
	if cs := inc.Apply(incident.Edit{Title: &title}); len(cs) != 0 {
		t.Errorf("same title with spaces: changes %v", cs)
	}
	yes := true
	cs := inc.Apply(incident.Edit{Severity: &sev1, CustomerImpact: &yes})
	want := []incident.Change{{Field: incident.FieldSeverity, Old: "SEV-2", New: "SEV-1"}, {Field: incident.FieldCustomerImpact, Old: "no", New: "yes"}}
	if !slices.Equal(cs, want) || inc.Severity != incident.Sev1 || !inc.CustomerImpact {
		t.Errorf("Apply = %v, incident %+v; want %v", cs, inc, want)
	}
}

func TestValidateTitle(t *testing.T) {
	if err := incident.ValidateTitle("  "); err == nil {
		t.Error("empty title accepted")
	}
	if err := incident.ValidateTitle(strings.Repeat("x", incident.MaxTitle+1)); err == nil {
		t.Error("over-long title accepted")
	}
	if err := incident.ValidateTitle("Checkout down"); err != nil {
		t.Error(err)
	}
}
