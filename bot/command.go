package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/slackui"
)

// command routes `/incident <text>`. Parse errors are answered in the ack;
// everything else acks empty and answers when the work is done.
func (b *Bot) command(cmd slack.SlashCommand) job {
	team := incident.TeamID(cmd.TeamID)
	user := incident.UserID(cmd.UserID)
	ch := incident.ChannelID(cmd.ChannelID)
	to := replyTo{Team: team, User: user, Channel: ch, ResponseURL: cmd.ResponseURL}
	verb, rest := cutWord(cmd.Text)

	work := func(fn func(context.Context) (slackui.Message, error)) job {
		return job{run: func(ctx context.Context, _ func(any)) { b.answer(ctx, to, fn) }}
	}
	change := func(e incident.Edit) job {
		return work(func(ctx context.Context) (slackui.Message, error) {
			res, err := b.app.Change(ctx, app.ChangeRequest{Team: team, Channel: ch, User: user, Edit: e})
			if err != nil {
				return slackui.Message{}, err
			}
			if len(res.Changes) == 0 {
				return slackui.Notice(res.Incident.Number.String() + " already has that value; nothing changed."), nil
			}
			return slackui.Message{}, nil // the channel line says it
		})
	}

	switch verb {
	case "", "help":
		return job{ack: ackMessage(slackui.Help())}
	case "declare":
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				_, err := b.api.OpenViewContext(ctx, cmd.TriggerID, slackui.DeclareModal(rest, string(ch)))
				return slackui.Message{}, wrapSlack("open declare modal", err)
			})
		}}
	case "adopt":
		return work(func(ctx context.Context) (slackui.Message, error) {
			inc, err := b.app.Adopt(ctx, app.AdoptRequest{Team: team, User: user, Channel: ch, Title: rest})
			if err != nil {
				return slackui.Message{}, err
			}
			return slackui.Notice("This channel is now " + inc.Ref() + ". The header is pinned; `/incident help` lists what you can do."), nil
		})
	case "list":
		return work(func(ctx context.Context) (slackui.Message, error) {
			incs, err := b.app.List(ctx, team)
			if err != nil {
				return slackui.Message{}, err
			}
			return slackui.List(incs), nil
		})
	case "severity", "sev":
		sev, err := incident.ParseSeverity(rest)
		if err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{Severity: &sev})
	case "status":
		st, err := incident.ParseStatus(rest)
		if err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{Status: &st})
	case "commander", "ic":
		u, ok := parseUser(rest)
		if !ok {
			return job{ack: ackText("Name the commander with a mention, e.g. `/incident commander @ann` (Slack turns @ann into a link).")}
		}
		return change(incident.Edit{Commander: &u})
	case "title":
		if err := incident.ValidateTitle(rest); err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{Title: &rest})
	case "impact":
		yes, err := incident.ParseImpact(rest)
		if err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{CustomerImpact: &yes})
	case "resolve":
		resolved := incident.StatusResolved
		return change(incident.Edit{Status: &resolved})
	case "edit":
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				return slackui.Message{}, b.openEdit(ctx, team, ch, cmd.TriggerID)
			})
		}}
	case "zoom":
		return b.zoomCommand(cmd, to, rest)
	case "settings":
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				return slackui.Message{}, b.openSettings(ctx, team, user, cmd.TriggerID)
			})
		}}
	}
	return job{ack: ackMessage(unknown(verb))}
}

