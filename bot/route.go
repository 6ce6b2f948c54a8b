package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/slackui"
)

// route parses an envelope into a job. It does no I/O.
func (b *Bot) route(evt socketmode.Event) job {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return job{}
		}
		return b.command(cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return job{}
		}
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			return b.blockAction(cb)
		case slack.InteractionTypeViewSubmission:
			return b.viewSubmission(cb)
		}
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return job{}
		}
		return b.event(ev, evt.Request)
	}
	return job{}
}

// answer runs fn and replies to the person with what it returns, or with
// the error in plain words.
func (b *Bot) answer(ctx context.Context, to replyTo, fn func(context.Context) (slackui.Message, error)) {
	m, err := fn(ctx)
	if err != nil {
		m = b.errorMessage(ctx, err)
	}
	if m.Text == "" && len(m.Blocks) == 0 {
		return
	}
	if err := b.poster.reply(ctx, to, m); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("reply to user failed")
	}
}

// errorMessage shows a *Problem as written; anything else becomes
// "Something went wrong (ref …)" with the full error logged under the ref.
func (b *Bot) errorMessage(ctx context.Context, err error) slackui.Message {
	var p *incident.Problem
	if errors.As(err, &p) {
		var pe *app.ProblemError
		if errors.As(err, &pe) && pe.Cause != nil {
			zerolog.Ctx(ctx).Warn().Err(pe.Cause).Msg(p.Msg)
		}
		return slackui.Notice(p.Msg)
	}
	var fe incident.FieldErrors
	if errors.As(err, &fe) {
		msg := ""
		for _, e := range fe {
			msg += e.Msg + "\n"
		}
		return slackui.Notice(msg)
	}
	ref := fmt.Sprintf("%04x", rand.IntN(1<<16))
	zerolog.Ctx(ctx).Error().Err(err).Str("ref", ref).Msg("request failed")
	return slackui.Notice(fmt.Sprintf("Something went wrong (ref %s). Try again; if it keeps failing, an admin can look up ref %s in the app's logs.", ref, ref))
}

// envelopeID digs the envelope ID out of a raw Socket Mode message.
func envelopeID(raw json.RawMessage) string {
	var m struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	return m.EnvelopeID
}
