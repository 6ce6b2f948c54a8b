package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// DeclareRequest is a submitted Declare incident modal.
type DeclareRequest struct {
	Team           incident.TeamID
	User           incident.UserID
	Title          string
	Description    string
	Severity       incident.Severity
	Commander      incident.UserID
	CustomerImpact bool
}

// maxNameAttempts bounds the retries after name_taken.
const maxNameAttempts = 5

// Declare creates an incident: its channel <prefix><n>-<slug>, the declarer
// and commander invited, the record committed, then the header posted and
// pinned. The change is published for automatic meetings.
func (a *App) Declare(ctx context.Context, r DeclareRequest) (incident.Incident, error) {
	if err := incident.ValidateTitle(r.Title); err != nil {
		return incident.Incident{}, err
	}
	if r.Commander != "" {
		if err := a.checkCommander(ctx, r.Team, r.Commander); err != nil {
			var ce *commanderError
			if errors.As(err, &ce) {
				return incident.Incident{}, ce.problem()
			}
			return incident.Incident{}, err
		}
	}
	settings, err := a.store.Settings(ctx, r.Team)
	if err != nil {
		return incident.Incident{}, fmt.Errorf("declare: load settings: %w", err)
	}
	n, err := a.store.NextNumber(ctx, r.Team)
	if err != nil {
		return incident.Incident{}, fmt.Errorf("declare: reserve number: %w", err)
	}
	inc := incident.Incident{
		Team: r.Team, Number: n, Title: strings.TrimSpace(r.Title), Description: strings.TrimSpace(r.Description),
		Severity: r.Severity, Status: incident.StatusActive, Commander: r.Commander,
		CustomerImpact: r.CustomerImpact, DeclaredBy: r.User, DeclaredAt: a.now().UTC(),
	}
	inc.Channel, inc.ChannelName, err = a.createChannel(ctx, settings.ChannelPrefix, inc)
	if err != nil {
		return incident.Incident{}, err
	}
	if err := a.slack.Invite(ctx, r.Team, inc.Channel, members(r.User, r.Commander)...); err != nil {
		a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("invite to incident channel failed")
	}
	inc.Timeline = []incident.Event{{Kind: incident.EventDeclared, By: r.User, At: inc.DeclaredAt}}
	markAutoCheck(settings, &inc)
	if err := a.store.CreateIncident(ctx, inc); err != nil {
		return incident.Incident{}, fmt.Errorf("declare %s: save: %w", inc.Number, err)
	}
	inc = a.postHeader(ctx, inc, settings)
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("channel", string(inc.Channel)).Msg("incident declared")
	a.publish(ctx, ChangeEvent{Incident: inc, Kind: incident.EventDeclared, By: r.User})
	return inc, nil
}

// AdoptRequest turns an existing channel into an incident channel.
type AdoptRequest struct {
	Team    incident.TeamID
	User    incident.UserID
	Channel incident.ChannelID
	Title   string
}

// Adopt makes r.Channel an incident channel: the bot joins it, the
// incident is committed with the channel as its own (title r.Title, or the
// channel's name), the header is posted and pinned there, and the change is
// published. It refuses, changing nothing, a channel that already is an
// incident channel, a title that is too long, and channels the bot cannot
// join.
func (a *App) Adopt(ctx context.Context, r AdoptRequest) (incident.Incident, error) {
	title := strings.TrimSpace(r.Title)
	if title != "" {
		if err := incident.ValidateTitle(title); err != nil {
			return incident.Incident{}, err
		}
	}
	if _, err := a.store.IncidentByChannel(ctx, r.Team, r.Channel); err == nil {
		return incident.Incident{}, alreadyIncidentChannel()
	} else if !errors.Is(err, incident.ErrNotFound) {
		return incident.Incident{}, fmt.Errorf("adopt: look up channel: %w", err)
	}
	settings, err := a.store.Settings(ctx, r.Team)
	if err != nil {
		return incident.Incident{}, fmt.Errorf("adopt: load settings: %w", err)
	}
	name, err := a.slack.JoinChannel(ctx, r.Team, r.Channel)
	if err != nil {
		return incident.Incident{}, fmt.Errorf("adopt: join channel: %w", err)
	}
	if title == "" {
		title = truncateTitle(name)
	}
	n, err := a.store.NextNumber(ctx, r.Team)
	if err != nil {
		return incident.Incident{}, fmt.Errorf("adopt: reserve number: %w", err)
	}
	now := a.now().UTC()
	inc := incident.Incident{
		Team: r.Team, Number: n, Title: title, Status: incident.StatusActive,
		Channel: r.Channel, ChannelName: name, DeclaredBy: r.User, DeclaredAt: now,
		Timeline: []incident.Event{{Kind: incident.EventAdopted, By: r.User, At: now}},
	}
	markAutoCheck(settings, &inc)
	if err := a.store.CreateIncident(ctx, inc); err != nil {
		if errors.Is(err, incident.ErrChannelTaken) {
			return incident.Incident{}, alreadyIncidentChannel()
		}
		return incident.Incident{}, fmt.Errorf("adopt %s: save: %w", inc.Number, err)
	}
	inc = a.postHeader(ctx, inc, settings)
	a.logger(ctx).Info().Str("incident", inc.Number.String()).Str("channel", string(inc.Channel)).Msg("incident channel adopted")
	a.publish(ctx, ChangeEvent{Incident: inc, Kind: incident.EventAdopted, By: r.User})
	return inc, nil
}

