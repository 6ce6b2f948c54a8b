// Package zoom is incident-bridge's Zoom adapter: a REST v2 client
// (meetings, users), OAuth token sources (Server-to-Server and the install
// flow with rotating refresh tokens), webhook signatures, and Service, which
// implements the app's Zoom port and turns Zoom's errors into the domain's
// sentinels.
//
// Nothing here logs, and no error it returns holds a token, client secret,
// start URL or email address: errors name path templates
// ("POST /users/{userId}/meetings"), never filled-in URLs.
package zoom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// DefaultAPIURL is Zoom's REST v2 base.
const DefaultAPIURL = "https://api.zoom.us/v2"

const (
	userAgent = "incident-bridge"
	// maxBody bounds a success body (a page of 300 listed meetings is
	// well under this).
	maxBody = 8 << 20
)

// Client calls Zoom's REST API v2. It is safe for concurrent use. Each call
// takes the token source to use, so one Client serves every workspace.
//
// Do retries what cannot have changed anything at Zoom: a rate limit
// (429, or the 2023 API's HTTP 300 limit; not a daily limit) up to three
// tries, honouring Retry-After; a refused access token once, after
// invalidating it; a request that was never written (connection refused);
// and, for GET only, 5xx and other transport errors. Creating a meeting, which Zoom does
// not make idempotent, is retried only by CreateMeeting, which first looks
// for the meeting it may have made.
type Client struct {
	hc      *http.Client
	baseURL string

	maxTries       int           // tries per call for retryable failures
	maxWait        time.Duration // longest single wait between tries
	baseBackoff    time.Duration // first backoff without Retry-After
	attemptTimeout time.Duration // bound on one HTTP exchange

	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func() float64 // in [0, 1)
}

