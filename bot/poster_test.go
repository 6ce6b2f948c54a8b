package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/slackui"
)

const (
	startURL = "https://zoom.example/s/85310007919?zak=host-secret"
	joinURL  = "https://zoom.example/j/85310007919?pwd=abc"
)

// hostMessage is the ephemeral a host gets after pressing Create Zoom
// Meeting: it carries the start link.
func hostMessage() slackui.Message {
	inc := incident.Incident{Number: 7, Title: "Checkout down", Channel: "C1",
		Meeting: &incident.Meeting{ID: "85310007919", JoinURL: joinURL, Passcode: "123456"}}
	return slackui.MeetingEphemeral(inc, startURL)
}

// TestReplyFallsBackWithoutTheStartLink: when neither the response_url nor
// chat.postEphemeral can reach the person (the bot is not in the channel),
// the answer arrives as a direct message, and a direct message, which
// stays, never carries the host's start link.
func TestReplyFallsBackWithoutTheStartLink(t *testing.T) {
	t.Parallel()
	sl := fakeslack.New(fakeslack.Options{})
	t.Cleanup(sl.Close)
	ann := sl.AddUser(fakeslack.User{ID: "UANN", Name: "ann"})
	general := sl.AddChannel("general", ann) // the bot is not a member
	api := slack.New(sl.BotToken(), slack.OptionAPIURL(sl.APIURL()))
	p := NewPoster(api, nil)

	to := replyTo{User: incident.UserID(ann), Channel: incident.ChannelID(general),
		ResponseURL: sl.URL() + "/response/expired-or-unknown"}
	if err := p.reply(context.Background(), to, hostMessage()); err != nil {
		t.Fatalf("reply: %v", err)
	}
	dms := sl.DirectMessages(ann)
	if len(dms) != 1 {
		t.Fatalf("%d direct messages; want the answer as one", len(dms))
	}
	text := dms[0].Text + fakeslack.Text(dms[0])
	if !strings.Contains(text, joinURL) || !strings.Contains(text, "You host this meeting") {
		t.Errorf("the direct message lacks the join link or the host note:\n%s", text)
	}
	if strings.Contains(text+string(dms[0].Blocks), "host-secret") || strings.Contains(text, "Start as host") {
		t.Errorf("the direct message carries the start link:\n%s", text)
	}
	if len(sl.Ephemerals(ann)) != 0 {
		t.Errorf("an ephemeral was shown in a channel the bot is not in")
	}
}
