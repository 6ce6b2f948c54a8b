package main

// Operations end to end (issue 6): backups taken by the running app,
// restoring one onto a fresh database, ENCRYPTION_KEY rotation with the
// rekey command, and the schema guard at start-up. Everything goes through
// main's run (or Main) and the fakes, as an operator and the users see it.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
	"github.com/incident-bridge/incident-bridge/internal/web"
)

// opWait bounds every wait in this file.
const opWait = 20 * time.Second

// opSnapshotLayout is the time in a snapshot's name, as docs/operations.md
// documents it: incident-bridge-20260301T120000.000000000Z.db.
const opSnapshotLayout = "20060102T150405.000000000Z"

// opBackups makes the app snapshot into dir every interval, keeping keep.
func opBackups(dir string, every time.Duration, keep int) worldOption {
	return func(c *config.Config, _ *fakezoom.Options) {
		c.BackupDir, c.BackupInterval, c.BackupKeep = dir, every, keep
	}
}

// opInstallFlow runs the app with the Zoom install flow (client credentials,
// no account ID), so tokens are stored sealed in the database.
func opInstallFlow(c *config.Config, _ *fakezoom.Options) {
	c.ZoomClientID, c.ZoomClientSecret, c.ZoomAccountID = fakezoom.DefaultClientID, config.Secret(fakezoom.DefaultClientSecret), ""
	c.PublicURL = "https://incident-bridge.example.com"
}

// opConnectZoom connects the workspace's Zoom account as Alice does:
// /incident zoom connect, Authorize, Allow in Zoom, and the browser lands
// on the app's callback.
func opConnectZoom(t *testing.T, w *world) {
	t.Helper()
	w.slack.MustSlash(t, alice, w.general, "zoom connect")
	w.eventuallySaw(alice, "Connect a Zoom account")
	link := w.slack.MustClick(t, alice, w.general, "Authorize").URL
	ctx, cancel := context.WithTimeout(context.Background(), opWait)
	defer cancel()
	redirect, err := w.zoom.Authorize(ctx, link, "alice@example.com")
	if err != nil {
		t.Fatalf("authorize in zoom: %v", err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	// PUBLIC_URL is the operator's ingress; the test reaches the app directly.
	status, body := opGet(t, "http://"+w.http+u.Path+"?"+u.RawQuery)
	if status != http.StatusOK || !strings.Contains(body, "Zoom is connected") {
		t.Fatalf("oauth callback answered %d:\n%s", status, body)
	}
}

// opGet fetches u and returns the status and body.
func opGet(t *testing.T, u string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL.Path, err)
	}
	return resp.StatusCode, string(b)
}

// opMetric returns the value of an unlabelled metric on the app's /metrics.
func opMetric(t *testing.T, w *world, name string) (float64, bool) {
	t.Helper()
	status, body := opGet(t, "http://"+w.http+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics answered %d", status)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			t.Fatalf("metric %s: %v", name, err)
		}
		return f, true
	}
	return 0, false
}

// opEventually polls cond until it holds, failing t after opWait.
func opEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(opWait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, opWait)
		}
		<-tick.C
	}
}

// opSnapshots lists dir's snapshots by name, oldest first.
func opSnapshots(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "incident-bridge-*.db"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	return paths
}

// opSnapshotTime is the time in a snapshot's name.
func opSnapshotTime(t *testing.T, path string) time.Time {
	t.Helper()
	ts := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "incident-bridge-"), ".db")
	at, err := time.Parse(opSnapshotLayout, ts)
	if err != nil {
		t.Fatalf("snapshot name %s: %v", filepath.Base(path), err)
	}
	return at
}

// opSnapshotAfter waits for a snapshot that holds every change committed
// before mark, copies it to a file of the test's own (the app rotates
// snapshots away) and returns the copy. Snapshots are taken one after
// another, each named when its copy is done, so the one after the first
// named after mark began after mark.
func opSnapshotAfter(t *testing.T, dir string, mark time.Time) string {
	t.Helper()
	var cp string
	opEventually(t, "a snapshot taken after the changes", func() bool {
		snaps := opSnapshots(t, dir)
		var after []string
		for _, p := range snaps {
			if opSnapshotTime(t, p).After(mark) {
				after = append(after, p)
			}
		}
		if len(after) < 2 {
			return false
		}
		var ok bool
		cp, ok = opCopy(t, after[len(after)-1])
		return ok
	})
	return cp
}

