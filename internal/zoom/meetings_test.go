package zoom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

const (
	host       = "alice@example.com"
	hostPath   = "/v2/users/alice@example.com/meetings"
	agenda     = "Incident INC-42 (SEV-1) · attempt a1B2-c3_d4"
	created201 = `{"uuid":"iY6pzmx6TbyUQBWZ9tU5NQ==","id":85746065432,"host_id":"KDcuGIm1QgePTO8WbOqwIQ",
		"host_email":"alice@example.com","topic":"INC-42: Checkout errors","type":2,"status":"waiting",
		"start_time":"2026-11-24T10:15:00Z","duration":60,"timezone":"UTC","agenda":"x",
		"created_at":"2026-11-24T10:15:01Z","start_url":"https://zoom.example/s/85746065432?zak=SECRETZAK",
		"join_url":"https://zoom.example/j/85746065432?pwd=abc","password":"123456","h323_password":"123456",
		"pstn_password":"123456","encrypted_password":"abc","pmi":"97891943927","dynamic_host_key":"998877",
		"settings":{"join_before_host":true,"jbh_time":0,"waiting_room":false,"auto_recording":"none","approval_type":2,
		"some_new_setting":{"nested":[1,2,3]}},"pre_schedule":false}`
)

func meetingReq() incident.MeetingRequest {
	return incident.MeetingRequest{
		HostEmail: host,
		Topic:     "INC-42: Checkout errors",
		Agenda:    agenda,
		Options:   incident.MeetingOptions{JoinBeforeHost: true, Recording: incident.RecordingNone},
	}
}

func TestCreateMeeting(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testHeader(t, r, "Authorization", "Bearer tok-1")
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `{"topic":"INC-42: Checkout errors","type":2,"start_time":"2026-11-24T10:15:00Z","duration":60,
			"timezone":"UTC","agenda":"Incident INC-42 (SEV-1) · attempt a1B2-c3_d4",
			"settings":{"join_before_host":true,"jbh_time":0,"waiting_room":false,"auto_recording":"none",
			"approval_type":2,"email_notification":false}}`)
		writeJSON(w, http.StatusCreated, created201)
	})
	m, err := f.client.CreateMeeting(context.Background(), staticTS("tok-1"), meetingReq())
	if err != nil {
		t.Fatal(err)
	}
	want := incident.CreatedMeeting{
		ID: "85746065432", JoinURL: "https://zoom.example/j/85746065432?pwd=abc", Passcode: "123456",
		StartURL: "https://zoom.example/s/85746065432?zak=SECRETZAK",
	}
	if m != want {
		t.Errorf("CreateMeeting = %+v\nwant %+v", m, want)
	}
}

func TestCreateMeetingEscapesHost(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/v2/users/", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.EscapedPath(); got != "/v2/users/we%3Fird%2Fo+k@example.com/meetings" {
			t.Errorf("path = %s", got)
		}
		writeJSON(w, http.StatusCreated, created201)
	})
	req := meetingReq()
	req.HostEmail = "we?ird/o+k@example.com"
	if _, err := f.client.CreateMeeting(context.Background(), staticTS("t"), req); err != nil {
		t.Fatal(err)
	}
}

