package slackui

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Button texts people press, part of the contract (SPEC §4, §5.1).
const (
	textCreateMeeting = "Create Zoom Meeting"
	textJoinMeeting   = "Join Zoom Meeting"
	textEdit          = "Edit"
	textResolve       = "Resolve"
	textJoin          = "Join"
	textStartAsHost   = "Start as host"
	textAuthorize     = "Authorize"
)

// Header renders the incident header, the pinned message at the top of the
// incident channel that is updated in place on every change: number and
// title, severity, status, commander, customer impact, meeting (join link and
// passcode) and who declared it when. Its buttons are Create Zoom Meeting
// (only when zoomEnabled and there is no meeting) or the Join Zoom Meeting
// link button once a meeting exists, Edit, and Resolve until resolved. It
// never contains a host start URL: the header is for everyone in the channel.
//
// Block IDs carry a revision derived from what is shown, so every update that
// changes the header also changes its block IDs, as Slack asks.
func Header(inc incident.Incident, zoomEnabled bool) Message {
	rev := headerRevision(inc, zoomEnabled)
	id := func(name string) string { return "header_" + name + "." + rev }

	fields := []*slack.TextBlockObject{
		mrkdwn("*Severity*\n" + inc.Severity.String()),
		mrkdwn("*Status*\n" + inc.Status.String()),
		mrkdwn("*Commander*\n" + mention(string(inc.Commander))),
		mrkdwn("*Customer impact*\n" + incident.YesNo(inc.CustomerImpact)),
		mrkdwn(truncate("*Meeting*\n"+meetingSummary(inc.Meeting), maxFieldText)),
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(truncate(inc.Ref(), maxHeaderText)), slack.HeaderBlockOptionBlockID(id("title"))),
		slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID(id("fields"))),
	}
	if inc.Description != "" {
		blocks = append(blocks, section(id("description"), escapeTruncate(inc.Description, maxSectionText)))
	}
	blocks = append(blocks, contextLine(id("declared"), declaredLine(inc)))

	value := strconv.FormatInt(int64(inc.Number), 10)
	var buttons []slack.BlockElement
	switch {
	case inc.Meeting != nil && usableURL(inc.Meeting.JoinURL):
		buttons = append(buttons, linkButton(ActionJoinMeeting, textJoinMeeting, inc.Meeting.JoinURL))
	case inc.Meeting == nil && zoomEnabled:
		buttons = append(buttons, button(ActionCreateMeeting, textCreateMeeting, value).WithStyle(slack.StylePrimary))
	}
	buttons = append(buttons, button(ActionEdit, textEdit, value))
	if inc.Open() {
		buttons = append(buttons, button(ActionResolve, textResolve, value))
	}
	blocks = append(blocks, slack.NewActionBlock(id("actions"), buttons...))

	text := fmt.Sprintf("%s (%s, %s)", inc.Ref(), inc.Severity, inc.Status)
	return Message{Text: truncate(text, maxMessageText), Blocks: blocks}
}

// meetingSummary is the meeting as shown in the header: join link and
// passcode, or "none".
func meetingSummary(m *incident.Meeting) string {
	if m == nil {
		return "none"
	}
	s := link(m.JoinURL, m.JoinURL)
	if m.JoinURL == "" {
		s = "Zoom meeting " + escape(m.ID)
	}
	if m.Passcode != "" {
		s += "\nPasscode: " + code(m.Passcode)
	}
	return s
}

// code renders s as inline code. Backticks cannot be escaped in mrkdwn, so
// they are replaced.
func code(s string) string {
	r := []rune(escape(s))
	for i, c := range r {
		if c == '`' {
			r[i] = '\''
		}
	}
	return "`" + string(r) + "`"
}

// declaredLine says who declared the incident and when, the time in each
// reader's own time zone.
func declaredLine(inc incident.Incident) string {
	s := "Declared"
	if inc.DeclaredBy != "" {
		s += " by " + mention(string(inc.DeclaredBy))
	}
	if !inc.DeclaredAt.IsZero() {
		s += " " + slackDate(inc.DeclaredAt)
	}
	return s
}

// slackDate renders t with Slack's date formatting, which shows each reader
// their local time; the fallback is UTC.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// headerRevision fingerprints what Header shows, for its block IDs.
func headerRevision(inc incident.Incident, zoomEnabled bool) string {
	h := fnv.New32a()
	// fmt into a hash cannot fail.
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%d\x00%d\x00%s\x00%t\x00%s\x00%d\x00%t", inc.Number, inc.Title, inc.Description,
		inc.Severity, inc.Status, inc.Commander, inc.CustomerImpact, inc.DeclaredBy, inc.DeclaredAt.Unix(), zoomEnabled)
	if m := inc.Meeting; m != nil {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%s", m.ID, m.JoinURL, m.Passcode)
	}
	return fmt.Sprintf("%08x", h.Sum32())
}
