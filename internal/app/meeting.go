package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// MeetingRequest asks for a channel's incident meeting.
type MeetingRequest struct {
	Team    incident.TeamID
	Channel incident.ChannelID
	User    incident.UserID // who asked; empty for automatic creation
	Trigger incident.Trigger
}

// MeetingResult is the incident with its meeting.
type MeetingResult struct {
	Incident incident.Incident
	// Existing is true when the meeting already existed and none was made.
	Existing bool
	// StartURL is the host link, set only for the requester who hosts a
	// meeting just created. Never post or log it.
	StartURL string
}

// bookmarkTitle is the title of the channel bookmark (SPEC §5.5).
const bookmarkTitle = "Zoom meeting"

// ErrMeetingUncertain is what Store.ClaimMeeting returns for an automatic
// claim while the incident has unsettled attempts: an earlier creation may
// have made a meeting that Zoom would not confirm, so automatic creation
// does not make another (SPEC §5.6); a person may.
var ErrMeetingUncertain = errors.New("an earlier creation may have made a meeting")

// EnsureMeeting returns the incident's meeting, creating it if there is
// none (SPEC §5.1); TriggerReplace makes a new one in place of the current
// (`/incident zoom new`). Concurrent requests for one incident share one
// creation, and the durable claim in the store keeps it to one meeting
// across processes and crashes (SPEC §5.6).
func (a *App) EnsureMeeting(ctx context.Context, r MeetingRequest) (MeetingResult, error) {
	inc, err := a.incidentIn(ctx, r.Team, r.Channel)
	if err != nil {
		return MeetingResult{}, err
	}
	res, err := a.ensureMeeting(ctx, inc, r.User, r.Trigger)
	if err != nil {
		if errors.Is(err, incident.ErrZoomNotConnected) {
			a.ZoomBroken(ctx, inc.Team)
		}
		a.metrics.MeetingFailed(failureReason(err))
		return MeetingResult{}, a.asProblem(err, inc)
	}
	if res.StartURL != "" && (res.Incident.Meeting == nil || res.Incident.Meeting.HostUser != r.User || r.User == "") {
		res.StartURL = "" // shared result: only the host sees the start link
	}
	return res, nil
}

func (a *App) ensureMeeting(ctx context.Context, inc incident.Incident, user incident.UserID, trigger incident.Trigger) (MeetingResult, error) {
	if inc.ChannelArchived {
		return MeetingResult{}, incident.Problemf("%s's channel is archived, so no meeting is created for it.", inc.Number)
	}
	settings, err := a.store.Settings(ctx, inc.Team)
	if err != nil {
		return MeetingResult{}, fmt.Errorf("load settings: %w", err)
	}
	if !settings.ZoomEnabled {
		return MeetingResult{}, incident.Problemf("Zoom meeting creation is turned off for this workspace. An admin can turn on *Enable Zoom meeting creation* in `/incident settings`.")
	}
	replacing := ""
	if trigger == incident.TriggerReplace && inc.Meeting != nil {
		replacing = inc.Meeting.ID
	}
	if inc.Meeting != nil && replacing == "" {
		return MeetingResult{Incident: inc, Existing: true}, nil
	}
	if trigger == incident.TriggerReplace && replacing == "" {
		trigger = incident.TriggerOneClick
	}
	// Concurrent requests for the incident share one creation. Zoom's
	// create is not idempotent, and this keeps them to one Zoom call in
	// this process; the durable claim keeps it to one across processes.
	flightKey := inc.Key().String() + "/" + replacing
	me := requester{user: user, auto: trigger == incident.TriggerAutomatic}
	for {
		v, err, _ := a.flights.Do(flightKey, func() (any, error) {
			// The first caller's context may end; the creation must not.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.claimWait)
			defer cancel()
			res, err := a.createMeeting(fctx, inc.Key(), user, trigger, replacing, settings)
			return flight{by: me, res: res}, err
		})
		f, _ := v.(flight)
		if err != nil && f.by != me && leaderOnly(err) && ctx.Err() == nil {
			// The creation this request joined failed for a reason that
			// belongs to the request that led it: no host for its presser
			// or commander (SPEC §5.3 depends on who asks), or automatic
			// creation held back by an unsettled attempt (a person may
			// still create). This request tries on its own. Each round
			// ends the leader's request, so this terminates.
			continue
		}
		if err != nil {
			return MeetingResult{}, err
		}
		return f.res, nil
	}
}

// leaderOnly reports whether a shared creation's failure concerns only the
// request that led it.
func leaderOnly(err error) bool {
	return errors.As(err, new(*hostError)) || errors.Is(err, ErrMeetingUncertain)
}

