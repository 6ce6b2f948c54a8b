package fakeslack

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// channel is a conversation's live state, guarded by Server.mu.
type channel struct {
	id            ChannelID
	name          string
	created       time.Time
	creator       UserID
	private       bool
	archived      bool
	general       bool
	members       []UserID
	previousNames []string
	messages      []*message
	bookmarks     []*Bookmark
	// dmWith is the user of an app direct-message channel ("D…"), which
	// chat.postMessage opens when given a user ID as its channel.
	dmWith UserID
}

func (c *channel) isMember(u UserID) bool { return slices.Contains(c.members, u) }

func (c *channel) addMember(u UserID) bool {
	if c.isMember(u) {
		return false
	}
	c.members = append(c.members, u)
	return true
}

func (c *channel) message(ts string) *message {
	for _, m := range c.messages {
		if m.ts == ts {
			return m
		}
	}
	return nil
}

func (c *channel) snapshot() Channel {
	return Channel{
		ID: c.id, Name: c.name, Created: c.created, Creator: c.creator,
		IsPrivate: c.private, IsArchived: c.archived, IsGeneral: c.general,
		Members: slices.Clone(c.members), PreviousNames: slices.Clone(c.previousNames),
	}
}

// message is a channel message's live state.
type message struct {
	ts, threadTS string
	user         UserID
	botID        string
	text         string
	blocks       []any
	edited       int
	history      []Version
	pinned       bool
	pinnedBy     UserID
	pinnedAt     time.Time
}

func (m *message) snapshot(ch ChannelID) Message {
	return Message{
		Channel: ch, TS: m.ts, ThreadTS: m.threadTS, User: m.user, BotID: m.botID,
		Text: m.text, Blocks: marshalBlocks(m.blocks), Edited: m.edited,
		History: slices.Clone(m.history), Pinned: m.pinned,
	}
}

// edit replaces the content, keeping the old one in the history.
func (m *message) edit(text string, blocks []any, at time.Time) {
	m.history = append(m.history, Version{Text: m.text, Blocks: marshalBlocks(m.blocks), At: at})
	m.text, m.blocks = text, blocks
	m.edited++
}

// ephemeral is a message only one user sees.
type ephemeral struct {
	user    UserID
	channel ChannelID
	ts      string
	text    string
	blocks  []any
	source  string
}

func (e *ephemeral) snapshot() Ephemeral {
	return Ephemeral{User: e.user, Channel: e.channel, TS: e.ts, Text: e.text, Blocks: marshalBlocks(e.blocks), Source: e.source}
}

// trigger is a trigger_id handed to the app with an interaction.
type trigger struct {
	user    UserID
	created time.Time
	used    bool
	inView  bool // issued by an interaction inside a modal
}

// responseURL is a response_url handed to the app.
type responseURL struct {
	channel   ChannelID
	user      UserID
	created   time.Time
	uses      int
	origTS    string // the message the interaction came from, "" for slash commands
	ephemeral bool   // origTS is one of user's ephemerals
}

// view is an open modal.
type view struct {
	id, user                    string
	spec                        map[string]any // the view as the app sent it, with assigned IDs
	hash                        string
	rootID, previousID          string
	externalID, callbackID      string
	privateMetadata             string
	title, submit, closeText    string
	notifyOnClose, clearOnClose bool
}

func marshalBlocks(blocks []any) json.RawMessage {
	if blocks == nil {
		return nil
	}
	b, err := json.Marshal(blocks)
	if err != nil {
		return nil
	}
	return b
}

func (s *Server) channelByNameLocked(name string) *channel {
	name = strings.TrimPrefix(name, "#")
	for _, id := range s.channelOrder {
		if ch := s.channels[id]; ch.name == name {
			return ch
		}
	}
	return nil
}

// lookupChannelLocked finds a channel by ID, or by name ("#" optional) as
// chat.postMessage allows.
func (s *Server) lookupChannelLocked(ref string) *channel {
	if ch, ok := s.channels[ChannelID(ref)]; ok {
		return ch
	}
	if ref == "" {
		return nil
	}
	return s.channelByNameLocked(ref)
}

// dmChannelLocked returns the app's direct-message channel with user,
// opening it as Slack does when chat.postMessage is given a user ID.
func (s *Server) dmChannelLocked(user UserID) *channel {
	if _, ok := s.userLocked(user); !ok {
		return nil
	}
	for _, id := range s.channelOrder {
		if ch := s.channels[id]; ch.dmWith == user {
			return ch
		}
	}
	ch := &channel{id: ChannelID(s.nextIDLocked("D")), created: s.opts.Now(), private: true, dmWith: user,
		members: []UserID{s.opts.BotUserID, user}}
	s.channels[ch.id] = ch
	s.channelOrder = append(s.channelOrder, ch.id)
	return ch
}

