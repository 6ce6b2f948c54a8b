package incident

import "time"

// HostKind says whose account hosts a meeting. Persisted: append only.
type HostKind int

// Host kinds, in the order SPEC §5.3 tries them.
const (
	HostRequester HostKind = iota // the user who pressed the button
	HostCommander                 // the incident commander (automatic creation)
	HostFallback                  // the fallback Zoom user from settings
)

// String names the host kind for logs and metrics.
func (k HostKind) String() string {
	switch k {
	case HostRequester:
		return "requester"
	case HostCommander:
		return "commander"
	case HostFallback:
		return "fallback"
	}
	return "unknown"
}

// Trigger says what caused a meeting to be created. Persisted: append only.
type Trigger int

// Triggers.
const (
	TriggerOneClick  Trigger = iota // button or /incident zoom
	TriggerAutomatic                // an incident change matched the criteria
	TriggerReplace                  // /incident zoom new
)

// String names the trigger for logs and metrics.
func (t Trigger) String() string {
	switch t {
	case TriggerOneClick:
		return "one_click"
	case TriggerAutomatic:
		return "automatic"
	case TriggerReplace:
		return "replace"
	}
	return "unknown"
}

// Meeting is an incident's Zoom meeting as the app keeps it. The host start
// URL is deliberately absent: it is a host credential and is never stored.
type Meeting struct {
	ID        string // Zoom meeting number (int64 as decimal)
	JoinURL   string
	Passcode  string
	HostKind  HostKind
	HostUser  UserID // Slack user who hosts; empty for the fallback account
	CreatedBy UserID // who asked; empty for automatic creation
	Trigger   Trigger
	CreatedAt time.Time
	// Unpublished is true from the moment the meeting is recorded until
	// its header, announcement and bookmark have been attempted, so a
	// meeting recorded just before a crash is still published at start-up.
	Unpublished bool
}

// Attempt is one meeting creation, remembered while its outcome is open:
// the ID written into the meeting's agenda (so it can be found among the
// host's meetings), what it was for and the hosts it tried.
type Attempt struct {
	ID        string
	Replacing string // meeting ID being replaced, "" for a first meeting
	Hosts     []Host // in the order tried
	Trigger   Trigger
	By        UserID // who asked; empty for automatic creation
	At        time.Time
}

// Host is one candidate host: whose account and which email.
type Host struct {
	Kind  HostKind
	User  UserID // empty for the fallback
	Email string
}

// MeetingOptions are the Zoom settings sent on every create.
type MeetingOptions struct {
	JoinBeforeHost bool
	WaitingRoom    bool
	Recording      Recording
}

// MeetingRequest is everything needed to create an incident's meeting.
type MeetingRequest struct {
	HostEmail string
	Topic     string // "INC-42: Checkout down", at most 200 characters
	// Agenda carries the attempt ID so a crash between Zoom's create and our
	// record can be reconciled by finding the meeting again.
	Agenda  string
	Start   time.Time
	Options MeetingOptions
}

// CreatedMeeting is what Zoom returned for a new meeting.
type CreatedMeeting struct {
	ID       string
	JoinURL  string
	Passcode string
	// StartURL logs the host in: shown only to the host, ephemerally, never
	// posted, logged or stored.
	StartURL string
}

// HostCandidates returns the hosts to try, in SPEC §5.3 order: the fallback
// alone when it must always host; otherwise primary (the requester or the
// commander; Email empty when there is none), then the fallback. An empty
// result means no meeting can be made.
func HostCandidates(s Settings, primary Host) []Host {
	fallback := Host{Kind: HostFallback, Email: s.FallbackEmail}
	if s.AlwaysUseFallback && s.FallbackEmail != "" {
		return []Host{fallback}
	}
	var hosts []Host
	if primary.Email != "" {
		hosts = append(hosts, primary)
	}
	if s.FallbackEmail != "" && !sameEmail(s.FallbackEmail, primary.Email) {
		hosts = append(hosts, fallback)
	}
	return hosts
}

// Topic is the meeting topic for an incident, cut to Zoom's 200 characters.
func Topic(inc Incident) string { return truncate(inc.Ref(), 200) }