// opCopy copies a file into the test's temp dir with mode 0600; ok is false
// if it vanished first (rotated away).
func opCopy(t *testing.T, src string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst, true
}

// opOpen opens a database file with key, closed when the test ends.
func opOpen(t *testing.T, path string, key []byte) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{Key: key, Timeout: time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", filepath.Base(path), err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// opCheckFile runs bbolt's own consistency check on a database file.
func opCheckFile(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("bbolt open %s: %v", filepath.Base(path), err)
	}
	defer db.Close()
	if err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("%s is inconsistent: %v", filepath.Base(path), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// opKey returns a new random ENCRYPTION_KEY (raw bytes).
func opKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, config.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// opTeam is the fake workspace's ID in the domain's type.
func opTeam(w *world) incident.TeamID { return incident.TeamID(w.slack.TeamID()) }

// opIncidentIn reads the incident of a Slack channel from a database file.
func opIncidentIn(t *testing.T, st *store.Store, w *world, ch fakeslack.ChannelID) incident.Incident {
	t.Helper()
	inc, err := st.IncidentByChannel(context.Background(), opTeam(w), incident.ChannelID(ch))
	if err != nil {
		t.Fatalf("incident of %s: %v", ch, err)
	}
	return inc
}

// opRunFails runs the app on cfg and returns the start-up error; it fails
// t if the app starts instead.
func opRunFails(t *testing.T, cfg config.Config) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opWait)
	defer cancel()
	started := false
	err := run(ctx, cfg, zerolog.Nop(), func(string) { started = true; cancel() })
	if started || err == nil {
		t.Fatalf("the app started (err %v); want a start-up error", err)
	}
	return err
}

// opEnv is the environment an operator sets for the app of w.
func opEnv(w *world, key []byte) map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": w.slack.AppToken(), "SLACK_BOT_TOKEN": w.slack.BotToken(), "SLACK_API_URL": w.cfg.SlackAPIURL,
		"ZOOM_CLIENT_ID": w.cfg.ZoomClientID, "ZOOM_CLIENT_SECRET": w.cfg.ZoomClientSecret.Reveal(), "ZOOM_ACCOUNT_ID": w.cfg.ZoomAccountID,
		"ZOOM_API_URL": w.cfg.ZoomAPIURL, "ZOOM_OAUTH_URL": w.cfg.ZoomOAuthURL,
		"PUBLIC_URL": w.cfg.PublicURL, "HTTP_ADDR": "127.0.0.1:0", "DB_PATH": w.cfg.DBPath, "ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(key),
	}
}

