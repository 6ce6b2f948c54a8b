package zoom

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestConnector(t *testing.T) {
	srv := newTokenServer(t)
	o := newOAuth(srv, &clock{t: testNow})
	f := setup(t)
	f.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Authorization", "Bearer access-1")
		writeJSON(w, 200, `{"id":"u1","email":"admin@example.com","account_id":"acct-9","status":"active","type":2}`)
	})
	c := NewConnector(o, f.client)
	if got := c.AuthorizeURL("s1"); !strings.HasPrefix(got, srv.url+"/oauth/authorize?") || !strings.Contains(got, "state=s1") {
		t.Errorf("AuthorizeURL = %s", got)
	}
	conn, err := c.Exchange(context.Background(), "code-1")
	if err != nil {
		t.Fatal(err)
	}
	want := incident.ZoomConnection{AccountID: "acct-9", AccessToken: "access-1", RefreshToken: "refresh-1",
		Expiry: testNow.Add(3599 * time.Second), Scopes: []string{"meeting:write:meeting:admin", "user:read:user:admin"}}
	if conn.AccountID != want.AccountID || conn.AccessToken != want.AccessToken || conn.RefreshToken != want.RefreshToken ||
		!conn.Expiry.Equal(want.Expiry) || strings.Join(conn.Scopes, " ") != strings.Join(want.Scopes, " ") {
		t.Errorf("Exchange = %+v\nwant %+v", conn, want)
	}
	if err := c.Revoke(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	revoked := strings.Join(srv.revoked, ",")
	srv.mu.Unlock()
	if revoked != "access-1,refresh-1" {
		t.Errorf("revoked %q; want the access and the refresh token", revoked)
	}
}

// fakeZoomInstall runs the install flow against fake Zoom: the owner
// consents, the Connector exchanges the code. It returns the connection
// and the OAuth and Connector used.
func fakeZoomInstall(t *testing.T, zm *fakezoom.Server) (incident.ZoomConnection, *OAuth, *Connector) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	o := &OAuth{ClientID: zm.ClientID(), ClientSecret: zm.ClientSecret(), OAuthURL: zm.OAuthURL(),
		RedirectURL: "https://bridge.example/zoom/oauth/callback", HTTPClient: hc}
	c := NewConnector(o, New(zm.APIURL(), hc))
	redirect, err := zm.Authorize(t.Context(), c.AuthorizeURL("state-1"), fakezoom.DefaultOwnerEmail)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Exchange(t.Context(), u.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	return conn, o, c
}

// TestConnectorRevokeEndsTheGrant: disconnecting revokes the refresh token
// as well as the access token at (fake) Zoom, and the refresh token no
// longer works afterwards.
func TestConnectorRevokeEndsTheGrant(t *testing.T) {
	zm := fakezoom.New(fakezoom.Options{})
	t.Cleanup(zm.Close)
	conn, o, c := fakeZoomInstall(t, zm)
	if err := c.Revoke(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range zm.Revocations() {
		if !r.Known || r.AccountID != zm.AccountID() {
			t.Errorf("revocation of a token Zoom did not know: %+v", r)
		}
		got = append(got, r.Token)
	}
	if !slices.Contains(got, conn.RefreshToken) || !slices.Contains(got, conn.AccessToken) {
		t.Errorf("revoked %d tokens; want both the access and the refresh token", len(got))
	}
	if _, err := o.refresh(t.Context(), conn.RefreshToken); !IsInvalidGrant(err) {
		t.Errorf("refresh after disconnect: %v; want invalid_grant", err)
	}
}

// TestConnectorRevokeWhenZoomRefusesBoth: if Zoom takes neither stored
// token at /oauth/revoke (an expired access token, refresh tokens not
// accepted there), the Connector refreshes once and revokes the fresh
// access token, so the grant still ends.
func TestConnectorRevokeWhenZoomRefusesBoth(t *testing.T) {
	zm := fakezoom.New(fakezoom.Options{})
	t.Cleanup(zm.Close)
	conn, _, c := fakeZoomInstall(t, zm)
	zm.FailNext(fakezoom.OpRevoke, 2, http.StatusBadRequest, 0, "Invalid Token!")
	if err := c.Revoke(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	revs := zm.Revocations()
	if len(revs) != 1 || !revs[0].Known || revs[0].Token == conn.AccessToken || revs[0].Token == conn.RefreshToken {
		t.Fatalf("revocations after the refused ones = %d (known %v); want one, of a freshly refreshed token", len(revs), len(revs) == 1 && revs[0].Known)
	}
	if n := zm.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("refresh_token requests = %d; want 1", n)
	}

	// With Zoom refusing everything, Revoke says so, without secrets.
	conn2, _, c2 := fakeZoomInstall(t, zm)
	zm.FailNext(fakezoom.OpRevoke, 2, http.StatusBadRequest, 0, "Invalid Token!")
	zm.FailNext(fakezoom.OpToken, 1, http.StatusInternalServerError, 0, "down")
	err := c2.Revoke(t.Context(), conn2)
	if err == nil {
		t.Fatal("Revoke succeeded though Zoom refused every call")
	}
	noSecrets(t, err.Error(), conn2.AccessToken, conn2.RefreshToken, zm.ClientSecret())
}

func TestConnectorExchangeWithoutUserScope(t *testing.T) {
	srv := newTokenServer(t)
	f := setup(t)
	f.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:user:admin]"}`)
	})
	_, err := NewConnector(newOAuth(srv, &clock{t: testNow}), f.client).Exchange(context.Background(), "code-1")
	if !errors.Is(err, incident.ErrZoomScope) {
		t.Errorf("err = %v, want ErrZoomScope", err)
	}
	noSecrets(t, err.Error(), "access-1", "refresh-1", "code-1")
}

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		scope string
		want  []string
		not   []string
	}{
		{"meeting:write:meeting:admin user:read:user:admin",
			[]string{"Server-to-Server OAuth", "scopes granted: meeting:write:meeting:admin, user:read:user:admin",
				"optional scope meeting:read:list_meetings:admin not granted"}, []string{"required scope"}},
		{"meeting:write:meeting:admin",
			[]string{"required scope user:read:user:admin not granted"}, nil},
		{"", []string{"did not say"}, []string{"not granted"}},
	} {
		got, err := NewServerToServerService(New("", nil), scopedTS(tt.scope)).Describe(context.Background(), "T1")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("Describe(%q) = %q, want it to say %q", tt.scope, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("Describe(%q) = %q, should not say %q", tt.scope, got, n)
			}
		}
	}
}
