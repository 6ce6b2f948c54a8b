package fakeslack

import (
	"context"
	"testing"

	"github.com/slack-go/slack"
)

// TestUsersListPagesWithSlackGo: slack-go's paginated users.list sees every
// user once, across pages.
func TestUsersListPagesWithSlackGo(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	defer s.Close()
	for _, id := range []UserID{"UA", "UB", "UC"} {
		s.AddUser(User{ID: id, Name: string(id)})
	}
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	users, err := api.GetUsersContext(context.Background(), slack.GetUsersOptionLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, u := range users {
		seen[u.ID]++
	}
	for _, id := range []string{"UA", "UB", "UC"} {
		if seen[id] != 1 {
			t.Errorf("user %s listed %d times; want once (all: %v)", id, seen[id], seen)
		}
	}
}

// TestDirectMessageToUserID: chat.postMessage to a user ID opens the app's
// DM with that user, as Slack does.
func TestDirectMessageToUserID(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	defer s.Close()
	s.AddUser(User{ID: "UA", Name: "a"})
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	if _, _, err := api.PostMessage("UA", slack.MsgOptionText("hello", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("UNOBODY", slack.MsgOptionText("hello", false)); err == nil {
		t.Error("a DM to an unknown user was accepted")
	}
	dms := s.DirectMessages("UA")
	if len(dms) != 1 || dms[0].Text != "hello" {
		t.Errorf("DMs = %+v; want one saying hello", dms)
	}
}
