package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// FirstDelivery reports whether a Slack event ID is seen for the first
// time; Slack redelivers events and each must act once. The ID is kept in
// the store, so a redelivery after a restart is still recognised.
func (a *App) FirstDelivery(ctx context.Context, eventID string) (bool, error) {
	return a.store.FirstDelivery(ctx, eventID, a.now())
}

// MemberJoined shows someone who joined an incident channel the meeting's
// join link (ephemeral), if the incident is open and has a meeting. Joins
// of other channels, of bots, and of archived channels do nothing.
func (a *App) MemberJoined(ctx context.Context, team incident.TeamID, ch incident.ChannelID, user incident.UserID) error {
	inc, err := a.store.IncidentByChannel(ctx, team, ch)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("member joined: %w", err)
	}
	if inc.Meeting == nil || inc.ChannelArchived || !inc.Open() {
		return nil
	}
	if u, err := a.slack.User(ctx, team, user); err == nil && u.Bot {
		return nil
	}
	if err := a.slack.ShowMeeting(ctx, inc, user); err != nil {
		return fmt.Errorf("show %s's meeting to a new member: %w", inc.Number, err)
	}
	return nil
}

// ChannelRenamed keeps the stored channel name right, with a timeline entry.
func (a *App) ChannelRenamed(ctx context.Context, team incident.TeamID, ch incident.ChannelID, name string) error {
	return a.updateChannel(ctx, team, ch, "incident channel renamed", func(i *incident.Incident) bool {
		if i.ChannelName == name || name == "" {
			return false
		}
		i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChannelRenamed, At: a.now().UTC(), Note: i.ChannelName + " → " + name})
		i.ChannelName = name
		return true
	})
}

// ChannelArchived marks the incident's channel archived: nothing is posted
// there afterwards and no meeting is created for it. The incident itself
// stays as it was (an open incident stays in the list).
func (a *App) ChannelArchived(ctx context.Context, team incident.TeamID, ch incident.ChannelID) error {
	return a.updateChannel(ctx, team, ch, "incident channel archived", func(i *incident.Incident) bool {
		if i.ChannelArchived {
			return false
		}
		i.ChannelArchived = true
		i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChannelArchived, At: a.now().UTC()})
		return true
	})
}

// ChannelUnarchived undoes ChannelArchived: the channel is live again, so
// the app rejoins it (Slack may have removed it on archive), posts there
// and may create meetings for it.
func (a *App) ChannelUnarchived(ctx context.Context, team incident.TeamID, ch incident.ChannelID) error {
	err := a.updateChannel(ctx, team, ch, "incident channel unarchived", func(i *incident.Incident) bool {
		if !i.ChannelArchived {
			return false
		}
		i.ChannelArchived = false
		i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChannelUnarchived, At: a.now().UTC()})
		return true
	})
	if err != nil {
		return err
	}
	if _, err := a.store.IncidentByChannel(ctx, team, ch); err == nil {
		if _, err := a.slack.JoinChannel(ctx, team, ch); err != nil {
			a.logger(ctx).Warn().Err(err).Str("channel", string(ch)).Msg("rejoin unarchived incident channel failed")
		}
	}
	return nil
}

// updateChannel applies fn to the channel's incident, if it has one, and
// logs msg when fn changed it. Channel events are not incident changes, so
// nothing is published.
func (a *App) updateChannel(ctx context.Context, team incident.TeamID, ch incident.ChannelID, msg string, fn func(*incident.Incident) bool) error {
	inc, err := a.store.IncidentByChannel(ctx, team, ch)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("channel event: %w", err)
	}
	_, err = a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		if !fn(i) {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("channel event on %s: %w", inc.Number, err)
	}
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("channel", string(ch)).Msg(msg)
	return nil
}
