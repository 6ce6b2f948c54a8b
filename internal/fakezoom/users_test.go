package fakezoom_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

func TestGetUser(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)
	get := func(tok, id string) reply {
		return call(t, http.MethodGet, s.APIURL()+"/users/"+url.PathEscape(id), nil, bearer(tok))
	}

	r := get(tok, alice)
	if r.status != 200 || r.str("email") != alice || r.str("account_id") != s.AccountID() || r.str("id") == "" ||
		r.str("status") != "active" || r.num("type") != 2 || r.str("first_name") != "Alice" || r.num("pmi") < 1e9 {
		t.Errorf("GET alice: %d %s", r.status, r.raw)
	}
	if byID := get(tok, r.str("id")); byID.str("email") != alice {
		t.Errorf("GET by ID: %s", byID.raw)
	}
	if me := get(tok, "me"); me.str("email") != "owner@example.com" || me.str("role_name") != "Owner" {
		t.Errorf("S2S me = %s; want the account owner", me.raw)
	}
	wantError(t, get(tok, "ghost@example.com"), 404, 1001, "User does not exist: ghost@example.com.")
	wantError(t, get(tok, "stranger@other.example"), 404, 1001, "User does not exist")

	// An install token's "me" is whoever authorised, in their own account.
	cfg := installConfig(s)
	it, err := cfg.Exchange(context.Background(), install(t, s, cfg, "stranger@other.example"))
	if err != nil {
		t.Fatal(err)
	}
	if me := get(it.AccessToken, "me"); me.str("email") != "stranger@other.example" || me.str("account_id") != "other-account" {
		t.Errorf("install me = %s", me.raw)
	}
	wantError(t, get(it.AccessToken, alice), 404, 1001, "User does not exist")

	meetingOnly := newServer(t, newClock(), func(o *fakezoom.Options) { o.Scopes = []string{"meeting:write:meeting:admin"} })
	wantError(t, call(t, http.MethodGet, meetingOnly.APIURL()+"/users/me", nil, bearer(s2sToken(t, meetingOnly))),
		400, 4711, "user:read:user:admin")

	infoOnly := newServer(t, newClock(), func(o *fakezoom.Options) { o.Scopes = []string{"user_info:read"} })
	itok := s2sToken(t, infoOnly)
	if r := call(t, http.MethodGet, infoOnly.APIURL()+"/users/me", nil, bearer(itok)); r.status != 200 {
		t.Errorf("user_info:read with me: %d", r.status)
	}
	wantError(t, call(t, http.MethodGet, infoOnly.APIURL()+"/users/"+alice, nil, bearer(itok)), 400, 4711, "scopes")
}

func TestListMeetings(t *testing.T) {
	t.Parallel()
	c := newClock()
	scopes := append(fakezoom.DefaultScopes(), "meeting:read:list_meetings:admin")
	s := newServer(t, c, func(o *fakezoom.Options) { o.Scopes = scopes })
	tok := s2sToken(t, s)
	long := strings.Repeat("a", 240) + "attempt=0123456789abcdef"
	for i, agenda := range []string{"one", "two", long} {
		b := createBody()
		b["agenda"] = agenda
		b["topic"] = "INC-" + string(rune('1'+i))
		if r := create(t, s, tok, alice, b); r.status != 201 {
			t.Fatal(r.status)
		}
	}
	if r := create(t, s, tok, bob, createBody()); r.status != 201 {
		t.Fatal(r.status)
	}
	list := func(query string) reply {
		return call(t, http.MethodGet, s.APIURL()+"/users/"+alice+"/meetings"+query, nil, bearer(tok))
	}

	r := list("")
	ms, _ := r.body["meetings"].([]any)
	if r.status != 200 || len(ms) != 3 || r.num("total_records") != 3 || r.num("page_size") != 30 {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	created := s.Meetings()
	last, _ := ms[2].(map[string]any)
	if got, _ := last["agenda"].(string); len(got) != 250 || !strings.HasPrefix(long, got) {
		t.Errorf("agenda %q: want the first 250 characters (spec: truncated in lists)", got)
	}
	if last["join_url"] != created[2].JoinURL || last["uuid"] != created[2].UUID ||
		last["id"] != json.Number(strconv.FormatInt(created[2].ID, 10)) {
		t.Errorf("list entry %v does not match the meeting %+v", last, created[2])
	}

	p1 := list("?page_size=2")
	next := p1.str("next_page_token")
	p2 := list("?page_size=2&next_page_token=" + url.QueryEscape(next))
	m1, _ := p1.body["meetings"].([]any)
	m2, _ := p2.body["meetings"].([]any)
	if len(m1) != 2 || next == "" || len(m2) != 1 || p2.str("next_page_token") != "" {
		t.Errorf("pages: %s / %s", p1.raw, p2.raw)
	}
	wantError(t, list("?next_page_token=bogus"), 400, 300, "next page token is invalid")

	if up, _ := list("?type=upcoming").body["meetings"].([]any); len(up) != 3 {
		t.Errorf("upcoming before the meetings end: %d, want 3", len(up))
	}
	c.Advance(61 * time.Minute)
	tok = s2sToken(t, s)
	if prev, _ := list("?type=previous_meetings").body["meetings"].([]any); len(prev) != 3 {
		t.Errorf("previous after they end: %d, want 3", len(prev))
	}
	if up, _ := list("?type=upcoming").body["meetings"].([]any); len(up) != 0 {
		t.Errorf("upcoming after they end: %d, want 0", len(up))
	}

	plain := newServer(t, c, nil) // default scopes: no list scope
	wantError(t, call(t, http.MethodGet, plain.APIURL()+"/users/"+alice+"/meetings", nil, bearer(s2sToken(t, plain))),
		400, 4711, "meeting:read:list_meetings:admin")
}
