package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// clock is an injectable, settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// env is a store in a temp dir that tests can reopen.
type env struct {
	t     *testing.T
	path  string
	key   []byte
	clock *clock
	s     *Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "test.db"), key: testKey(1), clock: newClock()}
	e.s = e.open()
	return e
}

func (e *env) open() *Store {
	e.t.Helper()
	s, err := Open(e.path, Options{Key: e.key, Now: e.clock.Now, Timeout: time.Second})
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	e.t.Cleanup(func() { _ = s.Close() }) // closing twice is a no-op
	return s
}

// reopen closes the store and opens the file again.
func (e *env) reopen() *Store {
	e.t.Helper()
	if err := e.s.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	e.s = e.open()
	return e.s
}

func (e *env) close() {
	e.t.Helper()
	if err := e.s.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawUpdate edits a closed database file directly.
func rawUpdate(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func rawView(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesBucketsSchemaAndMode(t *testing.T) {
	e := newEnv(t)
	e.close()
	info, err := os.Stat(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %#o, want 0600", got)
	}
	rawView(t, e.path, func(tx *bbolt.Tx) error {
		for _, name := range allBuckets() {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		if got := string(tx.Bucket(bucketMeta).Get(metaSchema)); got != "1" {
			t.Errorf("meta/schema = %q, want 1", got)
		}
		if tx.Bucket(bucketMeta).Get(metaKeyCheck) == nil {
			t.Error("meta/keycheck missing")
		}
		return nil
	})
}

func TestOpenTightensMode(t *testing.T) {
	e := newEnv(t)
	e.close()
	if err := os.Chmod(e.path, 0o644); err != nil {
		t.Fatal(err)
	}
	e.s = e.open()
	info, err := os.Stat(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode after reopen = %#o, want 0600", got)
	}
}

func TestOpenRejectsBadKeyLength(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "x.db"), Options{Key: []byte("short")})
	if err == nil || !strings.Contains(err.Error(), "want 32") {
		t.Fatalf("Open with 5-byte key: %v, want a key-length error", err)
	}
}

func TestOpenLockedFileTimesOut(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	_, err := Open(e.path, Options{Key: e.key, Timeout: 50 * time.Millisecond})
	if !errors.Is(err, bbolt.ErrTimeout) {
		t.Fatalf("second Open = %v, want ErrTimeout", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("second Open took %v", time.Since(start))
	}
}

func TestSchemaTooNewLeavesFileUntouched(t *testing.T) {
	e := newEnv(t)
	e.close()
	rawUpdate(t, e.path, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaSchema, []byte("3"))
	})
	// A loose mode would be tightened by a normal Open; here even that
	// must not happen.
	if err := os.Chmod(e.path, 0o640); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, e.path)

	_, err := Open(e.path, Options{Key: e.key, Timeout: time.Second})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	const want = "database schema v3 is newer than this binary (v1); upgrade incident-bridge"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if !bytes.Equal(readFile(t, e.path), before) {
		t.Error("file changed after refusing a newer schema")
	}
	if info, err := os.Stat(e.path); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("file mode changed after refusing a newer schema: %v, %v", info.Mode(), err)
	}
}

func TestMigrationRunsInOneTransaction(t *testing.T) {
	e := newEnv(t)
	e.close()
	marker := []byte("migrated")
	opts := Options{Key: e.key, Timeout: time.Second}

	// A failing step leaves the file at v1 with no partial writes.
	failing := schema{version: 2, step: func(v int) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			if err := tx.Bucket(bucketMeta).Put(marker, []byte("half")); err != nil {
				return err
			}
			return errors.New("boom")
		}
	}}
	if _, err := open(e.path, opts, failing); err == nil || !strings.Contains(err.Error(), "migrate schema v1 to v2: boom") {
		t.Fatalf("open with failing migration = %v", err)
	}
	rawView(t, e.path, func(tx *bbolt.Tx) error {
		if got := string(tx.Bucket(bucketMeta).Get(metaSchema)); got != "1" {
			t.Errorf("schema after failed migration = %q, want 1", got)
		}
		if tx.Bucket(bucketMeta).Get(marker) != nil {
			t.Error("failed migration left a partial write")
		}
		return nil
	})

	// A missing step is an error, not a silent version bump.
	gap := schema{version: 3, step: func(v int) func(*bbolt.Tx) error {
		if v == 1 {
			return func(*bbolt.Tx) error { return nil }
		}
		return nil
	}}
	if _, err := open(e.path, opts, gap); err == nil || !strings.Contains(err.Error(), "no migration from schema v2 to v3") {
		t.Fatalf("open with missing migration = %v", err)
	}

	// A working step runs once and bumps the version.
	var ran []int
	ok := schema{version: 2, step: func(v int) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			ran = append(ran, v)
			return tx.Bucket(bucketMeta).Put(marker, []byte("yes"))
		}
	}}
	s, err := open(e.path, opts, ok)
	if err != nil {
		t.Fatalf("open with migration: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0] != 1 {
		t.Errorf("migration steps run = %v, want [1]", ran)
	}
	rawView(t, e.path, func(tx *bbolt.Tx) error {
		if got := string(tx.Bucket(bucketMeta).Get(metaSchema)); got != "2" {
			t.Errorf("schema after migration = %q, want 2", got)
		}
		if got := string(tx.Bucket(bucketMeta).Get(marker)); got != "yes" {
			t.Errorf("migration marker = %q", got)
		}
		return nil
	})
	// This binary (v1) now refuses the migrated file.
	if _, err := Open(e.path, opts); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open of a v2 file = %v, want ErrSchemaTooNew", err)
	}
}

func TestWrongKeyIsDetectedAtOpen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.SaveZoomConnection(ctx, incident.ZoomConnection{Team: "T1", AccountID: "A1", AccessToken: "at", RefreshToken: "rt"}); err != nil {
		t.Fatal(err)
	}
	e.close()
	before := readFile(t, e.path)

	_, err := Open(e.path, Options{Key: testKey(2), Timeout: time.Second})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key = %v, want ErrWrongKey", err)
	}
	if !strings.Contains(err.Error(), "ENCRYPTION_KEY does not decrypt the stored Zoom tokens") {
		t.Errorf("error %q lacks the operator hint", err)
	}
	if !bytes.Equal(readFile(t, e.path), before) {
		t.Error("file changed after a wrong key")
	}
	s := e.open()
	conn, err := s.ZoomConnection(ctx, "T1")
	if err != nil || conn.AccessToken != "at" {
		t.Errorf("right key after wrong key: %+v, %v", conn, err)
	}
}

func TestCancelledContextIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.s.NextNumber(ctx, "T1"); !errors.Is(err, context.Canceled) {
		t.Errorf("NextNumber(cancelled) = %v", err)
	}
	if _, err := e.s.Incident(ctx, incident.Key{Team: "T1", Number: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Incident(cancelled) = %v", err)
	}
	n, err := e.s.NextNumber(context.Background(), "T1")
	if err != nil || n != 1 {
		t.Errorf("NextNumber after a refused call = %v, %v; want 1 (nothing reserved)", n, err)
	}
}