// TestOpBackupsRotateAndOpen: with BACKUP_DIR set the running app writes
// snapshots, keeps BACKUP_KEEP of them, each opens with the same key and
// holds the incidents, and /metrics shows the last success and its size.
func TestOpBackupsRotateAndOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "backups") // created by the app
	w := newWorld(t, opBackups(dir, 100*time.Millisecond, 2))
	ch := w.declare(alice, "Snapshot me", fakeslack.Fields{"Severity": "SEV-2"})
	mark := time.Now()

	seen := map[string]bool{}
	opEventually(t, "snapshots to rotate", func() bool {
		for _, p := range opSnapshots(t, dir) {
			seen[filepath.Base(p)] = true
		}
		return len(seen) >= 4
	})
	snap := opSnapshotAfter(t, dir, mark)

	last, ok := opMetric(t, w, "incident_bridge_backup_last_success_timestamp_seconds")
	if !ok || last < float64(mark.Unix()) || last > float64(time.Now().Unix()+1) {
		t.Errorf("backup_last_success_timestamp_seconds = %v (present %t); want a time since %d", last, ok, mark.Unix())
	}
	// The size is the newest snapshot's (polled: one may land in between).
	opEventually(t, "backup_last_size_bytes to be the newest snapshot's size", func() bool {
		size, ok := opMetric(t, w, "incident_bridge_backup_last_size_bytes")
		snaps := opSnapshots(t, dir)
		if len(snaps) == 0 {
			return false
		}
		info, err := os.Stat(snaps[len(snaps)-1])
		return ok && err == nil && size > 0 && size == float64(info.Size())
	})
	if f, ok := opMetric(t, w, "incident_bridge_backup_failures_total"); !ok || f != 0 {
		t.Errorf("backup_failures_total = %v (present %t); want 0", f, ok)
	}
	w.stop()

	// Rotation: exactly BACKUP_KEEP snapshots remain, the newest of all
	// written, mode 0600, and no temporary file is left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		seen[e.Name()] = true
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; want 0600", e.Name(), info.Mode().Perm())
		}
	}
	all := slices.Sorted(func(yield func(string) bool) {
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	if want := all[len(all)-2:]; !slices.Equal(names, want) {
		t.Errorf("backup dir holds %q; want the two newest snapshots %q (of %d written)", names, want, len(all))
	}

	opCheckFile(t, snap)
	inc := opIncidentIn(t, opOpen(t, snap, []byte(w.cfg.EncryptionKey.Reveal())), w, ch.ID)
	if inc.Title != "Snapshot me" || inc.Severity.String() != "SEV-2" || inc.Number != 1 {
		t.Errorf("snapshot holds %s %q %s; want INC-1 \"Snapshot me\" SEV-2", inc.Number, inc.Title, inc.Severity)
	}
}

// TestOpRestoreSnapshot: stop the app, put the newest snapshot in place of
// the database (a fresh path here), start: incidents, the meeting, settings
// and the Zoom connection are back and work, with the same key. Another key
// opens neither the snapshot nor the app.
func TestOpRestoreSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := newWorld(t, opInstallFlow, opBackups(dir, 100*time.Millisecond, 2))
	key := []byte(w.cfg.EncryptionKey.Reveal())
	opConnectZoom(t, w)

	w.slack.MustSlash(t, alice, w.general, "settings")
	w.slack.MustWaitView(t, alice, "Incident settings")
	if res := w.slack.MustSubmit(t, alice, "Incident settings", fakeslack.Fields{
		"Fallback user account": oncall, "Incident channel prefix": "sev-",
	}); len(res.Errors) > 0 {
		t.Fatalf("settings refused: %v", res.Errors)
	}
	w.slack.MustSlash(t, alice, w.general, "zoom status")
	w.eventuallySaw(alice, "`sev-`")

	first := w.declare(alice, "Restore me", fakeslack.Fields{"Severity": "SEV-2", "Commander": string(bob)})
	if first.Name != "sev-1-restore-me" {
		t.Errorf("channel %q; want sev-1-restore-me (the saved prefix)", first.Name)
	}
	w.slack.MustClick(t, alice, first.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Start as host")
	join := w.zoom.Meetings()[0].JoinURL
	w.slack.MustSlash(t, bob, first.ID, "title Restored title")
	fakeslack.Eventually(t, func() bool { return strings.Contains(w.header(first.ID), "Restored title") })
	second := w.declare(bob, "Second one", fakeslack.Fields{"Severity": "SEV-4"})
	mark := time.Now()

	snap := opSnapshotAfter(t, dir, mark)
	w.stop()

	// The snapshot itself: tokens open with the key, not with another.
	other := opKey(t)
	wrong, ok := opCopy(t, snap)
	if !ok {
		t.Fatal("copy of the snapshot vanished")
	}
	if _, err := store.Open(wrong, store.Options{Key: other, Timeout: time.Second}); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("snapshot opened with another key: %v; want ErrWrongKey", err)
	}
	func() {
		st, err := store.Open(snap, store.Options{Key: key, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		conn, err := st.ZoomConnection(context.Background(), opTeam(w))
		if err != nil || conn.AccessToken == "" || conn.RefreshToken == "" || conn.ConnectedBy != incident.UserID(alice) {
			t.Errorf("snapshot's zoom connection: %+v, %v; want alice's, tokens decrypted", conn.ConnectedBy, err)
		}
	}()

	// Restore onto a fresh path. With another key the app refuses to start
	// and leaves the file alone.
	restored := filepath.Join(t.TempDir(), "restored.db")
	raw, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := w.cfg
	cfg.DBPath, cfg.BackupDir, cfg.EncryptionKey = restored, "", config.Secret(other)
	err = opRunFails(t, cfg)
	if !errors.Is(err, store.ErrWrongKey) || !strings.Contains(err.Error(), "ENCRYPTION_KEY") {
		t.Errorf("start with another key: %v; want ErrWrongKey naming ENCRYPTION_KEY", err)
	}
	if after, _ := os.ReadFile(restored); !bytes.Equal(after, raw) {
		t.Error("a refused start changed the restored file")
	}

	w.cfg.DBPath, w.cfg.BackupDir = restored, ""
	w.start()

	list := lcReply(t, w, bob, w.general, "list")
	for _, want := range []string{"INC-1", "Restored title", "SEV-2", join, "INC-2", "SEV-4"} {
		if !strings.Contains(list, want) {
			t.Errorf("list after restore lacks %q:\n%s", want, list)
		}
	}
	w.slack.MustSlash(t, bob, first.ID, "zoom")
	w.eventuallySaw(bob, "already has a meeting")
	w.slack.MustSlash(t, bob, first.ID, "severity SEV-1")
	fakeslack.Eventually(t, func() bool { return strings.Contains(w.header(first.ID), "SEV-1") })
	for _, want := range []string{"INC-1: Restored title", join, "Join Zoom Meeting"} {
		if h := w.header(first.ID); !strings.Contains(h, want) {
			t.Errorf("header after restore lacks %q:\n%s", want, h)
		}
	}

	w.slack.MustSlash(t, alice, w.general, "zoom status")
	fakeslack.Eventually(t, func() bool { return strings.Count(w.saw(alice), "`sev-`") == 2 })
	status := w.saw(alice)
	status = status[strings.LastIndex(status, "*Zoom:*"):]
	for _, want := range []string{"connected (installed by an admin (OAuth)) by <@UALICE>", oncall} {
		if !strings.Contains(status, want) {
			t.Errorf("zoom status after restore lacks %q:\n%s", want, status)
		}
	}

	// The restored tokens work at Zoom: a meeting for the second incident.
	w.slack.MustClick(t, bob, second.ID, "Create Zoom Meeting")
	w.eventuallySaw(bob, "Start as host")
	if ms := w.zoom.Meetings(); len(ms) != 2 || ms[1].HostEmail != "bob@example.com" {
		t.Errorf("zoom meetings after restore: %d; want a second one hosted by bob", len(ms))
	}
	if third := w.declare(carol, "After restore", fakeslack.Fields{}); third.Name != "sev-3-after-restore" {
		t.Errorf("new incident after restore in #%s; want sev-3-after-restore", third.Name)
	}
}

// TestOpBackupDuringBurst: snapshots taken while 50 title changes arrive
// concurrently through Slack are each consistent and hold a prefix of the
// changes; the first one after the burst holds all 50.
func TestOpBackupDuringBurst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := newWorld(t, opBackups(dir, 10*time.Millisecond, 1000))
	key := []byte(w.cfg.EncryptionKey.Reveal())
	ch := w.declare(alice, "Burst", fakeslack.Fields{"Commander": string(bob)})

	const n = 50
	titles := make([]string, n)
	for i := range titles {
		titles[i] = fmt.Sprintf("Burst %02d", i+1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, title := range titles {
		wg.Go(func() {
			if _, err := w.slack.SlashCommand(ctx, bob, ch.ID, "title "+title); err != nil {
				t.Errorf("title %s: %v", title, err)
			}
		})
	}
	wg.Wait()
	opEventually(t, "all 50 changes announced", func() bool {
		text := w.channelText(ch.ID)
		for _, title := range titles {
			if !strings.Contains(text, "“"+title+"”") {
				return false
			}
		}
		return true
	})
	mark := time.Now()
	opSnapshotAfter(t, dir, mark)
	w.stop()

	// Every snapshot, in the order taken: consistent, opens with the key,
	// and holds at least the changes of the one before.
	prev, during := 0, 0
	var final incident.Incident
	snaps := opSnapshots(t, dir)
	for _, p := range snaps {
		cp, _ := opCopy(t, p) // the app is stopped: nothing rotates now
		opCheckFile(t, cp)
		st, err := store.Open(cp, store.Options{Key: key, Timeout: time.Second})
		if err != nil {
			t.Fatalf("open %s: %v", filepath.Base(p), err)
		}
		inc, err := st.IncidentByChannel(context.Background(), opTeam(w), incident.ChannelID(ch.ID))
		if cerr := st.Close(); cerr != nil {
			t.Error(cerr)
		}
		if errors.Is(err, incident.ErrNotFound) {
			continue // taken before the declaration
		}
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, e := range inc.Timeline {
			if e.Kind == incident.EventChanged {
				got++
			}
		}
		if got < prev {
			t.Errorf("%s holds %d changes, fewer than the snapshot before (%d)", filepath.Base(p), got, prev)
		}
		if got > 0 && got < n {
			during++
		}
		prev, final = got, inc
	}
	t.Logf("%d snapshots, %d of them taken during the burst", len(snaps), during)
	if during == 0 {
		t.Error("no snapshot was taken while the changes were being written")
	}

	var news []string
	for _, e := range final.Timeline {
		for _, c := range e.Changes {
			if e.Kind == incident.EventChanged && c.Field == incident.FieldTitle {
				news = append(news, c.New)
			}
		}
	}
	slices.Sort(news)
	if !slices.Equal(news, titles) {
		t.Errorf("the last snapshot holds title changes %q; want all 50", news)
	}
	if len(final.Timeline) != n+1 || final.Title != final.Timeline[n].Changes[0].New {
		t.Errorf("last snapshot: %d timeline events, title %q; want 51 and the last change's title", len(final.Timeline), final.Title)
	}
}

// TestOpFailedBackupKeepsRunning: a BACKUP_DIR that cannot be written (a
// file) makes every backup fail: each is counted and logged, and the app
// carries on serving Slack.
func TestOpFailedBackupKeepsRunning(t *testing.T) {
	t.Parallel()
	notDir := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, opBackups(notDir, 20*time.Millisecond, 2))

	opEventually(t, "backup failures counted", func() bool {
		f, _ := opMetric(t, w, "incident_bridge_backup_failures_total")
		return f >= 2
	})
	if last, _ := opMetric(t, w, "incident_bridge_backup_last_success_timestamp_seconds"); last != 0 {
		t.Errorf("backup_last_success_timestamp_seconds = %v after only failures; want 0", last)
	}

	ch := w.declare(alice, "Still working", fakeslack.Fields{"Severity": "SEV-3"})
	w.slack.MustSlash(t, alice, ch.ID, "severity SEV-2")
	fakeslack.Eventually(t, func() bool { return strings.Contains(w.header(ch.ID), "SEV-2") })
	if status, body := opGet(t, "http://"+w.http+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz answered %d %q while backups fail; want 200", status, body)
	}

	// The operator's log says what failed, at error level.
	opEventually(t, "a logged backup failure", func() bool {
		for line := range strings.Lines(w.logs.String()) {
			if strings.Contains(line, `"level":"error"`) && strings.Contains(line, `"message":"database backup failed"`) && strings.Contains(line, "not a directory") {
				return true
			}
		}
		return false
	})
	if info, err := os.Stat(notDir); err != nil || !info.Mode().IsRegular() || info.Size() != 1 {
		t.Errorf("the file at BACKUP_DIR was changed: %v %v", info, err)
	}
}

// TestOpRekey: `incident-bridge rekey` re-encrypts every stored token from
// ENCRYPTION_KEY to NEW_ENCRYPTION_KEY; afterwards only the new key opens
// the database, and the app runs on it with the same Zoom connection. While
// the app runs, rekey refuses and changes nothing.
func TestOpRekey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, opInstallFlow)
	oldKey, newKey := []byte(w.cfg.EncryptionKey.Reveal()), opKey(t)
	opConnectZoom(t, w)
	ctx := context.Background()

	newB64 := base64.StdEncoding.EncodeToString(newKey)
	rekey := func(env map[string]string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(ctx, []string{"rekey"}, func(k string) string { return env[k] }, &out, &errb)
		return code, out.String(), errb.String()
	}

	// The running app holds the file: rekey, given the app's whole
	// environment as manifests/tools/rekey-job.yaml does, stops with a hint.
	jobEnv := opEnv(w, oldKey)
	jobEnv["NEW_ENCRYPTION_KEY"] = newB64
	if code, _, stderr := rekey(jobEnv); code != 1 || !strings.Contains(stderr, "stop the app first") {
		t.Errorf("rekey while running: exit %d, stderr %q; want 1 and the hint to stop the app", code, stderr)
	}
	w.stop()

	// A second workspace's connection, so "every token" means more than one.
	const otherTeam = incident.TeamID("T0OTHER")
	tokens := map[incident.TeamID]incident.ZoomConnection{}
	func() {
		st := opOpenNoCleanup(t, w.cfg.DBPath, oldKey)
		defer st.Close()
		if err := st.SaveZoomConnection(ctx, incident.ZoomConnection{Team: otherTeam, AccountID: "acct-other", AccessToken: "access-other", RefreshToken: "refresh-other"}); err != nil {
			t.Fatal(err)
		}
		for _, team := range []incident.TeamID{opTeam(w), otherTeam} {
			c, err := st.ZoomConnection(ctx, team)
			if err != nil {
				t.Fatal(err)
			}
			tokens[team] = c
		}
	}()

	// The documented minimum: the two keys and the database.
	env := map[string]string{
		"ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(oldKey), "NEW_ENCRYPTION_KEY": newB64, "DB_PATH": w.cfg.DBPath,
	}
	code, stdout, stderr := rekey(env)
	if code != 0 || !strings.Contains(stdout, "re-encrypted") {
		t.Fatalf("rekey: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, s := range []string{env["ENCRYPTION_KEY"], newB64} {
		if strings.Contains(stdout+stderr, s) {
			t.Error("rekey printed a key")
		}
	}

	if _, err := store.Open(w.cfg.DBPath, store.Options{Key: oldKey, Timeout: time.Second}); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("open with the old key after rekey: %v; want ErrWrongKey", err)
	}
	func() {
		st := opOpenNoCleanup(t, w.cfg.DBPath, newKey)
		defer st.Close()
		for team, want := range tokens {
			c, err := st.ZoomConnection(ctx, team)
			if err != nil || c.AccessToken != want.AccessToken || c.RefreshToken != want.RefreshToken {
				t.Errorf("%s with the new key: err %v, tokens equal %t; want the same tokens", team, err, err == nil && c.AccessToken == want.AccessToken)
			}
		}
	}()

	cfg := w.cfg
	if err := opRunFails(t, cfg); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("start with the old key after rekey: %v; want ErrWrongKey", err)
	}

	w.cfg.EncryptionKey = config.Secret(newKey)
	w.start()
	w.slack.MustSlash(t, alice, w.general, "zoom status")
	w.eventuallySaw(alice, "connected (installed by an admin (OAuth)) by <@UALICE>")
	ch := w.declare(alice, "After rekey", fakeslack.Fields{})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Start as host")
	if n := len(w.zoom.Meetings()); n != 1 {
		t.Errorf("zoom meetings after rekey: %d; want 1", n)
	}
}

