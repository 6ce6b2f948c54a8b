package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/slackui"
)

// Poster is the app's way to Slack: a small subset of the Web API, with
// every message rendered by slackui. It implements app.Slack.
type Poster struct {
	api  *slack.Client
	http *http.Client // for response_url posts
}

// NewPoster returns a Poster over api.
func NewPoster(api *slack.Client, hc *http.Client) *Poster {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Poster{api: api, http: hc}
}

var _ app.Slack = (*Poster)(nil)

// slackError returns Slack's error code ("name_taken"), or "".
func slackError(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	return ""
}

// CreateChannel creates a public channel.
func (p *Poster) CreateChannel(ctx context.Context, _ incident.TeamID, name string) (incident.ChannelID, error) {
	ch, err := p.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
	if slackError(err) == "name_taken" {
		return "", app.ErrNameTaken
	}
	if err != nil {
		return "", fmt.Errorf("conversations.create: %w", err)
	}
	return incident.ChannelID(ch.ID), nil
}

// JoinChannel makes the bot a member of ch.
func (p *Poster) JoinChannel(ctx context.Context, _ incident.TeamID, ch incident.ChannelID) (string, error) {
	c, _, _, err := p.api.JoinConversationContext(ctx, string(ch))
	if err != nil {
		if code := slackError(err); code == "method_not_supported_for_channel_type" || code == "channel_not_found" {
			return "", incident.Problemf("I can't join this channel (it may be private or a DM). Invite me with `/invite @incident-bridge` first, or declare a new incident with `/incident declare`.")
		}
		return "", fmt.Errorf("conversations.join: %w", err)
	}
	return c.Name, nil
}

// Invite adds users to ch in one call; with several, force=true makes
// Slack invite the valid ones even when one is already there or cannot be
// invited (Slack lists those in "errors" and answers ok).
func (p *Poster) Invite(ctx context.Context, _ incident.TeamID, ch incident.ChannelID, users ...incident.UserID) error {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = string(u)
	}
	var err error
	switch len(ids) {
	case 0:
		return nil
	case 1:
		_, err = p.api.InviteUsersToConversationContext(ctx, string(ch), ids[0])
	default:
		_, err = p.api.ForceInviteUsersToConversationContext(ctx, string(ch), ids...)
	}
	switch slackError(err) {
	case "", "already_in_channel", "cant_invite_self":
		return nil
	}
	return fmt.Errorf("conversations.invite %v: %w", ids, err)
}

// PostHeader posts the incident header and pins it.
func (p *Poster) PostHeader(ctx context.Context, inc incident.Incident, zoomEnabled bool) (string, error) {
	_, ts, err := p.api.PostMessageContext(ctx, string(inc.Channel), slackui.Header(inc, zoomEnabled).Options()...)
	if err != nil {
		return "", fmt.Errorf("post header: %w", err)
	}
	if err := p.api.AddPinContext(ctx, string(inc.Channel), slack.ItemRef{Channel: string(inc.Channel), Timestamp: ts}); err != nil && slackError(err) != "already_pinned" {
		return ts, fmt.Errorf("pin header: %w", err)
	}
	return ts, nil
}

// UpdateHeader rewrites the header in place.
func (p *Poster) UpdateHeader(ctx context.Context, inc incident.Incident, zoomEnabled bool) error {
	_, _, _, err := p.api.UpdateMessageContext(ctx, string(inc.Channel), inc.HeaderTS, slackui.Header(inc, zoomEnabled).Options()...)
	if err != nil {
		return fmt.Errorf("update header: %w", err)
	}
	return nil
}

// PostChanges posts who changed what.
func (p *Poster) PostChanges(ctx context.Context, inc incident.Incident, by incident.UserID, changes []incident.Change) error {
	return p.post(ctx, inc.Channel, slackui.Notice(slackui.ChangeLine(by, changes)))
}

// AnnounceMeeting posts the meeting's announcement in the channel.
func (p *Poster) AnnounceMeeting(ctx context.Context, inc incident.Incident) error {
	return p.post(ctx, inc.Channel, slackui.MeetingAnnouncement(inc))
}

// PostNotice posts text in the incident channel.
func (p *Poster) PostNotice(ctx context.Context, inc incident.Incident, text string) error {
	return p.post(ctx, inc.Channel, slackui.Notice(text))
}

