package fakeslack

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ticketTTL bounds how long an apps.connections.open URL can be dialled.
const ticketTTL = time.Minute

func (s *Server) authTest(*request) (map[string]any, *apiError) {
	return map[string]any{
		"url": "https://" + s.opts.Team.Domain + ".slack.com/", "team": s.opts.Team.Name,
		"user": s.opts.BotName, "team_id": string(s.opts.Team.ID), "user_id": string(s.opts.BotUserID),
		"bot_id": s.opts.BotID, "is_enterprise_install": false,
	}, nil
}

// appsConnectionsOpen hands out a one-shot WebSocket URL.
func (s *Server) appsConnectionsOpen(*request) (map[string]any, *apiError) {
	ticket := randomHex(16)
	s.tickets[ticket] = time.Now().Add(ticketTTL)
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/link/?" + url.Values{"ticket": {ticket}, "app_id": {s.opts.AppID}}.Encode()
	return map[string]any{"url": u}, nil
}

// checkChannelName applies conversations.create's naming rules (§9):
// at most 80 lowercase letters, digits, hyphens and underscores.
func checkChannelName(name string) *apiError {
	if name == "" {
		return apiErr("invalid_name_required")
	}
	if utf8.RuneCountInString(name) > 80 {
		return apiErr("invalid_name_maxlength")
	}
	punct := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			punct = false
		case r == '-' || r == '_':
		default:
			return apiErr("invalid_name_specials")
		}
	}
	if punct {
		return apiErr("invalid_name_punctuation")
	}
	return nil
}

func (s *Server) conversationsCreate(req *request) (map[string]any, *apiError) {
	private := req.bool("is_private")
	if private && !s.hasScope("groups:write") {
		return nil, &apiError{code: "missing_scope", extra: map[string]any{"needed": "groups:write", "provided": strings.Join(s.opts.Scopes, ",")}}
	}
	if !private && !s.hasScope("channels:manage") && !s.hasScope("channels:write") {
		return nil, &apiError{code: "missing_scope", extra: map[string]any{"needed": "channels:manage", "provided": strings.Join(s.opts.Scopes, ",")}}
	}
	name := req.vals["name"]
	if e := checkChannelName(name); e != nil {
		return nil, e
	}
	if s.channelByNameLocked(name) != nil {
		return nil, apiErr("name_taken")
	}
	ch := s.newChannelLocked(name, s.opts.BotUserID, private)
	ch.addMember(s.opts.BotUserID)
	s.memberJoinedLocked(ch, s.opts.BotUserID, "")
	return map[string]any{"channel": s.channelObject(ch)}, nil
}

// visibleChannelLocked finds a channel the bot can see: public ones, and
// private ones it is in.
func (s *Server) visibleChannelLocked(ref string) *channel {
	ch := s.lookupChannelLocked(ref)
	if ch == nil || (ch.private && !ch.isMember(s.opts.BotUserID)) {
		return nil
	}
	return ch
}

// inviteError is one entry of conversations.invite's "errors".
type inviteError struct {
	user UserID
	code string
}

func (s *Server) conversationsInvite(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	switch {
	case ch == nil:
		return nil, apiErr("channel_not_found")
	case ch.archived:
		return nil, apiErr("is_archived")
	case !ch.isMember(s.opts.BotUserID):
		return nil, apiErr("not_in_channel")
	}
	var users []UserID
	for _, u := range strings.Split(req.get("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, UserID(u))
		}
	}
	if len(users) == 0 {
		return nil, apiErr("no_user")
	}
	var errs []inviteError
	var valid []UserID
	for _, u := range users {
		_, known := s.userLocked(u)
		switch {
		case u == s.opts.BotUserID:
			errs = append(errs, inviteError{u, "cant_invite_self"})
		case !known:
			errs = append(errs, inviteError{u, "user_not_found"})
		case ch.isMember(u):
			errs = append(errs, inviteError{u, "already_in_channel"})
		default:
			valid = append(valid, u)
		}
	}
	var errList []any
	for _, e := range errs {
		errList = append(errList, map[string]any{"user": string(e.user), "ok": false, "error": e.code})
	}
	if len(errs) > 0 && !req.bool("force") {
		if len(users) == 1 {
			return nil, apiErr(errs[0].code)
		}
		return nil, &apiError{code: errs[0].code, extra: map[string]any{"errors": errList}}
	}
	for _, u := range valid {
		if ch.addMember(u) {
			s.memberJoinedLocked(ch, u, s.opts.BotUserID)
		}
	}
	out := map[string]any{"channel": s.channelObject(ch)}
	if len(errList) > 0 {
		out["errors"] = errList
	}
	return out, nil
}

