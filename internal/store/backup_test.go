package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBackupDuringConcurrentUpdates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := createIncident(t, e.s, "T1", 1)
	if err := e.s.SaveZoomConnection(ctx, testConnection("T1", "acct1")); err != nil {
		t.Fatal(err)
	}

	const n = 50
	var (
		mu        sync.Mutex
		committed = map[string]bool{}
		commits   = make(chan struct{}, n)
		start     = make(chan struct{})
		wg        sync.WaitGroup
	)
	for i := range n {
		wg.Go(func() {
			<-start
			note := fmt.Sprintf("update-%02d", i)
			_, err := e.s.UpdateIncident(ctx, key, func(inc *incident.Incident) error {
				inc.Timeline = append(inc.Timeline, incident.Event{Kind: incident.EventChanged, Note: note})
				return nil
			})
			if err != nil {
				t.Error(err)
			} else {
				mu.Lock()
				committed[note] = true
				mu.Unlock()
			}
			commits <- struct{}{}
		})
	}
	close(start)
	for range 10 {
		<-commits
	}
	mu.Lock()
	before := maps.Clone(committed) // all committed before Backup starts
	mu.Unlock()
	dir := filepath.Join(t.TempDir(), "backups")
	path, size, err := e.s.Backup(ctx, dir, 5)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 10 {
		t.Fatalf("only %d updates committed before the backup", len(before))
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != size {
		t.Errorf("reported size %d, file has %d", size, info.Size())
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode %#o, want 0600", info.Mode().Perm())
	}
	if base := filepath.Base(path); !strings.HasPrefix(base, "incident-bridge-") || !strings.HasSuffix(base, ".db") {
		t.Errorf("snapshot name %q", base)
	}

	// bbolt opens it and finds it consistent.
	rawView(t, path, func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("snapshot check: %v", err)
		}
		return nil
	})
	// It is a working store holding every change committed before it began.
	snap, err := Open(path, Options{Key: e.key, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	inc, err := snap.Incident(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ev := range inc.Timeline {
		have[ev.Note] = true
	}
	for note := range before {
		if !have[note] {
			t.Errorf("snapshot lacks %s, committed before the backup began", note)
		}
	}
	if conn, err := snap.ZoomConnection(ctx, "T1"); err != nil || conn.AccessToken != accessToken {
		t.Errorf("snapshot's Zoom connection = %+v, %v", conn, err)
	}
	if live, _ := e.s.Incident(ctx, key); len(live.Timeline) != n {
		t.Errorf("live store has %d updates, want %d", len(live.Timeline), n)
	}
}

func TestBackupRotationKeepsNewest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for range 5 {
		p, _, err := e.s.Backup(ctx, dir, 3)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
		e.clock.Add(time.Second)
	}
	want := append(slices.Clone(paths[2:]), "notes.txt")
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("dir holds %v, want %v", got, want)
	}
}