func (p *Poster) post(ctx context.Context, ch incident.ChannelID, m slackui.Message) error {
	if _, _, err := p.api.PostMessageContext(ctx, string(ch), m.Options()...); err != nil {
		return fmt.Errorf("chat.postMessage: %w", err)
	}
	return nil
}

// AddBookmark adds a link bookmark to the incident channel.
func (p *Poster) AddBookmark(ctx context.Context, inc incident.Incident, title, link string) (string, error) {
	b, err := p.api.AddBookmarkContext(ctx, string(inc.Channel), slack.AddBookmarkParameters{Title: title, Type: "link", Link: link})
	if err != nil {
		return "", fmt.Errorf("bookmarks.add: %w", err)
	}
	return b.ID, nil
}

// EditBookmark points a bookmark at a new link.
func (p *Poster) EditBookmark(ctx context.Context, inc incident.Incident, id, title, link string) error {
	_, err := p.api.EditBookmarkContext(ctx, string(inc.Channel), id, slack.EditBookmarkParameters{Title: &title, Link: link})
	if code := slackError(err); code == "not_found" || code == "bookmark_not_found" {
		return app.ErrBookmarkGone
	}
	if err != nil {
		return fmt.Errorf("bookmarks.edit: %w", err)
	}
	return nil
}

// User looks a user up with users.info.
func (p *Poster) User(ctx context.Context, _ incident.TeamID, user incident.UserID) (app.SlackUser, error) {
	u, err := p.api.GetUserInfoContext(ctx, string(user))
	if code := slackError(err); code == "user_not_found" || code == "user_not_visible" {
		return app.SlackUser{}, app.ErrUnknownUser
	}
	if err != nil {
		return app.SlackUser{}, fmt.Errorf("users.info: %w", err)
	}
	return app.SlackUser{
		ID: incident.UserID(u.ID), Email: u.Profile.Email,
		Admin: u.IsAdmin || u.IsOwner || u.IsPrimaryOwner, Bot: u.IsBot, Deleted: u.Deleted,
	}, nil
}

// Whisper shows text to one user in a channel.
func (p *Poster) Whisper(ctx context.Context, _ incident.TeamID, ch incident.ChannelID, user incident.UserID, text string) error {
	return p.ephemeral(ctx, ch, user, slackui.Notice(text))
}

// ShowMeeting shows user the meeting's Join link.
func (p *Poster) ShowMeeting(ctx context.Context, inc incident.Incident, user incident.UserID) error {
	return p.ephemeral(ctx, inc.Channel, user, slackui.MeetingEphemeral(inc, ""))
}

func (p *Poster) ephemeral(ctx context.Context, ch incident.ChannelID, user incident.UserID, m slackui.Message) error {
	if _, err := p.api.PostEphemeralContext(ctx, string(ch), string(user), m.Options()...); err != nil {
		return fmt.Errorf("chat.postEphemeral: %w", err)
	}
	return nil
}

// DirectMessage sends text to a user as the app.
func (p *Poster) DirectMessage(ctx context.Context, _ incident.TeamID, user incident.UserID, text string) error {
	return p.post(ctx, incident.ChannelID(user), slackui.Notice(text))
}

// reply answers one person: through the interaction's response_url when
// there is one (it works in channels the bot is not in), else ephemerally
// in the channel, else by direct message.
//
// A direct message stays, so it gets m.Kept (no host start link) when m has
// one.
func (p *Poster) reply(ctx context.Context, to replyTo, m slackui.Message) error {
	var errs []error
	if to.ResponseURL != "" {
		err := slack.PostWebhookCustomHTTPContext(ctx, to.ResponseURL, p.http, &slack.WebhookMessage{
			Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}, ResponseType: slack.ResponseTypeEphemeral,
		})
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("reply via response_url: %w", redactURL(err)))
	}
	if to.Channel != "" {
		err := p.ephemeral(ctx, to.Channel, to.User, m)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if m.Kept != nil {
		m = *m.Kept
	}
	if err := p.post(ctx, incident.ChannelID(to.User), m); err != nil {
		return errors.Join(append(errs, fmt.Errorf("direct message: %w", err))...)
	}
	return nil
}

// redactURL keeps a response_url, which lets anyone post as the app for 30
// minutes, out of an error that will be logged.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s response_url: %w", ue.Op, ue.Err)
	}
	return err
}

// replyTo is where an answer to one person goes.
type replyTo struct {
	Team        incident.TeamID
	User        incident.UserID
	Channel     incident.ChannelID
	ResponseURL string
}