func (s *Server) conversationsJoin(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	switch {
	case ch == nil:
		return nil, apiErr("channel_not_found")
	case ch.private:
		return nil, apiErr("method_not_supported_for_channel_type")
	case ch.archived:
		return nil, apiErr("is_archived")
	}
	out := map[string]any{}
	if ch.addMember(s.opts.BotUserID) {
		s.memberJoinedLocked(ch, s.opts.BotUserID, "")
	} else {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
	}
	out["channel"] = s.channelObject(ch)
	return out, nil
}

func (s *Server) conversationsInfo(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	obj := s.channelObject(ch)
	if !req.bool("include_num_members") {
		delete(obj, "num_members")
	}
	return map[string]any{"channel": obj}, nil
}

func (s *Server) conversationsArchive(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	switch {
	case ch == nil:
		return nil, apiErr("channel_not_found")
	case ch.archived:
		return nil, apiErr("already_archived")
	case ch.general:
		return nil, apiErr("cant_archive_general")
	case !ch.isMember(s.opts.BotUserID):
		return nil, apiErr("not_in_channel")
	}
	s.archiveLocked(ch, s.opts.BotUserID)
	return map[string]any{}, nil
}

func (s *Server) conversationsRename(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	switch {
	case ch == nil:
		return nil, apiErr("channel_not_found")
	case ch.archived:
		return nil, apiErr("is_archived")
	case !ch.isMember(s.opts.BotUserID):
		return nil, apiErr("not_in_channel")
	}
	name := req.vals["name"]
	if e := checkChannelName(name); e != nil {
		return nil, e
	}
	if other := s.channelByNameLocked(name); other != nil && other != ch {
		return nil, apiErr("name_taken")
	}
	s.renameLocked(ch, name)
	return map[string]any{"channel": s.channelObject(ch)}, nil
}

func (s *Server) usersInfo(req *request) (map[string]any, *apiError) {
	u, ok := s.users[UserID(req.get("user"))]
	if !ok {
		return nil, apiErr("user_not_found")
	}
	return map[string]any{"user": s.userObject(u)}, nil
}

// archiveLocked archives ch and emits channel_archive (or group_archive).
func (s *Server) archiveLocked(ch *channel, by UserID) {
	ch.archived = true
	if ch.private {
		s.emitLocked(map[string]any{"type": "group_archive", "channel": string(ch.id)}, "groups:read")
		return
	}
	s.emitLocked(map[string]any{"type": "channel_archive", "channel": string(ch.id), "user": string(by)}, "channels:read")
}

// renameLocked renames ch and emits channel_rename (or group_rename).
func (s *Server) renameLocked(ch *channel, name string) {
	if ch.name == name {
		return
	}
	ch.previousNames = append(ch.previousNames, ch.name)
	ch.name = name
	typ, scope := "channel_rename", "channels:read"
	if ch.private {
		typ, scope = "group_rename", "groups:read"
	}
	s.emitLocked(map[string]any{"type": typ, "channel": map[string]any{
		"id": string(ch.id), "name": name, "name_normalized": name, "created": ch.created.Unix(),
	}}, scope)
}

// memberJoinedLocked emits member_joined_channel, which Slack sends only for
// channels the bot is in (including its own joins).
func (s *Server) memberJoinedLocked(ch *channel, user, inviter UserID) {
	if !ch.isMember(s.opts.BotUserID) {
		return
	}
	ev := map[string]any{"type": "member_joined_channel", "user": string(user), "channel": string(ch.id),
		"channel_type": map[bool]string{false: "C", true: "G"}[ch.private], "team": string(s.opts.Team.ID)}
	if inviter != "" {
		ev["inviter"] = string(inviter)
	}
	scope := "channels:read"
	if ch.private {
		scope = "groups:read"
	}
	s.emitLocked(ev, scope)
}

// usersList pages through the workspace's users, ordered by ID, with an
// opaque cursor as Slack does (limit ≤ 1000; 0 means all that fit).
func (s *Server) usersList(req *request) (map[string]any, *apiError) {
	ids := make([]UserID, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	start := 0
	if c := req.get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "dXNlcjo"))
		if err != nil || n < 0 || n > len(ids) {
			return nil, apiErr("invalid_cursor")
		}
		start = n
	}
	limit := len(ids)
	if l, err := strconv.Atoi(req.get("limit")); err == nil && l > 0 && l < limit {
		limit = l
	}
	end := min(start+limit, len(ids))
	members := make([]map[string]any, 0, end-start)
	for _, id := range ids[start:end] {
		members = append(members, s.userObject(s.users[id]))
	}
	next := ""
	if end < len(ids) {
		next = "dXNlcjo" + strconv.Itoa(end)
	}
	return map[string]any{"members": members, "cache_ts": s.opts.Now().Unix(),
		"response_metadata": map[string]any{"next_cursor": next}}, nil
}