// alreadyIncidentChannel refuses to adopt an incident channel.
func alreadyIncidentChannel() *incident.Problem {
	return incident.Problemf("This channel is already an incident channel. Change its incident with `/incident edit` or the field commands (`/incident help`).")
}

// truncateTitle cuts a channel name used as a title to incident.MaxTitle
// (Slack's channel names are shorter, but a title must never be refused).
func truncateTitle(name string) string {
	if r := []rune(name); len(r) > incident.MaxTitle {
		return string(r[:incident.MaxTitle])
	}
	if name == "" {
		return "Untitled incident"
	}
	return name
}

// createChannel creates the incident channel, trying numbered names after
// name_taken.
func (a *App) createChannel(ctx context.Context, prefix string, inc incident.Incident) (incident.ChannelID, string, error) {
	for attempt := range maxNameAttempts {
		name := incident.ChannelName(prefix, inc.Number, inc.Title, attempt)
		ch, err := a.slack.CreateChannel(ctx, inc.Team, name)
		if errors.Is(err, ErrNameTaken) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("declare %s: create channel: %w", inc.Number, err)
		}
		return ch, name, nil
	}
	return "", "", incident.Problemf("Could not create a channel for %s: the names %s… are all taken. Archive or rename old channels, or change the channel prefix in `/incident settings`.",
		inc.Number, incident.ChannelName(prefix, inc.Number, inc.Title, 0))
}

// postHeader posts and pins the new incident's header and records its ts,
// under the incident's header lock (header.go), unless a change that came
// first has posted it: the header is posted once, whoever gets there first.
func (a *App) postHeader(ctx context.Context, inc incident.Incident, s incident.Settings) incident.Incident {
	l := a.headers.acquire(inc.Key())
	defer a.headers.release(inc.Key(), l)
	latest, err := a.store.Incident(ctx, inc.Key())
	switch {
	case err != nil:
		a.logger(ctx).Warn().Err(err).Str("incident", inc.Number.String()).Msg("re-read incident for its header failed")
	case latest.HeaderTS != "":
		return latest
	default:
		inc = latest
	}
	return a.postHeaderLocked(ctx, inc, s)
}

// postHeaderLocked posts and pins the header and records its ts; the
// caller holds the incident's header lock and has seen no ts recorded. A
// failure is logged: the incident exists, and the next change posts the
// header again (refreshHeader) if it was not posted at all. A header posted
// but not pinned is still recorded, so it is updated in place rather than
// posted twice.
func (a *App) postHeaderLocked(ctx context.Context, inc incident.Incident, s incident.Settings) incident.Incident {
	ts, err := a.slack.PostHeader(ctx, inc, s.ZoomEnabled)
	if err != nil {
		a.logger(ctx).Error().Err(err).Str("incident", inc.Number.String()).Bool("posted", ts != "").Msg("post incident header failed")
	}
	if ts == "" {
		return inc
	}
	updated, err := a.store.UpdateIncident(ctx, inc.Key(), func(i *incident.Incident) error {
		i.HeaderTS = ts
		return nil
	})
	if err != nil {
		a.logger(ctx).Error().Err(err).Str("incident", inc.Number.String()).Msg("record header ts failed")
		inc.HeaderTS = ts
		return inc
	}
	return updated
}

// checkCommander refuses a commander Slack does not know, a bot or a
// deactivated account with a *commanderError.
func (a *App) checkCommander(ctx context.Context, team incident.TeamID, u incident.UserID) error {
	user, err := a.slack.User(ctx, team, u)
	switch {
	case errors.Is(err, ErrUnknownUser):
		return &commanderError{User: u, Unknown: true}
	case err != nil:
		return fmt.Errorf("look up commander: %w", err)
	case user.Bot || user.Deleted:
		return &commanderError{User: u}
	}
	return nil
}

// CheckCommander reports why u cannot be the commander of one of team's
// incidents, as incident.FieldErrors on the Commander field (plain text,
// for a form): Slack does not know them, or they are a bot or deactivated.
// It returns nil when they can, or when u is empty (nobody commands); other
// errors are failed look-ups.
func (a *App) CheckCommander(ctx context.Context, team incident.TeamID, u incident.UserID) error {
	if u == "" {
		return nil
	}
	err := a.checkCommander(ctx, team, u)
	var ce *commanderError
	if errors.As(err, &ce) {
		return incident.FieldErrors{ce.field()}
	}
	return err
}

// commanderError says why a user cannot be the commander.
type commanderError struct {
	User    incident.UserID
	Unknown bool // Slack does not know them; else a bot or deactivated
}

func (e *commanderError) Error() string { return e.problem().Msg }

// problem is the message for a command's reply, where mentions render.
func (e *commanderError) problem() *incident.Problem {
	if e.Unknown {
		return incident.Problemf("<@%s> is not a user in this workspace. Name the commander as a mention, e.g. `/incident commander @ann`.", e.User)
	}
	return incident.Problemf("<@%s> cannot be the commander: pick a person who is an active member of the workspace.", e.User)
}

// field is the message beside a form's Commander input, which shows plain
// text only.
func (e *commanderError) field() incident.FieldError {
	msg := "Pick a person who is an active member of this workspace: bots and deactivated accounts cannot be the commander."
	if e.Unknown {
		msg = "Slack does not know this user. Pick a person from this workspace."
	}
	return incident.FieldError{Field: string(incident.FieldCommander), Msg: msg}
}

func members(users ...incident.UserID) []incident.UserID {
	var out []incident.UserID
	for _, u := range users {
		if u != "" && (len(out) == 0 || out[0] != u) {
			out = append(out, u)
		}
	}
	return out
}
