package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Response URLs work 5 times within 30 minutes (reference/slack.md §3).
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

// contentLocked reads a message's text and blocks as chat.* do: blocks
// validated and given IDs, text at most 4000 characters.
func (s *Server) contentLocked(req *request) (text string, blocks []any, hasBlocks bool, e *apiError) {
	v, present, err := req.jsonArg("blocks")
	if err != nil {
		return "", nil, false, apiErr("invalid_blocks_format")
	}
	if present {
		if _, ok := v.([]any); !ok {
			return "", nil, false, apiErr("invalid_blocks_format")
		}
		if blocks, e = s.checkBlocksLocked(v, maxMessageBlocks, "/blocks", "invalid_blocks"); e != nil {
			return "", nil, false, e
		}
		hasBlocks = true
	}
	text = req.vals["text"]
	if utf8.RuneCountInString(text) > maxMessageText {
		return "", nil, false, apiErr("msg_too_long")
	}
	return text, blocks, hasBlocks, nil
}

// checkBlocksLocked validates blocks and assigns missing IDs.
func (s *Server) checkBlocksLocked(v any, limit int, ptr, code string) ([]any, *apiError) {
	var c checker
	blocks := c.blocks(v, limit, ptr)
	if !c.ok() {
		return nil, invalidArgs(code, c.errs...)
	}
	assignIDs(blocks, s.shortIDLocked)
	return blocks, nil
}

func (s *Server) chatPostMessage(req *request) (map[string]any, *apiError) {
	ch := s.lookupChannelLocked(req.get("channel"))
	if ch == nil && strings.HasPrefix(req.get("channel"), "U") {
		ch = s.dmChannelLocked(UserID(req.get("channel")))
	}
	switch {
	case ch == nil:
		return nil, apiErr("channel_not_found")
	case ch.archived:
		return nil, apiErr("is_archived")
	case !ch.isMember(s.opts.BotUserID) && !(s.hasScope("chat:write.public") && !ch.private):
		return nil, apiErr("not_in_channel")
	}
	text, blocks, _, e := s.contentLocked(req)
	if e != nil {
		return nil, e
	}
	if text == "" && len(blocks) == 0 && !req.has("attachments") {
		return nil, apiErr("no_text")
	}
	m := &message{ts: s.nextTSLocked(), threadTS: req.get("thread_ts"), user: s.opts.BotUserID, botID: s.opts.BotID, text: text, blocks: blocks}
	ch.messages = append(ch.messages, m)
	return map[string]any{"channel": string(ch.id), "ts": m.ts, "message": s.messageObject(m)}, nil
}

func (s *Server) chatPostEphemeral(req *request) (map[string]any, *apiError) {
	ch := s.lookupChannelLocked(req.get("channel"))
	user := UserID(req.get("user"))
	switch {
	case ch == nil:
		return nil, apiErr("channel_not_found")
	case ch.archived:
		return nil, apiErr("is_archived")
	case !ch.isMember(s.opts.BotUserID):
		return nil, apiErr("not_in_channel")
	case !ch.isMember(user):
		return nil, apiErr("user_not_in_channel")
	}
	text, blocks, _, e := s.contentLocked(req)
	if e != nil {
		return nil, e
	}
	if text == "" && len(blocks) == 0 && !req.has("attachments") {
		return nil, apiErr("no_text")
	}
	eph := &ephemeral{user: user, channel: ch.id, ts: s.nextTSLocked(), text: text, blocks: blocks, source: "chat.postEphemeral"}
	s.ephemerals[user] = append(s.ephemerals[user], eph)
	return map[string]any{"message_ts": eph.ts}, nil
}

