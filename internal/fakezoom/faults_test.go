package fakezoom_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)
	s.FailNext(fakezoom.OpCreate, 2, 503, 503, "Service unavailable")
	for range 2 {
		wantError(t, create(t, s, tok, alice, createBody()), 503, 503, "Service unavailable")
	}
	if r := create(t, s, tok, alice, createBody()); r.status != 201 {
		t.Errorf("third create: %d, want 201", r.status)
	}
	if len(s.Meetings()) != 1 || s.CreateCalls() != 3 {
		t.Errorf("Meetings %d, CreateCalls %d; want 1, 3", len(s.Meetings()), s.CreateCalls())
	}

	s.FailNext(fakezoom.OpUser, 1, 500, 500, "boom")
	wantError(t, call(t, http.MethodGet, s.APIURL()+"/users/me", nil, bearer(tok)), 500, 500, "boom")

	s.FailNext(fakezoom.OpToken, 1, 503, 0, "maintenance")
	r := tokenForm(t, s, url.Values{"grant_type": {"account_credentials"}, "account_id": {s.AccountID()}})
	if r.status != 503 || r.str("reason") != "maintenance" || r.str("error") != "server_error" {
		t.Errorf("token fault: %d %s", r.status, r.raw)
	}
	if s.TokenRequests("account_credentials") != 2 {
		t.Errorf("faulted token request not counted")
	}
}

func TestRateLimitNext(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)

	s.RateLimitNext(fakezoom.OpCreate, 1, "2026-11-24T10:15:01Z", true)
	r := create(t, s, tok, alice, createBody())
	wantError(t, r, 429, 4001, "maximum per-second rate limit")
	if r.header.Get("X-RateLimit-Type") != "QPS" || r.header.Get("Retry-After") != "2026-11-24T10:15:01Z" {
		t.Errorf("per-second headers: %v", r.header)
	}

	s.RateLimitNext(fakezoom.OpCreate, 1, "", false)
	r = create(t, s, tok, alice, createBody())
	wantError(t, r, 429, 429, "daily rate limit (100)")
	if r.header.Get("X-RateLimit-Type") != "Daily-limit" || r.header.Values("Retry-After") != nil {
		t.Errorf("daily headers: %v; want no Retry-After", r.header)
	}
	if len(s.Meetings()) != 0 {
		t.Error("a rate-limited request created a meeting")
	}

	defer func() {
		if recover() == nil {
			t.Error("an unknown op did not panic")
		}
	}()
	s.FailNext("delete", 1, 500, 0, "")
}

// startCreate sends one create in a goroutine the test owns; the result
// arrives on the returned channel.
func startCreate(ctx context.Context, t *testing.T, s *fakezoom.Server, tok string) <-chan error {
	done := make(chan error, 1)
	body := mustJSON(t, createBody())
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.APIURL()+"/users/"+alice+"/meetings", bytes.NewReader(body))
		if err != nil {
			done <- err
			return
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	return done
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHangAfterCreate(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), nil)
	tok := s2sToken(t, s)
	s.HangAfterCreate(1)

	client, giveUp := context.WithCancel(context.Background())
	done := startCreate(client, t, s, tok)
	ms, err := s.WaitMeetings(waitCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("the held create answered: %v", err)
	default:
	}
	giveUp()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v; want context.Canceled", err)
	}
	if len(ms) != 1 || ms[0].HostEmail != alice {
		t.Errorf("the meeting was not committed: %+v", ms)
	}
	// Only one create hangs.
	if r := create(t, s, tok, alice, createBody()); r.status != 201 {
		t.Errorf("next create: %d", r.status)
	}
}

func TestCloseDropsHeldCreates(t *testing.T) {
	t.Parallel()
	s := fakezoom.New(fakezoom.Options{Users: testUsers()})
	t.Cleanup(s.Close) // Close is idempotent
	tok := s2sToken(t, s)
	s.HangAfterCreate(1)
	done := startCreate(context.Background(), t, s, tok)
	if _, err := s.WaitMeetings(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	s.Close() // must not wait forever for the held request
	if err := <-done; err == nil {
		t.Error("the held create got an answer; want a dropped connection")
	}
}

func TestCreateLatencyAnswersLate(t *testing.T) {
	t.Parallel()
	s := newServer(t, newClock(), func(o *fakezoom.Options) { o.CreateLatency = time.Hour })
	tok := s2sToken(t, s)
	client, giveUp := context.WithCancel(context.Background())
	done := startCreate(client, t, s, tok)
	if _, err := s.WaitMeetings(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("create answered before its latency: %v", err)
	default:
	}
	giveUp()
	<-done

	quick := newServer(t, newClock(), func(o *fakezoom.Options) { o.CreateLatency = 20 * time.Millisecond })
	start := time.Now()
	if r := create(t, quick, s2sToken(t, quick), alice, createBody()); r.status != 201 {
		t.Fatalf("create: %d", r.status)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("answered after %v; want at least the 20ms latency", d)
	}
}
