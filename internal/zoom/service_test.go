package zoom

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestUser(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testHeader(t, r, "Authorization", "Bearer t")
		writeJSON(w, 200, `{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"admin@example.com","account_id":"q6gBJVO5TzexKYTb_I2rpg",
			"account_number":10009239,"type":2,"status":"active","pmi":3542471135,"role_name":"Owner","verified":1,
			"first_name":"A","last_name":"B","language":"en-US","phone_numbers":[{"code":"+1","country":"US","number":"1","verified":true}]}`)
	})
	u, err := NewServerToServerService(f.client, staticTS("t")).Account(context.Background(), "T1")
	if err != nil {
		t.Fatal(err)
	}
	want := User{ID: "KDcuGIm1QgePTO8WbOqwIQ", Email: "admin@example.com", AccountID: "q6gBJVO5TzexKYTb_I2rpg", Type: 2, Status: "active"}
	if u != want {
		t.Errorf("Account = %+v, want %+v", u, want)
	}
}

func TestCheckUser(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		want   error // nil, or the sentinel
		zerr   bool  // the *Error survives
	}{
		{"active", 200, `{"id":"u","email":"fb@example.com","status":"active","type":2}`, nil, false},
		{"pending", 200, `{"id":"u","email":"fb@example.com","status":"pending","type":1}`, incident.ErrHostNotInAccount, false},
		{"not found", 404, `{"code":1001,"message":"User does not exist: fb@example.com."}`, incident.ErrHostNotInAccount, true},
		{"not in account", 400, `{"code":1010,"message":"User not belong to this account"}`, incident.ErrHostNotInAccount, true},
		{"no scope", 400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:user:admin]"}`, incident.ErrZoomScope, true},
		{"token refused twice", 401, `{"code":124,"message":"Invalid access token."}`, incident.ErrZoomNotConnected, true},
		{"outage", 503, `{"code":503,"message":"down"}`, incident.ErrZoomUnavailable, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/v2/users/fb@example.com", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, http.MethodGet)
				writeJSON(w, tt.status, tt.body)
			})
			err := NewServerToServerService(f.client, staticTS("t")).CheckUser(context.Background(), "T1", "fb@example.com")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ze *Error
			if errors.As(err, &ze) != tt.zerr {
				t.Errorf("*Error kept = %v, want %v", !tt.zerr, tt.zerr)
			}
			noSecrets(t, err.Error(), "fb@example.com")
		})
	}
}

func TestServiceCreateMeetingErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		want   error
		calls  int32
	}{
		{"host not found", 404, `{"code":1001,"message":"User does not exist: alice@example.com."}`, incident.ErrHostNotInAccount, 1},
		{"host not in account", 400, `{"code":1010,"message":"User not found on this account"}`, incident.ErrHostNotInAccount, 1},
		{"host may not host", 400, `{"code":3161,"message":"Your user account is not allowed meeting hosting and scheduling capabilities."}`, incident.ErrHostNotInAccount, 1},
		{"scope", 400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:write:meeting:admin]"}`, incident.ErrZoomScope, 1},
		{"token refused: one retry", 401, `{"code":124,"message":"Access token has expired."}`, incident.ErrZoomNotConnected, 2},
		{"http 300 daily limit", 300, `{"code":300,"message":"A maximum of 100 meetings can be created/updated for a single user in one day."}`, incident.ErrZoomUnavailable, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			var calls atomic.Int32
			f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				writeJSON(w, tt.status, tt.body)
			})
			_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ze *Error
			if !errors.As(err, &ze) || ze.HTTPStatus != tt.status {
				t.Errorf("err = %v: the *Error is lost", err)
			}
			for _, other := range []error{incident.ErrHostNotInAccount, incident.ErrZoomScope, incident.ErrZoomNotConnected, incident.ErrZoomUnavailable, incident.ErrOutcomeUnknown} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("err = %v is also %v", err, other)
				}
			}
			if n := calls.Load(); n != tt.calls {
				t.Errorf("calls = %d, want %d", n, tt.calls)
			}
			noSecrets(t, err.Error(), host)
		})
	}
}

func TestServiceCreateMeetingOtherErrorKeepsCause(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"code":3000,"message":"You cannot schedule a meeting for alice@example.com"}`)
	})
	_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
	var ze *Error
	if !errors.As(err, &ze) || ze.Code != 3000 {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []error{incident.ErrHostNotInAccount, incident.ErrZoomUnavailable, incident.ErrOutcomeUnknown} {
		if errors.Is(err, s) {
			t.Errorf("err = %v is %v", err, s)
		}
	}
	noSecrets(t, err.Error(), host)
}

func TestServiceFindMeeting(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		found  bool
		want   error
	}{
		{"found", 200, `{"meetings":[{"id":9,"agenda":"x · attempt a1","join_url":"j"}]}`, true, nil},
		{"none", 200, `{"meetings":[]}`, false, nil},
		{"host unknown: nothing to find", 404, `{"code":1001,"message":"User does not exist: alice@example.com."}`, false, nil},
		{"no list scope", 400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:list_meetings:admin]"}`, false, incident.ErrZoomScope},
		{"others' meetings hidden", 403, `{"code":2306,"message":"Not allowed to view meetings scheduled for others."}`, false, incident.ErrZoomScope},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, tt.body) })
			m, found, err := NewServerToServerService(f.client, staticTS("t")).FindMeeting(context.Background(), "T1", host, "a1")
			if found != tt.found || !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("FindMeeting = %+v, %v, %v", m, found, err)
			}
			if found && (m.ID != "9" || m.JoinURL != "j") {
				t.Errorf("meeting = %+v", m)
			}
		})
	}
}

// scopedTS is a token source whose token carries a scope extra.
func scopedTS(scope string) oauth2.TokenSource {
	return oauth2.StaticTokenSource((&oauth2.Token{AccessToken: "t"}).WithExtra(map[string]any{"scope": scope}))
}

func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		scope           string
		missing         []string
		missingOptional []string
		unknown         bool
	}{
		{scope: "meeting:write:meeting:admin user:read:user:admin", missingOptional: []string{"meeting:read:list_meetings:admin"}},
		{scope: "meeting:write:meeting:admin user:read:user:admin meeting:read:list_meetings:admin"},
		{scope: "meeting:write:admin user:read:admin meeting:read:admin"}, // classic scopes
		{scope: "meeting:write:meeting:admin", missing: []string{"user:read:user:admin"}, missingOptional: []string{"meeting:read:list_meetings:admin"}},
		{scope: "", unknown: true},
	} {
		st, err := NewServerToServerService(New("", nil), scopedTS(tt.scope)).Status(context.Background(), "T1")
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode != ModeServerToServer || (st.Scopes == nil) != tt.unknown {
			t.Errorf("%q: status = %+v", tt.scope, st)
		}
		names := func(ns []ScopeNeed) []string {
			var out []string
			for _, n := range ns {
				out = append(out, n.Scope)
				if n.Feature == "" {
					t.Errorf("%s has no feature", n.Scope)
				}
			}
			return out
		}
		if got := names(st.Missing); !slices.Equal(got, tt.missing) {
			t.Errorf("%q: missing = %v, want %v", tt.scope, got, tt.missing)
		}
		if got := names(st.MissingOptional); !slices.Equal(got, tt.missingOptional) {
			t.Errorf("%q: missing optional = %v, want %v", tt.scope, got, tt.missingOptional)
		}
	}
}
