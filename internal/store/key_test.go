package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestLoadOrCreateKeyConfigured(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	key, created, err := LoadOrCreateKey(db, testKey(7))
	if err != nil || created || !bytes.Equal(key, testKey(7)) {
		t.Errorf("configured key = %x, %v, %v", key, created, err)
	}
	if _, err := os.Stat(KeyFile(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a configured key wrote a key file: %v", err)
	}
	if _, _, err := LoadOrCreateKey(db, []byte("sixteen bytes!!!")); err == nil || !strings.Contains(err.Error(), "ENCRYPTION_KEY is 16 bytes") {
		t.Errorf("16-byte key: %v", err)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	key, created, err := LoadOrCreateKey(db, nil)
	if err != nil || !created || len(key) != KeySize {
		t.Fatalf("first call = %d bytes, created %v, %v", len(key), created, err)
	}
	info, err := os.Stat(KeyFile(db))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %#o, want 0600", info.Mode().Perm())
	}
	if got, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(readFile(t, KeyFile(db))))); !bytes.Equal(got, key) {
		t.Error("key file does not hold the key in base64")
	}

	again, created, err := LoadOrCreateKey(db, nil)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Errorf("second call = %x, created %v, %v; want the same key", again, created, err)
	}

	// The key works with Open.
	s, err := Open(db, Options{Key: key, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOrCreateKeyRejectsBadFiles(t *testing.T) {
	for _, tt := range []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"group readable", base64.StdEncoding.EncodeToString(testKey(1)), 0o640, "chmod 600"},
		{"world readable", base64.StdEncoding.EncodeToString(testKey(1)), 0o604, "chmod 600"},
		{"not base64", "not-a-key!!", 0o600, "must hold base64 of 32 bytes"},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), 0o600, "must hold base64 of 32 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "x.db")
			if err := os.WriteFile(KeyFile(db), []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(KeyFile(db), tt.mode); err != nil { // umask may have narrowed it
				t.Fatal(err)
			}
			_, _, err := LoadOrCreateKey(db, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.content) {
				t.Errorf("error %q quotes the key file", err)
			}
		})
	}
}

func TestRekey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, team := range []incident.TeamID{"T1", "T2"} {
		if err := e.s.SaveZoomConnection(ctx, testConnection(team, "acct-"+string(team))); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.Rekey(ctx, []byte("short")); err == nil {
		t.Fatal("Rekey with a short key succeeded")
	}
	newKey := testKey(9)
	if err := e.s.Rekey(ctx, newKey); err != nil {
		t.Fatal(err)
	}
	// The live store uses the new key for reads and writes.
	if conn, err := e.s.ZoomConnection(ctx, "T1"); err != nil || conn.RefreshToken != refreshToken {
		t.Errorf("after Rekey: %+v, %v", conn, err)
	}
	if err := e.s.SaveZoomConnection(ctx, testConnection("T3", "acct-T3")); err != nil {
		t.Fatal(err)
	}
	e.close()

	if _, err := Open(e.path, Options{Key: e.key, Timeout: time.Second}); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with the old key = %v, want ErrWrongKey", err)
	}
	e.key = newKey
	s := e.open()
	for _, team := range []incident.TeamID{"T1", "T2", "T3"} {
		if conn, err := s.ZoomConnection(ctx, team); err != nil || conn.AccessToken != accessToken {
			t.Errorf("%s with the new key: %+v, %v", team, conn, err)
		}
	}
}
