package fakezoom

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultAccountID    = "fakezoom-account"
	DefaultClientID     = "fakezoom-client-id"
	DefaultClientSecret = "fakezoom-client-secret"
	DefaultOwnerEmail   = "owner@fakezoom.example"
	DefaultDailyLimit   = 100
)

// DefaultScopes are the scopes granted in tokens when Options.Scopes is nil:
// the two SPEC §5.3 needs.
func DefaultScopes() []string {
	return []string{"meeting:write:meeting:admin", "user:read:user:admin"}
}

// Options configure a fake Zoom. Zero values get Zoom-like defaults.
type Options struct {
	AccountID    string // the account Server-to-Server tokens are for; DefaultAccountID
	ClientID     string // the app's OAuth client ID; DefaultClientID
	ClientSecret string // the app's OAuth client secret; DefaultClientSecret
	// Users are the users of the accounts. With none, the account has one
	// owner, DefaultOwnerEmail, who can host.
	Users []User
	// Owner is the ID or email of Options.AccountID's owner, who is "me" for
	// Server-to-Server tokens; default the first user of that account.
	Owner string
	// Scopes are granted in every token; nil means DefaultScopes(). Give an
	// empty, non-nil slice for a token with no scopes.
	Scopes []string
	// TokenTTL overrides the access tokens' lifetime and expires_in; zero
	// means Zoom's: 3600 s for S2S tokens, 3599 s for install tokens.
	TokenTTL time.Duration
	// Now is the clock for token, code and daily-limit expiry and created_at;
	// time.Now by default.
	Now func() time.Time
	// CreateLatency delays every create's answer (the meeting already
	// exists meanwhile), for concurrency tests. Real time, not Now.
	CreateLatency time.Duration
	// RedirectURL, when set, is the only redirect_uri the app may use, as
	// registered in Zoom's Marketplace; authorize refuses any other.
	RedirectURL string
	// UnknownUserCode is what create and get-user answer for a user who is
	// not in the token's account: 1001 (404 "User does not exist: {userId}.",
	// the default) or 1010 (400 "User not belong to this account").
	UnknownUserCode int
	// DailyLimit is the per-host, per-UTC-day limit on create requests;
	// DefaultDailyLimit.
	DailyLimit int
}

// User is a Zoom user.
type User struct {
	ID        string // Zoom user ID; derived from Email when empty
	Email     string
	FirstName string
	LastName  string
	Type      int    // 1 Basic, 2 Licensed (default), 4 Unassigned
	Status    string // "active" (default), "inactive" or "pending"
	// CanHost must be true for the user to host meetings; false gets 3161.
	CanHost bool
	// Role is "Owner", "Admin" or "Member"; default "Owner" for the account
	// owner and "Member" for others. Only owners and admins may authorise
	// an app that asks for :admin scopes.
	Role      string
	AccountID string // default Options.AccountID
	Timezone  string // default "UTC"
}

// Request is one HTTP request the fake received, without secrets.
type Request struct {
	Method string
	Path   string // URL path as received, e.g. "/v2/users/a%40b.example/meetings"
	// Auth is the Authorization header's scheme ("Bearer", "Basic", …), or
	// "" when the header was absent.
	Auth string
	// QueryToken reports an access_token query parameter (Zoom refuses it).
	QueryToken bool
}

// Server is a running fake Zoom. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	srv     *httptest.Server
	client  *http.Client // webhooks and the consent drivers
	done    chan struct{}
	closing sync.Once

	mu          sync.Mutex
	users       []*User
	owner       *User
	access      map[string]*accessToken
	refresh     map[string]*refreshToken
	codes       map[string]*authCode
	meetings    []Meeting
	createCalls int
	requests    []Request
	tokenReqs   map[string]int
	revocations []Revocation
	faults      map[string][]fault
	hang        int
	daily       map[dailyKey]int
	changed     chan struct{} // closed and replaced when a meeting is created
}

