package incident

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// Recording is the Zoom automatic-recording option.
type Recording string

// Recording options, as Zoom names them.
const (
	RecordingNone  Recording = "none"
	RecordingLocal Recording = "local"
	RecordingCloud Recording = "cloud"
)

// Settings are one workspace's admin settings (SPEC §5.4).
type Settings struct {
	ZoomEnabled       bool
	AutoCreate        bool
	Criteria          Criteria
	FallbackEmail     string
	AlwaysUseFallback bool
	JoinBeforeHost    bool
	WaitingRoom       bool
	Recording         Recording
	Bookmarks         bool
	ChannelPrefix     string
}

// Setting names, used to put a validation message beside its field.
const (
	SettingFallbackEmail     = "fallback_email"
	SettingAlwaysUseFallback = "always_use_fallback"
	SettingChannelPrefix     = "channel_prefix"
	SettingRecording         = "recording"
)

// DefaultSettings are a new workspace's settings: Zoom on, automatic off,
// join before host on, waiting room off, no recording, bookmarks on, "inc-".
func DefaultSettings() Settings {
	return Settings{
		ZoomEnabled:    true,
		JoinBeforeHost: true,
		Recording:      RecordingNone,
		Bookmarks:      true,
		ChannelPrefix:  "inc-",
	}
}

// MeetingOptions returns the Zoom options these settings ask for.
func (s Settings) MeetingOptions() MeetingOptions {
	return MeetingOptions{JoinBeforeHost: s.JoinBeforeHost, WaitingRoom: s.WaitingRoom, Recording: s.Recording}
}

var prefixRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,19}$`)

// Normalize trims and lower-cases what users type, so equal settings compare
// equal.
func (s Settings) Normalize() Settings {
	s.FallbackEmail = strings.TrimSpace(s.FallbackEmail)
	s.ChannelPrefix = strings.ToLower(strings.TrimSpace(s.ChannelPrefix))
	if s.Recording == "" {
		s.Recording = RecordingNone
	}
	slices.Sort(s.Criteria.Severities)
	s.Criteria.Severities = slices.Compact(s.Criteria.Severities)
	slices.Sort(s.Criteria.Statuses)
	s.Criteria.Statuses = slices.Compact(s.Criteria.Statuses)
	return s
}

// Validate returns the problems with s, one per field; nil when s is good.
func (s Settings) Validate() FieldErrors {
	var errs FieldErrors
	if s.FallbackEmail != "" {
		if a, err := mail.ParseAddress(s.FallbackEmail); err != nil || a.Address != s.FallbackEmail || !strings.Contains(a.Address, ".") {
			errs = append(errs, FieldError{SettingFallbackEmail, "Enter an email address like oncall@example.com."})
		}
	}
	if s.AlwaysUseFallback && s.FallbackEmail == "" {
		errs = append(errs, FieldError{SettingAlwaysUseFallback, "Set a fallback user account first: there is no account to always use."})
	}
	if !prefixRE.MatchString(s.ChannelPrefix) {
		errs = append(errs, FieldError{SettingChannelPrefix, "Use 1–20 lowercase letters, digits, - or _, starting with a letter or digit (e.g. inc-)."})
	}
	switch s.Recording {
	case RecordingNone, RecordingLocal, RecordingCloud:
	default:
		errs = append(errs, FieldError{SettingRecording, "Choose none, local or cloud."})
	}
	return errs
}

// Criteria select the incidents that get a meeting automatically. Fields
// combine with AND, values within a field with OR; a blank field matches all.
type Criteria struct {
	Severities            []Severity
	Statuses              []Status
	RequireCustomerImpact bool
}

// Match reports whether inc meets the criteria.
func (c Criteria) Match(inc Incident) bool {
	if len(c.Severities) > 0 && !slices.Contains(c.Severities, inc.Severity) {
		return false
	}
	if len(c.Statuses) > 0 && !slices.Contains(c.Statuses, inc.Status) {
		return false
	}
	if c.RequireCustomerImpact && !inc.CustomerImpact {
		return false
	}
	return true
}

// WantsAutoMeeting reports whether a change to inc should create a meeting
// automatically (SPEC §5.2): Zoom and automatic creation on, no meeting yet,
// not resolved, channel not archived, criteria matched.
func WantsAutoMeeting(s Settings, inc Incident) bool {
	return s.ZoomEnabled && s.AutoCreate && inc.Meeting == nil &&
		inc.Status != StatusResolved && !inc.ChannelArchived && s.Criteria.Match(inc)
}

func sameEmail(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
