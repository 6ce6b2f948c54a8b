package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// event routes an Events API event. Slack redelivers events, so each is
// acted on once per event_id, remembered in the store across restarts.
func (b *Bot) event(ev slackevents.EventsAPIEvent, req *socketmode.Request) job {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return job{}
	}
	team := incident.TeamID(ev.TeamID)
	var act func(context.Context) error
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.MemberJoinedChannelEvent:
		act = func(ctx context.Context) error {
			return b.app.MemberJoined(ctx, team, incident.ChannelID(e.Channel), incident.UserID(e.User))
		}
	case *slackevents.ChannelRenameEvent:
		act = func(ctx context.Context) error {
			return b.app.ChannelRenamed(ctx, team, incident.ChannelID(e.Channel.ID), e.Channel.Name)
		}
	case *slackevents.GroupRenameEvent:
		act = func(ctx context.Context) error {
			return b.app.ChannelRenamed(ctx, team, incident.ChannelID(e.Channel.ID), e.Channel.Name)
		}
	case *slackevents.ChannelArchiveEvent:
		act = func(ctx context.Context) error {
			return b.app.ChannelArchived(ctx, team, incident.ChannelID(e.Channel))
		}
	case *slackevents.GroupArchiveEvent:
		act = func(ctx context.Context) error {
			return b.app.ChannelArchived(ctx, team, incident.ChannelID(e.Channel))
		}
	default:
		return job{}
	}
	eventID := cb.EventID
	return job{run: func(ctx context.Context, _ func(any)) {
		log := zerolog.Ctx(ctx).With().Str("event_id", eventID).Str("event", ev.InnerEvent.Type).Int("retry_attempt", req.RetryAttempt).Logger()
		first, err := b.app.FirstDelivery(ctx, eventID)
		if err != nil {
			log.Error().Err(err).Msg("event dedupe failed")
			return
		}
		if !first {
			log.Info().Msg("duplicate event ignored")
			return
		}
		if err := act(ctx); err != nil {
			log.Error().Err(err).Msg("event handling failed")
		}
	}}
}

// statusText renders `/incident zoom status`.
func statusText(st app.ZoomStatus) string {
	var sb strings.Builder
	mode := "Server-to-Server OAuth"
	if st.Install {
		mode = "installed by an admin (OAuth)"
	}
	switch {
	case st.Broken:
		fmt.Fprintf(&sb, "*Zoom:* authorisation refused by Zoom — an admin must reconnect with `/incident zoom connect`. (%s)\n", mode)
	case st.Connected:
		fmt.Fprintf(&sb, "*Zoom:* connected (%s)", mode)
		if st.ConnectedBy != "" {
			fmt.Fprintf(&sb, " by <@%s>", st.ConnectedBy)
		}
		sb.WriteString("\n")
	default:
		sb.WriteString("*Zoom:* not connected — an admin can connect it with `/incident zoom connect`.\n")
	}
	if st.Detail != "" {
		sb.WriteString(st.Detail + "\n")
	}
	s := st.Settings
	fmt.Fprintf(&sb, "*Enable Zoom meeting creation:* %s\n", onOff(s.ZoomEnabled))
	fmt.Fprintf(&sb, "*Automatically create Zoom meetings:* %s", onOff(s.AutoCreate))
	if s.AutoCreate {
		fmt.Fprintf(&sb, " (%s)", criteriaText(s.Criteria))
	}
	sb.WriteString("\n")
	fallback := "none"
	if s.FallbackEmail != "" {
		fallback = s.FallbackEmail
	}
	fmt.Fprintf(&sb, "*Fallback user account:* %s; *Always use this account as the meeting host:* %s\n", fallback, onOff(s.AlwaysUseFallback))
	fmt.Fprintf(&sb, "*Let participants join before the host:* %s; *Waiting room:* %s; *Automatic recording:* %s\n", onOff(s.JoinBeforeHost), onOff(s.WaitingRoom), s.Recording)
	fmt.Fprintf(&sb, "*Bookmarks:* %s; *Incident channel prefix:* `%s`", onOff(s.Bookmarks), s.ChannelPrefix)
	return sb.String()
}

func criteriaText(c incident.Criteria) string {
	var parts []string
	if len(c.Severities) > 0 {
		var s []string
		for _, v := range c.Severities {
			s = append(s, v.String())
		}
		parts = append(parts, "severity "+strings.Join(s, " or "))
	}
	if len(c.Statuses) > 0 {
		var s []string
		for _, v := range c.Statuses {
			s = append(s, v.String())
		}
		parts = append(parts, "status "+strings.Join(s, " or "))
	}
	if c.RequireCustomerImpact {
		parts = append(parts, "customer impact")
	}
	if len(parts) == 0 {
		return "any change"
	}
	return strings.Join(parts, " and ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
