package store

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

const (
	accessToken  = "eyJzdWIiOiJBQ0NFU1MtVE9LRU4tU0VDUkVULTEyMyJ9.access"
	refreshToken = "eyJzdWIiOiJSRUZSRVNILVRPS0VOLVNFQ1JFVC00NTYifQ.refresh"
)

func testConnection(team incident.TeamID, account string) incident.ZoomConnection {
	at := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	return incident.ZoomConnection{
		Team: team, AccountID: account, ConnectedBy: "U1", ConnectedAt: at,
		AccessToken: accessToken, RefreshToken: refreshToken, Expiry: at.Add(time.Hour),
		Scopes: []string{"meeting:write:meeting:admin", "user:read:user:admin"},
	}
}

func TestZoomConnectionRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.s.ZoomConnection(ctx, "T1"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("before save = %v, want ErrZoomNotConnected", err)
	}
	want := testConnection("T1", "acct1")
	want.Broken, want.BrokenTold = true, true
	if err := e.s.SaveZoomConnection(ctx, want); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{e.s, e.reopen()} {
		got, err := s.ZoomConnection(ctx, "T1")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ZoomConnection = %+v, %v; want %+v", got, err, want)
		}
		if team, err := s.TeamForZoomAccount(ctx, "acct1"); err != nil || team != "T1" {
			t.Errorf("TeamForZoomAccount = %q, %v", team, err)
		}
	}
	if _, err := e.s.TeamForZoomAccount(ctx, "nope"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("unknown account = %v, want ErrNotFound", err)
	}
	if _, err := e.s.ZoomConnection(ctx, "T2"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("T2 = %v, want ErrZoomNotConnected", err)
	}
}

func TestTokensAreNeverInTheFileInClear(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Save twice so a replaced record's pages are in the file too.
	for _, acct := range []string{"acct1", "acct2"} {
		if err := e.s.SaveZoomConnection(ctx, testConnection("T1", acct)); err != nil {
			t.Fatal(err)
		}
	}
	const state = "STATE-SECRET-f00dfeed"
	if err := e.s.PutOAuthState(ctx, state, incident.OAuthState{Team: "T1", User: "U1", Expires: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	backup, _, err := e.s.Backup(ctx, t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	e.close()
	for _, path := range []string{e.path, backup} {
		raw := readFile(t, path)
		for _, secret := range []string{accessToken, refreshToken, state} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s contains %q in clear", path, secret)
			}
		}
		if !bytes.Contains(raw, []byte("acct2")) {
			t.Errorf("%s lacks the account ID: is the grep looking at the right file?", path)
		}
	}
}

func TestSealedTokensAreBoundToTheirTeam(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.SaveZoomConnection(ctx, testConnection("T1", "acct1")); err != nil {
		t.Fatal(err)
	}
	// Copy T1's record under T2: the team is additional data, so it must
	// not open there.
	err := e.s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		return b.Put([]byte("T2"), bytes.Clone(b.Get([]byte("T1"))))
	})
	if err != nil {
		t.Fatal(err)
	}
	if conn, err := e.s.ZoomConnection(ctx, "T2"); err == nil {
		t.Errorf("moved record opened: %+v", conn)
	}
}

func TestSaveZoomConnectionReindexesAndRefusesTakenAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.SaveZoomConnection(ctx, testConnection("T1", "acct1")); err != nil {
		t.Fatal(err)
	}
	// Another workspace may not take acct1.
	err := e.s.SaveZoomConnection(ctx, testConnection("T2", "acct1"))
	var p *incident.Problem
	if !errors.As(err, &p) {
		t.Fatalf("second workspace = %v, want a *incident.Problem", err)
	}
	if team, _ := e.s.TeamForZoomAccount(ctx, "acct1"); team != "T1" {
		t.Errorf("acct1 now belongs to %q", team)
	}
	if _, err := e.s.ZoomConnection(ctx, "T2"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("refused save stored T2: %v", err)
	}

	// T1 switching accounts frees acct1.
	if err := e.s.SaveZoomConnection(ctx, testConnection("T1", "acct9")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.TeamForZoomAccount(ctx, "acct1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("old account still indexed: %v", err)
	}
	if err := e.s.SaveZoomConnection(ctx, testConnection("T2", "acct1")); err != nil {
		t.Errorf("T2 after acct1 was freed: %v", err)
	}

	// Saving again (a token refresh) keeps the index.
	refreshed := testConnection("T2", "acct1")
	refreshed.AccessToken = "new-access"
	if err := e.s.SaveZoomConnection(ctx, refreshed); err != nil {
		t.Fatal(err)
	}
	if team, _ := e.s.TeamForZoomAccount(ctx, "acct1"); team != "T2" {
		t.Errorf("acct1 after refresh belongs to %q", team)
	}
	if conn, _ := e.s.ZoomConnection(ctx, "T2"); conn.AccessToken != "new-access" {
		t.Errorf("refreshed token = %q", conn.AccessToken)
	}

	if err := e.s.SaveZoomConnection(ctx, incident.ZoomConnection{Team: "T3"}); err == nil {
		t.Error("connection without account ID accepted")
	}
}

func TestDeleteZoomConnection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.DeleteZoomConnection(ctx, "T1"); err != nil {
		t.Errorf("delete of nothing: %v", err)
	}
	if err := e.s.SaveZoomConnection(ctx, testConnection("T1", "acct1")); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteZoomConnection(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if _, err := e.s.ZoomConnection(ctx, "T1"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("after delete = %v, want ErrZoomNotConnected", err)
	}
	if _, err := e.s.TeamForZoomAccount(ctx, "acct1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("account after delete = %v, want ErrNotFound", err)
	}
	if err := e.s.SaveZoomConnection(ctx, testConnection("T2", "acct1")); err != nil {
		t.Errorf("reconnect elsewhere after delete: %v", err)
	}
}

