// Package slackui renders everything incident-bridge shows in Slack as Block
// Kit: the incident header, meeting messages, modals and their parsing, the
// list and help texts. It is pure: no I/O, no clocks, no state.
//
// Users press buttons by their visible text and fill modals by their labels,
// so the words here are part of the product contract (SPEC §4, §5.4). Every
// builder keeps within Slack's Block Kit limits, so a long title or an odd URL
// can never make Slack refuse a whole message with invalid_blocks.
package slackui

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Action IDs of the buttons the app puts in messages. The bot routes
// block_actions by these.
const (
	// ActionCreateMeeting is the header's "Create Zoom Meeting" button; its
	// value is the incident number in decimal.
	ActionCreateMeeting = "incident_create_meeting"
	// ActionJoinMeeting is the "Join Zoom Meeting" link button (header and
	// announcement). Slack still sends block_actions for link buttons: ack
	// them and do nothing else.
	ActionJoinMeeting = "incident_join_meeting"
	// ActionEdit is the header's "Edit" button; value is the incident number.
	ActionEdit = "incident_edit"
	// ActionResolve is the header's "Resolve" button; value is the incident
	// number.
	ActionResolve = "incident_resolve"
	// ActionJoinLink is the ephemeral "Join" link button.
	ActionJoinLink = "meeting_join"
	// ActionStartAsHost is the ephemeral "Start as host" link button.
	ActionStartAsHost = "meeting_start_as_host"
	// ActionAuthorize is the "Authorize" link button of /incident zoom connect.
	ActionAuthorize = "zoom_authorize"
)

// Callback IDs of the modals, by which the bot routes view_submission.
const (
	// CallbackDeclare is the "Declare incident" modal.
	CallbackDeclare = "incident_declare"
	// CallbackEdit is the "Edit incident" modal.
	CallbackEdit = "incident_edit"
	// CallbackSettings is the "Incident settings" modal.
	CallbackSettings = "incident_settings"
)

// Block Kit limits (reference/slack.md §8), counted in characters.
const (
	maxHeaderText  = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxButtonText  = 75
	maxButtonValue = 2000
	maxURL         = 3000
	maxMessageText = 4000
	maxBlocks      = 50
	maxModalText   = 24
)

// Message is a Slack message: Blocks are what people see, Text is the
// fallback Slack uses for notifications and screen readers.
type Message struct {
	Text   string
	Blocks []slack.Block
	// Kept, when not nil, is the form of the message that may be sent
	// where it stays, a direct message: the message itself carries a host
	// start link, which is shown only ephemerally to the host.
	Kept *Message
}

// Options returns the chat.postMessage / postEphemeral / update options that
// send m: its fallback text (not escaped again) and its blocks.
func (m Message) Options() []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// Notice is a plain message, e.g. an ephemeral answer or refusal. text is
// mrkdwn, written by the app; it is cut to Slack's limits.
func Notice(text string) Message {
	return Message{
		Text:   truncate(text, maxMessageText),
		Blocks: []slack.Block{section("notice", text)},
	}
}

// plain is a plain_text object with emoji shortcodes rendered.
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// mrkdwn is a mrkdwn text object.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// section is a mrkdwn section block, cut to the section limit.
func section(blockID, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(truncate(text, maxSectionText)), nil, nil, slack.SectionBlockOptionBlockID(blockID))
}

// contextLine is a context block with one mrkdwn element.
func contextLine(blockID, text string) *slack.ContextBlock {
	return slack.NewContextBlock(blockID, mrkdwn(truncate(text, maxSectionText)))
}

// button is an action button carrying value.
func button(actionID, text, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, truncate(value, maxButtonValue), plain(truncate(text, maxButtonText)))
}

// linkButton is a button that opens u. Callers check usableURL first: one bad
// URL makes Slack refuse the whole message.
func linkButton(actionID, text, u string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, "", plain(truncate(text, maxButtonText))).WithURL(u)
}

// usableURL reports whether u can go in a link button or a mrkdwn link: an
// absolute http(s) URL within Slack's 3000 characters.
func usableURL(u string) bool {
	if u == "" || len(u) > maxURL {
		return false
	}
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != ""
}

// escape makes user text safe inside mrkdwn: Slack needs only &, < and >
// escaped, and would otherwise read "<!channel>" or "<http://x|y>" in a
// title as markup.
func escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeTruncate escapes s for mrkdwn and cuts the result to n characters
// without splitting an entity such as &amp;.
func escapeTruncate(s string, n int) string {
	e := escape(s)
	if utf8.RuneCountInString(e) <= n {
		return e
	}
	var b strings.Builder
	count := 0
	for _, r := range s {
		piece := escape(string(r))
		k := utf8.RuneCountInString(piece)
		if count+k > n-1 {
			break
		}
		b.WriteString(piece)
		count += k
	}
	return b.String() + "…"
}

// link renders a mrkdwn link, or just the label when u is unusable.
func link(u, label string) string {
	if !usableURL(u) {
		return escape(label)
	}
	return "<" + linkEscaper.Replace(u) + "|" + escape(label) + ">"
}

var linkEscaper = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C")

// mention renders a Slack user as a mention, or none when empty.
func mention(u string) string {
	if u == "" {
		return "none"
	}
	return "<@" + u + ">"
}

// truncate cuts s to at most n characters, ending in an ellipsis when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cut shortens s to at most n characters without a marker, for initial
// values of inputs whose max_length Slack enforces.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
