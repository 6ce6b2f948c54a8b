package fakezoom

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Operations that faults can be injected into.
const (
	OpCreate = "create" // POST /v2/users/{userId}/meetings
	OpList   = "list"   // GET /v2/users/{userId}/meetings
	OpUser   = "user"   // GET /v2/users/{userId}
	OpToken  = "token"  // POST /oauth/token
	OpRevoke = "revoke" // POST /oauth/revoke
)

// fault is one injected answer. It replaces the whole request: nothing is
// authenticated, counted against limits or created.
type fault struct {
	status  int
	code    int
	msg     string
	headers http.Header
}

func (f fault) writeAPI(w http.ResponseWriter) {
	for k, v := range f.headers {
		w.Header()[k] = v
	}
	writeAPIError(w, f.status, f.code, f.msg)
}

// writeOAuth answers in OAuth's error shape; the numeric code is unused.
func (f fault) writeOAuth(w http.ResponseWriter) {
	for k, v := range f.headers {
		w.Header()[k] = v
	}
	kind := "server_error"
	if f.status == http.StatusTooManyRequests {
		kind = "rate_limited"
	} else if f.status < 500 {
		kind = "invalid_request"
	}
	writeOAuthError(w, f.status, kind, f.msg)
}

func checkOp(op string) {
	switch op {
	case OpCreate, OpList, OpUser, OpToken, OpRevoke:
	default:
		// A test naming an operation the fake does not have is a wiring
		// mistake, not a runtime condition.
		panic(fmt.Sprintf("fakezoom: unknown operation %q", op))
	}
}

// FailNext makes the next n requests for op answer status with Zoom's
// error body {"code":code,"message":msg} (for OpToken and OpRevoke,
// {"reason":msg,"error":…}). Faults queue in the order they are added.
// It panics on an unknown op.
func (s *Server) FailNext(op string, n, status, code int, msg string) {
	checkOp(op)
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], fault{status: status, code: code, msg: msg})
	}
}

// RateLimitNext makes the next n requests for op answer 429 as Zoom's rate
// limiter does (reference §6): per second (perSecond) with code 4001 and
// X-RateLimit-Type "QPS", or the daily limit with code 429 and
// "Daily-limit". retryAfter is sent as the Retry-After header verbatim
// (Zoom sends an ISO-8601 date-time such as "2020-05-31T00:00:00Z"); ""
// leaves it out, as Zoom sometimes does. It panics on an unknown op.
func (s *Server) RateLimitNext(op string, n int, retryAfter string, perSecond bool) {
	checkOp(op)
	f := dailyLimitFault(s.opts.DailyLimit)
	if perSecond {
		f = fault{
			status: http.StatusTooManyRequests,
			code:   4001,
			msg:    "You have reached the maximum per-second rate limit for this API. Try again later.",
			headers: http.Header{
				"X-Ratelimit-Category":  {"Light"},
				"X-Ratelimit-Type":      {"QPS"},
				"X-Ratelimit-Limit":     {"30"},
				"X-Ratelimit-Remaining": {"0"},
			},
		}
	}
	if retryAfter != "" {
		f.headers.Set("Retry-After", retryAfter)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], f)
	}
}

func dailyLimitFault(limit int) fault {
	return fault{
		status: http.StatusTooManyRequests,
		code:   429,
		msg: fmt.Sprintf("You have exceeded the daily rate limit (%d) of Meeting Create/Update API requests "+
			"permitted for this particular user. You may resume these requests at GMT 00:00:00.", limit),
		headers: http.Header{
			"X-Ratelimit-Category":  {"Light"},
			"X-Ratelimit-Type":      {"Daily-limit"},
			"X-Ratelimit-Limit":     {strconv.Itoa(limit)},
			"X-Ratelimit-Remaining": {"0"},
		},
	}
}

// HangAfterCreate makes the next n successful creates record the meeting
// and then never answer: the request is held until the client gives up (its
// context ends) or the server closes, when the connection is dropped. This
// is Zoom committing a create whose answer is lost: "outcome unknown".
func (s *Server) HangAfterCreate(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang += n
}

func (s *Server) popFaultLocked(op string) (fault, bool) {
	q := s.faults[op]
	if len(q) == 0 {
		return fault{}, false
	}
	s.faults[op] = q[1:]
	return q[0], true
}

// dailyKey is one host's UTC day, the unit of the 100-per-day limit.
type dailyKey struct {
	hostID string
	day    string // 2006-01-02 in UTC
}

// countDailyLocked counts one create request against host's daily limit
// and reports whether it is within it, with the next UTC midnight.
func (s *Server) countDailyLocked(hostID string) (ok bool, reset time.Time) {
	now := s.now().UTC()
	k := dailyKey{hostID: hostID, day: now.Format(time.DateOnly)}
	s.daily[k]++
	y, m, d := now.Date()
	reset = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	return s.daily[k] <= s.opts.DailyLimit, reset
}
