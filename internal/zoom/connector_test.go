package zoom

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

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
	if revoked != "access-1" {
		t.Errorf("revoked %q", revoked)
	}
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