func TestCreateBody(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	long := strings.Repeat("é", 300)
	for _, tt := range []struct {
		name string
		req  incident.MeetingRequest
		want createMeetingRequest
	}{
		{
			name: "defaults start now in UTC",
			req:  incident.MeetingRequest{Topic: "T"},
			want: createMeetingRequest{Topic: "T", Type: 2, StartTime: "2026-11-24T10:15:00Z", Duration: 60, Timezone: "UTC",
				Settings: meetingSettings{AutoRecording: "none", ApprovalType: 2}},
		},
		{
			name: "given start converted to UTC, options passed",
			req: incident.MeetingRequest{Topic: "T", Agenda: "A", Start: time.Date(2026, 1, 2, 3, 4, 5, 999, paris),
				Options: incident.MeetingOptions{JoinBeforeHost: true, WaitingRoom: true, Recording: incident.RecordingCloud}},
			want: createMeetingRequest{Topic: "T", Type: 2, StartTime: "2026-01-02T02:04:05Z", Duration: 60, Timezone: "UTC", Agenda: "A",
				Settings: meetingSettings{JoinBeforeHost: true, WaitingRoom: true, AutoRecording: "cloud", ApprovalType: 2}},
		},
		{
			name: "topic cut to 200 runes",
			req:  incident.MeetingRequest{Topic: long, Options: incident.MeetingOptions{Recording: incident.RecordingLocal}},
			want: createMeetingRequest{Topic: strings.Repeat("é", 200), Type: 2, StartTime: "2026-11-24T10:15:00Z", Duration: 60, Timezone: "UTC",
				Settings: meetingSettings{AutoRecording: "local", ApprovalType: 2}},
		},
	} {
		if got := createBody(tt.req, testNow.In(paris)); got != tt.want {
			t.Errorf("%s: createBody = %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestMarker(t *testing.T) {
	for _, tt := range []struct{ agenda, want string }{
		{agenda, "attempt a1B2-c3_d4"},
		{"attempt x", "attempt x"},
		{"no marker", ""},
		{"attempt ", ""},
		{strings.Repeat("x", 240) + " attempt abcdefgh", ""}, // past what listings show
		{strings.Repeat("x", 200) + " attempt abc", "attempt abc"},
	} {
		if got := Marker(tt.agenda); got != tt.want {
			t.Errorf("Marker(%.30q…) = %q, want %q", tt.agenda, got, tt.want)
		}
	}
}

func TestContainsMarker(t *testing.T) {
	for _, tt := range []struct {
		agenda, marker string
		want           bool
	}{
		{"Incident · attempt abc", "attempt abc", true},
		{"Incident · attempt abcd", "attempt abc", false},
		{"Incident · attempt abc.", "attempt abc", true},
		{"attempt abcd attempt abc", "attempt abc", true},
		{"x-abc", "abc", false},
		{"x abc", "abc", true},
		{"anything", "", false},
	} {
		if got := containsMarker(tt.agenda, tt.marker); got != tt.want {
			t.Errorf("containsMarker(%q, %q) = %v", tt.agenda, tt.marker, got)
		}
	}
}

// serveList answers the host's meeting list with meetings whose agendas
// are given.
func serveList(t *testing.T, w http.ResponseWriter, r *http.Request, agendas ...string) {
	t.Helper()
	testMethod(t, r, http.MethodGet)
	if q := r.URL.Query(); q.Get("type") != "scheduled" || q.Get("page_size") != "300" {
		t.Errorf("list query = %v", q)
	}
	var items []string
	for i, a := range agendas {
		items = append(items, fmt.Sprintf(`{"id":%d,"uuid":"u%d","host_id":"h","topic":"T","type":2,"agenda":%q,
			"start_time":"2026-11-24T10:15:00Z","duration":60,"timezone":"UTC","join_url":"https://zoom.example/j/%d","created_at":"2026-11-24T10:15:01Z"}`,
			85746065400+i, i, a, 85746065400+i))
	}
	writeJSON(w, 200, `{"page_size":300,"total_records":`+fmt.Sprint(len(items))+`,"next_page_token":"","meetings":[`+strings.Join(items, ",")+`]}`)
}

func TestCreateMeetingRetries429(t *testing.T) {
	for _, tt := range []struct {
		name       string
		header     http.Header
		msg        string
		wantCalls  int32
		wantWaits  []time.Duration
		wantErr    bool
		wantStatus int
	}{
		{name: "retry-after seconds", header: http.Header{"Retry-After": {"2"}}, wantCalls: 2, wantWaits: []time.Duration{2 * time.Second}},
		{name: "retry-after iso", header: http.Header{"Retry-After": {"2026-11-24T10:15:03Z"}}, wantCalls: 2, wantWaits: []time.Duration{3 * time.Second}},
		{name: "retry-after http-date", header: http.Header{"Retry-After": {"Tue, 24 Nov 2026 10:15:01 GMT"}}, wantCalls: 2, wantWaits: []time.Duration{time.Second}},
		{name: "no retry-after: backoff", wantCalls: 2, wantWaits: []time.Duration{250 * time.Millisecond}},
		{name: "retry-after beyond cap: give up", header: http.Header{"Retry-After": {"60"}}, wantCalls: 1, wantErr: true},
		{name: "daily by header: no retry", header: http.Header{"X-Ratelimit-Type": {"Daily-limit"}}, wantCalls: 1, wantErr: true},
		{name: "daily by message: no retry", msg: "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests", wantCalls: 1, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			var calls atomic.Int32
			f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					msg := tt.msg
					if msg == "" {
						msg = "You have reached the maximum per-second rate limit for this API."
					}
					writeJSON(w, 429, fmt.Sprintf(`{"code":429,"message":%q}`, msg))
					return
				}
				writeJSON(w, http.StatusCreated, created201)
			})
			svc := NewServerToServerService(f.client, staticTS("t"))
			_, err := svc.CreateMeeting(context.Background(), "T1", meetingReq())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, incident.ErrZoomUnavailable) || !IsRateLimited(err)) {
				t.Errorf("err = %v, want ErrZoomUnavailable wrapping a rate limit", err)
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
			if got := f.sleep.got(); fmt.Sprint(got) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
		})
	}
}

