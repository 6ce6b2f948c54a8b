package fakezoom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

func TestCreateMeetingResponse(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, nil)
	tok := s2sToken(t, s)
	body := mustJSON(t, createBody())

	r := create(t, s, tok, alice, body)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := r.num("id")
	if id < 10_000_000_000 {
		t.Errorf("id %d: want an int64 of more than 10 digits", id)
	}
	for key, want := range map[string]string{
		"host_email": alice, "topic": "INC-42: Checkout errors", "status": "waiting",
		"start_time": "2026-11-24T10:15:00Z", "timezone": "UTC", "agenda": "Incident INC-42 (SEV-1)",
		"created_at": "2026-11-24T10:15:00Z",
	} {
		if got := r.str(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if r.num("type") != 2 || r.num("duration") != 60 || r.str("uuid") == "" || r.str("host_id") == "" {
		t.Errorf("type/duration/uuid/host_id wrong: %s", r.raw)
	}
	pw := r.str("password")
	if len(pw) < 6 || len(pw) > 10 {
		t.Errorf("password %q: want a generated 6–10 character passcode", pw)
	}
	if ju := r.str("join_url"); !strings.HasPrefix(ju, "https://") || !strings.Contains(ju, "/j/"+strconv.FormatInt(id, 10)+"?pwd=") {
		t.Errorf("join_url %q", ju)
	}
	if su := r.str("start_url"); !strings.Contains(su, "zak=") {
		t.Errorf("start_url %q: want a zak= host token", su)
	}
	st, _ := r.body["settings"].(map[string]any)
	if st["join_before_host"] != true || st["waiting_room"] != false || st["auto_recording"] != "none" ||
		st["jbh_time"] != json.Number("0") {
		t.Errorf("settings = %v", st)
	}

	ms := s.Meetings()
	if len(ms) != 1 || s.CreateCalls() != 1 {
		t.Fatalf("Meetings %d, CreateCalls %d; want 1, 1", len(ms), s.CreateCalls())
	}
	m := ms[0]
	if m.ID != id || m.HostEmail != alice || m.Agenda != "Incident INC-42 (SEV-1)" || m.Password != pw ||
		!m.Settings.JoinBeforeHost || m.Settings.EmailNotification || !bytes.Equal(m.Body, body) {
		t.Errorf("recorded meeting %+v", m)
	}

	// The host may be named by ID or, for the token's own user, "me".
	if r := create(t, s, tok, r.str("host_id"), createBody()); r.status != 201 || r.str("host_email") != alice {
		t.Errorf("create by host ID: %d %s", r.status, r.raw)
	}
	if r := create(t, s, tok, "me", createBody()); r.status != 201 || r.str("host_email") != "owner@example.com" {
		t.Errorf("create for me: %d %s", r.status, r.raw)
	}
	if got := s.Meetings(); got[0].ID == got[1].ID || got[1].UUID == got[0].UUID {
		t.Errorf("meetings share an ID or UUID: %+v", got)
	}
}

func TestCreateMeetingJoinBeforeHost(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)
	for _, tt := range []struct {
		typ          int
		jbh, waiting bool
		want         bool
	}{
		{2, true, false, true},
		{3, true, false, true},
		{8, true, false, true},
		{1, true, false, false},  // instant meetings ignore it
		{10, true, false, false}, // so do screen-share-only meetings
		{2, true, true, false},   // a waiting room disables it
		{2, false, false, false},
	} {
		b := createBody()
		b["type"] = tt.typ
		b["settings"] = map[string]any{"join_before_host": tt.jbh, "waiting_room": tt.waiting}
		r := create(t, s, tok, alice, b)
		st, _ := r.body["settings"].(map[string]any)
		if r.status != 201 || st["join_before_host"] != tt.want {
			t.Errorf("type %d jbh %v waiting %v: %d join_before_host=%v; want %v", tt.typ, tt.jbh, tt.waiting,
				r.status, st["join_before_host"], tt.want)
		}
	}
}

func TestCreateMeetingValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)
	with := func(key string, v any) map[string]any {
		b := createBody()
		b[key] = v
		return b
	}
	withSetting := func(key string, v any) map[string]any {
		b := createBody()
		b["settings"] = map[string]any{key: v}
		return b
	}
	for _, tt := range []struct {
		name  string
		body  any
		field string // "" = valid
	}{
		{"topic of 200", with("topic", strings.Repeat("é", 200)), ""},
		{"topic of 201", with("topic", strings.Repeat("x", 201)), "topic"},
		{"type 5", with("type", 5), "type"},
		{"type as string", with("type", "2"), "type"},
		{"start_time with space", with("start_time", "2026-11-24 10:15:00"), "start_time"},
		{"start_time with fraction", with("start_time", "2026-11-24T10:15:00.5Z"), "start_time"},
		{"start_time local", with("start_time", "2026-11-24T10:15:00"), ""},
		{"duration 0", with("duration", 0), "duration"},
		{"duration 1440", with("duration", 1440), ""},
		{"duration 1441", with("duration", 1441), "duration"},
		{"agenda of 2001", with("agenda", strings.Repeat("a", 2001)), "agenda"},
		{"password of 11", with("password", "12345678901"), "password"},
		{"jbh_time 7", withSetting("jbh_time", 7), "settings.jbh_time"},
		{"jbh_time 15", withSetting("jbh_time", 15), ""},
		{"auto_recording tape", withSetting("auto_recording", "tape"), "settings.auto_recording"},
		{"auto_recording cloud", withSetting("auto_recording", "cloud"), ""},
		{"approval_type 3", withSetting("approval_type", 3), "settings.approval_type"},
	} {
		before := len(s.Meetings())
		r := create(t, s, tok, alice, tt.body)
		if tt.field == "" {
			if r.status != 201 {
				t.Errorf("%s: %d %s; want 201", tt.name, r.status, r.raw)
			}
			continue
		}
		errs, _ := r.body["errors"].([]any)
		first, _ := func() (map[string]any, bool) {
			if len(errs) == 0 {
				return nil, false
			}
			m, ok := errs[0].(map[string]any)
			return m, ok
		}()
		if r.status != 400 || r.num("code") != 300 || first["field"] != tt.field || first["message"] == "" {
			t.Errorf("%s: %d %s; want 400/300 with errors[field=%s]", tt.name, r.status, r.raw, tt.field)
		}
		if len(s.Meetings()) != before {
			t.Errorf("%s: a rejected request created a meeting", tt.name)
		}
	}
	for _, raw := range []string{`{"topic":`, ``, `[1]`} {
		wantError(t, create(t, s, tok, alice, []byte(raw)), 400, 300, "Request Body should be a valid JSON object.")
	}
}

func TestCreateMeetingHostErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		code    int // Options.UnknownUserCode
		host    string
		status  int
		zoom    int64
		message string
	}{
		{"unknown email", 0, "nobody@example.com", 404, 1001, "User does not exist: nobody@example.com."},
		{"user of another account", 0, "stranger@other.example", 404, 1001, "User does not exist"},
		{"unknown email, 1010 flavour", 1010, "nobody@example.com", 400, 1010, "User not belong to this account"},
		{"user without hosting", 0, "viewer@example.com", 400, 3161, "not allowed meeting hosting"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, newClock(), func(o *fakezoom.Options) { o.UnknownUserCode = tt.code })
			wantError(t, create(t, s, s2sToken(t, s), tt.host, createBody()), tt.status, tt.zoom, tt.message)
			if len(s.Meetings()) != 0 {
				t.Error("a meeting was created")
			}
		})
	}
}

func TestCreateMeetingAuth(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, nil)
	good := s2sToken(t, s)
	narrow := newServer(t, c, func(o *fakezoom.Options) { o.Scopes = []string{"user:read:user:admin"} })
	self := newServer(t, c, func(o *fakezoom.Options) { o.Scopes = []string{"meeting:write:meeting"} })
	target := s.APIURL() + "/users/" + alice + "/meetings"
	body := mustJSON(t, createBody())

	for _, tt := range []struct {
		name   string
		do     func() reply
		status int
		code   int64
		msg    string
	}{
		{"no token", func() reply { return call(t, "POST", target, body, nil) }, 401, 124, "Requires an access token."},
		{"token in query", func() reply { return call(t, "POST", target+"?access_token="+good, body, nil) }, 401, 124, "Requires an access token."},
		{"unknown token", func() reply { return call(t, "POST", target, body, bearer("forged")) }, 401, 124, "Invalid access token."},
		{"basic auth", func() reply {
			return call(t, "POST", target, body, map[string]string{"Authorization": "Basic " + b64("a:b")})
		}, 401, 124, "Requires an access token."},
		{"no meeting scope", func() reply { return create(t, narrow, s2sToken(t, narrow), alice, body) },
			400, 4711, "Invalid access token, does not contain scopes:[meeting:write:meeting, meeting:write:meeting:admin]"},
		{"user scope used on another user", func() reply { return create(t, self, s2sToken(t, self), alice, body) },
			400, 4711, "does not contain scopes"},
	} {
		wantError(t, tt.do(), tt.status, tt.code, tt.msg)
	}
	if r := create(t, self, s2sToken(t, self), "me", body); r.status != 201 {
		t.Errorf("user-level scope for me: %d %s", r.status, r.raw)
	}
	if len(s.Meetings()) != 0 {
		t.Error("a refused request created a meeting")
	}
	var sawQueryToken bool
	for _, req := range s.Requests() {
		if strings.Contains(req.Path, "/meetings") && req.QueryToken && req.Auth == "" {
			sawQueryToken = true
		}
	}
	if !sawQueryToken {
		t.Errorf("Requests() did not record the query-string token attempt: %+v", s.Requests())
	}
}

