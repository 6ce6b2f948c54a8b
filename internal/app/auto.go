package app

import (
	"context"
	"errors"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// markAutoCheck notes, in the change being committed to inc, that the
// change is to be checked against the automatic-meeting criteria, when it
// may create one: the note survives a crash before the check is done
// (Reconcile runs it), and autoMeeting clears it.
func markAutoCheck(s incident.Settings, inc *incident.Incident) {
	if incident.WantsAutoMeeting(s, *inc) {
		inc.AutoCheck = len(inc.Timeline)
	}
}

// autoMeeting is the subscriber that creates meetings automatically
// (SPEC §5.2), hosted by the commander or the fallback. Whatever it
// decides, it then clears the change's AutoCheck note.
func (a *App) autoMeeting(ctx context.Context, ev ChangeEvent) {
	inc := ev.Incident
	if inc.AutoCheck > 0 {
		defer a.autoChecked(ctx, inc.Key(), inc.AutoCheck)
	}
	s, err := a.store.Settings(ctx, inc.Team)
	if err != nil {
		a.logger(ctx).Error().Err(err).Msg("load settings for automatic meeting failed")
		return
	}
	if !incident.WantsAutoMeeting(s, inc) {
		return
	}
	log := a.logger(ctx).With().Str("incident", inc.Number.String()).Logger()
	log.Debug().Msg("incident change matches the automatic meeting criteria")
	res, err := a.ensureMeeting(ctx, inc, "", incident.TriggerAutomatic)
	if err == nil {
		// existing is false when this trigger made the meeting or shared
		// the creation in flight, true when one was already recorded.
		log.Debug().Bool("existing", res.Existing).Msg("automatic meeting ensured")
		return
	}
	switch {
	case errors.Is(err, ErrMeetingUncertain):
		// Not a new failure: an earlier creation may have made a meeting
		// (SPEC §5.6). The channel is told once, under the same reason as
		// the unknown outcome itself.
		log.Debug().Err(err).Msg("automatic meeting held back: an earlier attempt is unsettled")
		a.tellAutoFailure(ctx, inc, failureKey(err), uncertainProblem(err, inc))
		return
	case errors.Is(err, incident.ErrZoomNotConnected):
		a.ZoomBroken(ctx, inc.Team)
	}
	reason := failureReason(err)
	a.metrics.MeetingFailed(reason)
	log.Warn().Err(err).Str("reason", reason).Msg("automatic meeting failed")
	problem := a.asProblem(err, inc)
	if errors.Is(err, incident.ErrOutcomeUnknown) && !errors.Is(err, incident.ErrZoomUnavailable) {
		problem = uncertainProblem(err, inc) // no automatic retry follows
	}
	a.tellAutoFailure(ctx, inc, failureKey(err), problem)
}

// autoChecked clears the AutoCheck note of the change check, unless a later
// change has noted its own check since.
func (a *App) autoChecked(ctx context.Context, key incident.Key, check int) {
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := a.store.UpdateIncident(ctx, key, func(i *incident.Incident) error {
		if i.AutoCheck != check {
			return errUnchanged
		}
		i.AutoCheck = 0
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		a.logger(ctx).Warn().Err(err).Str("incident", key.Number.String()).Msg("clear the automatic check note failed; start-up will check again")
	}
}

// tellAutoFailure posts an automatic-creation failure in the channel once
// per incident and reason (key, from failureKey), not on every change. The
// reason is committed before it is posted: a crash in between loses the
// post rather than repeating it on every later change.
func (a *App) tellAutoFailure(ctx context.Context, inc incident.Incident, reason string, err error) {
	first := false
	_, uerr := a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		if i.AutoFailureTold(reason) {
			return nil
		}
		first = true
		i.AutoFailures = append(i.AutoFailures, reason)
		return nil
	})
	if uerr != nil || !first {
		return
	}
	msg := "No Zoom meeting was created automatically for " + inc.Number.String() + ". Something went wrong; an admin can check the app's logs."
	var p *incident.Problem
	if errors.As(err, &p) {
		msg = p.Msg
	}
	if perr := a.slack.PostNotice(ctx, inc, msg); perr != nil {
		a.logger(ctx).Warn().Err(perr).Msg("post automatic meeting failure failed")
	}
}
