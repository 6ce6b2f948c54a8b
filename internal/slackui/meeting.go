package slackui

import (
	"slices"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// MeetingAnnouncement is the channel message announcing inc's new meeting:
// who started it (or that it was created automatically, hosted by the
// commander or by the fallback account), the join link and passcode, and a
// Join Zoom Meeting link button. Everyone in the channel sees it, so it
// carries no start URL and no email address.
func MeetingAnnouncement(inc incident.Incident) Message {
	m := inc.Meeting
	if m == nil {
		return Notice(escape(inc.Number.String()) + " has no Zoom meeting.")
	}
	line := ":video_camera: " + announcementLine(inc, *m)
	blocks := []slack.Block{section("announce", line+"\n"+joinDetails(*m))}
	if usableURL(m.JoinURL) {
		blocks = append(blocks, slack.NewActionBlock("announce_actions", linkButton(ActionJoinMeeting, textJoinMeeting, m.JoinURL)))
	}
	return Message{Text: truncate(plainAnnouncement(inc, *m), maxMessageText), Blocks: blocks}
}

// announcementLine says who started the meeting and whose account hosts it.
func announcementLine(inc incident.Incident, m incident.Meeting) string {
	ref := "*" + escape(inc.Ref()) + "*"
	var s string
	switch {
	case m.Trigger == incident.TriggerAutomatic:
		return "A Zoom meeting for " + ref + " was created automatically, hosted by " + hostPhrase(m) + "."
	case m.Trigger == incident.TriggerReplace && m.CreatedBy != "":
		s = mention(string(m.CreatedBy)) + " replaced the Zoom meeting for " + ref + " with a new one."
	case m.Trigger == incident.TriggerReplace:
		s = "The Zoom meeting for " + ref + " was replaced with a new one."
	case m.CreatedBy != "":
		s = mention(string(m.CreatedBy)) + " started a Zoom meeting for " + ref + "."
	default:
		s = "A Zoom meeting was started for " + ref + "."
	}
	if m.HostKind == incident.HostFallback || (m.HostUser != "" && m.HostUser != m.CreatedBy) {
		s += " It is hosted by " + hostPhrase(m) + "."
	}
	return s
}

// hostPhrase names the meeting's host without an email address.
func hostPhrase(m incident.Meeting) string {
	switch {
	case m.HostKind == incident.HostFallback:
		return "the fallback account"
	case m.HostKind == incident.HostCommander && m.HostUser != "":
		return "the commander " + mention(string(m.HostUser))
	case m.HostKind == incident.HostCommander:
		return "the commander"
	case m.HostUser != "":
		return mention(string(m.HostUser))
	}
	return "the person who started it"
}

// plainAnnouncement is the notification text of an announcement.
func plainAnnouncement(inc incident.Incident, m incident.Meeting) string {
	s := "Zoom meeting for " + inc.Ref()
	if m.JoinURL != "" {
		s += ": " + m.JoinURL
	}
	return s
}

// joinDetails is the join link and passcode as mrkdwn lines.
func joinDetails(m incident.Meeting) string {
	s := "*Join:* " + link(m.JoinURL, m.JoinURL)
	if m.JoinURL == "" {
		s = "*Meeting ID:* " + escape(m.ID)
	}
	if m.Passcode != "" {
		s += "\n*Passcode:* " + code(m.Passcode)
	}
	return s
}

// noteStartAsHost explains the Start as host button.
const noteStartAsHost = "Only you can see this; it logs you in as host."

// MeetingEphemeral is the ephemeral message for the person who asked for
// inc's meeting: a Join link button and, when startURL is not empty (they
// host it), a separate Start as host link button in its own actions block
// with a note that only they can see it. startURL is a host credential: send
// this message only with chat.postEphemeral to that person.
func MeetingEphemeral(inc incident.Incident, startURL string) Message {
	m := inc.Meeting
	if m == nil {
		return Notice(escape(inc.Number.String()) + " has no Zoom meeting.")
	}
	blocks := []slack.Block{section("meeting", "Your Zoom meeting for *"+escape(inc.Ref())+"* is ready.\n"+joinDetails(*m))}
	if usableURL(m.JoinURL) {
		blocks = append(blocks, slack.NewActionBlock("meeting_join", linkButton(ActionJoinLink, textJoin, m.JoinURL)))
	}
	text := truncate("Your Zoom meeting for "+inc.Ref()+" is ready.", maxMessageText)
	hostNote := contextLine("meeting_host_note", "You host this meeting; start it from the Zoom app.")
	switch {
	case startURL == "":
		return Message{Text: text, Blocks: blocks}
	case usableURL(startURL):
		kept := Message{Text: text, Blocks: append(slices.Clip(blocks), hostNote)}
		blocks = append(blocks,
			contextLine("meeting_host_note", noteStartAsHost),
			slack.NewActionBlock("meeting_host", linkButton(ActionStartAsHost, textStartAsHost, startURL)))
		return Message{Text: text, Blocks: blocks, Kept: &kept}
	}
	return Message{Text: text, Blocks: append(blocks, hostNote)}
}

// ExistingMeeting answers a second press of Create Zoom Meeting or
// /incident zoom when inc already has a meeting: it says so and offers a
// Join link button.
func ExistingMeeting(inc incident.Incident) Message {
	m := inc.Meeting
	if m == nil {
		return Notice(escape(inc.Number.String()) + " has no Zoom meeting yet.")
	}
	head := escape(inc.Number.String()) + " already has a meeting."
	blocks := []slack.Block{section("existing", head+"\n"+joinDetails(*m))}
	if usableURL(m.JoinURL) {
		blocks = append(blocks, slack.NewActionBlock("existing_join", linkButton(ActionJoinLink, textJoin, m.JoinURL)))
	}
	return Message{Text: inc.Number.String() + " already has a meeting.", Blocks: blocks}
}

// Authorize is the ephemeral answer to /incident zoom connect: an Authorize
// link button to Zoom's consent page at u, valid for 10 minutes and single
// use.
func Authorize(u string) Message {
	text := "Connect a Zoom account: press *Authorize* and approve incident-bridge in Zoom as a Zoom admin. " +
		"The link is valid for 10 minutes, single use; run `/incident zoom connect` again for a new one."
	blocks := []slack.Block{section("authorize", text)}
	if usableURL(u) {
		blocks = append(blocks, slack.NewActionBlock("authorize_actions", linkButton(ActionAuthorize, textAuthorize, u)))
	} else {
		blocks = append(blocks, contextLine("authorize_error", "The authorization link could not be shown; ask an admin to check PUBLIC_URL and ZOOM_OAUTH_URL."))
	}
	return Message{Text: "Authorize incident-bridge in Zoom (link valid for 10 minutes, single use).", Blocks: blocks}
}
