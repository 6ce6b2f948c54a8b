package store

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeyFile returns the key file used beside the database at dbPath when
// ENCRYPTION_KEY is unset.
func KeyFile(dbPath string) string { return dbPath + ".key" }

// LoadOrCreateKey returns the token-sealing key. A configured key (from
// ENCRYPTION_KEY, already base64-decoded) is used as is and must be
// KeySize bytes. Otherwise the key is read from KeyFile(dbPath), which must
// hold base64 of KeySize bytes and not be readable by group or others; if
// the file does not exist, a random key is written there with mode 0600 and
// created is true (the caller should warn: losing that file loses the Zoom
// tokens).
func LoadOrCreateKey(dbPath string, configured []byte) (key []byte, created bool, err error) {
	if len(configured) > 0 {
		if len(configured) != KeySize {
			return nil, false, fmt.Errorf("ENCRYPTION_KEY is %d bytes; want %d bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)", len(configured), KeySize)
		}
		return bytes.Clone(configured), false, nil
	}
	path := KeyFile(dbPath)
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs.
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// readKeyFile reads and checks a key file. A missing file returns an error
// matching fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %#o: it must not be readable by group or others; run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(raw)))
	if err != nil || len(key) != KeySize {
		// Never echo the file's content: it is the key.
		return nil, fmt.Errorf("key file %s must hold base64 of %d bytes", path, KeySize)
	}
	return key, nil
}

// createKeyFile writes a new random key to path, failing with fs.ErrExist if
// the file exists.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A half-written key file would be read as a bad key next time.
		_ = os.Remove(path) // best effort; the write error is what matters
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, nil
}