func (s *Server) newChannelLocked(name string, creator UserID, private bool) *channel {
	prefix := "C"
	if private {
		prefix = "G"
	}
	ch := &channel{
		id: ChannelID(s.nextIDLocked(prefix)), name: name, created: s.opts.Now(),
		creator: creator, private: private, general: name == "general",
	}
	s.channels[ch.id] = ch
	s.channelOrder = append(s.channelOrder, ch.id)
	return ch
}

// userLocked returns an active (not deleted) user.
func (s *Server) userLocked(id UserID) (*User, bool) {
	u, ok := s.users[id]
	if !ok || u.Deleted {
		return nil, false
	}
	return u, true
}

func (s *Server) hasScope(scope string) bool { return slices.Contains(s.opts.Scopes, scope) }

func (s *Server) subscribed(event string) bool { return slices.Contains(s.opts.Events, event) }

// userObject is the JSON user object of users.info and payloads' "user".
func (s *Server) userObject(u *User) map[string]any {
	profile := map[string]any{
		"real_name": u.RealName, "real_name_normalized": u.RealName,
		"display_name": u.Name, "display_name_normalized": u.Name,
		"team": string(s.opts.Team.ID),
	}
	if u.ID == s.opts.BotUserID {
		profile["bot_id"] = s.opts.BotID
		profile["api_app_id"] = s.opts.AppID
	}
	if s.hasScope("users:read.email") && !u.IsBot && u.Email != "" {
		profile["email"] = u.Email
	}
	return map[string]any{
		"id": string(u.ID), "team_id": string(s.opts.Team.ID), "name": u.Name,
		"deleted": u.Deleted, "real_name": u.RealName, "tz": "Etc/UTC",
		"tz_label": "Coordinated Universal Time", "tz_offset": 0,
		"is_admin": u.IsAdmin, "is_owner": u.IsOwner, "is_primary_owner": u.IsOwner,
		"is_restricted": false, "is_ultra_restricted": false, "is_bot": u.IsBot,
		"is_app_user": false, "updated": s.opts.Now().Unix(), "profile": profile,
	}
}

// channelObject is the JSON conversation object.
func (s *Server) channelObject(ch *channel) map[string]any {
	return map[string]any{
		"id": string(ch.id), "name": ch.name, "name_normalized": ch.name,
		"is_channel": !ch.private, "is_group": ch.private, "is_im": false, "is_mpim": false,
		"is_private": ch.private, "created": ch.created.Unix(), "creator": string(ch.creator),
		"is_archived": ch.archived, "is_general": ch.general, "unlinked": 0,
		"is_shared": false, "is_ext_shared": false, "is_org_shared": false,
		"pending_shared": []any{}, "is_pending_ext_shared": false,
		"is_member": ch.isMember(s.opts.BotUserID), "context_team_id": string(s.opts.Team.ID),
		"topic":          map[string]any{"value": "", "creator": "", "last_set": 0},
		"purpose":        map[string]any{"value": "", "creator": "", "last_set": 0},
		"previous_names": nonNil(ch.previousNames),
		"num_members":    len(ch.members),
	}
}

// messageObject is the JSON message object of chat.* replies and payloads.
func (s *Server) messageObject(m *message) map[string]any {
	obj := map[string]any{"type": "message", "text": m.text, "ts": m.ts, "team": string(s.opts.Team.ID)}
	if m.user != "" {
		obj["user"] = string(m.user)
	}
	if m.botID != "" {
		obj["bot_id"] = m.botID
		obj["app_id"] = s.opts.AppID
		obj["bot_profile"] = map[string]any{"id": m.botID, "app_id": s.opts.AppID, "name": s.opts.BotName, "deleted": false, "team_id": string(s.opts.Team.ID)}
	}
	if m.blocks != nil {
		obj["blocks"] = m.blocks
	}
	if m.threadTS != "" {
		obj["thread_ts"] = m.threadTS
	}
	if m.edited > 0 {
		obj["edited"] = map[string]any{"user": string(m.user), "ts": m.ts}
	}
	return obj
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DirectMessages returns what the app sent user in its direct-message
// channel (App Home's Messages tab).
func (s *Server) DirectMessages(user UserID) []Message {
	s.mu.Lock()
	var id ChannelID
	for _, cid := range s.channelOrder {
		if s.channels[cid].dmWith == user {
			id = cid
		}
	}
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.Messages(id)
}