// requester is who a creation starts its host order from (SPEC §5.3): the
// presser, or the commander for automatic creation.
type requester struct {
	user incident.UserID
	auto bool
}

// flight is one creation's outcome, shared by the requests that joined it.
type flight struct {
	by  requester
	res MeetingResult
}

// createMeeting claims the incident durably, calls Zoom outside any
// transaction, and records the meeting only if the claim is still ours.
func (a *App) createMeeting(ctx context.Context, key incident.Key, user incident.UserID, trigger incident.Trigger, replacing string, settings incident.Settings) (MeetingResult, error) {
	inc, err := a.store.Incident(ctx, key)
	if err != nil {
		return MeetingResult{}, fmt.Errorf("reload %s: %w", key, err)
	}
	if inc.Meeting != nil && inc.Meeting.ID != replacing {
		return MeetingResult{Incident: inc, Existing: true}, nil
	}
	if trigger == incident.TriggerAutomatic && len(inc.Unsettled) > 0 {
		// Checked again, atomically, by ClaimMeeting; this saves the
		// Slack and Zoom calls of resolving a host.
		return MeetingResult{}, fmt.Errorf("automatic meeting for %s: %w", inc.Number, ErrMeetingUncertain)
	}
	primary, err := a.primaryHost(ctx, inc, user, trigger)
	if err != nil {
		return MeetingResult{}, err
	}
	candidates := incident.HostCandidates(settings, primary)
	why := a.rejected.reasons(inc.Team, candidates)
	hosts := a.rejected.filter(inc.Team, candidates)
	if len(hosts) == 0 {
		return MeetingResult{}, noHostProblem(inc, settings, primary, trigger, why)
	}
	claim := Claim{Attempt: newAttemptID(), Replacing: replacing, Hosts: hosts, Trigger: trigger}
	if trigger != incident.TriggerAutomatic {
		claim.By = user
	}
	for {
		claim.At = a.now()
		err := a.store.ClaimMeeting(ctx, key, claim)
		if err == nil {
			break
		}
		switch {
		case errors.Is(err, incident.ErrMeetingExists):
			return a.existing(ctx, key)
		case errors.Is(err, ErrMeetingUncertain):
			return MeetingResult{}, fmt.Errorf("automatic meeting for %s: %w", inc.Number, err)
		case errors.Is(err, incident.ErrClaimHeld):
			res, done, werr := a.awaitMeeting(ctx, key, replacing)
			if werr != nil || done {
				return res, werr
			}
			continue // the other attempt gave up: claim again
		default:
			return MeetingResult{}, fmt.Errorf("claim meeting for %s: %w", inc.Number, err)
		}
	}
	// A person asking while earlier attempts are unsettled was told a
	// meeting may exist; look for it once more before making another.
	if res, ok := a.settleEarlier(ctx, key, claim, settings); ok {
		return res, nil
	}

	created, host, err := a.createWithHosts(ctx, inc, settings, hosts, claim.Attempt, why)
	// Whatever Zoom said must be settled in the store even if ctx ran out
	// meanwhile: a meeting left unrecorded, or a claim left held, would
	// cost a second meeting or a two-minute wait.
	settle, cancel := detached(ctx)
	defer cancel()
	if errors.Is(err, incident.ErrOutcomeUnknown) {
		return a.settleUnknown(ctx, settle, inc, settings, claim, host, err)
	}
	if err != nil {
		// Nothing was made, so the next request may try again.
		if rerr := a.store.ReleaseClaim(settle, key, claim.Attempt); rerr != nil {
			a.logger(ctx).Error().Err(rerr).Str("incident", inc.Number.String()).Msg("release meeting claim failed")
		}
		if errors.Is(err, incident.ErrHostNotInAccount) {
			return MeetingResult{}, noHostProblem(inc, settings, primary, trigger, why)
		}
		return MeetingResult{}, err
	}
	res, err := a.finish(ctx, settle, key, claim.Attempt, a.meetingFor(claim, host, created), settings)
	if err == nil && host.Kind != incident.HostFallback && !res.Existing {
		res.StartURL = created.StartURL
	}
	return res, err
}

// detached returns a context for settling what Zoom said, from the moment
// it said it: it outlives ctx (whose deadline may be what just ran out),
// bounded by settleTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// meetingFor is the meeting record of what Zoom made for claim, hosted by
// host.
func (a *App) meetingFor(c Claim, host incident.Host, created incident.CreatedMeeting) incident.Meeting {
	return incident.Meeting{
		ID: created.ID, JoinURL: created.JoinURL, Passcode: created.Passcode,
		HostKind: host.Kind, HostUser: host.User, CreatedBy: c.By, Trigger: c.Trigger, CreatedAt: a.now().UTC(),
	}
}

