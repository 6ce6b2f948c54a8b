package fakeslack

import (
	"encoding/json"
	"net/url"
	"time"
)

// UserID is a Slack user ID such as "U0001".
type UserID string

// ChannelID is a Slack conversation ID such as "C000000001".
type ChannelID string

// TeamID is a Slack workspace ID such as "T0001".
type TeamID string

// Team describes the fake workspace.
type Team struct {
	ID     TeamID // default "T0001"
	Domain string // default "fake-workspace"; URLs are https://<domain>.slack.com/
	Name   string // default "Fake Workspace"
}

// User is a member of the fake workspace.
type User struct {
	ID       UserID // generated when empty
	Name     string // handle, e.g. "alice"
	RealName string
	Email    string // profile.email; only visible with users:read.email
	IsAdmin  bool
	IsOwner  bool
	IsBot    bool
	Deleted  bool
}

// Channel is a snapshot of a conversation.
type Channel struct {
	ID            ChannelID
	Name          string
	Created       time.Time
	Creator       UserID
	IsPrivate     bool
	IsArchived    bool
	IsGeneral     bool
	Members       []UserID
	PreviousNames []string
}

// Message is a snapshot of a message as everyone in the channel sees it.
type Message struct {
	Channel  ChannelID
	TS       string // "<unix>.<6 digits>"
	ThreadTS string
	User     UserID // author; the bot user for the app's posts
	BotID    string // set for the app's posts
	Text     string
	Blocks   json.RawMessage // the stored blocks, with the block_id/action_id Slack assigned
	Edited   int             // how many times chat.update (or replace_original) changed it
	History  []Version       // earlier versions, oldest first
	Pinned   bool
}

// Version is an earlier content of an edited message.
type Version struct {
	Text   string
	Blocks json.RawMessage
	At     time.Time
}

// Ephemeral is a message only one user saw: from chat.postEphemeral, a
// response_url post, or the payload of a slash command's ack.
type Ephemeral struct {
	User    UserID
	Channel ChannelID
	TS      string
	Text    string
	Blocks  json.RawMessage
	Source  string // "chat.postEphemeral", "response_url" or "slash_ack"
}

// Bookmark is a channel bookmark as bookmarks.list shows it.
type Bookmark struct {
	ID          string // "Bk…"
	ChannelID   ChannelID
	Title       string
	Link        string
	Emoji       string
	Type        string // always "link"
	Rank        string
	DateCreated time.Time
	DateUpdated time.Time
	UpdatedBy   UserID
}

// Call is one Web API request the fake received (the token is never kept).
type Call struct {
	Method string
	Params url.Values // form/query values; JSON bodies flattened, non-strings as JSON
	Time   time.Time
	Status int    // HTTP status sent back
	Error  string // "" when ok:true
}

// Ack is one acknowledgement frame received over Socket Mode.
type Ack struct {
	EnvelopeID   string
	Type         string // envelope type: events_api, slash_commands, interactive; "" if unknown
	EventID      string // events_api only
	RetryAttempt int
	Payload      json.RawMessage // nil when the ack had none
	Latency      time.Duration   // from writing the envelope to reading the ack
	Late         bool            // after the ack deadline, when Slack had already given up
	Duplicate    bool            // a second ack for the same envelope
	Unknown      bool            // no such envelope was ever sent
	Dropped      bool            // 20 KB or larger: Slack silently drops it
}

// Failure is an envelope the app did not acknowledge in time.
type Failure struct {
	EnvelopeID   string
	Type         string
	EventID      string
	RetryAttempt int
	Reason       string // "dispatch_failed" (a person saw an error) or "timeout" (an event, redelivered unless it was the last attempt)
	At           time.Time
}

// Response is what a person saw right after a slash command or a click.
type Response struct {
	EnvelopeID   string
	TriggerID    string
	ResponseURL  string
	Text         string          // the ack payload's text (slash commands)
	Blocks       json.RawMessage // the ack payload's blocks (slash commands)
	ResponseType string          // "ephemeral" or "in_channel"; "" when the ack had no payload
	URL          string          // link buttons: the URL the browser opened
	Latency      time.Duration   // from the action to the ack
}

// Fields are the values a person types into a modal, keyed by the input
// block's label: string for text inputs, static_select and radio buttons (by
// option text), users_select (a user ID), datepicker/timepicker; []string for
// multi selects and checkboxes (by option text); bool for a checkbox group
// with one option.
type Fields map[string]any

// ViewResult is what happened to a modal after a submission.
type ViewResult struct {
	EnvelopeID string
	Action     string            // response_action: "", "errors", "update", "push" or "clear"
	Errors     map[string]string // by input label, when the app answered response_action "errors"
	Closed     bool              // the submitted modal is no longer shown
	View       *View             // the view now on top of the stack, nil if none
	Latency    time.Duration
}

// View is a modal as its user sees it.
type View struct {
	ID              string
	User            UserID
	Title           string
	Submit          string
	Close           string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Hash            string
	RootViewID      string
	PreviousViewID  string
	NotifyOnClose   bool
	Blocks          json.RawMessage
	Inputs          []Input
}

// Input is one input block of a modal.
type Input struct {
	BlockID  string
	ActionID string
	Label    string
	Type     string   // element type, e.g. "plain_text_input"
	Optional bool     // "optional": true in the block
	Initial  any      // string, []string, or nil: initial_value/option(s)/user/date
	Options  []string // option texts for selects, radio buttons and checkboxes
}

// Input returns the input whose label is label.
func (v *View) Input(label string) (Input, bool) {
	for _, in := range v.Inputs {
		if in.Label == label {
			return in, true
		}
	}
	return Input{}, false
}