// zoomCommand routes `/incident zoom …`.
func (b *Bot) zoomCommand(cmd slack.SlashCommand, to replyTo, rest string) job {
	sub, _ := cutWord(rest)
	work := func(fn func(context.Context) (slackui.Message, error)) job {
		return job{run: func(ctx context.Context, _ func(any)) { b.answer(ctx, to, fn) }}
	}
	switch sub {
	case "":
		return work(func(ctx context.Context) (slackui.Message, error) {
			return b.meeting(ctx, to, incident.TriggerOneClick)
		})
	case "new":
		return work(func(ctx context.Context) (slackui.Message, error) {
			return b.meeting(ctx, to, incident.TriggerReplace)
		})
	case "connect":
		return work(func(ctx context.Context) (slackui.Message, error) {
			u, err := b.app.ConnectZoom(ctx, to.Team, to.User)
			if err != nil {
				return slackui.Message{}, err
			}
			return slackui.Authorize(u), nil
		})
	case "disconnect":
		return work(func(ctx context.Context) (slackui.Message, error) {
			if err := b.app.DisconnectZoom(ctx, to.Team, to.User); err != nil {
				return slackui.Message{}, err
			}
			return slackui.Notice("Zoom is disconnected: the token was revoked at Zoom and deleted here. Connect again with `/incident zoom connect`."), nil
		})
	case "status":
		return work(func(ctx context.Context) (slackui.Message, error) {
			st, err := b.app.ZoomStatus(ctx, to.Team)
			if err != nil {
				return slackui.Message{}, err
			}
			return slackui.Notice(statusText(st)), nil
		})
	}
	return job{ack: ackText("Unknown `/incident zoom " + sub + "`. Use `/incident zoom`, `zoom new`, `zoom connect`, `zoom disconnect` or `zoom status`.")}
}

// meeting creates or shows the channel's meeting for the person who asked.
func (b *Bot) meeting(ctx context.Context, to replyTo, trigger incident.Trigger) (slackui.Message, error) {
	res, err := b.app.EnsureMeeting(ctx, app.MeetingRequest{Team: to.Team, Channel: to.Channel, User: to.User, Trigger: trigger})
	if err != nil {
		return slackui.Message{}, err
	}
	if res.Existing {
		return slackui.ExistingMeeting(res.Incident), nil
	}
	return slackui.MeetingEphemeral(res.Incident, res.StartURL), nil
}

// openEdit opens the edit modal for the channel's incident.
func (b *Bot) openEdit(ctx context.Context, team incident.TeamID, ch incident.ChannelID, trigger string) error {
	inc, err := b.app.IncidentIn(ctx, team, ch)
	if err != nil {
		return err
	}
	_, err = b.api.OpenViewContext(ctx, trigger, slackui.EditModal(inc, string(ch)))
	return wrapSlack("open edit modal", err)
}

// openSettings opens the settings modal for an admin.
func (b *Bot) openSettings(ctx context.Context, team incident.TeamID, user incident.UserID, trigger string) error {
	s, err := b.app.SettingsFor(ctx, team, user)
	if err != nil {
		return err
	}
	_, err = b.api.OpenViewContext(ctx, trigger, slackui.SettingsModal(s, ""))
	return wrapSlack("open settings modal", err)
}

// cutWord splits off the first word, lower-cased, and the trimmed rest.
func cutWord(text string) (string, string) {
	text = strings.TrimSpace(text)
	word, rest, _ := strings.Cut(text, " ")
	return strings.ToLower(word), strings.TrimSpace(rest)
}

var mentionRE = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
var userIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// parseUser accepts <@U123|name>, <@U123> and a bare user ID.
func parseUser(text string) (incident.UserID, bool) {
	text = strings.TrimSpace(text)
	if m := mentionRE.FindStringSubmatch(text); m != nil {
		return incident.UserID(m[1]), true
	}
	if userIDRE.MatchString(text) {
		return incident.UserID(text), true
	}
	return "", false
}

func unknown(verb string) slackui.Message {
	help := slackui.Help()
	return slackui.Message{
		Text:   "Unknown command `" + verb + "`. " + help.Text,
		Blocks: append([]slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Unknown command `"+verb+"`. Here is what `/incident` does:", false, false), nil, nil)}, help.Blocks...),
	}
}

// ackText is a slash-command ack that shows text to the user only.
func ackText(text string) any { return ackMessage(slackui.Notice(text)) }

// ackMessage is a slash-command ack that shows m to the user only.
func ackMessage(m slackui.Message) any {
	return map[string]any{"response_type": "ephemeral", "text": m.Text, "blocks": m.Blocks}
}

func wrapSlack(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