// finish records m under attempt's claim, marked unpublished, and then
// publishes it (SPEC §8: committed before anyone is told); start-up
// reconciliation publishes a meeting whose process died in between. If the
// claim was lost meanwhile, the meeting recorded instead is the answer.
// Store calls run on settle, which outlives ctx.
func (a *App) finish(ctx, settle context.Context, key incident.Key, attempt string, m incident.Meeting, s incident.Settings) (MeetingResult, error) {
	m.Unpublished = true
	inc, err := a.store.RecordMeeting(settle, key, attempt, m)
	if errors.Is(err, incident.ErrClaimLost) {
		a.logger(ctx).Warn().Str("incident", key.Number.String()).Str("zoom_meeting", m.ID).Msg("meeting claim lost before recording; keeping the recorded meeting")
		return a.existing(settle, key)
	}
	if err != nil {
		return MeetingResult{}, fmt.Errorf("record meeting for %s: %w", key.Number, err)
	}
	a.metrics.MeetingCreated(m.Trigger, m.HostKind)
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("trigger", m.Trigger.String()).
		Str("host_source", m.HostKind.String()).Str("zoom_meeting", m.ID).Msg("meeting created")
	return MeetingResult{Incident: a.publishMeeting(settle, inc, s)}, nil
}

// createWithHosts tries each host in order, moving on only when Zoom says
// the host is not a user of the account or may not host; why is told of
// each refusal. The host returned with an error is the one Zoom was asked
// last, the only one that can have made a meeting.
func (a *App) createWithHosts(ctx context.Context, inc incident.Incident, s incident.Settings, hosts []incident.Host, attempt string, why refusals) (incident.CreatedMeeting, incident.Host, error) {
	var last error
	for _, h := range hosts {
		req := incident.MeetingRequest{
			HostEmail: h.Email,
			Topic:     incident.Topic(inc),
			Agenda:    Agenda(inc, attempt),
			Start:     a.now().UTC(),
			Options:   s.MeetingOptions(),
		}
		created, err := a.zoom.CreateMeeting(ctx, inc.Team, req)
		if err == nil {
			if h.Kind == incident.HostFallback {
				a.logger(ctx).Info().Str("incident", inc.Number.String()).Msg("meeting hosted by the fallback account")
			}
			return created, h, nil
		}
		if !errors.Is(err, incident.ErrHostNotInAccount) {
			return incident.CreatedMeeting{}, h, fmt.Errorf("create meeting for %s: %w", inc.Number, err)
		}
		r := refusalOf(err)
		a.rejected.add(inc.Team, h.Email, r)
		why[strings.ToLower(h.Email)] = r
		a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("host_source", h.Kind.String()).
			Bool("may_not_host", r == mayNotHost).Msg("zoom refused the host; trying the next")
		last = err
	}
	return incident.CreatedMeeting{}, incident.Host{}, last
}

// Agenda is the meeting agenda. It carries the claim's attempt ID so a
// meeting created just before a crash can be found again.
func Agenda(inc incident.Incident, attempt string) string {
	return fmt.Sprintf("Incident %s (%s). incident-bridge attempt %s", inc.Number, inc.Severity, attempt)
}

// AgendaMarker is the part of Agenda that identifies the attempt.
func AgendaMarker(attempt string) string { return "incident-bridge attempt " + attempt }

// primaryHost is the requester (one-click) or the commander (automatic),
// with their Slack email; Email is empty when there is none.
func (a *App) primaryHost(ctx context.Context, inc incident.Incident, user incident.UserID, trigger incident.Trigger) (incident.Host, error) {
	h := incident.Host{Kind: incident.HostRequester, User: user}
	if trigger == incident.TriggerAutomatic {
		h = incident.Host{Kind: incident.HostCommander, User: inc.Commander}
	}
	if h.User == "" {
		return h, nil
	}
	u, err := a.slack.User(ctx, inc.Team, h.User)
	if errors.Is(err, ErrUnknownUser) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("look up %s host: %w", h.Kind, err)
	}
	h.Email = u.Email
	return h, nil
}

// existing returns the recorded meeting.
func (a *App) existing(ctx context.Context, key incident.Key) (MeetingResult, error) {
	inc, err := a.store.Incident(ctx, key)
	if err != nil {
		return MeetingResult{}, fmt.Errorf("reload %s: %w", key, err)
	}
	return MeetingResult{Incident: inc, Existing: true}, nil
}

