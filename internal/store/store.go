// Package store keeps all of incident-bridge's state in one bbolt file:
// incidents and their timelines, meeting claims, settings, Zoom connections
// (tokens sealed with AES-256-GCM), OAuth states and Slack event IDs.
//
// It is the only package that imports bbolt. Every method runs in one
// transaction and commits before it returns; none does network I/O inside a
// transaction.
package store

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/app"
)

// Store implements both ports.
var (
	_ app.Store           = (*Store)(nil)
	_ app.ZoomConnections = (*Store)(nil)
)

// SchemaVersion is the layout of the database file this binary reads and
// writes. Open migrates older files up to it and refuses newer ones.
const SchemaVersion = 1

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero: another process holding the file makes Open fail
// rather than hang.
const DefaultTimeout = 5 * time.Second

// fileMode is the database file's mode: it holds sealed tokens and incident
// details, so nobody but the owner may read it.
const fileMode os.FileMode = 0o600

// Bucket names. Each entity has its own top-level bucket.
var (
	bucketIncidents   = []byte("incidents")    // team → nested bucket: number (8-byte BE) → incidentRecord
	bucketChannels    = []byte("channels")     // team \x00 channel → number (8-byte BE)
	bucketSettings    = []byte("settings")     // team → settingsRecord
	bucketTokens      = []byte("tokens")       // team → connectionRecord (tokens sealed)
	bucketAccounts    = []byte("accounts")     // Zoom account ID → team
	bucketOAuthStates = []byte("oauth_states") // SHA-256(state) → oauthStateRecord
	bucketEvents      = []byte("events")       // nested: ids (event ID → time), times (time+ID → nil)
	bucketMeta        = []byte("meta")         // schema, keycheck
)

// allBuckets are created at open, in one transaction.
func allBuckets() [][]byte {
	return [][]byte{
		bucketIncidents, bucketChannels, bucketSettings, bucketTokens,
		bucketAccounts, bucketOAuthStates, bucketEvents, bucketMeta,
	}
}

// Keys in the meta bucket.
var (
	metaSchema   = []byte("schema")
	metaKeyCheck = []byte("keycheck")
)

// Errors returned by Open.
var (
	// ErrSchemaTooNew: the file was written by a newer incident-bridge. The
	// file is left untouched.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
	// ErrWrongKey: the configured key does not open the key-check record, so
	// it would not decrypt the stored Zoom tokens either.
	ErrWrongKey = errors.New("ENCRYPTION_KEY does not decrypt the stored Zoom tokens: " +
		"set ENCRYPTION_KEY (or the key file beside the database) to the key the database was created with")
)

// schemaTooNewError carries the versions into the message while still
// matching ErrSchemaTooNew.
type schemaTooNewError struct{ file, binary int }

// Error names both versions and the fix.
func (e *schemaTooNewError) Error() string {
	return fmt.Sprintf("database schema v%d is newer than this binary (v%d); upgrade incident-bridge", e.file, e.binary)
}

// Is makes errors.Is(err, ErrSchemaTooNew) match.
func (e *schemaTooNewError) Is(target error) bool { return target == ErrSchemaTooNew }

// Options configure Open.
type Options struct {
	// Key is the 32-byte AES-256 key that seals Zoom tokens (see
	// LoadOrCreateKey). Required.
	Key []byte
	// Now is the clock, for OAuth-state pruning, claims without a time and
	// backup names; time.Now when nil.
	Now func() time.Time
	// Timeout bounds the wait for the file lock; DefaultTimeout when zero.
	Timeout time.Duration
}

// Store is the bbolt-backed implementation of app.Store and
// app.ZoomConnections. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
	now  func() time.Time

	// keyMu guards aead: token reads and writes hold it shared, Rekey
	// exclusively, so nobody seals or opens with a key that is being
	// replaced.
	keyMu sync.RWMutex
	aead  cipher.AEAD

	// backupMu serialises Backup so rotation and unique names are not raced.
	backupMu   sync.Mutex
	lastBackup time.Time
}

// schema describes the file layout a Store expects; tests substitute it to
// exercise migrations before a real one exists.
type schema struct {
	version int
	// step returns the migration from version v to v+1, nil if none.
	step func(v int) func(*bbolt.Tx) error
}

// currentSchema is this binary's layout and its migrations.
func currentSchema() schema {
	return schema{version: SchemaVersion, step: migrationFrom}
}

// migrationFrom returns the migration from schema v to v+1. Add a case (and
// bump SchemaVersion) for every format change; never edit a released one.
func migrationFrom(v int) func(*bbolt.Tx) error {
	switch v {
	// case 1: return migrateV1ToV2
	default:
		return nil
	}
}

