package bot

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/slackui"
)

// settingsSaveBudget bounds the checks a settings submission runs before
// its ack, and modalCheckBudget the commander look-up of the incident
// forms; Slack waits 3 s.
const (
	settingsSaveBudget = 2 * time.Second
	modalCheckBudget   = 2 * time.Second
)

// blockAction routes a button press. Link buttons need nothing but the ack.
func (b *Bot) blockAction(cb slack.InteractionCallback) job {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return job{}
	}
	act := cb.ActionCallback.BlockActions[0]
	team := incident.TeamID(cb.Team.ID)
	user := incident.UserID(cb.User.ID)
	ch := incident.ChannelID(cb.Channel.ID)
	if ch == "" {
		ch = incident.ChannelID(cb.Container.ChannelID)
	}
	to := replyTo{Team: team, User: user, Channel: ch, ResponseURL: cb.ResponseURL}
	switch act.ActionID {
	case slackui.ActionCreateMeeting:
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				return b.meeting(ctx, to, incident.TriggerOneClick)
			})
		}}
	case slackui.ActionEdit:
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				return slackui.Message{}, b.openEdit(ctx, team, ch, cb.TriggerID)
			})
		}}
	case slackui.ActionResolve:
		return job{run: func(ctx context.Context, _ func(any)) {
			b.answer(ctx, to, func(ctx context.Context) (slackui.Message, error) {
				res, err := b.app.Resolve(ctx, team, ch, user)
				if err == nil && len(res.Changes) == 0 {
					return slackui.Notice(res.Incident.Number.String() + " is already resolved."), nil
				}
				return slackui.Message{}, err
			})
		}}
	}
	return job{} // link buttons (Join, Start as host, Authorize)
}

// viewSubmission routes a submitted modal. Field problems found without I/O
// go back in the ack (response_action: errors) and nothing is saved.
func (b *Bot) viewSubmission(cb slack.InteractionCallback) job {
	team := incident.TeamID(cb.Team.ID)
	user := incident.UserID(cb.User.ID)
	switch cb.View.CallbackID {
	case slackui.CallbackDeclare:
		form, errs := slackui.ParseDeclare(cb.View)
		if len(errs) > 0 {
			return job{ack: viewErrors(errs)}
		}
		from := decodeOrigin(cb.View.PrivateMetadata)
		// A commander who cannot command belongs on the field, with the
		// form still open, so this ack waits for the look-up (bounded).
		return job{ackLater: true, run: func(ctx context.Context, ack func(any)) {
			if fe := b.modalCheck(ctx, func(ctx context.Context) error {
				if form.Commander == user {
					return nil // the person submitting is active and no bot
				}
				return b.app.CheckCommander(ctx, team, form.Commander)
			}); fe != nil {
				ack(viewErrors(fe))
				return
			}
			ack(nil)
			inc, err := b.app.Declare(ctx, app.DeclareRequest{
				Team: team, User: user, Title: form.Title, Description: form.Description,
				Severity: form.Severity, Commander: form.Commander, CustomerImpact: form.CustomerImpact,
			})
			to := from.replyTo(team, user)
			if err != nil {
				b.replyQuietly(ctx, to, b.errorMessage(ctx, err))
				return
			}
			if from.Channel != inc.Channel {
				b.replyQuietly(ctx, to, slackui.Notice("Declared "+inc.Ref()+" in <#"+string(inc.Channel)+">."))
			}
		}}
	case slackui.CallbackEdit:
		edit, errs := slackui.ParseEdit(cb.View)
		if len(errs) > 0 {
			return job{ack: viewErrors(errs)}
		}
		ch := incident.ChannelID(cb.View.PrivateMetadata)
		r := app.ChangeRequest{Team: team, Channel: ch, User: user, Edit: edit}
		return job{ackLater: true, run: func(ctx context.Context, ack func(any)) {
			if fe := b.modalCheck(ctx, func(ctx context.Context) error { return b.app.CheckChange(ctx, r) }); fe != nil {
				ack(viewErrors(fe))
				return
			}
			ack(nil)
			if _, err := b.app.Change(ctx, r); err != nil {
				b.replyQuietly(ctx, replyTo{Team: team, User: user, Channel: ch}, b.errorMessage(ctx, err))
			}
		}}
	case slackui.CallbackSettings:
		s, errs := slackui.ParseSettings(cb.View)
		if len(errs) > 0 {
			return job{ack: viewErrors(errs)}
		}
		from := decodeOrigin(cb.View.PrivateMetadata)
		// Saving checks the fallback email with Zoom, and its problems
		// belong on the field, so this ack waits for the save (bounded).
		return job{ackLater: true, run: func(ctx context.Context, ack func(any)) {
			sctx, cancel := context.WithTimeout(ctx, settingsSaveBudget)
			defer cancel()
			err := b.app.SaveSettings(sctx, team, user, s)
			var fe incident.FieldErrors
			var p *incident.Problem
			switch {
			case err == nil:
				ack(nil)
				if from.Channel != "" || from.ResponseURL != "" {
					b.replyQuietly(ctx, from.replyTo(team, user), slackui.Notice("Settings saved. `/incident zoom status` shows them."))
				}
			case errors.As(err, &fe):
				ack(viewErrors(fe))
			case errors.As(err, &p):
				ack(viewErrors(incident.FieldErrors{{Field: incident.SettingFallbackEmail, Msg: p.Msg}}))
			default:
				m := b.errorMessage(ctx, err)
				ack(viewErrors(incident.FieldErrors{{Field: incident.SettingFallbackEmail, Msg: "Not saved: " + m.Text}}))
			}
		}}
	}
	return job{}
}

// modalCheck runs a check that needs a look-up before a modal's ack,
// within modalCheckBudget, and returns the problems it found on the form's
// fields. A check that fails or runs out of time finds none: the use case
// checks again and answers the person after the modal closed.
func (b *Bot) modalCheck(ctx context.Context, check func(context.Context) error) incident.FieldErrors {
	cctx, cancel := context.WithTimeout(ctx, modalCheckBudget)
	defer cancel()
	var fe incident.FieldErrors
	if err := check(cctx); errors.As(err, &fe) {
		return fe
	} else if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("modal check did not finish; the submission goes on")
	}
	return nil
}

// replyQuietly replies and logs a failure to do so.
func (b *Bot) replyQuietly(ctx context.Context, to replyTo, m slackui.Message) {
	if err := b.poster.reply(ctx, to, m); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("reply to user failed")
	}
}

// viewErrors is the view_submission ack that shows errs on their fields.
func viewErrors(errs incident.FieldErrors) any {
	return slack.NewErrorsViewSubmissionResponse(slackui.ViewErrors(errs))
}
