package fakeslack

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// Limits of pins and bookmarks (methods/*.json; reference/slack.md §6).
const (
	maxPins          = 100
	maxBookmarks     = 100
	maxBookmarkTitle = 256
	maxBookmarkLink  = 2048
)

func (s *Server) pinsAdd(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	ts := req.get("timestamp")
	if ts == "" {
		return nil, apiErr("no_item_specified")
	}
	if !ch.isMember(s.opts.BotUserID) {
		return nil, apiErr("not_in_channel")
	}
	m := ch.message(ts)
	switch {
	case m == nil:
		return nil, apiErr("message_not_found")
	case m.pinned:
		return nil, apiErr("already_pinned")
	}
	pins := 0
	for _, x := range ch.messages {
		if x.pinned {
			pins++
		}
	}
	if pins >= maxPins {
		return nil, apiErr("too_many_pins")
	}
	m.pinned, m.pinnedBy, m.pinnedAt = true, s.opts.BotUserID, s.opts.Now()
	return map[string]any{}, nil
}

func (s *Server) pinsRemove(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	m := ch.message(req.get("timestamp"))
	switch {
	case req.get("timestamp") == "":
		return nil, apiErr("no_item_specified")
	case m == nil:
		return nil, apiErr("message_not_found")
	case !m.pinned:
		return nil, apiErr("no_pin")
	}
	m.pinned = false
	return map[string]any{}, nil
}

func (s *Server) pinsList(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	var pinned []*message
	for _, m := range ch.messages {
		if m.pinned {
			pinned = append(pinned, m)
		}
	}
	slices.SortStableFunc(pinned, func(a, b *message) int { return b.pinnedAt.Compare(a.pinnedAt) })
	items := []any{}
	for _, m := range pinned {
		msg := s.messageObject(m)
		msg["permalink"] = s.permalink(ch.id, m.ts)
		msg["pinned_to"] = []string{string(ch.id)}
		items = append(items, map[string]any{
			"type": "message", "created": m.pinnedAt.Unix(), "created_by": string(m.pinnedBy),
			"channel": string(ch.id), "message": msg,
		})
	}
	return map[string]any{"items": items}, nil
}

// checkLink accepts only absolute http(s) URLs, as bookmarks.add does.
func checkLink(link string) *apiError {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || utf8.RuneCountInString(link) > maxBookmarkLink {
		return apiErr("invalid_link")
	}
	return nil
}

func (s *Server) bookmarkObject(b *Bookmark) map[string]any {
	return map[string]any{
		"id": b.ID, "channel_id": string(b.ChannelID), "title": b.Title, "link": b.Link,
		"emoji": b.Emoji, "icon_url": "", "type": b.Type, "entity_id": nil,
		"date_created": b.DateCreated.Unix(), "date_updated": unixOrZero(b.DateUpdated),
		"rank": b.Rank, "last_updated_by_user_id": string(b.UpdatedBy),
		"last_updated_by_team_id": string(s.opts.Team.ID), "shortcut_id": nil, "app_id": s.opts.AppID,
	}
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func (s *Server) bookmarksAdd(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel_id"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	title := req.vals["title"]
	if title == "" || utf8.RuneCountInString(title) > maxBookmarkTitle {
		return nil, invalidArgs("invalid_arguments", "[ERROR] title must be 1 to 256 characters [json-pointer:/title]")
	}
	if req.get("type") != "link" {
		return nil, apiErr("invalid_bookmark_type")
	}
	link := req.get("link")
	if e := checkLink(link); e != nil {
		return nil, e
	}
	if len(ch.bookmarks) >= maxBookmarks {
		return nil, apiErr("too_many_bookmarks")
	}
	s.bookmarkSeq++
	b := &Bookmark{
		ID: fmt.Sprintf("Bk%010X", s.bookmarkSeq), ChannelID: ch.id, Title: title, Link: link,
		Emoji: req.get("emoji"), Type: "link", Rank: rank(s.bookmarkSeq),
		DateCreated: s.opts.Now(), UpdatedBy: s.opts.BotUserID,
	}
	ch.bookmarks = append(ch.bookmarks, b)
	return map[string]any{"bookmark": s.bookmarkObject(b)}, nil
}

// rank gives bookmarks increasing, lexicographically ordered ranks.
func rank(n int) string { return fmt.Sprintf("g%06d", n) }

func (s *Server) findBookmarkLocked(req *request) (*channel, int, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel_id"))
	if ch == nil {
		return nil, 0, apiErr("channel_not_found")
	}
	i := slices.IndexFunc(ch.bookmarks, func(b *Bookmark) bool { return b.ID == req.get("bookmark_id") })
	if i < 0 {
		return nil, 0, apiErr("not_found")
	}
	return ch, i, nil
}

func (s *Server) bookmarksEdit(req *request) (map[string]any, *apiError) {
	ch, i, e := s.findBookmarkLocked(req)
	if e != nil {
		return nil, e
	}
	b := ch.bookmarks[i]
	if req.has("link") {
		if e := checkLink(req.get("link")); e != nil {
			return nil, e
		}
	}
	if req.has("title") && (req.vals["title"] == "" || utf8.RuneCountInString(req.vals["title"]) > maxBookmarkTitle) {
		return nil, invalidArgs("invalid_arguments", "[ERROR] title must be 1 to 256 characters [json-pointer:/title]")
	}
	if req.has("link") {
		b.Link = req.get("link")
	}
	if req.has("title") {
		b.Title = req.vals["title"]
	}
	if req.has("emoji") {
		b.Emoji = req.get("emoji")
	}
	b.DateUpdated, b.UpdatedBy = s.opts.Now(), s.opts.BotUserID
	return map[string]any{"bookmark": s.bookmarkObject(b)}, nil
}

func (s *Server) bookmarksList(req *request) (map[string]any, *apiError) {
	ch := s.visibleChannelLocked(req.get("channel_id"))
	if ch == nil {
		return nil, apiErr("channel_not_found")
	}
	sorted := slices.Clone(ch.bookmarks)
	slices.SortStableFunc(sorted, func(a, b *Bookmark) int { return cmp.Compare(a.Rank, b.Rank) })
	out := []any{}
	for _, b := range sorted {
		out = append(out, s.bookmarkObject(b))
	}
	return map[string]any{"bookmarks": out}, nil
}

func (s *Server) bookmarksRemove(req *request) (map[string]any, *apiError) {
	ch, i, e := s.findBookmarkLocked(req)
	if e != nil {
		return nil, e
	}
	ch.bookmarks = slices.Delete(ch.bookmarks, i, i+1)
	return map[string]any{}, nil
}