func TestCreateMeetingGivesUpAfterThreeTries(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 429, `{"code":429,"message":"slow down"}`)
	})
	_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("calls = %d, want 3", n)
	}
	if got := f.sleep.got(); fmt.Sprint(got) != "[250ms 500ms]" {
		t.Errorf("waits = %v", got)
	}
}

func TestCreateMeetingServerErrors(t *testing.T) {
	const scopeErr = `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:list_meetings:admin]"}`
	for _, tt := range []struct {
		name string
		// createStatus/createBody answer the first create; later ones get 201.
		createStatus int
		createBody   string
		// list answers the meeting list: agendas, or an error status+body.
		listAgendas []string
		listStatus  int
		listBody    string
		noMarker    bool

		wantPosts   int32
		wantLists   int32
		wantID      string
		wantUnknown bool
	}{
		{name: "500 json, listed: found, not recreated", createStatus: 500, createBody: `{"code":500,"message":"internal"}`,
			listAgendas: []string{"other", agenda}, wantPosts: 1, wantLists: 1, wantID: "85746065401"},
		{name: "502 html, not listed: retried", createStatus: 502, createBody: `<html>bad gateway</html>`,
			listAgendas: []string{"Incident · attempt a1B2-c3_d4x"}, wantPosts: 2, wantLists: 1, wantID: "85746065432"},
		{name: "500 json, cannot list: outcome unknown, not retried", createStatus: 500, createBody: `{"code":500,"message":"internal"}`,
			listStatus: 400, listBody: scopeErr, wantPosts: 1, wantLists: 1, wantUnknown: true},
		{name: "503 json, listing forbidden: Zoom did not handle it, sent again without looking", createStatus: 503, createBody: `{"code":503,"message":"unavailable"}`,
			listStatus: 403, listBody: `{"code":2306,"message":"Not allowed to view meetings scheduled for others."}`, wantPosts: 2, wantLists: 0, wantID: "85746065432"},
		{name: "503 html: sent again", createStatus: 503, createBody: `<html>unavailable</html>`,
			wantPosts: 2, wantLists: 0, wantID: "85746065432"},
		{name: "502 html, cannot list: outcome unknown", createStatus: 502, createBody: `<html>bad gateway</html>`,
			listStatus: 400, listBody: scopeErr, wantPosts: 1, wantLists: 1, wantUnknown: true},
		{name: "504 html, no marker: outcome unknown without listing", createStatus: 504, createBody: ``,
			noMarker: true, wantPosts: 1, wantLists: 0, wantUnknown: true},
		{name: "201 unreadable, listed: found", createStatus: 201, createBody: `{"id":857460`,
			listAgendas: []string{agenda}, wantPosts: 1, wantLists: 1, wantID: "85746065400"},
		{name: "201 unreadable, not listed: outcome unknown, not recreated", createStatus: 201, createBody: `{"id":857460`,
			listAgendas: nil, wantPosts: 1, wantLists: 1, wantUnknown: true},
		{name: "201 without join_url: outcome unknown", createStatus: 201, createBody: `{"id":85746065432}`,
			listAgendas: nil, wantPosts: 1, wantLists: 1, wantUnknown: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			var posts, lists atomic.Int32
			f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					lists.Add(1)
					if tt.listStatus != 0 {
						writeJSON(w, tt.listStatus, tt.listBody)
						return
					}
					serveList(t, w, r, tt.listAgendas...)
					return
				}
				if posts.Add(1) == 1 {
					writeJSON(w, tt.createStatus, tt.createBody)
					return
				}
				writeJSON(w, http.StatusCreated, created201)
			})
			req := meetingReq()
			if tt.noMarker {
				req.Agenda = "Incident INC-42"
			}
			m, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", req)
			if tt.wantUnknown {
				if !errors.Is(err, incident.ErrOutcomeUnknown) {
					t.Errorf("err = %v, want ErrOutcomeUnknown", err)
				}
			} else if err != nil || m.ID != tt.wantID {
				t.Errorf("CreateMeeting = %+v, %v; want ID %s", m, err, tt.wantID)
			}
			if tt.wantID != "" && tt.wantID != "85746065432" && m.StartURL != "" {
				t.Errorf("found meeting has a start URL %q", m.StartURL)
			}
			if n := posts.Load(); n != tt.wantPosts {
				t.Errorf("creates = %d, want %d", n, tt.wantPosts)
			}
			if n := lists.Load(); n != tt.wantLists {
				t.Errorf("lists = %d, want %d", n, tt.wantLists)
			}
			if err != nil {
				noSecrets(t, err.Error(), host, "SECRETZAK")
			}
		})
	}
}

