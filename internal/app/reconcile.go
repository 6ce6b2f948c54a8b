package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Settling a creation whose outcome is open (SPEC §5.6): Zoom's create is
// not idempotent, so before anything makes another meeting the app looks
// for the one an attempt may have made, by the attempt ID in its agenda.

// reconcileBound bounds start-up reconciliation as a whole, so a Zoom that
// does not answer delays start-up by at most this long. Claims it had no
// time to settle are marked unsettled, as when Zoom cannot be asked.
const reconcileBound = 30 * time.Second

// reconcileWrite bounds each store call of reconciliation; they run past
// reconcileBound, so that what was learnt is kept and what is left is
// still marked.
const reconcileWrite = 5 * time.Second

// outcome is what became of an attempt.
type outcome int

const (
	outcomeUnknown outcome = iota // Zoom could not be asked
	outcomeFound                  // Zoom has its meeting
	outcomeAbsent                 // every host's meetings were listed: none is the attempt's
)

// findAttempt looks for attempt's meeting among each host's meetings, in
// order. It stops at the first meeting found (with the host it was found
// under) or the first listing that fails (outcomeUnknown, with the error).
func (a *App) findAttempt(ctx context.Context, team incident.TeamID, attempt string, hosts []incident.Host) (incident.CreatedMeeting, incident.Host, outcome, error) {
	for _, h := range hosts {
		m, found, err := a.zoom.FindMeeting(ctx, team, h.Email, AgendaMarker(attempt))
		if err != nil {
			return incident.CreatedMeeting{}, h, outcomeUnknown, fmt.Errorf("look for attempt %s among the %s host's meetings: %w", attempt, h.Kind, err)
		}
		if found {
			return m, h, outcomeFound, nil
		}
	}
	return incident.CreatedMeeting{}, incident.Host{}, outcomeAbsent, nil
}

// settleUnknown settles a create whose outcome Zoom left unknown: it looks
// once more for the attempt among host's meetings, on settle (the caller's
// context may be what ran out). Found: the meeting is recorded and
// published. Surely absent: nothing was made, the claim is released and
// the error says Zoom failed. Otherwise the attempt is marked unsettled and
// its claim released in one transaction, so that no automatic trigger makes
// a second meeting (SPEC §5.6), and cause (incident.ErrOutcomeUnknown) tells
// the person that one may exist.
func (a *App) settleUnknown(ctx, settle context.Context, inc incident.Incident, s incident.Settings, claim Claim, host incident.Host, cause error) (MeetingResult, error) {
	log := a.logger(ctx).With().Str("incident", inc.Number.String()).Logger()
	look, cancel := context.WithTimeout(settle, settleLook)
	m, _, out, ferr := a.findAttempt(look, inc.Team, claim.Attempt, []incident.Host{host})
	cancel()
	switch out {
	case outcomeFound:
		log.Info().Str("zoom_meeting", m.ID).Msg("zoom's answer was lost; found the meeting among the host's meetings")
		return a.finish(ctx, settle, inc.Key(), claim.Attempt, a.meetingFor(claim, host, m), s)
	case outcomeAbsent:
		if err := a.store.ReleaseClaim(settle, inc.Key(), claim.Attempt); err != nil {
			log.Error().Err(err).Msg("release meeting claim failed")
		}
		return MeetingResult{}, fmt.Errorf("create meeting for %s: %w: zoom's answer was lost and the host's meetings show none was made (%v)", inc.Number, incident.ErrZoomUnavailable, cause)
	}
	c := claim
	c.Hosts = []incident.Host{host} // the hosts before it refused: they made nothing
	if err := a.store.MarkUnsettled(settle, inc.Key(), c); err != nil {
		// The claim stays: it holds everyone back for the claim TTL, and
		// start-up reconciliation settles it after a restart.
		log.Error().Err(err).Msg("mark meeting attempt unsettled failed")
		return MeetingResult{}, cause
	}
	log.Warn().Err(ferr).Msg("zoom did not confirm the meeting and it cannot be looked up; no meeting will be created automatically for this incident until it is settled")
	return MeetingResult{}, cause
}

// settleEarlier runs for a person's request holding claim: the incident's
// unsettled attempts (for the same replacement) may have made a meeting,
// which the person was told. It looks for each; the first found is recorded
// under claim and published, and ok is true. Attempts whose hosts' meetings
// show nothing are cleared. Those Zoom cannot be asked about stay, and the
// request goes on to make a meeting, as the person chose.
func (a *App) settleEarlier(ctx context.Context, key incident.Key, claim Claim, s incident.Settings) (MeetingResult, bool) {
	inc, err := a.store.Incident(ctx, key)
	if err != nil {
		a.logger(ctx).Warn().Err(err).Str("incident", key.Number.String()).Msg("reload incident for unsettled attempts failed")
		return MeetingResult{}, false
	}
	for _, u := range inc.Unsettled {
		if u.Replacing != claim.Replacing {
			continue
		}
		if res, ok := a.settleOneEarlier(ctx, key, claim, u, s); ok {
			return res, true
		}
	}
	return MeetingResult{}, false
}

