package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

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
// timeline entry, then the header updated in place, a line posted, and the
// change published. An edit that changes nothing is not a change.
func (a *App) Change(ctx context.Context, r ChangeRequest) (ChangeResult, error) {
	if errs := r.Edit.Validate(); len(errs) > 0 {
		return ChangeResult{}, errs
	}
	inc, err := a.incidentIn(ctx, r.Team, r.Channel)
	if err != nil {
		return ChangeResult{}, err
	}
	if r.Edit.Commander != nil && *r.Edit.Commander != "" && *r.Edit.Commander != inc.Commander {
		if err := a.checkCommander(ctx, r.Team, *r.Edit.Commander); err != nil {
			return ChangeResult{}, err
		}
	}
	var changes []incident.Change
	inc, err = a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		changes = i.Apply(r.Edit)
		if len(changes) > 0 {
			i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChanged, By: r.User, At: a.now().UTC(), Changes: changes})
		}
		return nil
	})
	if err != nil {
		return ChangeResult{}, fmt.Errorf("change %s: %w", inc.Number, err)
	}
	if len(changes) == 0 {
		return ChangeResult{Incident: inc}, nil
	}
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Int("changes", len(changes)).Msg("incident changed")
	if !inc.ChannelArchived {
		if c := commanderChange(changes); c != "" {
			if err := a.slack.Invite(ctx, inc.Team, inc.Channel, c); err != nil {
				a.logger(ctx).Warn().Err(err).Msg("invite new commander failed")
			}
		}
		a.refreshHeader(ctx, inc)
		if err := a.slack.PostChanges(ctx, inc, r.User, changes); err != nil {
			a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("post change line failed")
		}
	}
	a.publish(ctx, ChangeEvent{Incident: inc, Kind: incident.EventChanged, By: r.User, Changes: changes})
	return ChangeResult{Incident: inc, Changes: changes}, nil
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
// newest first.
func (a *App) List(ctx context.Context, team incident.TeamID) ([]incident.Incident, error) {
	incs, err := a.store.OpenIncidents(ctx, team)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	slices.SortStableFunc(incs, func(x, y incident.Incident) int {
		if d := x.Severity.Rank() - y.Severity.Rank(); d != 0 {
			return d
		}
		return int(y.Number - x.Number)
	})
	return incs, nil
}

// refreshHeader rewrites the pinned header; failures are logged, the
// stored incident stays the truth.
func (a *App) refreshHeader(ctx context.Context, inc incident.Incident) {
	if inc.HeaderTS == "" || inc.ChannelArchived {
		return
	}
	s, err := a.store.Settings(ctx, inc.Team)
	if err != nil {
		a.logger(ctx).Warn().Err(err).Msg("load settings for header failed")
		s = incident.DefaultSettings()
	}
	if err := a.slack.UpdateHeader(ctx, inc, s.ZoomEnabled); err != nil {
		a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("update incident header failed")
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
