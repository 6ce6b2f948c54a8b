package fakeslack

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// methodSpec describes one Web API method (scopes from
// shared/specs/slack-docs-reference/methods/<method>.json).
type methodSpec struct {
	scopes   []string // any one grants access; scopes[0] is reported as "needed"
	appToken bool     // only the xapp token, only in the Authorization header
	noJSON   bool     // json_input_supported is false: a JSON body's arguments are not read
	handle   func(*request) (map[string]any, *apiError)
}

// apiError is an ok:false reply.
type apiError struct {
	code  string
	extra map[string]any
}

func apiErr(code string) *apiError { return &apiError{code: code} }

// invalidArgs is Slack's invalid_arguments/invalid_blocks reply with
// response_metadata.messages such as "[ERROR] … [json-pointer:/view/title]".
func invalidArgs(code string, msgs ...string) *apiError {
	return &apiError{code: code, extra: map[string]any{"response_metadata": map[string]any{"messages": msgs}}}
}

// request is a decoded Web API call.
type request struct {
	method  string
	vals    map[string]string          // every argument as text
	raw     map[string]json.RawMessage // JSON body arguments, nil for forms
	badJSON bool                       // the JSON body did not decode
}

func (r *request) get(k string) string { return strings.TrimSpace(r.vals[k]) }

func (r *request) has(k string) bool {
	_, ok := r.vals[k]
	return ok
}

func (r *request) bool(k string) bool {
	v, err := strconv.ParseBool(r.get(k))
	return err == nil && v
}

// jsonArg decodes an argument that holds JSON: a JSON value in a JSON body,
// or a JSON string in a form (slack-go sends blocks=[…] as a form value).
func (r *request) jsonArg(k string) (any, bool, error) {
	var text []byte
	if raw, ok := r.raw[k]; ok {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			text = []byte(str)
		} else {
			text = raw
		}
	} else if v, ok := r.vals[k]; ok {
		text = []byte(v)
	} else {
		return nil, false, nil
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, false, nil
	}
	var v any
	if err := json.Unmarshal(text, &v); err != nil {
		return nil, true, err
	}
	return v, true, nil
}

// fault is an injected failure for the next call of a method.
type fault struct {
	code       string // ok:false error code
	retryAfter int    // >0: HTTP 429 ratelimited with this Retry-After
	delay      time.Duration
}

// FailNext makes the next n calls of method answer {"ok":false,"error":errCode}
// without side effects.
func (s *Server) FailNext(method string, n int, errCode string) {
	s.addFaults(method, n, fault{code: errCode})
}

// RateLimitNext makes the next n calls of method answer HTTP 429 with
// Retry-After: retryAfter and {"ok":false,"error":"ratelimited"}, as Slack
// does; slack-go surfaces it as *slack.RateLimitedError.
func (s *Server) RateLimitNext(method string, n int, retryAfter int) {
	s.addFaults(method, n, fault{code: "ratelimited", retryAfter: max(retryAfter, 1)})
}

// DelayNext holds the next call of method for d before it is handled.
func (s *Server) DelayNext(method string, d time.Duration) {
	s.addFaults(method, 1, fault{delay: d})
}

func (s *Server) addFaults(method string, n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], f)
	}
}

func (s *Server) isRevoked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked
}

func (s *Server) popFault(method string, delay bool) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults[method] {
		if (f.delay > 0) == delay {
			s.faults[method] = slices.Delete(s.faults[method], i, i+1)
			return f, true
		}
	}
	return fault{}, false
}

// Calls returns the recorded calls of method ("" for all), oldest first.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			c.Params = cloneValues(c.Params)
			out = append(out, c)
		}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, token, bearer := parseRequest(r, method)
	status, body, retryAfter := s.handleAPI(r, method, req, token, bearer)

	s.mu.Lock()
	params := url.Values{}
	for k, v := range req.vals {
		if k != "token" {
			params.Set(k, v)
		}
	}
	errCode, _ := body["error"].(string)
	s.calls = append(s.calls, Call{Method: method, Params: params, Time: s.opts.Now(), Status: status, Error: errCode})
	s.notifyLocked()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if spec, ok := s.methods[method]; ok && !spec.appToken {
		w.Header().Set("X-OAuth-Scopes", strings.Join(s.opts.Scopes, ","))
		w.Header().Set("X-Accepted-OAuth-Scopes", strings.Join(spec.scopes, ","))
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client hung up; nothing to do
}

// parseRequest reads arguments and the token the way Slack does: a form or
// query with token=, or a JSON body whose token must be a Bearer header.
func parseRequest(r *http.Request, method string) (req *request, token string, bearer bool) {
	req = &request{method: method, vals: map[string]string{}}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token, bearer = strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")), true
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && ctype == "application/json" {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20)) // a short body decodes as no arguments
		raw := map[string]json.RawMessage{}
		req.badJSON = len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &raw) != nil
		req.raw = raw
		for k, v := range raw {
			var str string
			if json.Unmarshal(v, &str) == nil {
				req.vals[k] = str
			} else {
				var buf bytes.Buffer
				if json.Compact(&buf, v) == nil {
					req.vals[k] = buf.String()
				}
			}
		}
		delete(req.vals, "token") // Slack ignores a token in a JSON body
		return req, token, bearer
	}
	_ = r.ParseMultipartForm(8 << 20) // falls back to ParseForm; bad bodies read as no arguments
	for k, vs := range r.Form {
		if len(vs) > 0 {
			req.vals[k] = vs[0]
		}
	}
	if !bearer {
		token = req.vals["token"]
	}
	return req, token, bearer
}

