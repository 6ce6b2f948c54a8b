package app

import (
	"context"
	"errors"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// autoMeeting is the subscriber that creates meetings automatically
// (SPEC §5.2), hosted by the commander or the fallback.
func (a *App) autoMeeting(ctx context.Context, ev ChangeEvent) {
	inc := ev.Incident
	s, err := a.store.Settings(ctx, inc.Team)
	if err != nil {
		a.logger(ctx).Error().Err(err).Msg("load settings for automatic meeting failed")
		return
	}
	if !incident.WantsAutoMeeting(s, inc) {
		return
	}
	_, err = a.ensureMeeting(ctx, inc, "", incident.TriggerAutomatic)
	if err == nil {
		return
	}
	if errors.Is(err, incident.ErrZoomNotConnected) {
		a.ZoomBroken(ctx, inc.Team)
	}
	reason := failureReason(err)
	a.metrics.MeetingFailed(reason)
	a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Str("reason", reason).Msg("automatic meeting failed")
	a.tellAutoFailure(ctx, inc, failureKey(err), a.asProblem(err, inc))
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
