package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// errUnchanged aborts a store update that would write nothing new.
var errUnchanged = errors.New("nothing changed")

// ChangeRequest is one person's edit of the incident in a channel.
type ChangeRequest struct {
	Team    incident.TeamID
	Channel incident.ChannelID
	User    incident.UserID
	Edit    incident.Edit
}

// ChangeResult is what a change did.
type ChangeResult struct {
	Incident incident.Incident
	Changes  []incident.Change // empty when nothing changed
}

// Change applies an edit to the channel's incident: committed with a
// timeline entry (who, what, old → new, when), then the header updated in
// place, a line posted, and the change published. An edit that changes
// nothing is not a change: nothing is written, posted or published.
//
// Commands and the Edit modal both come here, so a change is the same
// whichever way it was made. Errors: incident.FieldErrors for bad values,
// a *Problem for a channel that is not an incident channel or a commander
// who cannot command; nothing is changed then.
func (a *App) Change(ctx context.Context, r ChangeRequest) (ChangeResult, error) {
	if errs := r.Edit.Validate(); len(errs) > 0 {
		return ChangeResult{}, errs
	}
	inc, err := a.incidentIn(ctx, r.Team, r.Channel)
	if err != nil {
		return ChangeResult{}, err
	}
	if err := a.checkNewCommander(ctx, inc, r.Edit); err != nil {
		var ce *commanderError
		if errors.As(err, &ce) {
			return ChangeResult{}, ce.problem()
		}
		return ChangeResult{}, err
	}
	settings, err := a.store.Settings(ctx, r.Team)
	if err != nil {
		return ChangeResult{}, fmt.Errorf("change %s: load settings: %w", inc.Number, err)
	}
	var (
		changes []incident.Change
		current incident.Incident
	)
	updated, err := a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		current = *i
		changes = i.Apply(r.Edit)
		if len(changes) == 0 {
			return errUnchanged // nothing to write
		}
		i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChanged, By: r.User, At: a.now().UTC(), Changes: changes})
		markAutoCheck(settings, i)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return ChangeResult{Incident: current}, nil
	}
	if err != nil {
		return ChangeResult{}, fmt.Errorf("change %s: %w", inc.Number, err)
	}
	inc = updated
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Int("changes", len(changes)).Msg("incident changed")
	if !inc.ChannelArchived {
		if c := commanderChange(changes); c != "" {
			if err := a.slack.Invite(ctx, inc.Team, inc.Channel, c); err != nil {
				a.logger(ctx).Warn().Err(err).Msg("invite new commander failed")
			}
		}
		a.refreshHeader(ctx, inc, settings)
		if err := a.slack.PostChanges(ctx, inc, r.User, changes); err != nil {
			a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("post change line failed")
		}
	}
	a.publish(ctx, ChangeEvent{Incident: inc, Kind: incident.EventChanged, By: r.User, Changes: changes})
	return ChangeResult{Incident: inc, Changes: changes}, nil
}

// CheckChange checks what Change would refuse about r that needs a look-up,
// without changing anything, so a form can show the problems on its fields
// before it closes: incident.FieldErrors (keyed by incident.Field names) for
// bad values, including a new commander who is not an active person in the
// workspace; a *Problem when r.Channel is not an incident channel. A nil
// error does not promise that Change succeeds: the incident may change in
// between.
func (a *App) CheckChange(ctx context.Context, r ChangeRequest) error {
	if errs := r.Edit.Validate(); len(errs) > 0 {
		return errs
	}
	inc, err := a.incidentIn(ctx, r.Team, r.Channel)
	if err != nil {
		return err
	}
	err = a.checkNewCommander(ctx, inc, r.Edit)
	var ce *commanderError
	if errors.As(err, &ce) {
		return incident.FieldErrors{ce.field()}
	}
	return err
}

// checkNewCommander checks the commander e sets, if it sets a new one.
func (a *App) checkNewCommander(ctx context.Context, inc incident.Incident, e incident.Edit) error {
	if e.Commander == nil || *e.Commander == "" || *e.Commander == inc.Commander {
		return nil
	}
	return a.checkCommander(ctx, inc.Team, *e.Commander)
}

// Resolve sets the channel's incident to resolved.
func (a *App) Resolve(ctx context.Context, team incident.TeamID, ch incident.ChannelID, user incident.UserID) (ChangeResult, error) {
	resolved := incident.StatusResolved
	return a.Change(ctx, ChangeRequest{Team: team, Channel: ch, User: user, Edit: incident.Edit{Status: &resolved}})
}

// IncidentIn returns the channel's incident, or a *Problem saying this is
// not an incident channel.
func (a *App) IncidentIn(ctx context.Context, team incident.TeamID, ch incident.ChannelID) (incident.Incident, error) {
	return a.incidentIn(ctx, team, ch)
}

func (a *App) incidentIn(ctx context.Context, team incident.TeamID, ch incident.ChannelID) (incident.Incident, error) {
	inc, err := a.store.IncidentByChannel(ctx, team, ch)
	if errors.Is(err, incident.ErrNotFound) {
		return incident.Incident{}, NotIncidentChannel()
	}
	if err != nil {
		return incident.Incident{}, fmt.Errorf("look up channel's incident: %w", err)
	}
	return inc, nil
}

// NotIncidentChannel is the message for incident commands run elsewhere.
func NotIncidentChannel() *incident.Problem {
	return incident.Problemf("This is not an incident channel. Run this command in an incident's channel, or declare one with `/incident declare <title>` (or `/incident adopt` to make this channel one).")
}

// List returns the workspace's open incidents, most severe first, then
// newest first. Incidents of other workspaces are never included.
func (a *App) List(ctx context.Context, team incident.TeamID) ([]incident.Incident, error) {
	incs, err := a.store.OpenIncidents(ctx, team)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	incs = slices.DeleteFunc(incs, func(inc incident.Incident) bool { return inc.Team != team || !inc.Open() })
	slices.SortStableFunc(incs, func(x, y incident.Incident) int {
		if d := x.Severity.Rank() - y.Severity.Rank(); d != 0 {
			return d
		}
		return int(y.Number - x.Number)
	})
	return incs, nil
}

// sameHeader reports whether x and y show the same incident header.
func sameHeader(x, y incident.Incident) bool {
	if x.Title != y.Title || x.Description != y.Description || x.Severity != y.Severity || x.Status != y.Status ||
		x.Commander != y.Commander || x.CustomerImpact != y.CustomerImpact || x.HeaderTS != y.HeaderTS {
		return false
	}
	switch {
	case x.Meeting == nil || y.Meeting == nil:
		return x.Meeting == nil && y.Meeting == nil
	default:
		return x.Meeting.ID == y.Meeting.ID && x.Meeting.JoinURL == y.Meeting.JoinURL && x.Meeting.Passcode == y.Meeting.Passcode
	}
}

func commanderChange(cs []incident.Change) incident.UserID {
	for _, c := range cs {
		if c.Field == incident.FieldCommander && c.New != "" {
			return incident.UserID(c.New)
		}
	}
	return ""
}