// handleAPI authenticates, applies injected faults, checks scopes and runs
// the method. It returns the HTTP status, the JSON body and Retry-After.
func (s *Server) handleAPI(r *http.Request, method string, req *request, token string, bearer bool) (int, map[string]any, int) {
	fail := func(e *apiError) (int, map[string]any, int) {
		body := map[string]any{"ok": false, "error": e.code}
		for k, v := range e.extra {
			body[k] = v
		}
		return http.StatusOK, body, 0
	}
	spec, ok := s.methods[method]
	if !ok {
		return fail(&apiError{code: "unknown_method", extra: map[string]any{"req_method": method}})
	}
	if req.badJSON {
		return fail(apiErr("invalid_json"))
	}
	if spec.noJSON && req.raw != nil {
		req.vals = map[string]string{}
	}
	switch {
	case spec.appToken && !bearer:
		return fail(apiErr("not_authed"))
	case token == "":
		return fail(apiErr("not_authed"))
	case token != s.opts.BotToken && token != s.opts.AppToken:
		return fail(apiErr("invalid_auth"))
	case spec.appToken != (token == s.opts.AppToken):
		return fail(apiErr("not_allowed_token_type"))
	case token == s.opts.BotToken && s.isRevoked():
		return fail(apiErr("token_revoked"))
	}
	if f, ok := s.popFault(method, true); ok {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.done:
		}
		t.Stop()
	}
	if f, ok := s.popFault(method, false); ok {
		if f.retryAfter > 0 {
			return http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"}, f.retryAfter
		}
		return fail(apiErr(f.code))
	}
	if len(spec.scopes) > 0 && !slices.ContainsFunc(spec.scopes, s.hasScope) {
		return fail(&apiError{code: "missing_scope", extra: map[string]any{
			"needed": spec.scopes[0], "provided": strings.Join(s.opts.Scopes, ","),
		}})
	}
	s.mu.Lock()
	body, e := spec.handle(req)
	if e == nil {
		s.notifyLocked()
	}
	s.mu.Unlock()
	if e != nil {
		return fail(e)
	}
	out := map[string]any{"ok": true}
	for k, v := range body {
		out[k] = v
	}
	return http.StatusOK, out, 0
}

// methodTable lists the supported methods. Handlers run with s.mu held.
func (s *Server) methodTable() map[string]methodSpec {
	return map[string]methodSpec{
		"auth.test":             {handle: s.authTest},
		"apps.connections.open": {appToken: true, handle: s.appsConnectionsOpen},
		"chat.postMessage":      {scopes: []string{"chat:write"}, handle: s.chatPostMessage},
		"chat.postEphemeral":    {scopes: []string{"chat:write"}, handle: s.chatPostEphemeral},
		"chat.update":           {scopes: []string{"chat:write"}, handle: s.chatUpdate},
		"chat.getPermalink":     {noJSON: true, handle: s.chatGetPermalink},
		"conversations.create":  {scopes: []string{"channels:manage", "channels:write", "groups:write"}, handle: s.conversationsCreate},
		"conversations.invite":  {scopes: []string{"channels:manage", "channels:write.invites", "channels:write", "groups:write", "groups:write.invites"}, handle: s.conversationsInvite},
		"conversations.join":    {scopes: []string{"channels:join"}, handle: s.conversationsJoin},
		"conversations.info":    {scopes: []string{"channels:read", "groups:read"}, noJSON: true, handle: s.conversationsInfo},
		"conversations.archive": {scopes: []string{"channels:manage", "channels:write", "groups:write"}, handle: s.conversationsArchive},
		"conversations.rename":  {scopes: []string{"channels:manage", "channels:write", "groups:write"}, handle: s.conversationsRename},
		"pins.add":              {scopes: []string{"pins:write"}, handle: s.pinsAdd},
		"pins.remove":           {scopes: []string{"pins:write"}, handle: s.pinsRemove},
		"pins.list":             {scopes: []string{"pins:read"}, noJSON: true, handle: s.pinsList},
		"bookmarks.add":         {scopes: []string{"bookmarks:write"}, handle: s.bookmarksAdd},
		"bookmarks.edit":        {scopes: []string{"bookmarks:write"}, handle: s.bookmarksEdit},
		"bookmarks.list":        {scopes: []string{"bookmarks:read"}, handle: s.bookmarksList},
		"bookmarks.remove":      {scopes: []string{"bookmarks:write"}, handle: s.bookmarksRemove},
		"users.info":            {scopes: []string{"users:read"}, noJSON: true, handle: s.usersInfo},
		"users.list":            {scopes: []string{"users:read"}, noJSON: true, handle: s.usersList},
		"views.open":            {handle: s.viewsOpen},
		"views.push":            {handle: s.viewsPush},
		"views.update":          {handle: s.viewsUpdate},
	}
}