// Open opens (creating if needed) the database at path with mode 0600,
// tightening the mode of an existing file to 0600. It creates every bucket,
// migrates an older file in one transaction, and checks opts.Key against the
// file's key-check record.
//
// A file whose schema is newer than SchemaVersion fails with ErrSchemaTooNew
// and is not modified; a key that does not match fails with ErrWrongKey and
// nothing is written.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, currentSchema())
}

func open(path string, opts Options, sc schema) (*Store, error) {
	aead, err := newAEAD(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	// A newer file must stay byte-for-byte untouched, so look at it
	// read-only before bbolt opens it for writing.
	if err := checkSchemaReadOnly(path, timeout, sc.version); err != nil {
		return nil, err
	}
	if err := ensureMode(path); err != nil {
		return nil, err
	}

	db, err := bbolt.Open(path, fileMode, &bbolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: now, aead: aead}
	if err := db.Update(func(tx *bbolt.Tx) error { return s.initialize(tx, sc) }); err != nil {
		// The initialise error is what matters; a close failure adds nothing.
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Close releases the database file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Ping reports whether the database is open and readable: it runs an empty
// read transaction, which bbolt refuses once the store is closed. It is
// cheap enough for every readiness probe.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.view(ctx, func(*bbolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("ping %s: %w", s.path, err)
	}
	return nil
}

// checkSchemaReadOnly fails with ErrSchemaTooNew if an existing file's
// schema is newer than want. Missing and empty files pass.
func checkSchemaReadOnly(path string, timeout time.Duration, want int) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("open %s: %w", path, err)
	case info.Size() == 0:
		return nil // bbolt initialises an empty file; nothing to protect
	}
	db, err := bbolt.Open(path, fileMode, &bbolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("open %s read-only: %w", path, err)
	}
	var got int
	err = db.View(func(tx *bbolt.Tx) error {
		var err error
		got, err = readSchema(tx)
		return err
	})
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close read-only: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if got > want {
		return fmt.Errorf("open %s: %w", path, &schemaTooNewError{file: got, binary: want})
	}
	return nil
}

// ensureMode tightens an existing database file to 0600.
func ensureMode(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if info.Mode().Perm() != fileMode {
		if err := os.Chmod(path, fileMode); err != nil {
			return fmt.Errorf("open %s: set mode 0600: %w", path, err)
		}
	}
	return nil
}

// initialize creates the buckets, migrates the file to sc.version and checks
// (or, on a new file, writes) the key-check record.
func (s *Store) initialize(tx *bbolt.Tx, sc schema) error {
	for _, name := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	ev := tx.Bucket(bucketEvents)
	for _, name := range [][]byte{eventIDs, eventTimes} {
		if _, err := ev.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket events/%s: %w", name, err)
		}
	}

	v, err := readSchema(tx)
	if err != nil {
		return err
	}
	switch {
	case v == 0: // a new file
		if err := writeSchema(tx, sc.version); err != nil {
			return err
		}
	case v > sc.version: // written since the read-only check
		return &schemaTooNewError{file: v, binary: sc.version}
	case v < sc.version:
		if err := migrate(tx, v, sc); err != nil {
			return err
		}
	}
	return s.checkKey(tx)
}

// migrate upgrades the file from schema from to sc.version, one step at a
// time, inside the caller's transaction: all of it commits or none.
func migrate(tx *bbolt.Tx, from int, sc schema) error {
	for v := from; v < sc.version; v++ {
		step := sc.step(v)
		if step == nil {
			return fmt.Errorf("no migration from schema v%d to v%d", v, v+1)
		}
		if err := step(tx); err != nil {
			return fmt.Errorf("migrate schema v%d to v%d: %w", v, v+1, err)
		}
	}
	return writeSchema(tx, sc.version)
}

// readSchema returns the file's schema version, 0 if none is recorded.
func readSchema(tx *bbolt.Tx) (int, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, nil
	}
	raw := b.Get(metaSchema)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("read schema version: bad value %q", bytes.Clone(raw))
	}
	return v, nil
}

func writeSchema(tx *bbolt.Tx, v int) error {
	if err := tx.Bucket(bucketMeta).Put(metaSchema, []byte(strconv.Itoa(v))); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	return nil
}

// update runs fn in a write transaction after checking ctx: bbolt cannot be
// interrupted, so a cancelled caller is refused up front.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

// view runs fn in a read transaction after checking ctx.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}