// claimPoll is how often a request waiting on another attempt's claim
// looks for the meeting; claimRetry how long it waits before trying to
// claim again (the other attempt may have failed and released its claim).
const (
	claimPoll = 50 * time.Millisecond
	// settleTimeout bounds settling Zoom's answer (a last look among the
	// host's meetings included), recording it and publishing it.
	settleTimeout = 20 * time.Second
	// settleLook bounds that last look, leaving the rest of settleTimeout
	// to the store and Slack.
	settleLook = 10 * time.Second
	claimRetry = 500 * time.Millisecond
)

// awaitMeeting waits for another attempt (another process, or one that
// started before this one) to record its meeting. done is true with the
// meeting once it is recorded; false after claimRetry without one, for the
// caller to claim again.
func (a *App) awaitMeeting(ctx context.Context, key incident.Key, replacing string) (res MeetingResult, done bool, err error) {
	tick := time.NewTicker(claimPoll)
	defer tick.Stop()
	retry := time.NewTimer(claimRetry)
	defer retry.Stop()
	for {
		inc, err := a.store.Incident(ctx, key)
		if err != nil {
			return MeetingResult{}, true, fmt.Errorf("reload %s: %w", key, err)
		}
		if inc.Meeting != nil && inc.Meeting.ID != replacing {
			return MeetingResult{Incident: inc, Existing: true}, true, nil
		}
		select {
		case <-ctx.Done():
			return MeetingResult{}, true, incident.Problemf("Another request is still creating %s's meeting. Try `/incident zoom` again in a minute.", key.Number)
		case <-retry.C:
			return MeetingResult{}, false, nil
		case <-tick.C:
		}
	}
}

// publishMeeting shows a new meeting everywhere: header, announcement,
// bookmark, timeline, and then clears its Unpublished mark. Slack failures
// are logged; the meeting is kept. A crash before the mark is cleared
// publishes it again at start-up: at least once, rather than never.
func (a *App) publishMeeting(ctx context.Context, inc incident.Incident, s incident.Settings) incident.Incident {
	log := a.logger(ctx).With().Str("incident", inc.Number.String()).Logger()
	a.refreshHeader(ctx, inc, s)
	if err := a.slack.AnnounceMeeting(ctx, inc); err != nil {
		log.Warn().Err(err).Msg("announce meeting failed")
	}
	bookmark := inc.BookmarkID
	switch {
	case s.Bookmarks:
		bookmark = a.bookmark(ctx, inc)
	case bookmark != "":
		// Bookmarks were turned off after this one was added: keep it
		// from pointing at a replaced meeting, but add none.
		bookmark = a.editBookmark(ctx, inc)
	}
	kind := incident.EventMeetingCreated
	if inc.Meeting.Trigger == incident.TriggerReplace {
		kind = incident.EventMeetingReplaced
	}
	updated, err := a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		i.BookmarkID = bookmark
		i.Timeline = append(i.Timeline, incident.Event{Kind: kind, By: inc.Meeting.CreatedBy, At: a.now().UTC(), Note: inc.Meeting.HostKind.String()})
		if i.Meeting != nil && i.Meeting.ID == inc.Meeting.ID {
			i.Meeting.Unpublished = false
		}
		return nil
	})
	if err != nil {
		log.Error().Err(err).Msg("record meeting timeline failed")
		return inc
	}
	return updated
}

// bookmark adds the "Zoom meeting" bookmark, or edits the one already
// there (re-adding it if someone removed it), and returns its ID.
func (a *App) bookmark(ctx context.Context, inc incident.Incident) string {
	log := a.logger(ctx).With().Str("incident", inc.Number.String()).Logger()
	if inc.BookmarkID != "" {
		err := a.slack.EditBookmark(ctx, inc, inc.BookmarkID, bookmarkTitle, inc.Meeting.JoinURL)
		if err == nil {
			return inc.BookmarkID
		}
		if !errors.Is(err, ErrBookmarkGone) {
			log.Warn().Err(err).Msg("edit meeting bookmark failed")
			return inc.BookmarkID
		}
	}
	id, err := a.slack.AddBookmark(ctx, inc, bookmarkTitle, inc.Meeting.JoinURL)
	if err != nil {
		log.Warn().Err(err).Msg("add meeting bookmark failed")
		return inc.BookmarkID
	}
	return id
}

// editBookmark points the existing bookmark at the meeting and returns its
// ID, or "" if someone removed it.
func (a *App) editBookmark(ctx context.Context, inc incident.Incident) string {
	err := a.slack.EditBookmark(ctx, inc, inc.BookmarkID, bookmarkTitle, inc.Meeting.JoinURL)
	switch {
	case errors.Is(err, ErrBookmarkGone):
		return ""
	case err != nil:
		a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("edit meeting bookmark failed")
	}
	return inc.BookmarkID
}
