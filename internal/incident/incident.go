// Package incident is the domain of incident-bridge: incidents, their fields,
// meetings, settings, criteria and host order. It knows nothing of Slack,
// Zoom or bbolt.
package incident

import (
	"fmt"
	"time"
)

// TeamID identifies a Slack workspace (or an enterprise-grid team).
type TeamID string

// ChannelID identifies a Slack channel.
type ChannelID string

// UserID identifies a Slack user.
type UserID string

// Number is an incident's sequential number within its workspace.
type Number int64

// String renders the number as users see it: INC-42.
func (n Number) String() string { return fmt.Sprintf("INC-%d", int64(n)) }

// Key identifies one incident across all workspaces.
type Key struct {
	Team   TeamID
	Number Number
}

// String renders the key for logs: T123/INC-4.
func (k Key) String() string { return string(k.Team) + "/" + k.Number.String() }

// Incident is one incident and everything the app keeps about it.
type Incident struct {
	Team           TeamID
	Number         Number
	Title          string
	Description    string
	Severity       Severity
	Status         Status
	Commander      UserID // empty when nobody commands
	CustomerImpact bool

	Channel         ChannelID
	ChannelName     string
	ChannelArchived bool
	// HeaderTS is the Slack timestamp of the pinned header message, the
	// handle for updating it in place. Empty until posted.
	HeaderTS string

	DeclaredBy UserID
	DeclaredAt time.Time

	// Meeting is the incident's live Zoom meeting, nil if none.
	Meeting *Meeting
	// BookmarkID is the channel bookmark that links the meeting, if any.
	BookmarkID string
	// Unsettled are creations whose outcome Zoom left unknown and that
	// could not be settled: each may have made a meeting in its host's Zoom
	// account. While any is listed, automatic creation does not run (SPEC
	// §5.6); a person who asks may still create one.
	Unsettled []Attempt
	// AutoFailures records automatic-creation failures already announced in
	// the channel, by reason, so each is told once per incident.
	AutoFailures []string
	// AutoCheck is the timeline length of the latest change whose
	// automatic-meeting check (SPEC §5.2) has not finished, 0 when none. It
	// is committed with the change, so a process that dies before the check
	// is done runs it at start-up instead of losing it.
	AutoCheck int

	Timeline []Event
}

// Key returns the incident's key.
func (inc Incident) Key() Key { return Key{Team: inc.Team, Number: inc.Number} }

// Open reports whether the incident is not resolved.
func (inc Incident) Open() bool { return inc.Status != StatusResolved }

// Ref is how the app names an incident in text: "INC-42: Checkout down".
func (inc Incident) Ref() string { return inc.Number.String() + ": " + inc.Title }

// AutoFailureTold reports whether reason was already announced.
func (inc Incident) AutoFailureTold(reason string) bool {
	for _, r := range inc.AutoFailures {
		if r == reason {
			return true
		}
	}
	return false
}
