package app

import (
	"context"
	"errors"
	"fmt"
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
		if err != nil && f.by != me && errors.As(err, new(*hostError)) && ctx.Err() == nil {
			// The creation this request joined found no host for the
			// request that led it (SPEC §5.3 depends on who asks): this
			// request tries with its own presser or commander. Each round
			// ends the leader's request, so this terminates.
			continue
		}
		if err != nil {
			return MeetingResult{}, err
		}
		return f.res, nil
	}
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
	primary, err := a.primaryHost(ctx, inc, user, trigger)
	if err != nil {
		return MeetingResult{}, err
	}
	hosts := a.rejected.filter(inc.Team, incident.HostCandidates(settings, primary))
	if len(hosts) == 0 {
		return MeetingResult{}, noHostProblem(inc, settings, primary, trigger)
	}
	claim := Claim{Attempt: newAttemptID(), Replacing: replacing}
	for _, h := range hosts {
		claim.Hosts = append(claim.Hosts, h.Email)
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

	created, host, err := a.createWithHosts(ctx, inc, settings, hosts, claim.Attempt)
	// Whatever Zoom said must be settled in the store even if ctx ran out
	// meanwhile: a meeting left unrecorded, or a claim left held, would
	// cost a second meeting or a two-minute wait.
	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err != nil {
		// Nothing was recorded, so the next request may try again. After
		// an unknown outcome the person is told a meeting may exist, and
		// pressing again is their informed choice; no retry is automatic.
		if rerr := a.store.ReleaseClaim(settle, key, claim.Attempt); rerr != nil {
			a.logger(ctx).Error().Err(rerr).Str("incident", inc.Number.String()).Msg("release meeting claim failed")
		}
		if errors.Is(err, incident.ErrHostNotInAccount) {
			return MeetingResult{}, noHostProblem(inc, settings, primary, trigger)
		}
		return MeetingResult{}, err
	}
	m := incident.Meeting{
		ID: created.ID, JoinURL: created.JoinURL, Passcode: created.Passcode,
		HostKind: host.Kind, HostUser: host.User, Trigger: trigger, CreatedAt: a.now().UTC(),
	}
	if trigger != incident.TriggerAutomatic {
		m.CreatedBy = user
	}
	inc, err = a.store.RecordMeeting(settle, key, claim.Attempt, m)
	if errors.Is(err, incident.ErrClaimLost) {
		a.logger(ctx).Warn().Str("incident", key.Number.String()).Str("zoom_meeting", created.ID).Msg("meeting claim lost before recording; keeping the recorded meeting")
		return a.existing(settle, key)
	}
	if err != nil {
		return MeetingResult{}, fmt.Errorf("record meeting for %s: %w", key.Number, err)
	}
	a.metrics.MeetingCreated(trigger, host.Kind)
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("trigger", trigger.String()).
		Str("host_source", host.Kind.String()).Str("zoom_meeting", m.ID).Msg("meeting created")
	inc = a.publishMeeting(settle, inc, settings, replacing != "")
	res := MeetingResult{Incident: inc}
	if host.Kind != incident.HostFallback {
		res.StartURL = created.StartURL
	}
	return res, nil
}

// createWithHosts tries each host in order, moving on only when Zoom says
// the host is not a user of the account.
func (a *App) createWithHosts(ctx context.Context, inc incident.Incident, s incident.Settings, hosts []incident.Host, attempt string) (incident.CreatedMeeting, incident.Host, error) {
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
		a.rejected.add(inc.Team, h.Email)
		a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("host_source", h.Kind.String()).Msg("host is not in the zoom account; trying the next")
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
	// settleTimeout bounds recording Zoom's answer and publishing it.
	settleTimeout = 20 * time.Second
	claimRetry    = 500 * time.Millisecond
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
// bookmark, timeline. Slack failures are logged; the meeting is kept.
func (a *App) publishMeeting(ctx context.Context, inc incident.Incident, s incident.Settings, replaced bool) incident.Incident {
	log := a.logger(ctx).With().Str("incident", inc.Number.String()).Logger()
	a.refreshHeader(ctx, inc)
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
	if replaced {
		kind = incident.EventMeetingReplaced
	}
	updated, err := a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		i.BookmarkID = bookmark
		i.Timeline = append(i.Timeline, incident.Event{Kind: kind, By: inc.Meeting.CreatedBy, At: a.now().UTC(), Note: inc.Meeting.HostKind.String()})
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
