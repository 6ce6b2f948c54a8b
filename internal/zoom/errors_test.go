package zoom

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func response(status int, body string, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestCheckResponse(t *testing.T) {
	if err := CheckResponse("GET /x", response(204, "", nil)); err != nil {
		t.Errorf("204: %v", err)
	}
	for _, tt := range []struct {
		name       string
		status     int
		body       string
		header     http.Header
		wantCode   int
		wantMsg    string
		notFound   bool
		noHost     bool
		token      bool
		scope      bool
		rate       bool
		daily      bool
		listDenied bool
	}{
		{name: "user not found", status: 404, body: `{"code":1001,"message":"User does not exist: alice@example.com."}`,
			wantCode: 1001, wantMsg: "User does not exist: [redacted].", notFound: true},
		{name: "not in account", status: 400, body: `{"code":1010,"message":"User not belong to this account"}`,
			wantCode: 1010, notFound: true},
		{name: "may not host", status: 400, body: `{"code":3161,"message":"Your user account is not allowed meeting hosting and scheduling capabilities."}`,
			wantCode: 3161, noHost: true},
		{name: "token 401", status: 401, body: `{"code":124,"message":"Invalid access token."}`, wantCode: 124, token: true},
		{name: "token 400 on users", status: 400, body: `{"code":124,"message":"Access token is expired."}`, wantCode: 124, token: true},
		{name: "bare 401", status: 401, body: ``, wantCode: 0, wantMsg: "Unauthorized", token: true},
		{name: "scope 4711", status: 400, body: `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:write:meeting:admin]"}`,
			wantCode: 4711, scope: true},
		{name: "scope 4700", status: 400, body: `{"code":4700,"message":"Invalid access token, does not contain permissions."}`, wantCode: 4700, scope: true},
		{name: "qps 429", status: 429, body: `{"code":429,"message":"You have reached the maximum per-second rate limit for this API."}`,
			header: http.Header{"X-Ratelimit-Type": {"QPS"}}, wantCode: 429, rate: true},
		{name: "4001 in 400", status: 400, body: `{"code":4001,"message":"rate"}`, wantCode: 4001, rate: true},
		{name: "daily by header", status: 429, body: `{"code":429,"message":"Too many"}`,
			header: http.Header{"X-Ratelimit-Type": {"Daily-limit"}}, wantCode: 429, rate: true, daily: true},
		{name: "daily by message", status: 429, body: `{"code":429,"message":"You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user."}`,
			wantCode: 429, rate: true, daily: true},
		{name: "2023 http 300 daily", status: 300, body: `{"code":300,"message":"A maximum of 100 meetings can be created/updated for a single user in one day."}`,
			wantCode: 300, rate: true, daily: true},
		{name: "http 400 code 300 is not a limit", status: 400, body: `{"code":300,"message":"Invalid enforce_login_domains, separate multiple domains by semicolon."}`,
			wantCode: 300},
		{name: "listing forbidden", status: 403, body: `{"code":2306,"message":"Not allowed to view meetings scheduled for others."}`, wantCode: 2306, listDenied: true},
		{name: "bare 404 from a proxy", status: 404, body: `<html><body>404 Not Found</body></html>`, wantCode: 0, wantMsg: "Not Found"},
		{name: "empty 404", status: 404, body: ``, wantCode: 0, wantMsg: "Not Found"},
		{name: "404 with another code", status: 404, body: `{"code":3001,"message":"Meeting does not exist: 123."}`, wantCode: 3001},
		{name: "html 502", status: 502, body: `<html><body>Bad gateway for alice@example.com</body></html>`, wantCode: 0, wantMsg: "Bad Gateway"},
		{name: "validation", status: 400, body: `{"code":300,"message":"Validation Failed.","errors":[{"field":"settings.jbh_time","message":"Invalid field."}]}`, wantCode: 300},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckResponse("POST /users/{userId}/meetings", response(tt.status, tt.body, tt.header))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.HTTPStatus != tt.status || e.Code != tt.wantCode {
				t.Errorf("status/code = %d/%d, want %d/%d", e.HTTPStatus, e.Code, tt.status, tt.wantCode)
			}
			if tt.wantMsg != "" && e.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", e.Message, tt.wantMsg)
			}
			wrapped := fmt.Errorf("outer: %w", err)
			for _, p := range []struct {
				name string
				f    func(error) bool
				want bool
			}{
				{"IsUserNotFound", IsUserNotFound, tt.notFound},
				{"IsNotAllowedToHost", IsNotAllowedToHost, tt.noHost},
				{"IsTokenInvalid", IsTokenInvalid, tt.token},
				{"IsScopeMissing", IsScopeMissing, tt.scope},
				{"IsRateLimited", IsRateLimited, tt.rate},
				{"IsDailyLimit", IsDailyLimit, tt.daily},
				{"IsListingForbidden", IsListingForbidden, tt.listDenied},
			} {
				if got := p.f(wrapped); got != p.want {
					t.Errorf("%s = %v, want %v", p.name, got, p.want)
				}
			}
			s := err.Error()
			if !strings.HasPrefix(s, "zoom POST /users/{userId}/meetings: ") {
				t.Errorf("Error() = %q, want the op template first", s)
			}
			noSecrets(t, s, "alice@example.com", "<html>")
		})
	}
}

func TestCheckResponseFields(t *testing.T) {
	err := CheckResponse("op", response(400, `{"code":300,"message":"Validation Failed.","errors":[{"field":"email","message":"bob@example.com is bad"}]}`, nil))
	e, _ := asError(err)
	if len(e.Fields) != 1 || e.Fields[0].Field != "email" || e.Fields[0].Message != "[redacted] is bad" {
		t.Errorf("fields = %+v", e.Fields)
	}
}

func TestPredicatesOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), &OAuthError{Code: "invalid_grant"}} {
		if IsUserNotFound(err) || IsTokenInvalid(err) || IsRateLimited(err) || IsScopeMissing(err) || IsDailyLimit(err) {
			t.Errorf("predicate true for %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"User does not exist: alice@example.com.": "User does not exist: [redacted].",
		"a.b+c@x.io, d@y.org":                     "[redacted], [redacted]",
		"no address here":                         "no address here",
		"'q@z.com'":                               "'[redacted]'",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOAuthError(t *testing.T) {
	for _, tt := range []struct {
		status  int
		body    string
		code    string
		reason  string
		invalid bool
	}{
		{400, `{"reason":"Invalid Token!","error":"invalid_grant"}`, "invalid_grant", "Invalid Token!", true},
		{401, `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`, "invalid_client", "Invalid client_id or client_secret", false},
		{400, `{"code":4741,"message":"Token has been revoked"}`, "4741", "Token has been revoked", true},
		{500, `oops`, "", "Internal Server Error", false},
	} {
		err := checkOAuthResponse(opToken, response(tt.status, tt.body, nil))
		var oe *OAuthError
		if !errors.As(err, &oe) || oe.Code != tt.code || oe.Reason != tt.reason || oe.HTTPStatus != tt.status {
			t.Errorf("%s: got %#v", tt.body, err)
			continue
		}
		if IsInvalidGrant(fmt.Errorf("w: %w", err)) != tt.invalid {
			t.Errorf("%s: IsInvalidGrant = %v", tt.body, !tt.invalid)
		}
	}
}