func TestBackupNamesAreUniqueAndSortedWithinASecond(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	var paths []string
	for range 4 { // the clock does not move
		p, _, err := e.s.Backup(ctx, dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
	}
	// Even a clock that steps back keeps names in creation order.
	e.clock.Add(-time.Hour)
	p, _, err := e.s.Backup(ctx, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Base(p))
	if got := dirNames(t, dir); !slices.Equal(got, paths) {
		t.Errorf("dir holds %v, want %v in creation order", got, paths)
	}
	// A second Store, whose clock reads the same time, does not overwrite
	// them either.
	other := newEnv(t)
	p, _, err = other.s.Backup(ctx, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(paths, filepath.Base(p)) {
		t.Errorf("second store reused name %s", filepath.Base(p))
	}
	if n := len(dirNames(t, dir)); n != 6 {
		t.Errorf("%d snapshots, want 6", n)
	}
}

func TestBackupCancelledLeavesNothing(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, _, err := e.s.Backup(ctx, dir, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup(cancelled) = %v", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("cancelled backup left %v", names)
	}
}

// cancelAfter is a context that reports cancellation from its nth Err call
// on, to stop a backup in the middle of its copy deterministically.
type cancelAfter struct {
	context.Context
	n     int32
	calls atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}

func TestBackupCancelledMidCopyLeavesNothing(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	// Call 1 is Backup's own check, call 2 the first write; the second
	// write sees the cancellation.
	ctx := &cancelAfter{Context: context.Background(), n: 3}
	if _, _, err := e.s.Backup(ctx, dir, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup cancelled mid-copy = %v, want context.Canceled", err)
	}
	if ctx.calls.Load() < 3 {
		t.Errorf("only %d Err calls: the copy never started", ctx.calls.Load())
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("cancelled backup left %v", names)
	}
}

func TestRunBackups(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	type result struct {
		path string
		err  error
	}
	reports := make(chan result, 8)
	done := make(chan struct{})
	go func() { // owned: the test waits on done
		defer close(done)
		e.s.RunBackups(ctx, dir, 5*time.Millisecond, 2, func(path string, _ int64, err error) {
			select {
			case reports <- result{path, err}:
			default: // the test has what it needs
			}
		})
	}()
	deadline := time.After(10 * time.Second)
	for range 3 {
		select {
		case r := <-reports:
			if r.err != nil {
				t.Fatalf("report: %v", r.err)
			}
			if _, err := os.Stat(r.path); err != nil && !errors.Is(err, os.ErrNotExist) { // may be rotated out already
				t.Errorf("reported path: %v", err)
			}
		case <-deadline:
			t.Fatal("fewer than 3 backups in 10s")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunBackups did not return after cancel")
	}
	names := dirNames(t, dir)
	if len(names) != 2 {
		t.Errorf("dir holds %v, want 2 snapshots", names)
	}
	for _, name := range names {
		if _, ok := backupTime(name); !ok {
			t.Errorf("unexpected file %s", name)
		}
	}
}

func TestRunBackupsRejectsBadInterval(t *testing.T) {
	e := newEnv(t)
	var got error
	e.s.RunBackups(context.Background(), t.TempDir(), 0, 1, func(_ string, _ int64, err error) { got = err })
	if got == nil {
		t.Error("interval 0 not reported")
	}
}

func TestFirstBackupDelay(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		newest time.Time
		ok     bool
		want   time.Duration
	}{
		{"no snapshot", time.Time{}, false, 0},
		{"recent", now.Add(-20 * time.Minute), true, 40 * time.Minute},
		{"overdue", now.Add(-3 * time.Hour), true, 0},
		{"from the future", now.Add(time.Hour), true, time.Hour},
	} {
		if got := firstBackupDelay(tt.newest, tt.ok, now, time.Hour); got != tt.want {
			t.Errorf("%s: delay %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackupTime(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"incident-bridge-20250314T092653.000000001Z.db", true},
		{"incident-bridge-20250314T092653Z.db", false},
		{"incident-bridge-20250314T092653.000000001Z.db.tmp", false},
		{".incident-bridge-123.tmp", false},
		{"other-20250314T092653.000000001Z.db", false},
	} {
		if _, ok := backupTime(tt.name); ok != tt.ok {
			t.Errorf("backupTime(%q) ok = %v, want %v", tt.name, ok, tt.ok)
		}
	}
}

// TestNewestBackup finds the newest snapshot, its time and size, among
// other files; a missing or empty directory has none.
func TestNewestBackup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "backups")
	if _, ok, err := NewestBackup(dir); ok || err != nil {
		t.Errorf("missing dir: ok %v, err %v; want none, no error", ok, err)
	}
	if _, _, err := e.s.Backup(ctx, dir, 0); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	createIncident(t, e.s, "T1", 1) // the newer snapshot is larger
	want, size, err := e.s.Backup(ctx, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Files Backup does not name are not snapshots, whatever they sort as.
	for _, name := range []string{"incident-bridge-zzz.db", ".incident-bridge-1.tmp", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	snap, ok, err := NewestBackup(dir)
	if err != nil || !ok {
		t.Fatalf("NewestBackup = %+v, %v, %v", snap, ok, err)
	}
	if snap.Path != want || snap.Size != size || !snap.Taken.Equal(e.clock.Now()) {
		t.Errorf("NewestBackup = %+v; want %s, %d bytes, taken %v", snap, want, size, e.clock.Now())
	}
}