func TestDailyCreateLimitPerHost(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, c, func(o *fakezoom.Options) { o.DailyLimit = 5 })
	tok := s2sToken(t, s)
	for i := range 5 {
		if r := create(t, s, tok, alice, createBody()); r.status != 201 {
			t.Fatalf("create %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := create(t, s, tok, alice, createBody())
	wantError(t, r, 429, 429, "You have exceeded the daily rate limit (5) of Meeting Create/Update API requests")
	if r.header.Get("X-RateLimit-Type") != "Daily-limit" || r.header.Get("Retry-After") != "2026-11-25T00:00:00Z" {
		t.Errorf("headers %v", r.header)
	}
	if r := create(t, s, tok, bob, createBody()); r.status != 201 {
		t.Errorf("another host is limited too: %d", r.status)
	}
	c.Advance(14 * time.Hour) // past 00:00 UTC
	tok = s2sToken(t, s)
	if r := create(t, s, tok, alice, createBody()); r.status != 201 {
		t.Errorf("the limit did not reset at 00:00 UTC: %d %s", r.status, r.raw)
	}
	if len(s.Meetings()) != 7 {
		t.Errorf("Meetings = %d, want 7", len(s.Meetings()))
	}
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- create(t, s, tok, alice, createBody()).status
		}()
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 201 {
			t.Errorf("status %d", st)
		}
	}
	seen := map[int64]bool{}
	for _, m := range s.Meetings() {
		seen[m.ID] = true
	}
	if len(seen) != 20 || s.CreateCalls() != 20 {
		t.Errorf("%d distinct meetings, %d calls; want 20, 20", len(seen), s.CreateCalls())
	}
}

func TestWaitMeetingsHonoursContext(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.WaitMeetings(ctx, 1); err == nil {
		t.Error("WaitMeetings returned without meetings or error")
	}
}

func TestCreateMeetingOptionalFields(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)

	b := createBody()
	b["password"] = "abc-123"
	b["schedule_for"] = bob
	r := create(t, s, tok, alice, b)
	if r.status != 201 || r.str("password") != "abc-123" || r.str("host_email") != bob || r.str("assistant_id") == "" {
		t.Errorf("schedule_for with a passcode: %d %s", r.status, r.raw)
	}

	b = createBody()
	b["type"] = 1
	b["schedule_for"] = bob
	wantError(t, create(t, s, tok, alice, b), 400, 3000, "Instant meetings do not support the `schedule_for` parameter")
	b["type"] = 2
	b["schedule_for"] = "ghost@example.com"
	wantError(t, create(t, s, tok, alice, b), 400, 300, "`schedule_for` field is invalid")

	// Without Z, start_time is local time in "timezone"; Zoom answers in GMT.
	b = createBody()
	b["start_time"] = "2026-11-24T12:00:00"
	b["timezone"] = "Europe/Berlin"
	want := "2026-11-24T11:00:00Z"
	if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
		want = "2026-11-24T12:00:00Z" // no tz database here: the fake reads it as UTC
	}
	if r := create(t, s, tok, alice, b); r.str("start_time") != want || r.str("timezone") != "Europe/Berlin" {
		t.Errorf("local start_time: %s; want start_time %s", r.raw, want)
	}

	// Defaults: type 2, 60 minutes, a topic naming the host.
	r = create(t, s, tok, alice, map[string]any{})
	if r.status != 201 || r.num("type") != 2 || r.num("duration") != 60 || r.str("topic") != "Alice A's Zoom Meeting" {
		t.Errorf("empty body: %d %s", r.status, r.raw)
	}
}
