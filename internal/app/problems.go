package app

import (
	"errors"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// noHostProblem explains why no host could be found (SPEC §5.3 step 4) and
// what an admin can do.
func noHostProblem(inc incident.Incident, s incident.Settings, primary incident.Host, trigger incident.Trigger) *incident.Problem {
	fix := "An admin can set *Fallback user account* in `/incident settings`."
	if s.FallbackEmail != "" {
		fix = "The *Fallback user account* is not a user of the connected Zoom account either; an admin can change it in `/incident settings`."
	}
	switch {
	case s.AlwaysUseFallback:
		return incident.Problemf("No Zoom meeting was created for %s: the fallback user account that always hosts is not a user of the connected Zoom account. An admin can change *Fallback user account* in `/incident settings`.", inc.Number)
	case trigger == incident.TriggerAutomatic && primary.User == "":
		return incident.Problemf("No Zoom meeting was created automatically for %s: it has no commander and no usable fallback user account. Set one with `/incident commander @name`. %s", inc.Number, fix)
	case trigger == incident.TriggerAutomatic:
		return incident.Problemf("No Zoom meeting was created automatically for %s: the commander <@%s> is not a user of the connected Zoom account. %s", inc.Number, primary.User, fix)
	case primary.Email == "":
		return incident.Problemf("No Zoom meeting was created for %s: Slack has no email for you to host it with. %s", inc.Number, fix)
	default:
		return incident.Problemf("No Zoom meeting was created for %s: your Slack email is not a user of the connected Zoom account. %s Or ask a Zoom admin to add you.", inc.Number, fix)
	}
}

// asProblem turns Zoom failures into plain words for the person who asked;
// other errors pass through (the bot shows a reference and logs them).
func asProblem(err error, inc incident.Incident) error {
	var p *incident.Problem
	switch {
	case errors.As(err, &p):
		return err
	case errors.Is(err, incident.ErrZoomNotConnected):
		return wrapProblem(err, "No Zoom meeting was created for %s: Zoom is not connected (or its authorisation was revoked). An admin can connect it with `/incident zoom connect`.", inc.Number)
	case errors.Is(err, incident.ErrZoomScope):
		return wrapProblem(err, "No Zoom meeting was created for %s: the Zoom app is missing the scope meeting:write:meeting:admin. A Zoom admin must add it to the app and re-authorize.", inc.Number)
	case errors.Is(err, incident.ErrZoomUnavailable):
		return wrapProblem(err, "No Zoom meeting was created for %s: Zoom is not answering right now (rate-limited or down). Try `/incident zoom` again in a minute.", inc.Number)
	case errors.Is(err, incident.ErrOutcomeUnknown):
		return wrapProblem(err, "Zoom did not confirm %s's meeting in time; it may exist in the host's Zoom account. Try `/incident zoom` again in a few minutes.", inc.Number)
	}
	return err
}

// ProblemError is a *Problem that keeps its cause for the logs.
type ProblemError struct {
	*incident.Problem
	Cause error
}

// Unwrap returns the cause.
func (e *ProblemError) Unwrap() []error { return []error{e.Problem, e.Cause} }

// Error returns the user-facing message.
func (e *ProblemError) Error() string { return e.Problem.Msg }

func wrapProblem(cause error, format string, args ...any) error {
	return &ProblemError{Problem: incident.Problemf(format, args...), Cause: cause}
}

// failureReason names a meeting failure for metrics and for telling a
// channel once per reason.
func failureReason(err error) string {
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected):
		return "not_connected"
	case errors.Is(err, incident.ErrZoomScope):
		return "scope"
	case errors.Is(err, incident.ErrZoomUnavailable):
		return "unavailable"
	case errors.Is(err, incident.ErrOutcomeUnknown):
		return "outcome_unknown"
	case errors.Is(err, incident.ErrHostNotInAccount):
		return "no_host"
	}
	var p *incident.Problem
	if errors.As(err, &p) {
		return "no_host"
	}
	return "error"
}
