package incident

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNotFound: no such incident (or no incident in that channel).
	ErrNotFound = errors.New("incident not found")
	// ErrMeetingExists: the incident already has a meeting.
	ErrMeetingExists = errors.New("incident already has a meeting")
	// ErrClaimHeld: another live attempt is creating the incident's meeting.
	ErrClaimHeld = errors.New("another attempt is creating the meeting")
	// ErrClaimLost: the attempt no longer owns the claim it is recording under.
	ErrClaimLost = errors.New("meeting claim lost")
	// ErrChannelTaken: the channel already belongs to an incident.
	ErrChannelTaken = errors.New("channel is already an incident channel")
	// ErrHostNotInAccount: the host email is not a user of the Zoom account
	// (or may not host meetings there).
	ErrHostNotInAccount = errors.New("host is not a user of the Zoom account")
	// ErrHostMayNotHost: the host is a user of the Zoom account but may not
	// host or schedule meetings there (Zoom 3161). It wraps
	// ErrHostNotInAccount, so callers that only move on to the next host
	// match both.
	ErrHostMayNotHost = fmt.Errorf("%w: the user may not host meetings", ErrHostNotInAccount)
	// ErrZoomNotConnected: the workspace has no working Zoom connection.
	ErrZoomNotConnected = errors.New("zoom is not connected")
	// ErrZoomScope: the Zoom token lacks a scope the call needs.
	ErrZoomScope = errors.New("zoom token lacks a required scope")
	// ErrZoomUnavailable: Zoom kept failing (rate limit, outage) after retries.
	ErrZoomUnavailable = errors.New("zoom is unavailable")
	// ErrOutcomeUnknown: a Zoom create may or may not have happened
	// (timeout or 5xx after sending), so it must not be retried blindly.
	ErrOutcomeUnknown = errors.New("zoom create outcome unknown")
)

// Problem is an error whose message is shown to the user exactly as written.
type Problem struct {
	Msg string
}

// Error returns the user-facing message.
func (p *Problem) Error() string { return p.Msg }

// Problemf builds a *Problem from a format.
func Problemf(format string, args ...any) *Problem {
	return &Problem{Msg: fmt.Sprintf(format, args...)}
}

// FieldError is a problem with one field of a form, shown beside that field.
type FieldError struct {
	Field string // one of the Field* / Setting* names
	Msg   string
}

// FieldErrors is a set of form problems; it is an error so it can travel up.
type FieldErrors []FieldError

// Error joins the messages.
func (fe FieldErrors) Error() string {
	s := ""
	for i, e := range fe {
		if i > 0 {
			s += "; "
		}
		s += e.Field + ": " + e.Msg
	}
	return s
}
