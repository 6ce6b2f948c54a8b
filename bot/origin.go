package bot

import (
	"encoding/json"
	"strings"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// origin is where a modal was opened: the channel and the slash command's
// response_url. It rides in the modal's private_metadata, because a
// view_submission carries neither, and chat.postEphemeral fails in a
// channel the bot is not in (#general, say) while the response_url answers
// there for 30 minutes.
type origin struct {
	Channel     incident.ChannelID `json:"c,omitempty"`
	ResponseURL string             `json:"r,omitempty"`
}

// encode is the private_metadata form of o (well under Slack's 3,000
// characters: a channel ID and a URL).
func (o origin) encode() string {
	b, err := json.Marshal(o)
	if err != nil {
		return string(o.Channel) // a struct of two strings always marshals
	}
	return string(b)
}

// decodeOrigin reads private_metadata written by encode; a bare channel ID
// (modals opened before origins were encoded) is read as the channel.
func decodeOrigin(meta string) origin {
	var o origin
	if strings.HasPrefix(meta, "{") && json.Unmarshal([]byte(meta), &o) == nil {
		return o
	}
	return origin{Channel: incident.ChannelID(meta)}
}

// replyTo is where the answer to a modal goes: the person who submitted it,
// where they opened it.
func (o origin) replyTo(team incident.TeamID, user incident.UserID) replyTo {
	return replyTo{Team: team, User: user, Channel: o.Channel, ResponseURL: o.ResponseURL}
}