// settleOneEarlier looks for unsettled attempt u's meeting, for
// settleEarlier.
func (a *App) settleOneEarlier(ctx context.Context, key incident.Key, claim Claim, u incident.Attempt, s incident.Settings) (MeetingResult, bool) {
	log := a.logger(ctx).With().Str("incident", key.Number.String()).Logger()
	m, h, out, ferr := a.findAttempt(ctx, key.Team, u.ID, u.Hosts)
	settle, cancel := detached(ctx)
	defer cancel()
	switch out {
	case outcomeAbsent:
		if err := a.store.ClearUnsettled(settle, key, u.ID); err != nil {
			log.Warn().Err(err).Msg("clear unsettled attempt failed")
		}
		return MeetingResult{}, false
	case outcomeUnknown:
		log.Warn().Err(ferr).Msg("cannot confirm whether an earlier attempt made a meeting; creating one as asked")
		return MeetingResult{}, false
	}
	log.Info().Str("zoom_meeting", m.ID).Msg("found the meeting of an earlier unconfirmed attempt; recording it instead of creating another")
	res, err := a.finish(ctx, settle, key, claim.Attempt, a.recovered(u, h, m, s), s)
	if err != nil {
		log.Error().Err(err).Msg("record the meeting of an earlier attempt failed")
		return MeetingResult{}, false
	}
	return res, true
}

// recovered is the meeting record of what attempt u made, found under host
// h: labelled by u's trigger and requester and h's kind. Claims written
// before hosts carried their kind list emails only; the fallback is then
// recognised by its email.
func (a *App) recovered(u incident.Attempt, h incident.Host, m incident.CreatedMeeting, s incident.Settings) incident.Meeting {
	trigger := u.Trigger
	if u.Replacing != "" {
		trigger = incident.TriggerReplace
	}
	if sameEmailFold(h.Email, s.FallbackEmail) {
		h.Kind, h.User = incident.HostFallback, ""
	}
	out := incident.Meeting{ID: m.ID, JoinURL: m.JoinURL, Passcode: m.Passcode, HostKind: h.Kind, HostUser: h.User, Trigger: trigger, CreatedAt: a.now().UTC()}
	if trigger != incident.TriggerAutomatic {
		out.CreatedBy = u.By
	}
	return out
}

// attempt is the claim as an incident.Attempt.
func (c Claim) attempt() incident.Attempt {
	return incident.Attempt{ID: c.Attempt, Replacing: c.Replacing, Hosts: c.Hosts, Trigger: c.Trigger, By: c.By, At: c.At}
}

// claimOf is attempt u as a claim taken at now.
func claimOf(u incident.Attempt, now time.Time) Claim {
	return Claim{Attempt: u.ID, Replacing: u.Replacing, Hosts: u.Hosts, Trigger: u.Trigger, By: u.By, At: now}
}

// Reconcile finishes, at start-up and before requests are handled, what a
// process that died left open (SPEC §5.6, §8). It runs within
// reconcileBound.
//
//   - A claim (the process died between claiming and recording) is looked
//     for among its hosts' meetings by the attempt ID in the agenda: found,
//     the meeting is recorded and published; surely absent, the claim is
//     released; when Zoom cannot be asked (no meeting-listing scope, Zoom
//     down, no time left) the claim is released and the attempt marked
//     unsettled, so no automatic trigger makes a second meeting, while a
//     person may still make one.
//   - An unsettled attempt is looked for again in the same way: found, it
//     is recorded and published; surely absent, it is cleared.
//   - A meeting recorded but not published (the process died in between)
//     is published.
//   - A change whose automatic-meeting check did not finish (AutoCheck) is
//     checked now, against the incident as it is.
func (a *App) Reconcile(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, reconcileBound)
	defer cancel()
	read, cancelRead := writeCtx(ctx)
	claims, err := a.store.Claims(read)
	cancelRead()
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	tried := map[incident.Key]bool{}
	for _, pc := range claims {
		tried[pc.Key] = true
		if err := a.reconcileClaim(ctx, pc); err != nil {
			a.logger(ctx).Error().Err(err).Str("incident", pc.Key.String()).Msg("reconcile meeting claim failed")
		}
	}
	read, cancelRead = writeCtx(ctx)
	unfinished, err := a.store.Unfinished(read)
	cancelRead()
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	for _, inc := range unfinished {
		if tried[inc.Key()] {
			continue // just looked for; the next start-up tries again
		}
		if err := a.reconcileIncident(ctx, inc); err != nil {
			a.logger(ctx).Error().Err(err).Str("incident", inc.Key().String()).Msg("reconcile meeting failed")
		}
	}
	// Last, with every claim settled: a change whose check was cut short
	// (perhaps in the Zoom call a claim above was left by) is checked again.
	for _, inc := range unfinished {
		if inc.AutoCheck > 0 && ctx.Err() == nil {
			a.resumeAutoCheck(ctx, inc.Key())
		}
	}
	if ctx.Err() != nil {
		a.logger(ctx).Warn().Dur("bound", reconcileBound).Msg("start-up reconciliation ran out of time; what it could not settle is kept for the next start-up")
	}
	return nil
}