// TestCreateMeetingNeverRetries5xxBlindly: whatever the 5xx that may have
// been handled (Zoom's JSON error or a gateway's page; 503 is the one that
// says it was not, TestCreateMeeting503SentAgain), a create is not sent
// again unless the host's meetings were listed and hold none with the
// attempt's marker. The listing fails here (Do retries its GET 5xx
// itself), so one create is all Zoom sees, and the outcome is unknown.
func TestCreateMeetingNeverRetries5xxBlindly(t *testing.T) {
	for _, status := range []int{500, 502, 504} {
		for _, body := range []string{`{"code":` + fmt.Sprint(status) + `,"message":"server error"}`, `<html>error</html>`} {
			t.Run(fmt.Sprintf("%d %.6s", status, body), func(t *testing.T) {
				f := setup(t)
				var posts, lists atomic.Int32
				f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodGet {
						lists.Add(1)
						writeJSON(w, 500, `{"code":500,"message":"list failed"}`)
						return
					}
					posts.Add(1)
					writeJSON(w, status, body)
				})
				_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
				if !errors.Is(err, incident.ErrOutcomeUnknown) || errors.Is(err, incident.ErrZoomUnavailable) {
					t.Errorf("err = %v, want ErrOutcomeUnknown only", err)
				}
				if n := posts.Load(); n != 1 {
					t.Errorf("creates = %d, want 1", n)
				}
				if n := lists.Load(); n != 3 {
					t.Errorf("lists = %d, want 3 (a GET is retried)", n)
				}
			})
		}
	}
}

