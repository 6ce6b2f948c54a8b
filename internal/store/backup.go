package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Snapshot file names: backupPrefix + UTC time in backupLayout +
// backupSuffix. The layout is fixed-width, so names sort by time.
const (
	backupPrefix = "incident-bridge-"
	backupSuffix = ".db"
	backupLayout = "20060102T150405.000000000Z"
)

// Backup writes a consistent snapshot of the live database into dir (created
// with mode 0700 if missing) as incident-bridge-<UTC time>.db, mode 0600,
// then deletes the oldest snapshots beyond keep (keep <= 0 keeps all).
//
// The snapshot comes from one read transaction, so writers carry on while it
// is copied and it holds exactly the changes committed before it began. It
// is written to a temporary file, synced and renamed, so a crash never
// leaves a partial snapshot under a snapshot name. Tokens in it stay sealed:
// restoring it needs the key that was current when it was taken. If only the
// rotation fails, the error comes with the new snapshot's path and size.
func (s *Store) Backup(ctx context.Context, dir string, keep int) (path string, size int64, err error) {
	s.backupMu.Lock()
	defer s.backupMu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".incident-bridge-*.tmp") // mode 0600
	if err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			// Cleanup after a failure already being returned.
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()

	err = s.db.View(func(tx *bbolt.Tx) error {
		var err error
		size, err = tx.WriteTo(writerFunc(func(p []byte) (int, error) {
			if err := ctx.Err(); err != nil {
				return 0, err // stop copying once the caller gives up
			}
			return tmp.Write(p)
		}))
		return err
	})
	if cerr := ctx.Err(); cerr != nil {
		return "", 0, fmt.Errorf("backup: %w", cerr) // bbolt flattens the writer's error
	}
	if err != nil {
		return "", 0, fmt.Errorf("backup: write snapshot: %w", err)
	}
	if err := tmp.Chmod(fileMode); err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("backup: sync snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("backup: close snapshot: %w", err)
	}
	path, err = s.backupPath(dir)
	if err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return path, size, fmt.Errorf("backup: %w", err)
	}
	if err := rotateBackups(dir, keep); err != nil {
		return path, size, fmt.Errorf("backup: rotate: %w", err)
	}
	return path, size, nil
}

// RunBackups calls Backup every interval until ctx ends, and passes each
// outcome to report (which may be nil). It blocks: run it in a goroutine the
// caller owns and waits for (an errgroup), and cancel ctx to stop it; a
// snapshot being written is abandoned. The first snapshot is taken at once
// if dir has none younger than every, so frequent restarts neither skip
// backups nor multiply them.
func (s *Store) RunBackups(ctx context.Context, dir string, every time.Duration, keep int, report func(path string, size int64, err error)) {
	if report == nil {
		report = func(string, int64, error) {}
	}
	if every <= 0 {
		report("", 0, fmt.Errorf("backup: interval %v must be positive", every))
		return
	}
	newest, ok := newestBackup(dir)
	timer := time.NewTimer(firstBackupDelay(newest, ok, s.now(), every))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		path, size, err := s.Backup(ctx, dir, keep)
		if err != nil && ctx.Err() != nil {
			return // stopped mid-snapshot: shutting down, not a failure
		}
		report(path, size, err)
		timer.Reset(every)
	}
}

// firstBackupDelay is how long RunBackups waits for its first snapshot: the
// rest of the interval since the newest one, none if there is none.
func firstBackupDelay(newest time.Time, ok bool, now time.Time, every time.Duration) time.Duration {
	if !ok {
		return 0
	}
	return min(max(every-now.Sub(newest), 0), every)
}

// backupPath returns a snapshot name for now, later than every earlier one
// from this Store and not yet taken in dir, so names are unique even within
// a second (or with a coarse clock).
func (s *Store) backupPath(dir string) (string, error) {
	t := s.now().UTC()
	if !t.After(s.lastBackup) {
		t = s.lastBackup.Add(time.Nanosecond)
	}
	for {
		path := filepath.Join(dir, backupPrefix+t.Format(backupLayout)+backupSuffix)
		_, err := os.Lstat(path)
		if errors.Is(err, os.ErrNotExist) {
			s.lastBackup = t
			return path, nil
		}
		if err != nil {
			return "", err
		}
		t = t.Add(time.Nanosecond)
	}
}

// listBackups returns dir's snapshot names, oldest first.
func listBackups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, ok := backupTime(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// backupTime parses a snapshot name's time; ok is false for other files.
func backupTime(name string) (time.Time, bool) {
	ts, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	ts, ok = strings.CutSuffix(ts, backupSuffix)
	if !ok || len(ts) != len(backupLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(backupLayout, ts)
	return t, err == nil
}

// Snapshot is a database snapshot in a backup directory.
type Snapshot struct {
	Path  string
	Taken time.Time // from its name: when it was taken, UTC
	Size  int64
}

// NewestBackup returns the newest snapshot in dir, as Backup names them;
// ok is false when there is none (or dir does not exist). A restarted app
// reports it as its last good backup until it takes the next one.
func NewestBackup(dir string) (snap Snapshot, ok bool, err error) {
	names, err := listBackups(dir)
	if errors.Is(err, os.ErrNotExist) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("find newest backup: %w", err)
	}
	if len(names) == 0 {
		return Snapshot{}, false, nil
	}
	name := names[len(names)-1]
	taken, _ := backupTime(name) // listBackups kept only names that parse
	path := filepath.Join(dir, name)
	info, err := os.Stat(path)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("find newest backup: %w", err)
	}
	return Snapshot{Path: path, Taken: taken, Size: info.Size()}, true, nil
}

// newestBackup returns the time of dir's newest snapshot.
func newestBackup(dir string) (time.Time, bool) {
	names, err := listBackups(dir)
	if err != nil || len(names) == 0 {
		return time.Time{}, false
	}
	return backupTime(names[len(names)-1])
}

// rotateBackups deletes all but the keep newest snapshots in dir.
func rotateBackups(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	names, err := listBackups(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names[:max(len(names)-keep, 0)] {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

// Write calls f.
func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for sync there
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}
