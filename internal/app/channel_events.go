package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// FirstDelivery reports whether a Slack event ID is seen for the first
// time; Slack redelivers events and each must act once.
func (a *App) FirstDelivery(ctx context.Context, eventID string) (bool, error) {
	return a.store.FirstDelivery(ctx, eventID, a.now())
}

// MemberJoined shows someone who joined an incident channel the meeting's
// join link, if there is a meeting.
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
	return a.slack.ShowMeeting(ctx, inc, user)
}

// ChannelRenamed keeps the stored channel name right.
func (a *App) ChannelRenamed(ctx context.Context, team incident.TeamID, ch incident.ChannelID, name string) error {
	return a.updateChannel(ctx, team, ch, func(i *incident.Incident) {
		if i.ChannelName != name {
			i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChannelRenamed, At: a.now().UTC(), Note: i.ChannelName + " → " + name})
			i.ChannelName = name
		}
	})
}

// ChannelArchived marks the incident's channel archived: nothing is posted
// there afterwards and no meeting is created for it.
func (a *App) ChannelArchived(ctx context.Context, team incident.TeamID, ch incident.ChannelID) error {
	return a.updateChannel(ctx, team, ch, func(i *incident.Incident) {
		if !i.ChannelArchived {
			i.ChannelArchived = true
			i.Timeline = append(i.Timeline, incident.Event{Kind: incident.EventChannelArchived, At: a.now().UTC()})
		}
	})
}

func (a *App) updateChannel(ctx context.Context, team incident.TeamID, ch incident.ChannelID, fn func(*incident.Incident)) error {
	inc, err := a.store.IncidentByChannel(ctx, team, ch)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("channel event: %w", err)
	}
	_, err = a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error { fn(i); return nil })
	if err != nil {
		return fmt.Errorf("channel event on %s: %w", inc.Number, err)
	}
	return nil
}