// TestCreateMeetingWaitsBeforeLooking: after a 5xx the client waits before
// listing (a create still running at Zoom shows up only when done), and
// creates again only after the listing showed nothing.
func TestCreateMeetingWaitsBeforeLooking(t *testing.T) {
	f := setup(t)
	var (
		mu     sync.Mutex
		events []string
	)
	note := func(e string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	f.client.sleep = func(ctx context.Context, d time.Duration) error {
		note(fmt.Sprint("wait ", d))
		return ctx.Err()
	}
	var posts atomic.Int32
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			note("list")
			serveList(t, w, r, "unrelated")
			return
		}
		note("create")
		if posts.Add(1) == 1 {
			writeJSON(w, 504, ``)
			return
		}
		writeJSON(w, http.StatusCreated, created201)
	})
	m, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
	if err != nil || m.StartURL == "" {
		t.Fatalf("CreateMeeting = %+v, %v", m, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(events, ", "); got != "create, wait 250ms, list, create" {
		t.Errorf("events: %s; want create, wait 250ms, list, create", got)
	}
}

// TestCreateMeetingBare404IsNotUserNotFound: a 404 without Zoom's JSON
// (a proxy's page, a wrong API URL) says nothing about the host, so the
// app must not move on to the fallback as if the host were not in the
// account; nor is it retried or looked up (nothing was created).
func TestCreateMeetingBare404IsNotUserNotFound(t *testing.T) {
	for _, body := range []string{`<html><body><h1>404 Not Found</h1></body></html>`, ``, `{"code":3001,"message":"Not found"}`} {
		f := setup(t)
		var calls atomic.Int32
		f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, body) // the client fails if this is lost
		})
		svc := NewServerToServerService(f.client, staticTS("t"))
		_, err := svc.CreateMeeting(context.Background(), "T1", meetingReq())
		var ze *Error
		if err == nil || !errors.As(err, &ze) || ze.HTTPStatus != 404 {
			t.Fatalf("%q: err = %v, want the 404 as a *zoom.Error", body, err)
		}
		for _, s := range []error{incident.ErrHostNotInAccount, incident.ErrOutcomeUnknown, incident.ErrZoomUnavailable} {
			if errors.Is(err, s) {
				t.Errorf("%q: err = %v is %v", body, err, s)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%q: %d calls, want 1", body, n)
		}
		// Listing: a bare 404 is an error, not "the host has no meetings".
		if _, found, err := svc.FindMeeting(context.Background(), "T1", host, "attempt a1"); err == nil || found {
			t.Errorf("%q: FindMeeting = %v, %v; want an error", body, found, err)
		}
	}
}

// TestCreateMeeting503SentAgain: a 503 says Zoom could not handle the
// request (RFC 9110), so the create is sent again after a backoff, without
// listing, a bounded number of times, and then reported as Zoom being
// unavailable (nothing was made).
func TestCreateMeeting503SentAgain(t *testing.T) {
	f := setup(t)
	var posts, lists atomic.Int32
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			lists.Add(1)
			serveList(t, w, r)
			return
		}
		posts.Add(1)
		writeJSON(w, 503, `{"code":503,"message":"unavailable"}`)
	})
	_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomUnavailable) || errors.Is(err, incident.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrZoomUnavailable only", err)
	}
	if n, l := posts.Load(), lists.Load(); n != 3 || l != 0 {
		t.Errorf("creates = %d, lists = %d; want 3 creates and no listing", n, l)
	}
	if got := f.sleep.got(); fmt.Sprint(got) != "[250ms 500ms]" {
		t.Errorf("waits = %v, want a backoff before each resend", got)
	}
}

func TestCreateMeetingAlways500(t *testing.T) {
	f := setup(t)
	var posts atomic.Int32
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			serveList(t, w, r)
			return
		}
		posts.Add(1)
		writeJSON(w, 500, `{"code":500,"message":"internal error"}`)
	})
	_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomUnavailable) || errors.Is(err, incident.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrZoomUnavailable only", err)
	}
	if n := posts.Load(); n != 3 {
		t.Errorf("creates = %d, want 3 (each after a listing showed none)", n)
	}
	if got := f.sleep.got(); fmt.Sprint(got) != "[250ms 500ms 1s]" {
		t.Errorf("waits = %v, want one before each listing", got)
	}
}

