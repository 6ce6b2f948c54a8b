package app

import (
	"errors"
	"fmt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// hostError is SPEC §5.3 step 4: no host could be found for a request.
// Why depends on who asked (the presser or the commander), so a request
// that shared another's creation may still try its own.
type hostError struct {
	// Why names the cause in words for logs and as the key the channel is
	// told once by ("no_commander", "commander_not_in_account:U123"…); it
	// holds Slack user IDs, never emails.
	Why string
}

// Error says no host was found, and why.
func (e *hostError) Error() string { return "no usable zoom host: " + e.Why }

// noHostProblem explains why no host could be found (SPEC §5.3 step 4) and
// what an admin can do. why says what Zoom refused of each email: a user
// Zoom does not let host (3161) is told so, not called "not a user of the
// account". The result is a *ProblemError whose cause is a *hostError.
func noHostProblem(inc incident.Incident, s incident.Settings, primary incident.Host, trigger incident.Trigger, why refusals) error {
	fix := "An admin can set *Fallback user account* in `/incident settings`."
	suffix := ""
	if s.FallbackEmail != "" {
		suffix = "+fallback"
		fix = "The *Fallback user account* is not a user of the connected Zoom account either; an admin can change it in `/incident settings`."
		if why.of(s.FallbackEmail) == mayNotHost {
			suffix = "+fallback_may_not_host"
			fix = "The *Fallback user account* may not host meetings either: Zoom has not given it hosting rights. An admin can give it a license with hosting rights in Zoom, or change it in `/incident settings`."
		}
	}
	primaryCannotHost := primary.Email != "" && why.of(primary.Email) == mayNotHost
	var reason, msg string
	switch {
	case s.AlwaysUseFallback && s.FallbackEmail != "" && why.of(s.FallbackEmail) == mayNotHost:
		reason = "fallback_may_not_host"
		msg = fmt.Sprintf("No Zoom meeting was created for %s: the fallback user account that always hosts is in the connected Zoom account but may not host meetings (Zoom has not given it hosting rights). An admin can give it a license with hosting rights in Zoom, or change *Fallback user account* in `/incident settings`.", inc.Number)
	case s.AlwaysUseFallback && s.FallbackEmail != "":
		reason = "fallback_not_in_account"
		msg = fmt.Sprintf("No Zoom meeting was created for %s: the fallback user account that always hosts is not a user of the connected Zoom account. An admin can change *Fallback user account* in `/incident settings`.", inc.Number)
	case trigger == incident.TriggerAutomatic && primary.User == "":
		reason = "no_commander" + suffix
		msg = fmt.Sprintf("No Zoom meeting was created automatically for %s: it has no commander and no usable fallback user account. Set one with `/incident commander @name`. %s", inc.Number, fix)
	case trigger == incident.TriggerAutomatic && primary.Email == "":
		reason = "commander_no_email:" + string(primary.User) + suffix
		msg = fmt.Sprintf("No Zoom meeting was created automatically for %s: Slack has no email for the commander <@%s> to host it with. %s", inc.Number, primary.User, fix)
	case trigger == incident.TriggerAutomatic && primaryCannotHost:
		reason = "commander_may_not_host:" + string(primary.User) + suffix
		msg = fmt.Sprintf("No Zoom meeting was created automatically for %s: the commander <@%s> is in the connected Zoom account but may not host meetings (Zoom has not given them hosting rights). %s", inc.Number, primary.User, fix)
	case trigger == incident.TriggerAutomatic:
		reason = "commander_not_in_account:" + string(primary.User) + suffix
		msg = fmt.Sprintf("No Zoom meeting was created automatically for %s: the commander <@%s> is not a user of the connected Zoom account. %s", inc.Number, primary.User, fix)
	case primary.Email == "":
		reason = "requester_no_email" + suffix
		msg = fmt.Sprintf("No Zoom meeting was created for %s: Slack has no email for you to host it with. %s", inc.Number, fix)
	case primaryCannotHost:
		reason = "requester_may_not_host" + suffix
		msg = fmt.Sprintf("No Zoom meeting was created for %s: your Zoom user may not host meetings (Zoom has not given it hosting rights). %s Or ask a Zoom admin for a license with hosting rights.", inc.Number, fix)
	default:
		reason = "requester_not_in_account" + suffix
		msg = fmt.Sprintf("No Zoom meeting was created for %s: your Slack email is not a user of the connected Zoom account. %s Or ask a Zoom admin to add you.", inc.Number, fix)
	}
	return &ProblemError{Problem: &incident.Problem{Msg: msg}, Cause: &hostError{Why: reason}}
}

// asProblem turns Zoom failures into plain words for the person who asked:
// what failed and what they or an admin can do. Other errors pass through
// (the bot shows a reference and logs them).
func (a *App) asProblem(err error, inc incident.Incident) error {
	var p *incident.Problem
	switch {
	case errors.As(err, &p):
		return err
	case errors.Is(err, incident.ErrZoomNotConnected):
		return wrapProblem(err, "No Zoom meeting was created for %s: %s", inc.Number, a.notConnectedFix())
	case errors.Is(err, incident.ErrZoomScope):
		return wrapProblem(err, "No Zoom meeting was created for %s: the Zoom app is missing the scope meeting:write:meeting:admin. A Zoom admin must add it to the app in the Zoom App Marketplace%s.", inc.Number, a.reauthorize())
	case errors.Is(err, incident.ErrZoomUnavailable):
		return wrapProblem(err, "No Zoom meeting was created for %s: Zoom is not answering right now (rate-limited or down). Try `/incident zoom` again in a minute.", inc.Number)
	case errors.Is(err, incident.ErrOutcomeUnknown):
		return wrapProblem(err, "Zoom did not confirm %s's meeting in time; it may exist in the host's Zoom account. Check the host's upcoming meetings in Zoom, or try `/incident zoom` again in a few minutes (that makes a new meeting if incident-bridge still cannot find this one).", inc.Number)
	case errors.Is(err, ErrMeetingUncertain):
		return uncertainProblem(err, inc)
	}
	return err
}

// uncertainProblem is what the channel is told when automatic creation
// stops because an earlier creation may have made a meeting that Zoom
// would not confirm (SPEC §5.6): making another automatically could make
// a second one, so a person decides.
func uncertainProblem(err error, inc incident.Incident) error {
	return wrapProblem(err, "No Zoom meeting was created automatically for %s: Zoom did not confirm a meeting incident-bridge asked it for, so one may already exist in the host's Zoom account, and incident-bridge will not make another on its own. Check the host's upcoming meetings in Zoom, or press *Create Zoom Meeting* (or use `/incident zoom`) to make one.", inc.Number)
}

// notConnectedFix says why Zoom refused, and who can fix it how, for the
// way this app is connected.
func (a *App) notConnectedFix() string {
	switch {
	case a.connect != nil:
		return "Zoom is not connected (or its authorisation was revoked). An admin can connect it with `/incident zoom connect`."
	case isNoZoom(a.zoom):
		return "Zoom is not configured for incident-bridge (ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET are not set). An admin must set them and restart the app."
	}
	return "Zoom refused incident-bridge's Server-to-Server credentials. An admin should check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET and that the Zoom app is activated; `incident-bridge check` tests them."
}

// reauthorize is what an installed app needs after a scope is added.
func (a *App) reauthorize() string {
	if a.connect != nil {
		return ", then an admin runs `/incident zoom connect` again"
	}
	return ""
}

func isNoZoom(z Zoom) bool {
	switch z.(type) {
	case NoZoom, *NoZoom:
		return true
	}
	return false
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

// failureReason names a meeting failure for metrics.
func failureReason(err error) string {
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected):
		return "not_connected"
	case errors.Is(err, incident.ErrZoomScope):
		return "scope"
	case errors.Is(err, incident.ErrZoomUnavailable):
		return "unavailable"
	case errors.Is(err, incident.ErrOutcomeUnknown), errors.Is(err, ErrMeetingUncertain):
		return "outcome_unknown"
	case errors.Is(err, incident.ErrHostNotInAccount), errors.As(err, new(*hostError)):
		return "no_host"
	}
	var p *incident.Problem
	if errors.As(err, &p) {
		return "refused"
	}
	return "error"
}

// failureKey names an automatic-creation failure for telling the channel
// once per incident and reason: a missing host is told again when the
// reason changes (e.g. a new commander who is not in Zoom either).
func failureKey(err error) string {
	var he *hostError
	if errors.As(err, &he) {
		return "no_host:" + he.Why
	}
	var p *incident.Problem
	if failureReason(err) == "refused" && errors.As(err, &p) {
		return "refused:" + p.Msg
	}
	return failureReason(err)
}