// opOpenNoCleanup opens a database file; the caller closes it.
func opOpenNoCleanup(t *testing.T, path string, key []byte) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{Key: key, Timeout: time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", filepath.Base(path), err)
	}
	return st
}

// TestOpNewerSchemaStopsStartup: a database written by a newer
// incident-bridge (meta/schema above this binary's) stops start-up with a
// message that says so, and the file keeps its bytes and mode.
func TestOpNewerSchemaStopsStartup(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := []byte(w.cfg.EncryptionKey.Reveal())
	w.declare(alice, "Before the downgrade", fakeslack.Fields{})
	w.stop()

	db, err := bbolt.Open(w.cfg.DBPath, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("99"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A mode the app would otherwise tighten to 0600: it must not.
	if err := os.Chmod(w.cfg.DBPath, 0o640); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(w.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), opWait)
	defer cancel()
	env := opEnv(w, key)
	var stdout, stderr bytes.Buffer
	code := Main(ctx, []string{"run"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if want := "database schema v99 is newer than this binary (v1); upgrade incident-bridge"; code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("run on a newer file: exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr.String(), want)
	}
	if err := opRunFails(t, w.cfg); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("run: %v; want ErrSchemaTooNew", err)
	}

	after, err := os.ReadFile(w.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a refused start changed the database file")
	}
	if info, err := os.Stat(w.cfg.DBPath); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("database mode after a refused start: %v %v; want it untouched (0640)", info.Mode().Perm(), err)
	}
	if _, err := os.Stat(store.KeyFile(w.cfg.DBPath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused start created a key file: %v", err)
	}
}

// TestOpRekeyWithKeyFile: without ENCRYPTION_KEY the key is the file beside
// the database; rekey reads it, and the app starts again once that file
// holds the new key (as docs/operations.md says), not before.
func TestOpRekeyWithKeyFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *config.Config, _ *fakezoom.Options) { c.EncryptionKey = "" })
	keyFile := store.KeyFile(w.cfg.DBPath)
	ch := w.declare(alice, "Key file", fakeslack.Fields{})
	w.stop()
	if !strings.Contains(w.logs.String(), "ENCRYPTION_KEY is not set") {
		t.Error("no warning about the created key file")
	}
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	oldKey, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	func() {
		st := opOpenNoCleanup(t, w.cfg.DBPath, oldKey)
		defer st.Close()
		if err := st.SaveZoomConnection(ctx, incident.ZoomConnection{Team: opTeam(w), AccountID: "acct", AccessToken: "access", RefreshToken: "refresh"}); err != nil {
			t.Fatal(err)
		}
	}()

	newKey := opKey(t)
	newB64 := base64.StdEncoding.EncodeToString(newKey)
	env := map[string]string{"NEW_ENCRYPTION_KEY": newB64, "DB_PATH": w.cfg.DBPath}
	var stdout, stderr bytes.Buffer
	if code := Main(ctx, []string{"rekey"}, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
		t.Fatalf("rekey from the key file: exit %d, stderr %q", code, stderr.String())
	}
	if err := opRunFails(t, w.cfg); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("start with the old key file after rekey: %v; want ErrWrongKey", err)
	}

	if err := os.WriteFile(keyFile, []byte(newB64+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.start()
	w.slack.MustSlash(t, alice, ch.ID, "severity SEV-1")
	fakeslack.Eventually(t, func() bool { return strings.Contains(w.header(ch.ID), "SEV-1") })
	w.stop()
	st := opOpen(t, w.cfg.DBPath, newKey)
	if c, err := st.ZoomConnection(ctx, opTeam(w)); err != nil || c.AccessToken != "access" || c.RefreshToken != "refresh" {
		t.Errorf("token after rekey from the key file: err %v; want it to decrypt with the new key", err)
	}
}

// TestOpRekeyRefusesWhatDoesNotExist: rekey with a DB_PATH that has no
// database behind it (a typo, the wrong volume) fails instead of creating
// an empty database and reporting success, with or without
// ENCRYPTION_KEY; and without ENCRYPTION_KEY it never creates a key file.
func TestOpRekeyRefusesWhatDoesNotExist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	oldKey, newKey := opKey(t), opKey(t)
	rekey := func(env map[string]string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(ctx, []string{"rekey"}, func(k string) string { return env[k] }, &out, &errb)
		return code, out.String(), errb.String()
	}
	newB64 := base64.StdEncoding.EncodeToString(newKey)

	typo := filepath.Join(dir, "incident-brigde.db")
	for name, env := range map[string]map[string]string{
		"key file":       {"NEW_ENCRYPTION_KEY": newB64, "DB_PATH": typo},
		"ENCRYPTION_KEY": {"NEW_ENCRYPTION_KEY": newB64, "DB_PATH": typo, "ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(oldKey)},
	} {
		code, stdout, stderr := rekey(env)
		if code != 1 || !strings.Contains(stderr, "no database at DB_PATH") || strings.Contains(stdout, "re-encrypted") {
			t.Errorf("%s, missing database: exit %d, stdout %q, stderr %q; want 1 and that there is no database", name, code, stdout, stderr)
		}
		for _, p := range []string{typo, store.KeyFile(typo)} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: rekey created %s (%v)", name, filepath.Base(p), err)
			}
		}
	}

	// A real database, but no ENCRYPTION_KEY and no key file beside it.
	db := filepath.Join(dir, "real.db")
	st := opOpenNoCleanup(t, db, oldKey)
	if err := st.SaveZoomConnection(ctx, incident.ZoomConnection{Team: "T1", AccountID: "acct", AccessToken: "access", RefreshToken: "refresh"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := rekey(map[string]string{"NEW_ENCRYPTION_KEY": newB64, "DB_PATH": db})
	if code != 1 || !strings.Contains(stderr, "no key file") || strings.Contains(stdout, "re-encrypted") {
		t.Errorf("no key: exit %d, stdout %q, stderr %q; want 1 and that there is no key file", code, stdout, stderr)
	}
	if _, err := os.Stat(store.KeyFile(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rekey created a key file: %v", err)
	}
	st = opOpen(t, db, oldKey)
	if c, err := st.ZoomConnection(ctx, "T1"); err != nil || c.RefreshToken != "refresh" {
		t.Errorf("the database after the refused rekey: %v; want it as it was, under the old key", err)
	}
}

// TestOpBackupGaugeSurvivesRestart: after a restart the last-success gauge
// and size come from the newest snapshot in BACKUP_DIR at once, not zero
// until the next interval (which would page "backup stale").
func TestOpBackupGaugeSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "backups")
	w := newWorld(t, opBackups(dir, time.Hour, 3))
	var snap string
	opEventually(t, "the start-up snapshot", func() bool {
		s := opSnapshots(t, dir)
		if len(s) == 1 {
			snap = s[0]
		}
		return snap != ""
	})
	info, err := os.Stat(snap)
	if err != nil {
		t.Fatal(err)
	}
	w.restart()
	// One snapshot, younger than BACKUP_INTERVAL: the restarted app takes
	// none for an hour, so whatever the gauge says comes from the disk.
	got, ok := opMetric(t, w, "incident_bridge_backup_last_success_timestamp_seconds")
	want := float64(opSnapshotTime(t, snap).UnixNano()) / 1e9
	if !ok || math.Abs(got-want) > 0.001 {
		t.Errorf("last success after restart = %v (present %v); want the snapshot's time %v", got, ok, want)
	}
	if size, ok := opMetric(t, w, "incident_bridge_backup_last_size_bytes"); !ok || size != float64(info.Size()) {
		t.Errorf("last size after restart = %v (present %v); want %d", size, ok, info.Size())
	}
	if n := len(opSnapshots(t, dir)); n != 1 {
		t.Errorf("%d snapshots after the restart; want still 1", n)
	}
}