// New starts a fake Zoom on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	opts = withDefaults(opts)
	s := &Server{
		opts:      opts,
		done:      make(chan struct{}),
		access:    map[string]*accessToken{},
		refresh:   map[string]*refreshToken{},
		codes:     map[string]*authCode{},
		tokenReqs: map[string]int{},
		faults:    map[string][]fault{},
		daily:     map[dailyKey]int{},
		changed:   make(chan struct{}),
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
	s.users, s.owner = normaliseUsers(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/users/{userId}/meetings", s.handleCreate)
	mux.HandleFunc("GET /v2/users/{userId}/meetings", s.handleList)
	mux.HandleFunc("GET /v2/users/{userId}", s.handleUser)
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("POST /oauth/revoke", s.handleRevoke)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, 2300, "This API endpoint is not recognized.")
	})
	s.srv = httptest.NewServer(s.record(mux))
	return s
}

func withDefaults(o Options) Options {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.AccountID, DefaultAccountID)
	def(&o.ClientID, DefaultClientID)
	def(&o.ClientSecret, DefaultClientSecret)
	if o.Scopes == nil {
		o.Scopes = DefaultScopes()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DailyLimit <= 0 {
		o.DailyLimit = DefaultDailyLimit
	}
	if o.UnknownUserCode != 1010 {
		o.UnknownUserCode = 1001
	}
	if len(o.Users) == 0 {
		o.Users = []User{{Email: DefaultOwnerEmail, FirstName: "Account", LastName: "Owner", CanHost: true}}
	}
	return o
}

// normaliseUsers copies the users, filling defaults, and finds the owner.
func normaliseUsers(o Options) ([]*User, *User) {
	users := make([]*User, 0, len(o.Users))
	var owner *User
	for _, u := range o.Users {
		if u.AccountID == "" {
			u.AccountID = o.AccountID
		}
		if u.ID == "" {
			u.ID = derive("user", strings.ToLower(u.Email), 16)
		}
		if u.Type == 0 {
			u.Type = 2
		}
		if u.Status == "" {
			u.Status = "active"
		}
		if u.Timezone == "" {
			u.Timezone = "UTC"
		}
		users = append(users, &u)
		isOwner := o.Owner != "" && (u.ID == o.Owner || strings.EqualFold(u.Email, o.Owner))
		if owner == nil && u.AccountID == o.AccountID && (isOwner || o.Owner == "") {
			owner = &u
		}
	}
	for _, u := range users {
		if u.Role == "" {
			u.Role = "Member"
			if u == owner {
				u.Role = "Owner"
			}
		}
	}
	return users, owner
}

// Close stops the server, releasing any request held by HangAfterCreate.
func (s *Server) Close() {
	s.closing.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// URL is the server's base, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the REST base, like https://api.zoom.us/v2 (ZOOM_API_URL).
func (s *Server) APIURL() string { return s.srv.URL + "/v2" }

// OAuthURL is the OAuth base, like https://zoom.us (ZOOM_OAUTH_URL), under
// which /oauth/authorize, /oauth/token and /oauth/revoke live.
func (s *Server) OAuthURL() string { return s.srv.URL }

// AccountID is the account Server-to-Server tokens are issued for.
func (s *Server) AccountID() string { return s.opts.AccountID }

// ClientID is the app's OAuth client ID.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret is the app's OAuth client secret.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// record notes every request (never its secrets) before serving it.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		req := Request{
			Method:     r.Method,
			Path:       r.URL.EscapedPath(),
			Auth:       scheme,
			QueryToken: r.URL.Query().Has("access_token"),
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// apiError is Zoom's REST error body.
type apiError struct {
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
}

// fieldError is one entry of a validation error's "errors" list.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, fmt.Sprintf("fakezoom: encode response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client hanging up is its own business
}

func writeAPIError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, apiError{Code: code, Message: msg})
}

// derive makes a stable, Zoom-looking identifier of n random-looking bytes
// from a label and a value, so runs are reproducible (golden files, demo
// output).
func derive(label, value string, n int) string {
	var out []byte
	for i := 0; len(out) < n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "fakezoom:%s:%s:%d", label, value, i))
		out = append(out, sum[:]...)
	}
	return base64.RawURLEncoding.EncodeToString(out[:n])
}

func (s *Server) now() time.Time { return s.opts.Now() }