// New returns a Client for the REST base apiURL ("" means DefaultAPIURL;
// tests pass an httptest server's URL). hc nil means an http.Client with a
// 30 s timeout.
func New(apiURL string, hc *http.Client) *Client {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{
		hc:             hc,
		baseURL:        strings.TrimRight(apiURL, "/"),
		maxTries:       3,
		maxWait:        10 * time.Second,
		baseBackoff:    500 * time.Millisecond,
		attemptTimeout: 15 * time.Second,
		now:            time.Now,
		sleep:          sleepContext,
		jitter:         rand.Float64,
	}
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewRequest builds a request for path (relative to the API base, already
// path-escaped, with any query) carrying body as JSON when body is not nil.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	u, err := url.Parse(c.baseURL + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		// url.Error would quote the URL, which may hold an email.
		return nil, errors.New("zoom: invalid API URL or path")
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("zoom: encode request body: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, errors.New("zoom: build request")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// TransportError is a call that got no HTTP response: connection refused,
// reset, timeout. Sent says whether the request had been fully written,
// after which Zoom may have acted on it.
type TransportError struct {
	Op   string
	Sent bool
	Err  error // without the URL, which may hold an email
}

// Error describes the failure without the request URL.
func (e *TransportError) Error() string {
	return fmt.Sprintf("zoom %s: %v", e.Op, e.Err)
}

// Unwrap returns the cause, so errors.Is(err, context.DeadlineExceeded)
// works.
func (e *TransportError) Unwrap() error { return e.Err }

// tokenContexter is a token source that can honour a context; the package's
// sources implement it.
type tokenContexter interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// invalidator is a token source that can drop a token Zoom refused.
type invalidator interface {
	Invalidate(tok *oauth2.Token)
}

// token gets a token from ts, with ctx when ts supports it.
func token(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	if ts == nil {
		return nil, errors.New("no token source")
	}
	if tc, ok := ts.(tokenContexter); ok {
		return tc.TokenContext(ctx)
	}
	return ts.Token()
}

// Do sends req with a token from ts, retrying as the Client doc says, and
// decodes a 2xx JSON body into v (when v is not nil). op is the path
// template for errors ("GET /users/{userId}"). Failures are *Error (Zoom
// answered), *TransportError (no answer) or a token source's error. req's
// body must be replayable (NewRequest makes it so).
func (c *Client) Do(ts oauth2.TokenSource, op string, req *http.Request, v any) error {
	ctx := req.Context()
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
	reauthed := false
	for try := 1; ; try++ {
		err := c.once(ctx, ts, op, req, v)
		if err == nil {
			return nil
		}
		var wait time.Duration
		switch {
		case IsTokenInvalid(err) && !reauthed:
			// Zoom refused a token we thought valid (revoked, rotated
			// elsewhere, clock skew): drop it and fetch another, once.
			reauthed = true
			try--
			continue
		case IsRateLimited(err) && !IsDailyLimit(err):
			e, _ := asError(err)
			var ok bool
			if wait, ok = c.retryAfter(e.retryAfter); !ok {
				wait = c.backoff(try)
			}
		case isUnavailable(err):
			// 503: the server could not handle the request (RFC 9110
			// §15.6.4), so even a create changed nothing and may be sent
			// again, as after a 429.
			e, _ := asError(err)
			var ok bool
			if wait, ok = c.retryAfter(e.retryAfter); !ok {
				wait = c.backoff(try)
			}
		case idempotent && isServerError(err):
			wait = c.backoff(try)
		case isTransport(err) && (idempotent || !isSentTransport(err)) && ctx.Err() == nil:
			// A request never written (connection refused) changed nothing.
			wait = c.backoff(try)
		default:
			return err
		}
		if try >= c.maxTries || !c.canWait(ctx, wait) {
			return err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// once makes one HTTP exchange, bounded by attemptTimeout.
func (c *Client) once(ctx context.Context, ts oauth2.TokenSource, op string, req *http.Request, v any) error {
	tok, err := token(ctx, ts)
	if err != nil {
		return fmt.Errorf("zoom %s: get access token: %w", op, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	var sent atomic.Bool // set by the transport's writer
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { sent.Store(true) }}
	r := req.Clone(httptrace.WithClientTrace(actx, trace))
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return fmt.Errorf("zoom %s: replay request body: %w", op, err)
		}
	}
	tok.SetAuthHeader(r)
	resp, err := c.hc.Do(r)
	if err != nil {
		return &TransportError{Op: op, Sent: sent.Load(), Err: stripURL(err)}
	}
	defer resp.Body.Close()
	if err := CheckResponse(op, resp); err != nil {
		if IsTokenInvalid(err) {
			if inv, ok := ts.(invalidator); ok {
				inv.Invalidate(tok)
			}
		}
		return err
	}
	if v == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // drain for connection reuse
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(v); err != nil {
		return &DecodeError{Op: op, HTTPStatus: resp.StatusCode, Err: stripURL(err)}
	}
	return nil
}

// DecodeError is a 2xx answer whose body could not be decoded (cut short or
// not the expected JSON). Zoom did act on the request.
type DecodeError struct {
	Op         string
	HTTPStatus int
	Err        error
}

// Error describes the failure.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("zoom %s: decode %d response: %v", e.Op, e.HTTPStatus, e.Err)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// stripURL drops the *url.Error wrapper, whose text quotes the request URL
// (which may hold an email address or, for revoke, a token).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isTransport reports whether err is a *TransportError.
func isTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// isSentTransport reports whether err is a transport failure after the
// request had been written, so Zoom may have acted on it.
func isSentTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te) && te.Sent
}

// backoff is the jittered exponential wait before try+1: base·2^(try-1),
// scaled into [½, 1) of that, capped at maxWait.
func (c *Client) backoff(try int) time.Duration {
	d := c.baseBackoff << (try - 1)
	if d <= 0 || d > c.maxWait {
		d = c.maxWait
	}
	return time.Duration(float64(d) * (0.5 + c.jitter()/2))
}

// canWait reports whether waiting d and trying again makes sense: d within
// the cap and before ctx's deadline.
func (c *Client) canWait(ctx context.Context, d time.Duration) bool {
	if d > c.maxWait {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	return true
}

// retryAfter parses a Retry-After value given as seconds, an HTTP-date or
// an RFC 3339 / ISO-8601 date-time (Zoom's usual form). ok is false when the
// header is absent or unreadable. A longer wait than maxWait is returned
// as is, so that the caller gives up rather than retry too early.
func (c *Client) retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		switch {
		case math.IsNaN(secs) || secs < 0:
			return 0, true
		case secs > float64(24*time.Hour/time.Second):
			return 24 * time.Hour, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	for _, parse := range []func(string) (time.Time, error){
		http.ParseTime,
		func(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) },
	} {
		if t, err := parse(v); err == nil {
			d := t.Sub(c.now())
			if d < 0 {
				d = 0
			}
			return d, true
		}
	}
	return 0, false
}
