package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
	"github.com/incident-bridge/incident-bridge/internal/store"
)

// The people of the end-to-end tests. Alice is a workspace admin, Bob and
// Carol are responders; Carol is not a user of the Zoom account.
const (
	alice  = fakeslack.UserID("UALICE")
	bob    = fakeslack.UserID("UBOB")
	carol  = fakeslack.UserID("UCAROL")
	oncall = "oncall@example.com"
)

// world is one end-to-end set-up: fake Slack, fake Zoom, and the real app
// (main's run) wired to them over loopback, with its logs captured.
type world struct {
	t       *testing.T
	slack   *fakeslack.Server
	zoom    *fakezoom.Server
	general fakeslack.ChannelID
	cfg     config.Config
	logs    *syncBuffer
	http    string // the app's HTTP address

	stop func() // stops the running app and waits for it
}

type worldOption func(*config.Config, *fakezoom.Options)

// newWorld starts the fakes and the app, and waits for Socket Mode.
func newWorld(t *testing.T, opts ...worldOption) *world {
	t.Helper()
	sl := fakeslack.New(fakeslack.Options{Users: []fakeslack.User{
		{ID: alice, Name: "alice", RealName: "Alice Admin", Email: "alice@example.com", IsAdmin: true},
		{ID: bob, Name: "bob", RealName: "Bob", Email: "bob@example.com"},
		{ID: carol, Name: "carol", RealName: "Carol", Email: "carol@example.com"},
	}})
	t.Cleanup(sl.Close)
	zopts := fakezoom.Options{Users: []fakezoom.User{
		{ID: "zalice", Email: "alice@example.com", Role: "Owner", CanHost: true, Type: 2, Status: "active"},
		{ID: "zbob", Email: "bob@example.com", Role: "Member", CanHost: true, Type: 2, Status: "active"},
		{ID: "zoncall", Email: oncall, Role: "Member", CanHost: true, Type: 2, Status: "active"},
	}}
	key := make([]byte, config.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{
		SlackAppToken: config.Secret(sl.AppToken()), SlackBotToken: config.Secret(sl.BotToken()), SlackAPIURL: sl.APIURL(),
		HTTPAddr: "127.0.0.1:0", DBPath: filepath.Join(t.TempDir(), "test.db"), EncryptionKey: config.Secret(key),
		BackupInterval: time.Hour, BackupKeep: 2, LogLevel: "debug", LogFormat: "json",
	}
	for _, o := range opts {
		o(&cfg, &zopts)
	}
	zm := fakezoom.New(zopts)
	t.Cleanup(zm.Close)
	if cfg.ZoomClientID == "" {
		cfg.ZoomClientID, cfg.ZoomClientSecret, cfg.ZoomAccountID = zm.ClientID(), config.Secret(zm.ClientSecret()), zm.AccountID()
	}
	cfg.ZoomAPIURL, cfg.ZoomOAuthURL = zm.APIURL(), zm.OAuthURL()
	w := &world{t: t, slack: sl, zoom: zm, cfg: cfg, logs: &syncBuffer{}}
	w.general = sl.AddChannel("general", alice, bob, carol)
	w.start()
	t.Cleanup(func() { w.stop() })
	return w
}

// start runs the app on w.cfg, with run's options (such as withClock), and
// waits until Slack sees it connected.
func (w *world) start(opts ...runOption) {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := zerolog.New(w.logs).Level(zerolog.DebugLevel)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, w.cfg, log, func(a string) { addr <- a }, opts...) }()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				w.t.Errorf("run returned %v", err)
			}
			// The app closed its socket; wait until Slack has seen it go,
			// so the next start's events cannot be sent to the dead one.
			fakeslack.Eventually(w.t, func() bool { return w.slack.Connections() == 0 })
		})
	}
	select {
	case w.http = <-addr:
	case err := <-done:
		w.t.Fatalf("app did not start: %v", err)
	case <-time.After(10 * time.Second):
		w.t.Fatal("app did not start in 10 s")
	}
	w.slack.MustWaitConnected(w.t)
}

// restart stops the app and starts it again on the same database.
func (w *world) restart() {
	w.t.Helper()
	w.stop()
	w.start()
}

// openStore opens the database of the stopped app with its key, and
// returns it with the function that closes it.
func (w *world) openStore() (*store.Store, func()) {
	w.t.Helper()
	key, _, err := store.LoadOrCreateKey(w.cfg.DBPath, []byte(w.cfg.EncryptionKey.Reveal()))
	if err != nil {
		w.t.Fatal(err)
	}
	st, err := store.Open(w.cfg.DBPath, store.Options{Key: key, Timeout: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	return st, func() {
		if err := st.Close(); err != nil {
			w.t.Error(err)
		}
	}
}

// declare declares an incident through the modal, as a person does, and
// returns its channel.
func (w *world) declare(user fakeslack.UserID, title string, fields fakeslack.Fields) fakeslack.Channel {
	w.t.Helper()
	w.slack.MustSlash(w.t, user, w.general, "declare "+title)
	w.slack.MustWaitView(w.t, user, "Declare incident")
	if res := w.slack.MustSubmit(w.t, user, "Declare incident", fields); len(res.Errors) > 0 {
		w.t.Fatalf("declare refused: %v", res.Errors)
	}
	var ch fakeslack.Channel
	fakeslack.Eventually(w.t, func() bool {
		for _, c := range w.slack.Channels() {
			if strings.Contains(c.Name, slugOf(title)) && len(w.slack.Pins(c.ID)) == 1 {
				ch = c
				return true
			}
		}
		return false
	})
	return ch
}

func slugOf(title string) string {
	return strings.Join(strings.Fields(strings.ToLower(title)), "-")
}

// header returns the visible text of the channel's pinned header.
func (w *world) header(ch fakeslack.ChannelID) string {
	pins := w.slack.Pins(ch)
	if len(pins) != 1 {
		w.t.Fatalf("channel has %d pinned messages; want the header alone", len(pins))
	}
	return fakeslack.Text(pins[0])
}

// saw returns everything user was shown privately, newest last.
func (w *world) saw(user fakeslack.UserID) string {
	var b strings.Builder
	for _, e := range w.slack.Ephemerals(user) {
		b.WriteString(strings.Join(fakeslack.EphemeralTexts(e), "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

// eventuallySaw waits until user was shown text containing substr.
func (w *world) eventuallySaw(user fakeslack.UserID, substr string) {
	w.t.Helper()
	fakeslack.Eventually(w.t, func() bool { return strings.Contains(w.saw(user), substr) })
}

// channelText is every message in the channel, as people see them.
func (w *world) channelText(ch fakeslack.ChannelID) string {
	var b strings.Builder
	for _, m := range w.slack.Messages(ch) {
		b.WriteString(fakeslack.Text(m))
		for _, v := range m.History {
			b.WriteString(v.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
