package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

// The tests in this file run the built binary, as an operator does, and
// signal it as Kubernetes and the kernel do.

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary)) // a temp dir; nothing to report if it lingers
	}
	os.Exit(code)
}

// builtBinary builds incident-bridge once for the package's tests.
func builtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "incident-bridge-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "incident-bridge")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// proc is one run of the binary against the fakes.
type proc struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// procWorld is the fakes, the people and the environment of the binary.
type procWorld struct {
	t       *testing.T
	slack   *fakeslack.Server
	zoom    *fakezoom.Server
	general fakeslack.ChannelID
	env     []string
}

func newProcWorld(t *testing.T, zopts fakezoom.Options) *procWorld {
	t.Helper()
	sl := fakeslack.New(fakeslack.Options{Users: []fakeslack.User{
		{ID: alice, Name: "alice", RealName: "Alice Admin", Email: "alice@example.com", IsAdmin: true},
	}})
	t.Cleanup(sl.Close)
	zopts.Users = append(zopts.Users, fakezoom.User{ID: "zalice", Email: "alice@example.com", Role: "Owner", CanHost: true, Type: 2, Status: "active"})
	zm := fakezoom.New(zopts)
	t.Cleanup(zm.Close)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"SLACK_APP_TOKEN="+sl.AppToken(), "SLACK_BOT_TOKEN="+sl.BotToken(), "SLACK_API_URL="+sl.APIURL(),
		"ZOOM_CLIENT_ID="+zm.ClientID(), "ZOOM_CLIENT_SECRET="+zm.ClientSecret(), "ZOOM_ACCOUNT_ID="+zm.AccountID(),
		"ZOOM_API_URL="+zm.APIURL(), "ZOOM_OAUTH_URL="+zm.OAuthURL(),
		"HTTP_ADDR=127.0.0.1:0", "DB_PATH="+filepath.Join(t.TempDir(), "incident-bridge.db"),
		"ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key), "LOG_LEVEL=debug", "LOG_FORMAT=json",
	)
	return &procWorld{t: t, slack: sl, zoom: zm, general: sl.AddChannel("general", alice), env: env}
}

// start runs the binary and waits until Slack sees it connected.
func (w *procWorld) start() *proc {
	w.t.Helper()
	p := &proc{cmd: exec.Command(builtBinary(w.t)), logs: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = w.env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	w.t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill() // the test failed before stopping it; the error is irrelevant
			<-p.done
		}
		if w.t.Failed() {
			w.t.Logf("binary's logs:\n%s", p.logs.String())
		}
	})
	w.slack.MustWaitConnected(w.t)
	return p
}

// wait returns how the process ended, failing the test after limit.
func (p *proc) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(limit):
		t.Fatalf("the process did not exit within %s", limit)
		return nil
	}
}

// declare declares an incident and returns its channel once its header is
// pinned.
func (w *procWorld) declare(title string) fakeslack.Channel {
	w.t.Helper()
	w.slack.MustSlash(w.t, alice, w.general, "declare "+title)
	w.slack.MustWaitView(w.t, alice, "Declare incident")
	w.slack.MustSubmit(w.t, alice, "Declare incident", fakeslack.Fields{"Severity": "SEV-1"})
	var ch fakeslack.Channel
	fakeslack.Eventually(w.t, func() bool {
		c, ok := w.slack.ChannelByName("inc-1-" + slugOf(title))
		ch = c
		return ok && len(w.slack.Pins(c.ID)) == 1
	})
	return ch
}

// headerShowsMeeting reports whether ch's header has the Join Zoom Meeting
// button.
func (w *procWorld) headerShowsMeeting(ch fakeslack.ChannelID) bool {
	pins := w.slack.Pins(ch)
	return len(pins) == 1 && strings.Contains(fakeslack.Text(pins[0]), "Join Zoom Meeting")
}

// TestProcessSIGTERMFinishesWork: SIGTERM while a press waits on Zoom lets
// the work finish — the meeting is recorded, the header shows it, the
// presser gets the link — and the process exits 0 (SPEC §8).
func TestProcessSIGTERMFinishesWork(t *testing.T) {
	t.Parallel()
	w := newProcWorld(t, fakezoom.Options{CreateLatency: 1500 * time.Millisecond})
	p := w.start()
	ch := w.declare("Drain me")

	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := w.zoom.WaitMeetings(ctx, 1); err != nil { // made at Zoom, its answer 1.5 s away
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Fatalf("after SIGTERM the process ended with %v; want exit status 0", err)
	}
	if !w.headerShowsMeeting(ch.ID) {
		t.Error("the header does not show the meeting the press in flight made")
	}
	saw := ""
	for _, e := range w.slack.Ephemerals(alice) {
		saw += strings.Join(fakeslack.EphemeralTexts(e), "\n")
	}
	if !strings.Contains(saw, "Start as host") {
		t.Errorf("alice was not given her meeting before the exit; she saw:\n%s", saw)
	}
	if !bytes.Contains([]byte(p.logs.String()), []byte(`"incident-bridge stopped"`)) {
		t.Error("no clean stop in the logs")
	}
}

// TestProcessKill9MidCreate: kill -9 while Zoom holds the answer to a
// create it has made. The next start finds that meeting by the attempt in
// its agenda and records it: the incident has one meeting, Zoom saw one
// create, and pressing again shows it.
func TestProcessKill9MidCreate(t *testing.T) {
	t.Parallel()
	w := newProcWorld(t, fakezoom.Options{Scopes: append(fakezoom.DefaultScopes(), "meeting:read:list_meetings:admin")})
	p := w.start()
	ch := w.declare("Kill me")

	w.zoom.HangAfterCreate(1)
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	made, err := w.zoom.WaitMeetings(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t, 10*time.Second) // "signal: killed", as asked
	fakeslack.Eventually(t, func() bool { return w.slack.Connections() == 0 })

	w.start()
	fakeslack.Eventually(t, func() bool { return w.headerShowsMeeting(ch.ID) })
	if !strings.Contains(fakeslack.Text(w.slack.Pins(ch.ID)[0]), made[0].JoinURL) {
		t.Errorf("the header does not link the meeting Zoom made:\n%s", fakeslack.Text(w.slack.Pins(ch.ID)[0]))
	}
	w.slack.MustSlash(t, alice, ch.ID, "zoom")
	fakeslack.Eventually(t, func() bool {
		for _, e := range w.slack.Ephemerals(alice) {
			if strings.Contains(strings.Join(fakeslack.EphemeralTexts(e), "\n"), "already has a meeting") {
				return true
			}
		}
		return false
	})
	if n, m := w.zoom.CreateCalls(), len(w.zoom.Meetings()); n != 1 || m != 1 {
		t.Errorf("zoom saw %d creates and has %d meetings; want one of each", n, m)
	}
}
