// Package demo runs a whole incident end to end against the built-in Slack
// and Zoom simulators on loopback, with no credentials, and prints the
// timeline of what people did and what Slack and Zoom saw.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

// RunFunc is the app's single wiring (main's run): it runs until ctx ends
// and calls onStart with the HTTP address once it listens.
type RunFunc func(ctx context.Context, cfg config.Config, log zerolog.Logger, onStart func(httpAddr string)) error

// The people of the demo.
const (
	aliceEmail  = "alice@example.com"
	bobEmail    = "bob@example.com"
	carolEmail  = "carol@example.com"
	oncallEmail = "oncall@example.com"
)

// Run starts the simulators and the app, plays the incident, prints the
// timeline to w, and stops everything.
func Run(ctx context.Context, w io.Writer, run RunFunc) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	slack := fakeslack.New(fakeslack.Options{Users: []fakeslack.User{
		{ID: "UALICE", Name: "alice", RealName: "Alice Admin", Email: aliceEmail, IsAdmin: true},
		{ID: "UBOB", Name: "bob", RealName: "Bob Commander", Email: bobEmail},
		{ID: "UCAROL", Name: "carol", RealName: "Carol Responder", Email: carolEmail},
	}})
	defer slack.Close()
	zoom := fakezoom.New(fakezoom.Options{Users: []fakezoom.User{
		{ID: "zalice", Email: aliceEmail, FirstName: "Alice", Role: "Owner", CanHost: true, Type: 2, Status: "active"},
		{ID: "zbob", Email: bobEmail, FirstName: "Bob", Role: "Member", CanHost: true, Type: 2, Status: "active"},
		{ID: "zoncall", Email: oncallEmail, FirstName: "On-call", Role: "Member", CanHost: true, Type: 2, Status: "active"},
	}})
	defer zoom.Close()
	general := slack.AddChannel("general", "UALICE", "UBOB", "UCAROL")

	dir, err := os.MkdirTemp("", "incident-bridge-demo-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	key := make([]byte, config.KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("key: %w", err)
	}
	cfg := config.Config{
		SlackAppToken: config.Secret(slack.AppToken()), SlackBotToken: config.Secret(slack.BotToken()), SlackAPIURL: slack.APIURL(),
		ZoomClientID: zoom.ClientID(), ZoomClientSecret: config.Secret(zoom.ClientSecret()), ZoomAccountID: zoom.AccountID(),
		ZoomAPIURL: zoom.APIURL(), ZoomOAuthURL: zoom.OAuthURL(),
		HTTPAddr: "127.0.0.1:0", DBPath: filepath.Join(dir, "demo.db"), EncryptionKey: config.Secret(key),
		BackupInterval: time.Hour, BackupKeep: 1, LogLevel: "error", LogFormat: "console",
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.ErrorLevel)

	appCtx, stopApp := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(appCtx, cfg, log, nil) }()
	defer func() {
		stopApp()
		<-done
	}()

	t := &timeline{w: w, start: time.Now(), slack: slack, zoom: zoom}
	if err := slack.WaitConnected(ctx); err != nil {
		return fmt.Errorf("app did not connect to Slack: %w", err)
	}
	t.say("app", "connected to Slack over Socket Mode")
	return t.play(ctx, general)
}