func TestCreateMeetingTimeoutAfterSend(t *testing.T) {
	for _, tt := range []struct {
		name        string
		canList     bool
		wantUnknown bool
	}{
		{"listed", true, false},
		{"cannot list", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.client.attemptTimeout = 100 * time.Millisecond
			done := make(chan struct{})
			t.Cleanup(func() { close(done) }) // runs before the server's Close
			var posts atomic.Int32
			f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					if !tt.canList {
						writeJSON(w, 400, `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:list_meetings:admin]"}`)
						return
					}
					serveList(t, w, r, agenda)
					return
				}
				posts.Add(1)
				_, _ = io.Copy(io.Discard, r.Body) // read it all so the server notices the client leave
				select {                           // Zoom made it but the answer never comes
				case <-r.Context().Done():
				case <-done:
				}
			})
			m, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
			if tt.wantUnknown {
				if !errors.Is(err, incident.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want ErrOutcomeUnknown from a deadline", err)
				}
				noSecrets(t, err.Error(), host)
			} else if err != nil || m.ID != "85746065400" || m.StartURL != "" {
				t.Errorf("CreateMeeting = %+v, %v", m, err)
			}
			if n := posts.Load(); n != 1 {
				t.Errorf("creates = %d, want 1", n)
			}
		})
	}
}

func TestCreateMeetingConnectionRefusedIsRetried(t *testing.T) {
	f := setup(t)
	f.srv.Close() // nothing listens: no request is ever written
	_, err := NewServerToServerService(f.client, staticTS("t")).CreateMeeting(context.Background(), "T1", meetingReq())
	if !errors.Is(err, incident.ErrZoomUnavailable) || errors.Is(err, incident.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrZoomUnavailable", err)
	}
	var te *TransportError
	if !errors.As(err, &te) || te.Sent {
		t.Errorf("err = %#v, want an unsent *TransportError", err)
	}
	if got := f.sleep.got(); len(got) != 2 {
		t.Errorf("waits = %v, want 2 (three tries)", got)
	}
	noSecrets(t, err.Error(), host, "alice%40example.com")
}

func TestListMeetingsPages(t *testing.T) {
	f := setup(t)
	var pages atomic.Int32
	f.mux.HandleFunc("/v2/users/me/meetings", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Authorization", "Bearer t")
		q := r.URL.Query()
		switch pages.Add(1) {
		case 1:
			if q.Has("next_page_token") {
				t.Errorf("first page sent a token")
			}
			writeJSON(w, 200, `{"next_page_token":"P2","meetings":[{"id":1,"agenda":"a","start_time":"2026-11-24T10:15:00Z","join_url":"j1"}]}`)
		default:
			if q.Get("next_page_token") != "P2" {
				t.Errorf("second page token = %q", q.Get("next_page_token"))
			}
			writeJSON(w, 200, `{"next_page_token":"","meetings":[{"id":2,"agenda":"b","join_url":"j2"}]}`)
		}
	})
	ms, err := f.client.ListMeetings(context.Background(), staticTS("t"), "me", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ID != "1" || ms[1].JoinURL != "j2" || !ms[0].StartTime.Equal(testNow) {
		t.Errorf("meetings = %+v", ms)
	}
}

func TestFindMeeting(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc(hostPath, func(w http.ResponseWriter, r *http.Request) {
		serveList(t, w, r, "attempt abcd", "Incident INC-7 · attempt abc")
	})
	for _, tt := range []struct {
		marker string
		found  bool
		id     string
	}{{"attempt abc", true, "85746065401"}, {"abc", true, "85746065401"}, {"attempt ab", false, ""}, {"zzz", false, ""}} {
		m, found, err := f.client.FindMeeting(context.Background(), staticTS("t"), host, tt.marker)
		if err != nil || found != tt.found || m.ID != tt.id {
			t.Errorf("FindMeeting(%q) = %+v, %v, %v", tt.marker, m, found, err)
		}
	}
	if _, _, err := f.client.FindMeeting(context.Background(), staticTS("t"), host, ""); err == nil {
		t.Error("empty marker accepted")
	}
}

func TestMeetingID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{{`85746065432`, "85746065432", true}, {`"85746065432"`, "85746065432", true}, {`null`, "", true},
		{`1.5`, "", false}, {`"abc"`, "", false}, {`-3`, "", false}} {
		var m meetingID
		err := m.UnmarshalJSON([]byte(tt.in))
		if string(m) != tt.want || (err == nil) != tt.ok {
			t.Errorf("meetingID(%s) = %q, %v", tt.in, m, err)
		}
	}
}