// opSocket is a Socket Mode connection state for readiness.
type opSocket struct{ up atomic.Bool }

func (s *opSocket) Connected() bool { return s.up.Load() }

// TestOpReadyzNeedsDatabase: /readyz, served by the real HTTP server with
// run's readiness check, is ready only while the database is open and
// Socket Mode connected (SPEC §7).
func TestOpReadyzNeedsDatabase(t *testing.T) {
	t.Parallel()
	st, err := store.Open(filepath.Join(t.TempDir(), "ready.db"), store.Options{Key: opKey(t), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sock := &opSocket{}
	sock.up.Store(true)
	srv := web.New(web.Options{Addr: "127.0.0.1:0", Log: zerolog.Nop(), Ready: readiness(st, sock)})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	readyz := "http://" + srv.Addr() + "/readyz"

	if code, body := opGet(t, readyz); code != http.StatusOK || body != "ready" {
		t.Errorf("open and connected: %d %q; want 200 ready", code, body)
	}
	sock.up.Store(false)
	if code, body := opGet(t, readyz); code != http.StatusServiceUnavailable || !strings.Contains(body, "socket mode not connected") {
		t.Errorf("socket down: %d %q; want 503 saying so", code, body)
	}
	sock.up.Store(true)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if code, body := opGet(t, readyz); code != http.StatusServiceUnavailable || !strings.Contains(body, "database not open") {
		t.Errorf("database closed: %d %q; want 503 database not open", code, body)
	}
}