// resumeAutoCheck runs the automatic-meeting check of a change that was
// committed but whose check a dying process did not finish, on the
// incident as it is now.
func (a *App) resumeAutoCheck(ctx context.Context, key incident.Key) {
	read, cancel := writeCtx(ctx)
	inc, err := a.store.Incident(read, key)
	cancel()
	if err != nil {
		a.logger(ctx).Error().Err(err).Str("incident", key.String()).Msg("reload incident for its automatic check failed")
		return
	}
	if inc.AutoCheck == 0 {
		return
	}
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Msg("running the automatic meeting check a restart interrupted")
	a.autoMeeting(ctx, ChangeEvent{Incident: inc, Kind: incident.EventChanged})
}

// writeCtx is a context for store calls of reconciliation, which outlive
// reconcileBound.
func writeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), reconcileWrite)
}

func (a *App) reconcileClaim(ctx context.Context, pc PendingClaim) error {
	log := a.logger(ctx).With().Str("incident", pc.Key.String()).Logger()
	write, cancel := writeCtx(ctx)
	defer cancel()
	s, err := a.store.Settings(write, pc.Key.Team)
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	m, h, out, ferr := a.findAttempt(ctx, pc.Key.Team, pc.Claim.Attempt, pc.Claim.Hosts)
	switch out {
	case outcomeAbsent:
		return a.store.ReleaseClaim(write, pc.Key, pc.Claim.Attempt)
	case outcomeUnknown:
		log.Warn().Err(ferr).Msg("cannot confirm whether a meeting was created before the restart; releasing the claim, and no meeting will be created automatically for this incident until it is settled")
		return a.store.MarkUnsettled(write, pc.Key, pc.Claim)
	}
	return a.recordRecovered(ctx, pc.Key, pc.Claim.Attempt, a.recovered(pc.Claim.attempt(), h, m, s), s)
}

// reconcileIncident publishes inc's unpublished meeting, or settles its
// unsettled attempts.
func (a *App) reconcileIncident(ctx context.Context, inc incident.Incident) error {
	log := a.logger(ctx).With().Str("incident", inc.Key().String()).Logger()
	write, cancel := writeCtx(ctx)
	defer cancel()
	s, err := a.store.Settings(write, inc.Team)
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	if inc.Meeting != nil && inc.Meeting.Unpublished {
		log.Info().Str("zoom_meeting", inc.Meeting.ID).Msg("publishing a meeting recorded before a restart")
		a.publishMeeting(ctx, inc, s)
	}
	current := ""
	if inc.Meeting != nil {
		current = inc.Meeting.ID
	}
	for _, u := range inc.Unsettled {
		if u.Replacing != current {
			// Not for the meeting the incident has now: whatever it made
			// can no longer become the incident's.
			if err := a.store.ClearUnsettled(write, inc.Key(), u.ID); err != nil {
				return err
			}
			continue
		}
		m, h, out, ferr := a.findAttempt(ctx, inc.Team, u.ID, u.Hosts)
		switch out {
		case outcomeAbsent:
			if err := a.store.ClearUnsettled(write, inc.Key(), u.ID); err != nil {
				return err
			}
			continue
		case outcomeUnknown:
			log.Warn().Err(ferr).Msg("still cannot confirm whether an earlier attempt made a meeting; automatic creation stays held back")
			continue
		}
		err := a.store.ClaimMeeting(write, inc.Key(), claimOf(u, a.now()))
		if errors.Is(err, incident.ErrMeetingExists) || errors.Is(err, incident.ErrClaimHeld) {
			return nil
		}
		if err != nil {
			return err
		}
		return a.recordRecovered(ctx, inc.Key(), u.ID, a.recovered(u, h, m, s), s)
	}
	return nil
}

// recordRecovered records m, found at Zoom, under attempt's claim and
// publishes it. Publishing runs on ctx: if reconciliation runs out of time
// first, the meeting stays unpublished for the next start-up.
func (a *App) recordRecovered(ctx context.Context, key incident.Key, attempt string, m incident.Meeting, s incident.Settings) error {
	write, cancel := writeCtx(ctx)
	defer cancel()
	m.Unpublished = true
	inc, err := a.store.RecordMeeting(write, key, attempt, m)
	if errors.Is(err, incident.ErrClaimLost) {
		return nil
	}
	if err != nil {
		return err
	}
	a.logger(ctx).Info().Str("incident", key.String()).Str("zoom_meeting", m.ID).Str("trigger", m.Trigger.String()).
		Str("host_source", m.HostKind.String()).Msg("recovered meeting created before a restart")
	a.publishMeeting(ctx, inc, s)
	return nil
}

func sameEmailFold(a, b string) bool { return a != "" && strings.EqualFold(a, b) }
