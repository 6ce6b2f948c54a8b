package zoom

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
)

// The tests below stage the races of a refresh with a disconnect or a
// reconnect deterministically: the token server's onRefresh hook runs
// after the token source read the stored pair and before Zoom answers, so
// the store changes exactly between the read and the commit.

// TestInstallTokenSourceDisconnectDuringRefresh: a connection deleted
// while Zoom refreshes is not written back; the new pair, which nobody
// holds, is revoked at Zoom.
func TestInstallTokenSourceDisconnectDuringRefresh(t *testing.T) {
	srv := newTokenServer(t)
	srv.issue("r0")
	o := newOAuth(srv, &clock{t: testNow})
	mem := newMemStore(expiredConn("r0"))
	srv.onRefresh = func() { mem.remove("T1") }

	tok, err := o.TokenSource("T1", mem).TokenContext(context.Background())
	if tok != nil || !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Fatalf("Token = %+v, %v; want ErrZoomNotConnected", tok, err)
	}
	if mem.has("T1") {
		t.Errorf("the refresh brought the disconnected connection back: %+v", mem.get("T1"))
	}
	srv.mu.Lock()
	revoked := slices.Clone(srv.revoked)
	srv.mu.Unlock()
	if !slices.Contains(revoked, "refresh-1") && !slices.Contains(revoked, "access-1") {
		t.Errorf("revoked %v; want the orphaned new pair (refresh-1 or access-1) revoked", revoked)
	}
	noSecrets(t, err.Error(), "r0", "refresh-1", "access-1", clientSecret)
}

// TestInstallTokenSourceReconnectDuringRefresh: a reconnect stored while
// Zoom refreshes the old pair wins; the old grant's new pair is dropped,
// not written over it, and not revoked (that could end the new grant).
func TestInstallTokenSourceReconnectDuringRefresh(t *testing.T) {
	srv := newTokenServer(t)
	srv.issue("r0")
	o := newOAuth(srv, &clock{t: testNow})
	mem := newMemStore(expiredConn("r0"))
	fresh := expiredConn("r-reconnect")
	fresh.AccessToken, fresh.Expiry, fresh.ConnectedBy = "access-reconnect", testNow.Add(time.Hour), "U2"
	srv.onRefresh = func() {
		if err := mem.SaveZoomConnection(context.Background(), fresh); err != nil {
			t.Error(err)
		}
	}

	tok, err := o.TokenSource("T1", mem).TokenContext(context.Background())
	if err != nil || tok.AccessToken != "access-reconnect" {
		t.Fatalf("Token = %+v, %v; want the reconnect's access token", tok, err)
	}
	if got := mem.get("T1"); got.RefreshToken != "r-reconnect" || got.AccessToken != "access-reconnect" || got.ConnectedBy != "U2" {
		t.Errorf("stored %+v; want the reconnect's pair, untouched", got)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.revoked) != 0 {
		t.Errorf("revoked %v; want nothing", srv.revoked)
	}
}

// TestInstallTokenSourceDisconnectDuringRefusedRefresh: marking a grant
// broken does not recreate a connection deleted meanwhile.
func TestInstallTokenSourceDisconnectDuringRefusedRefresh(t *testing.T) {
	srv := newTokenServer(t) // "r-dead" was never issued: Zoom refuses it
	o := newOAuth(srv, &clock{t: testNow})
	mem := newMemStore(expiredConn("r-dead"))
	srv.onRefresh = func() { mem.remove("T1") }

	_, err := o.TokenSource("T1", mem).TokenContext(context.Background())
	if !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Fatalf("err = %v; want ErrZoomNotConnected", err)
	}
	if mem.has("T1") {
		t.Errorf("marking it broken brought the deleted connection back: %+v", mem.get("T1"))
	}
}

// TestInstallTokenSourceReconnectDuringRefusedRefresh: the old pair's
// invalid_grant does not mark a fresh reconnect broken.
func TestInstallTokenSourceReconnectDuringRefusedRefresh(t *testing.T) {
	srv := newTokenServer(t)
	o := newOAuth(srv, &clock{t: testNow})
	mem := newMemStore(expiredConn("r-dead"))
	fresh := expiredConn("r-reconnect")
	fresh.AccessToken, fresh.Expiry = "access-reconnect", testNow.Add(time.Hour)
	srv.onRefresh = func() {
		if err := mem.SaveZoomConnection(context.Background(), fresh); err != nil {
			t.Error(err)
		}
	}
	tok, err := o.TokenSource("T1", mem).TokenContext(context.Background())
	if err != nil || tok.AccessToken != "access-reconnect" {
		t.Fatalf("Token = %+v, %v; want the reconnect's token", tok, err)
	}
	if got := mem.get("T1"); got.Broken || got.RefreshToken != "r-reconnect" {
		t.Errorf("stored %+v; want the reconnect, not broken", got)
	}
}

// TestInstallTokenSourceRealStoreDisconnectDuringRefresh is the disconnect
// race on the bbolt store itself, reopened afterwards.
func TestInstallTokenSourceRealStoreDisconnectDuringRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoom.db")
	key := []byte(strings.Repeat("k", 32))
	st, err := store.Open(path, store.Options{Key: key, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.SaveZoomConnection(ctx, expiredConn("r0")); err != nil {
		t.Fatal(err)
	}
	srv := newTokenServer(t)
	srv.issue("r0")
	srv.onRefresh = func() {
		if _, err := st.TakeZoomConnection(ctx, "T1"); err != nil {
			t.Error(err)
		}
	}
	o := newOAuth(srv, &clock{t: testNow})
	if _, err := o.TokenSource("T1", st).TokenContext(ctx); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("err = %v; want ErrZoomNotConnected", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path, store.Options{Key: key, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if c, err := st.ZoomConnection(ctx, "T1"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("after reopening: %+v, %v; want no connection", c.AccountID, err)
	}
	if _, err := st.TeamForZoomAccount(ctx, "acct-1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("account index after reopening: %v; want none", err)
	}
}
