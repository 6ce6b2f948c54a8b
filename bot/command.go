package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/slackui"
)

// Usage lines for field commands given without a value.
const (
	usageSeverity  = "Give a level: `/incident severity SEV-1`. Levels are SEV-1, SEV-2, SEV-3, SEV-4 and SEV-5 (sev1, Sev-1 and 1 work too)."
	usageStatus    = "Give a status: `/incident status stable`. Statuses are active, stable and resolved."
	usageImpact    = "Say whether customers are affected: `/incident impact yes` or `/incident impact no`."
	usageCommander = "Name the commander with a mention: `/incident commander @ann` (type @ and pick the person, so Slack turns the name into a link). `/incident commander me` makes you the commander; `/incident commander none` clears it."
)

// command routes `/incident <text>`. Problems found by parsing alone are
// answered in the ack and change nothing; everything else acks empty and
// answers when the work is done.
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
			return b.change(ctx, app.ChangeRequest{Team: team, Channel: ch, User: user, Edit: e})
		})
	}

	switch verb {
	case "", "help":
		return job{ack: helpAck}
	case "declare":
		title := plainText(rest)
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				_, err := b.api.OpenViewContext(ctx, cmd.TriggerID, slackui.DeclareModal(title, origin{Channel: ch, ResponseURL: cmd.ResponseURL}.encode()))
				return slackui.Message{}, wrapSlack("open declare modal", err)
			})
		}}
	case "adopt":
		title := plainText(rest)
		if title != "" {
			if err := incident.ValidateTitle(title); err != nil {
				return job{ack: ackText(err.Error())}
			}
		}
		return work(func(ctx context.Context) (slackui.Message, error) {
			inc, err := b.app.Adopt(ctx, app.AdoptRequest{Team: team, User: user, Channel: ch, Title: title})
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
		if rest == "" {
			return job{ack: ackText(usageSeverity)}
		}
		sev, err := incident.ParseSeverity(plainText(rest))
		if err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{Severity: &sev})
	case "status":
		if rest == "" {
			return job{ack: ackText(usageStatus)}
		}
		st, err := incident.ParseStatus(plainText(rest))
		if err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{Status: &st})
	case "commander", "ic":
		return b.commander(cmd, to, rest)
	case "title":
		title := plainText(rest)
		if err := incident.ValidateTitle(title); err != nil {
			return job{ack: ackText(err.Error())}
		}
		return change(incident.Edit{Title: &title})
	case "impact":
		if rest == "" {
			return job{ack: ackText(usageImpact)}
		}
		yes, err := incident.ParseImpact(plainText(rest))
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
				return slackui.Message{}, b.openSettings(ctx, team, user, cmd.TriggerID, origin{Channel: ch, ResponseURL: cmd.ResponseURL})
			})
		}}
	}
	return job{ack: ackMessage(unknown(verb))}
}

// change applies one command's edit. The channel line tells everyone what
// changed, so a change needs no private answer; an edit that changes
// nothing says so.
func (b *Bot) change(ctx context.Context, r app.ChangeRequest) (slackui.Message, error) {
	res, err := b.app.Change(ctx, r)
	if err != nil {
		return slackui.Message{}, err
	}
	if len(res.Changes) == 0 {
		return slackui.Notice(unchangedText(res.Incident, r.Edit)), nil
	}
	return slackui.Message{}, nil
}

// unchangedText tells the person that their edit changed nothing.
func unchangedText(inc incident.Incident, e incident.Edit) string {
	n := inc.Number.String()
	switch {
	case e.Status != nil && *e.Status == incident.StatusResolved:
		return n + " is already resolved."
	case e.Severity != nil:
		return fmt.Sprintf("%s's severity is already %s; nothing changed.", n, inc.Severity)
	case e.Status != nil:
		return fmt.Sprintf("%s's status is already %s; nothing changed.", n, inc.Status)
	case e.Commander != nil && inc.Commander == "":
		return n + " has no commander; nothing changed."
	case e.Commander != nil:
		return fmt.Sprintf("<@%s> is already the commander of %s; nothing changed.", inc.Commander, n)
	case e.CustomerImpact != nil:
		return fmt.Sprintf("%s's customer impact is already %s; nothing changed.", n, incident.YesNo(inc.CustomerImpact))
	case e.Title != nil:
		return n + " already has that title; nothing changed."
	}
	return n + " already has those values; nothing changed."
}

// commander routes `/incident commander …`: a mention (<@U123|ann>, which
// Slack sends when it escapes the text), a user ID, "me", "none", or a plain
// @name, which is looked up when it is not the caller's own.
func (b *Bot) commander(cmd slack.SlashCommand, to replyTo, rest string) job {
	set := func(resolve func(context.Context) (incident.UserID, error)) job {
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				u, err := resolve(ctx)
				if err != nil {
					return slackui.Message{}, err
				}
				return b.change(ctx, app.ChangeRequest{Team: to.Team, Channel: to.Channel, User: to.User, Edit: incident.Edit{Commander: &u}})
			})
		}}
	}
	fixed := func(u incident.UserID) job {
		return set(func(context.Context) (incident.UserID, error) { return u, nil })
	}
	if u, ok := parseUser(rest); ok {
		return fixed(u)
	}
	name, ok := plainName(rest)
	switch {
	case rest == "" || !ok:
		return job{ack: ackText(usageCommander)}
	case name == "me" || name == "myself":
		return fixed(to.User)
	case name == "none" || name == "nobody":
		return fixed("")
	case cmd.UserName != "" && strings.EqualFold(name, cmd.UserName):
		return fixed(to.User)
	}
	return set(func(ctx context.Context) (incident.UserID, error) { return b.lookupName(ctx, name) })
}