func TestOAuthState(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	want := incident.OAuthState{Team: "T1", User: "U1", Expires: now.Add(10 * time.Minute)}
	if err := e.s.PutOAuthState(ctx, "s1", want); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutOAuthState(ctx, "s2", want); err != nil {
		t.Fatal(err)
	}

	got, err := e.reopen().TakeOAuthState(ctx, "s1", now.Add(time.Minute))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Take(s1) = %+v, %v; want %+v", got, err, want)
	}
	if _, err := e.s.TakeOAuthState(ctx, "s1", now.Add(time.Minute)); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("second Take(s1) = %v, want ErrNotFound", err)
	}
	if _, err := e.s.TakeOAuthState(ctx, "unknown", now); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Take(unknown) = %v, want ErrNotFound", err)
	}
	// Expired at exactly Expires, and consumed by the failed take.
	if _, err := e.s.TakeOAuthState(ctx, "s2", want.Expires); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Take(s2) at expiry = %v, want ErrNotFound", err)
	}
	if _, err := e.s.TakeOAuthState(ctx, "s2", now); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Take(s2) after an expired take = %v, want ErrNotFound", err)
	}
	if err := e.s.PutOAuthState(ctx, "", want); err == nil {
		t.Error("empty state accepted")
	}
}

func TestPutOAuthStatePrunesExpired(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	if err := e.s.PutOAuthState(ctx, "old", incident.OAuthState{Team: "T1", Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Minute)
	if err := e.s.PutOAuthState(ctx, "new", incident.OAuthState{Team: "T1", Expires: e.clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.s.db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketOAuthStates).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d states stored, want 1 (expired one pruned)", n)
	}
}

// TestUpdateZoomConnectionIsCompareAndSwap: fn sees what is stored and its
// error leaves it alone; a deleted connection is never recreated, not even
// its account index; the team and account cannot be swapped under it.
func TestUpdateZoomConnectionIsCompareAndSwap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.SaveZoomConnection(ctx, testConnection("T1", "acct1")); err != nil {
		t.Fatal(err)
	}

	// The swap applies only while the refresh token is the one used.
	swap := func(used, next string) error {
		_, err := e.s.UpdateZoomConnection(ctx, "T1", func(c *incident.ZoomConnection) error {
			if c.RefreshToken != used {
				return errStale
			}
			c.AccessToken, c.RefreshToken = "access-"+next, next
			return nil
		})
		return err
	}
	if err := swap(refreshToken, "refresh-2"); err != nil {
		t.Fatal(err)
	}
	if err := swap(refreshToken, "refresh-3"); !errors.Is(err, errStale) {
		t.Errorf("swap from a rotated-away token = %v; want the fn's error", err)
	}
	got, err := e.reopen().ZoomConnection(ctx, "T1")
	if err != nil || got.RefreshToken != "refresh-2" || got.AccessToken != "access-refresh-2" || got.AccountID != "acct1" || got.ConnectedBy != "U1" {
		t.Errorf("after the swaps: %+v, %v; want refresh-2 and the rest kept", got, err)
	}

	if _, err := e.s.UpdateZoomConnection(ctx, "T1", func(c *incident.ZoomConnection) error {
		c.AccountID = "acct-other"
		return nil
	}); err == nil {
		t.Error("an update moved the connection to another Zoom account")
	}

	if err := e.s.DeleteZoomConnection(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	called := false
	_, err = e.s.UpdateZoomConnection(ctx, "T1", func(c *incident.ZoomConnection) error {
		called = true
		c.Broken = true
		return nil
	})
	if !errors.Is(err, incident.ErrZoomNotConnected) || called {
		t.Errorf("update after delete = %v (fn called %v); want ErrZoomNotConnected without calling fn", err, called)
	}
	if _, err := e.reopen().ZoomConnection(ctx, "T1"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("after an update of a deleted connection: %v; want still none", err)
	}
	if _, err := e.s.TeamForZoomAccount(ctx, "acct1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("account index after an update of a deleted connection: %v; want none", err)
	}
}

var errStale = errors.New("stale")

// TestTakeZoomConnection returns the last stored pair and deletes it with
// its account index, in one go.
func TestTakeZoomConnection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.s.TakeZoomConnection(ctx, "T1"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("take of nothing = %v; want ErrZoomNotConnected", err)
	}
	want := testConnection("T1", "acct1")
	if err := e.s.SaveZoomConnection(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.TakeZoomConnection(ctx, "T1")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("take = %+v, %v; want %+v", got, err, want)
	}
	e.reopen()
	if _, err := e.s.ZoomConnection(ctx, "T1"); !errors.Is(err, incident.ErrZoomNotConnected) {
		t.Errorf("after take = %v; want ErrZoomNotConnected", err)
	}
	if _, err := e.s.TeamForZoomAccount(ctx, "acct1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("account after take = %v; want ErrNotFound", err)
	}
}

// TestBrokenZoomConnections counts the workspaces that must reconnect.
func TestBrokenZoomConnections(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	count := func() int {
		t.Helper()
		n, err := e.s.BrokenZoomConnections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Errorf("empty store: %d broken", n)
	}
	broken := testConnection("T1", "acct1")
	broken.Broken = true
	for _, c := range []incident.ZoomConnection{broken, testConnection("T2", "acct2")} {
		if err := e.s.SaveZoomConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("one broken of two: %d broken", n)
	}
	if _, err := e.s.UpdateZoomConnection(ctx, "T1", func(c *incident.ZoomConnection) error {
		c.Broken = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("after mending: %d broken", n)
	}
}