// play is the script.
func (t *timeline) play(ctx context.Context, general fakeslack.ChannelID) error {
	s := t.slack
	// 1. Declare.
	t.say("alice", "/incident declare Checkout errors  (in #general)")
	if _, err := s.SlashCommand(ctx, "UALICE", general, "declare Checkout errors"); err != nil {
		return err
	}
	if _, err := s.WaitView(ctx, "UALICE", "Declare incident"); err != nil {
		return err
	}
	t.say("alice", "fills Declare incident: Severity SEV-2, Commander @bob, Customer impact Yes; presses Declare")
	if _, err := s.SubmitView(ctx, "UALICE", "Declare incident", fakeslack.Fields{"Severity": "SEV-2", "Commander": "UBOB", "Customer impact": "Yes"}); err != nil {
		return err
	}
	inc1, err := s.WaitChannel(ctx, "inc-1-checkout-errors")
	if err != nil {
		return err
	}
	if err := t.waitFor(ctx, func() bool { return len(s.Pins(inc1.ID)) == 1 }); err != nil {
		return fmt.Errorf("header not pinned: %w", err)
	}
	t.say("slack", fmt.Sprintf("channel #%s created; members %v; header pinned:", inc1.Name, s.Members(inc1.ID)))
	t.show(s.Pins(inc1.ID)[0])

	// 2. Admin settings: automatic meetings for SEV-1, fallback host.
	t.say("alice", "/incident settings → Automatically create Zoom meetings, Severity SEV-1, Fallback user account oncall@example.com; Save")
	if _, err := s.SlashCommand(ctx, "UALICE", general, "settings"); err != nil {
		return err
	}
	if _, err := s.WaitView(ctx, "UALICE", "Incident settings"); err != nil {
		return err
	}
	res, err := s.SubmitView(ctx, "UALICE", "Incident settings", fakeslack.Fields{
		"Automatically create Zoom meetings": true, "Severity": []string{"SEV-1"}, "Fallback user account": oncallEmail,
	})
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("settings refused: %v", res.Errors)
	}
	t.say("slack", "settings saved (modal closed)")

	// 3. Severity change → automatic meeting hosted by the commander.
	t.say("alice", "/incident severity sev1  (in #"+inc1.Name+")")
	if _, err := s.SlashCommand(ctx, "UALICE", inc1.ID, "severity sev1"); err != nil {
		return err
	}
	if _, err := t.zoom.WaitMeetings(ctx, 1); err != nil {
		return err
	}
	m := t.zoom.Meetings()[0]
	t.say("zoom", fmt.Sprintf("meeting %d created automatically: topic %q, host %s (the commander), type %d, join before host %v", m.ID, m.Topic, m.HostEmail, m.Type, m.Settings.JoinBeforeHost))
	if err := t.waitFor(ctx, func() bool { return s.HasBookmark(inc1.ID, "Zoom meeting") }); err != nil {
		return fmt.Errorf("bookmark missing: %w", err)
	}
	t.say("slack", "bookmark \"Zoom meeting\" → "+s.Bookmarks(inc1.ID)[0].Link)
	t.say("slack", "header updated in place:")
	t.show(s.Pins(inc1.ID)[0])
	t.messages(inc1.ID)

	// 4. A second incident; carol (not in the Zoom account) presses the button.
	t.say("carol", "/incident declare Login slow; presses Declare")
	if _, err := s.SlashCommand(ctx, "UCAROL", general, "declare Login slow"); err != nil {
		return err
	}
	if _, err := s.WaitView(ctx, "UCAROL", "Declare incident"); err != nil {
		return err
	}
	if _, err := s.SubmitView(ctx, "UCAROL", "Declare incident", fakeslack.Fields{}); err != nil {
		return err
	}
	inc2, err := s.WaitChannel(ctx, "inc-2-login-slow")
	if err != nil {
		return err
	}
	if err := t.waitFor(ctx, func() bool { return len(s.Pins(inc2.ID)) == 1 }); err != nil {
		return err
	}
	t.say("carol", "presses Create Zoom Meeting in #"+inc2.Name)
	if _, err := s.ClickButton(ctx, "UCAROL", inc2.ID, "Create Zoom Meeting"); err != nil {
		return err
	}
	if _, err := t.zoom.WaitMeetings(ctx, 2); err != nil {
		return err
	}
	m = t.zoom.Meetings()[1]
	t.say("zoom", fmt.Sprintf("meeting %d created: topic %q, host %s (fallback: carol is not a user of the Zoom account)", m.ID, m.Topic, m.HostEmail))
	e, err := s.WaitEphemeral(ctx, "UCAROL", "Join")
	if err != nil {
		return err
	}
	t.say("slack", "carol sees (only her): "+oneLine(strings.Join(fakeslack.EphemeralTexts(e), " | ")))
	t.messages(inc2.ID)

	t.say("demo", fmt.Sprintf("done: %d Zoom create calls for 2 meetings; %d Slack Web API calls", t.zoom.CreateCalls(), len(s.Calls(""))))
	return nil
}

// timeline prints what happened, with the time since the start.
type timeline struct {
	w     io.Writer
	start time.Time
	slack *fakeslack.Server
	zoom  *fakezoom.Server
	seen  map[string]bool
}

func (t *timeline) say(who, what string) {
	fmt.Fprintf(t.w, "%7.3fs  %-6s %s\n", time.Since(t.start).Seconds(), who, what)
}

func (t *timeline) show(m fakeslack.Message) {
	for _, line := range fakeslack.Texts(m) {
		if line = oneLine(line); line != "" {
			fmt.Fprintf(t.w, "%17s│ %s\n", "", line)
		}
	}
}

// messages prints the channel's messages not printed yet.
func (t *timeline) messages(ch fakeslack.ChannelID) {
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	for _, m := range t.slack.Messages(ch) {
		if m.Pinned || t.seen[string(ch)+m.TS] {
			continue
		}
		t.seen[string(ch)+m.TS] = true
		t.say("slack", "posted in the channel:")
		t.show(m)
	}
}

// waitFor polls cond until it holds or ctx ends.
func (t *timeline) waitFor(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