// maxUserPages bounds users.list when resolving a plain @name: 20 pages of
// 200 people.
const maxUserPages = 20

// lookupName finds the one active person whose handle or display name is
// name (users.list, which needs only users:read). When the lookup fails, or
// finds nobody or several people, the *Problem says how to mention instead.
func (b *Bot) lookupName(ctx context.Context, name string) (incident.UserID, error) {
	var found []incident.UserID
	p := b.api.GetUsersPaginated(slack.GetUsersOptionLimit(200), slack.GetUsersOptionIncludeLocale(false))
	for range maxUserPages {
		var err error
		p, err = p.Next(ctx)
		if p.Done(err) {
			break
		}
		if err != nil {
			return "", &app.ProblemError{Cause: fmt.Errorf("users.list: %w", err), Problem: incident.Problemf(
				"I couldn't look up @%s: Slack sent the name as plain text, not as a mention. Mention the commander instead: type @, pick the person from Slack's list, and send `/incident commander @name` with the name shown as a link.", name)}
		}
		for _, u := range p.Users {
			if !u.Deleted && matchesName(u, name) {
				found = append(found, incident.UserID(u.ID))
			}
		}
	}
	switch len(found) {
	case 0:
		return "", incident.Problemf("Nobody in this workspace is called @%s. Mention the commander instead: type @ and pick the person from Slack's list, e.g. `/incident commander @ann`.", name)
	case 1:
		return found[0], nil
	}
	var mentions []string
	for _, u := range found {
		mentions = append(mentions, "<@"+string(u)+">")
	}
	return "", incident.Problemf("Several people are called @%s (%s). Mention the one you mean: type @ and pick them from Slack's list.", name, strings.Join(mentions, ", "))
}

// matchesName reports whether u's handle or display name is name.
func matchesName(u slack.User, name string) bool {
	for _, n := range []string{u.Name, u.Profile.DisplayName, u.Profile.DisplayNameNormalized} {
		if n != "" && strings.EqualFold(n, name) {
			return true
		}
	}
	return false
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
func (b *Bot) openSettings(ctx context.Context, team incident.TeamID, user incident.UserID, trigger string, from origin) error {
	s, err := b.app.SettingsFor(ctx, team, user)
	if err != nil {
		return err
	}
	_, err = b.api.OpenViewContext(ctx, trigger, slackui.SettingsModal(s, from.encode()))
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

var nameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._'-]*$`)

// plainName reads a name Slack did not turn into a mention: "@ann" or
// "ann", lower-cased; ok is false for anything else (several words,
// markup).
func plainName(text string) (string, bool) {
	name := strings.TrimPrefix(strings.TrimSpace(text), "@")
	if !nameRE.MatchString(name) {
		return "", false
	}
	return strings.ToLower(name), true
}

// slackMarkupRE matches Slack's escaped references in command text:
// <@U123|ann>, <#C123|general>, <!here>, <!subteam^S1|@team>, <https://x|label>.
var slackMarkupRE = regexp.MustCompile(`<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>`)

// plainText turns slash-command text as Slack sends it (with should_escape:
// &, < and > as entities, mentions and links in angle brackets) into the
// plain text the person typed: "@ann", "#general", "@here", a link's label.
// Incident titles are stored plain; slackui escapes them where they are
// shown as mrkdwn.
func plainText(text string) string {
	text = slackMarkupRE.ReplaceAllStringFunc(text, func(m string) string {
		p := slackMarkupRE.FindStringSubmatch(m)
		kind, ref, label := p[1], p[2], p[3]
		switch kind {
		case "@":
			if label != "" {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return "@" + ref
		case "#":
			if label != "" {
				return "#" + label
			}
			return "#" + ref
		case "!":
			if label != "" {
				return label
			}
			ref, _, _ = strings.Cut(ref, "^")
			return "@" + ref
		}
		if label != "" {
			return label
		}
		return strings.TrimPrefix(ref, "mailto:")
	})
	return strings.TrimSpace(entityReplacer.Replace(text))
}

var entityReplacer = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unknown(verb string) slackui.Message {
	help := slackui.Help()
	return slackui.Message{
		Text:   "Unknown command `" + verb + "`. " + help.Text,
		Blocks: append([]slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Unknown command `"+verb+"`. Here is what `/incident` does:", false, false), nil, nil)}, help.Blocks...),
	}
}

// ackText is a slash-command ack that shows text to the user only.
func ackText(text string) any { return ackMessage(slackui.Notice(text)) }

// helpAck is the help's ack, encoded once: it is the most common answer,
// 1.9 KB of blocks that would otherwise be marshalled on the ack path of
// every /incident help.
var helpAck = func() json.RawMessage {
	b, err := json.Marshal(ackMessage(slackui.Help()))
	if err != nil {
		panic(fmt.Sprintf("encode help: %v", err)) // a wiring mistake: Help is static
	}
	return b
}()

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