func (s *Server) chatUpdate(req *request) (map[string]any, *apiError) {
	ch := s.lookupChannelLocked(req.get("channel"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	m := ch.message(req.get("ts"))
	switch {
	case m == nil:
		return nil, apiErr("message_not_found")
	case m.botID != s.opts.BotID:
		return nil, apiErr("cant_update_message")
	case ch.archived:
		return nil, apiErr("is_archived")
	}
	text, blocks, hasBlocks, e := s.contentLocked(req)
	if e != nil {
		return nil, e
	}
	if !req.has("text") && !hasBlocks && !req.has("attachments") {
		return nil, apiErr("no_text")
	}
	if !req.has("text") {
		text = m.text
	}
	if !hasBlocks {
		blocks = m.blocks // Slack keeps the blocks when none are sent
	}
	m.edit(text, blocks, s.opts.Now())
	return map[string]any{"channel": string(ch.id), "ts": m.ts, "text": m.text, "message": s.messageObject(m)}, nil
}

func (s *Server) chatGetPermalink(req *request) (map[string]any, *apiError) {
	ch := s.lookupChannelLocked(req.get("channel"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	m := ch.message(req.get("message_ts"))
	if m == nil {
		return nil, apiErr("message_not_found")
	}
	return map[string]any{"channel": string(ch.id), "permalink": s.permalink(ch.id, m.ts)}, nil
}

func (s *Server) permalink(ch ChannelID, ts string) string {
	return "https://" + s.opts.Team.Domain + ".slack.com/archives/" + string(ch) + "/p" + strings.ReplaceAll(ts, ".", "")
}

// newResponseURLLocked issues a response_url for an interaction.
func (s *Server) newResponseURLLocked(kind string, ch ChannelID, user UserID, origTS string, ephemeral bool) string {
	id := randomHex(12)
	s.responseURLs[id] = &responseURL{channel: ch, user: user, created: s.opts.Now(), origTS: origTS, ephemeral: ephemeral}
	return s.http.URL + "/hooks/" + kind + "/" + string(s.opts.Team.ID) + "/" + id
}

// responsePost is the JSON body apps POST to a response_url.
type responsePost struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal any             `json:"replace_original"`
	DeleteOriginal  any             `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		b, _ := strconv.ParseBool(t)
		return b
	}
	return false
}

// serveResponseURL shows a response_url post to the person who acted.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20)) // a short body fails to decode below
	status, code := s.handleResponseURL(path.Base(r.URL.Path), body)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: "response_url", Params: url.Values{"body": {string(body)}}, Time: s.opts.Now(), Status: status, Error: code})
	s.notifyLocked()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	out := map[string]any{"ok": code == ""}
	if code != "" {
		out["error"] = code
	}
	_ = json.NewEncoder(w).Encode(out) // the client hung up; nothing to do
}

func (s *Server) handleResponseURL(id string, body []byte) (int, string) {
	var p responsePost
	if err := json.Unmarshal(body, &p); err != nil {
		return http.StatusBadRequest, "invalid_payload"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ru, ok := s.responseURLs[id]
	switch {
	case !ok:
		return http.StatusNotFound, "invalid_url"
	case s.opts.Now().Sub(ru.created) > responseURLTTL:
		return http.StatusNotFound, "expired_url"
	case ru.uses >= responseURLUses:
		return http.StatusNotFound, "used_url"
	}
	var blocks []any
	if len(p.Blocks) > 0 && string(p.Blocks) != "null" {
		var v any
		if json.Unmarshal(p.Blocks, &v) != nil {
			return http.StatusOK, "invalid_blocks_format"
		}
		var e *apiError
		if blocks, e = s.checkBlocksLocked(v, maxMessageBlocks, "/blocks", "invalid_blocks"); e != nil {
			return http.StatusOK, e.code
		}
	}
	if utf8.RuneCountInString(p.Text) > maxMessageText {
		return http.StatusOK, "msg_too_long"
	}
	del := truthy(p.DeleteOriginal)
	if !del && p.Text == "" && len(blocks) == 0 {
		return http.StatusOK, "no_text"
	}
	ru.uses++
	defer s.notifyLocked()
	ch := s.channels[ru.channel]
	switch {
	case del && ru.origTS != "":
		s.deleteOriginalLocked(ru)
	case del:
	case truthy(p.ReplaceOriginal) && ru.origTS != "":
		if ru.ephemeral {
			for _, e := range s.ephemerals[ru.user] {
				if e.ts == ru.origTS && e.channel == ru.channel {
					e.text, e.blocks = p.Text, blocks
				}
			}
		} else if m := ch.message(ru.origTS); m != nil {
			m.edit(p.Text, blocks, s.opts.Now())
		}
	case p.ResponseType == "in_channel":
		if ch.archived {
			return http.StatusOK, "is_archived"
		}
		ch.messages = append(ch.messages, &message{ts: s.nextTSLocked(), threadTS: p.ThreadTS, user: s.opts.BotUserID, botID: s.opts.BotID, text: p.Text, blocks: blocks})
	default:
		s.ephemerals[ru.user] = append(s.ephemerals[ru.user], &ephemeral{user: ru.user, channel: ru.channel, ts: s.nextTSLocked(), text: p.Text, blocks: blocks, source: "response_url"})
	}
	return http.StatusOK, ""
}

func (s *Server) deleteOriginalLocked(ru *responseURL) {
	if ru.ephemeral {
		list := s.ephemerals[ru.user]
		for i, e := range list {
			if e.ts == ru.origTS && e.channel == ru.channel {
				s.ephemerals[ru.user] = append(list[:i:i], list[i+1:]...)
				return
			}
		}
		return
	}
	ch := s.channels[ru.channel]
	for i, m := range ch.messages {
		if m.ts == ru.origTS {
			ch.messages = append(ch.messages[:i:i], ch.messages[i+1:]...)
			return
		}
	}
}
