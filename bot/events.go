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
// acted on once per workspace and event_id, remembered in the store across
// restarts. The ack goes out at once; the work follows.
func (b *Bot) event(ev slackevents.EventsAPIEvent, req *socketmode.Request) job {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" {
		return job{}
	}
	team := incident.TeamID(ev.TeamID)
	var (
		act  func(context.Context) error
		ch   string
		user string
	)
	// channelEvent acts on channel id with one of the app's channel
	// use cases.
	channelEvent := func(id string, fn func(context.Context, incident.TeamID, incident.ChannelID) error) {
		ch = id
		act = func(ctx context.Context) error { return fn(ctx, team, incident.ChannelID(id)) }
	}
	renamed := func(id, name string) {
		channelEvent(id, func(ctx context.Context, team incident.TeamID, ch incident.ChannelID) error {
			return b.app.ChannelRenamed(ctx, team, ch, name)
		})
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.MemberJoinedChannelEvent:
		ch, user = e.Channel, e.User
		act = func(ctx context.Context) error {
			return b.app.MemberJoined(ctx, team, incident.ChannelID(e.Channel), incident.UserID(e.User))
		}
	case *slackevents.ChannelRenameEvent:
		renamed(e.Channel.ID, e.Channel.Name)
	case *slackevents.GroupRenameEvent:
		renamed(e.Channel.ID, e.Channel.Name)
	case *slackevents.ChannelArchiveEvent:
		channelEvent(e.Channel, b.app.ChannelArchived)
	case *slackevents.GroupArchiveEvent:
		channelEvent(e.Channel, b.app.ChannelArchived)
	case *slackevents.ChannelUnarchiveEvent:
		channelEvent(e.Channel, b.app.ChannelUnarchived)
	case *slackevents.GroupUnarchiveEvent:
		channelEvent(e.Channel, b.app.ChannelUnarchived)
	default:
		return job{}
	}
	eventID := cb.EventID
	retry := 0
	if req != nil {
		retry = req.RetryAttempt
	}
	return job{run: func(ctx context.Context, _ func(any)) {
		log := zerolog.Ctx(ctx).With().Str("event_id", eventID).Str("event", ev.InnerEvent.Type).
			Str("channel", ch).Str("user", user).Int("retry_attempt", retry).Logger()
		// Event IDs are unique across Slack, but keying by team as well
		// keeps one workspace's deliveries from ever shadowing another's.
		first, err := b.app.FirstDelivery(ctx, string(team)+"/"+eventID)
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
			return
		}
		log.Debug().Msg("event handled")
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
	case !st.Configured:
		sb.WriteString("*Zoom:* not configured — whoever runs incident-bridge must set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (and ZOOM_ACCOUNT_ID for Server-to-Server OAuth).\n")
	case !st.Connected && !st.Install:
		sb.WriteString("*Zoom:* Server-to-Server OAuth credentials refused by Zoom — whoever runs incident-bridge must check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET.\n")
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
