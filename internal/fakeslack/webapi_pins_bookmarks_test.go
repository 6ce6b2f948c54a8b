package fakeslack

import (
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestPinsAndBookmarks(t *testing.T) {
	t.Parallel()
	scopes := append(DefaultScopes(), "pins:read")
	s := newServer(t, Options{Scopes: scopes})
	api := apiClient(s)
	ch := s.AddChannel("ops", s.BotUserID())
	_, ts, _ := api.PostMessageContext(ctxT(t), string(ch), slack.MsgOptionText("header", false))
	ref := slack.ItemRef{Channel: string(ch), Timestamp: ts}
	if err := api.AddPinContext(ctxT(t), string(ch), ref); err != nil {
		t.Fatal(err)
	}
	if err := api.AddPinContext(ctxT(t), string(ch), ref); slackErr(err) != "already_pinned" {
		t.Errorf("second pin = %v", err)
	}
	if err := api.AddPinContext(ctxT(t), string(ch), slack.ItemRef{Channel: string(ch), Timestamp: "1.000002"}); slackErr(err) != "message_not_found" {
		t.Errorf("pin unknown = %v", err)
	}
	items, _, err := api.ListPinsContext(ctxT(t), string(ch))
	if err != nil || len(items) != 1 || items[0].Message.Timestamp != ts {
		t.Errorf("pins.list = %+v, %v", items, err)
	}
	if p := s.Pins(ch); len(p) != 1 || p[0].TS != ts {
		t.Errorf("Pins = %+v", p)
	}

	bm, err := api.AddBookmarkContext(ctxT(t), string(ch), slack.AddBookmarkParameters{Title: "Zoom meeting", Type: "link", Link: "https://zoom.example/j/1"})
	if err != nil || !strings.HasPrefix(bm.ID, "Bk") || bm.Title != "Zoom meeting" {
		t.Fatalf("bookmark = %+v, %v", bm, err)
	}
	for _, tt := range []struct{ link, typ, want string }{
		{"ftp://zoom.example/j/1", "link", "invalid_link"},
		{"zoom.example/j/1", "link", "invalid_link"},
		{"https://zoom.example", "folder", "invalid_bookmark_type"},
	} {
		if _, err := api.AddBookmarkContext(ctxT(t), string(ch), slack.AddBookmarkParameters{Title: "x", Type: tt.typ, Link: tt.link}); slackErr(err) != tt.want {
			t.Errorf("add %s %s = %v, want %s", tt.typ, tt.link, err, tt.want)
		}
	}
	if _, err := api.EditBookmarkContext(ctxT(t), string(ch), "Bk0", slack.EditBookmarkParameters{Link: "https://x.example"}); slackErr(err) != "not_found" {
		t.Errorf("edit unknown = %v", err)
	}
	title := "Zoom meeting"
	if _, err := api.EditBookmarkContext(ctxT(t), string(ch), bm.ID, slack.EditBookmarkParameters{Title: &title, Link: "https://zoom.example/j/2"}); err != nil {
		t.Fatal(err)
	}
	if got := s.Bookmarks(ch); len(got) != 1 || got[0].Link != "https://zoom.example/j/2" || !s.HasBookmark(ch, "Zoom meeting") {
		t.Errorf("bookmarks = %+v", got)
	}
	for i := 1; i < maxBookmarks; i++ {
		if _, err := api.AddBookmarkContext(ctxT(t), string(ch), slack.AddBookmarkParameters{Title: "b", Type: "link", Link: "https://x.example"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := api.AddBookmarkContext(ctxT(t), string(ch), slack.AddBookmarkParameters{Title: "b", Type: "link", Link: "https://x.example"}); slackErr(err) != "too_many_bookmarks" {
		t.Errorf("101st bookmark = %v", err)
	}
	list, err := api.ListBookmarksContext(ctxT(t), string(ch))
	if err != nil || len(list) != maxBookmarks || list[0].ID != bm.ID {
		t.Errorf("bookmarks.list = %d, %v", len(list), err)
	}
	if err := api.RemoveBookmarkContext(ctxT(t), string(ch), bm.ID); err != nil || s.HasBookmark(ch, "Zoom meeting") {
		t.Errorf("remove = %v", err)
	}
}

func TestUsersInfo(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scopes    []string
		wantEmail string
	}{
		{DefaultScopes(), "alice@example.com"},
		{slices.DeleteFunc(DefaultScopes(), func(s string) bool { return s == "users:read.email" }), ""},
	} {
		s := newServer(t, Options{Scopes: tt.scopes})
		u, err := apiClient(s).GetUserInfoContext(ctxT(t), string(alice))
		if err != nil || u.Profile.Email != tt.wantEmail || !u.IsAdmin || u.IsOwner || u.Name != "alice" {
			t.Errorf("users.info with %v = %+v, %v", tt.scopes, u, err)
		}
		c, err := apiClient(s).GetUserInfoContext(ctxT(t), string(carol))
		if err != nil || !c.IsOwner {
			t.Errorf("carol = %+v, %v", c, err)
		}
		if _, err := apiClient(s).GetUserInfoContext(ctxT(t), "UNOBODY"); slackErr(err) != "user_not_found" {
			t.Errorf("unknown user = %v", err)
		}
	}
}
