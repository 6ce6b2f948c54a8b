package zoom

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// Error is a failed Zoom REST call, decoded from Zoom's JSON error body
// ({"code":…,"message":…,"errors":[…]}). Its text never holds a token, a
// filled-in URL or an email address: Op is the path template and email
// addresses Zoom echoes in Message are redacted.
type Error struct {
	HTTPStatus int
	// Code is Zoom's error code; 0 when the body was not a JSON error.
	Code    int
	Message string
	// Op is the method and path template, e.g.
	// "POST /users/{userId}/meetings", never a filled-in URL.
	Op string
	// Fields lists per-field validation problems, when Zoom sent them.
	Fields []FieldError
	// RateLimitType is the X-RateLimit-Type header ("QPS", "Daily-limit"),
	// if any.
	RateLimitType string

	retryAfter string // raw Retry-After header, parsed with the client's clock
}

// FieldError is one entry of a Zoom validation error's "errors" list.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error describes the failure without secrets or personal data.
func (e *Error) Error() string {
	return fmt.Sprintf("zoom %s: %d/%d %s", e.Op, e.HTTPStatus, e.Code, e.Message)
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// emailRE finds email addresses, which Zoom echoes in messages such as
// "User does not exist: alice@example.com.".
var emailRE = regexp.MustCompile(`[^\s:;,'"<>()\[\]{}]+@[^\s:;,'"<>()\[\]{}]+`)

// redact removes email addresses from s.
func redact(s string) string {
	return emailRE.ReplaceAllStringFunc(s, func(m string) string {
		// Keep sentence punctuation that the pattern swallowed.
		trail := len(m) - len(strings.TrimRight(m, ".!?"))
		return "[redacted]" + m[len(m)-trail:]
	})
}

// CheckResponse returns nil for a 2xx response and an *Error otherwise,
// decoded from the body when it is Zoom's JSON error and built from the
// status alone when it is not. It reads (but does not close) r.Body. op is
// the path template used in the error.
func CheckResponse(op string, r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode <= 299 {
		return nil
	}
	e := &Error{
		HTTPStatus:    r.StatusCode,
		Op:            op,
		RateLimitType: r.Header.Get("X-RateLimit-Type"),
		retryAfter:    r.Header.Get("Retry-After"),
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	var body struct {
		Code    json.Number  `json:"code"`
		Message string       `json:"message"`
		Errors  []FieldError `json:"errors"`
	}
	if err == nil && json.Unmarshal(data, &body) == nil {
		if n, err := body.Code.Int64(); err == nil {
			e.Code = int(n)
		}
		e.Message = redact(body.Message)
		for _, f := range body.Errors {
			e.Fields = append(e.Fields, FieldError{Field: f.Field, Message: redact(f.Message)})
		}
	}
	if e.Message == "" {
		// A proxy's HTML page or an empty body: say only what the status says.
		e.Message = http.StatusText(r.StatusCode)
	}
	return e
}

// asError returns err's *Error, if any.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsUserNotFound reports whether Zoom said the user is not in the account
// (404/1001 "User does not exist"; 400/1010 "User not belong to this
// account" on some paths).
func IsUserNotFound(err error) bool {
	e, ok := asError(err)
	return ok && (e.Code == 1001 || e.Code == 1010)
}

// IsNotAllowedToHost reports whether Zoom said the user may not host or
// schedule meetings (400/3161).
func IsNotAllowedToHost(err error) bool {
	e, ok := asError(err)
	return ok && e.Code == 3161
}

// IsTokenInvalid reports whether Zoom refused the access token: code 124
// ("Invalid access token", "Access token has expired"; 401 on meeting
// paths, 400 on user paths) or any HTTP 401.
func IsTokenInvalid(err error) bool {
	e, ok := asError(err)
	return ok && (e.Code == 124 || e.HTTPStatus == http.StatusUnauthorized)
}

// IsScopeMissing reports whether the token lacks a scope the call needs
// (4711 "Invalid access token, does not contain scopes", 4700).
func IsScopeMissing(err error) bool {
	e, ok := asError(err)
	return ok && (e.Code == 4711 || e.Code == 4700)
}

// IsListingForbidden reports whether the account does not let the app see
// meetings scheduled for others (403/2306), which, like a missing scope,
// makes listing a host's meetings impossible.
func IsListingForbidden(err error) bool {
	e, ok := asError(err)
	return ok && e.Code == 2306
}

// IsRateLimited reports whether Zoom refused the call for a rate limit:
// HTTP 429, code 429 or 4001, or the 2023 API's HTTP 300 "A maximum of N
// meetings can be created/updated for a single user in one day".
func IsRateLimited(err error) bool {
	e, ok := asError(err)
	if !ok {
		return false
	}
	return e.HTTPStatus == http.StatusTooManyRequests || e.Code == 429 || e.Code == 4001 ||
		(e.HTTPStatus == http.StatusMultipleChoices && strings.Contains(strings.ToLower(e.Message), "maximum"))
}

// IsDailyLimit reports whether a rate limit is a daily one (per host: 100
// creates and updates a day, reset at 00:00 UTC), which retrying within
// seconds cannot help. Zoom says so in X-RateLimit-Type or, failing that,
// only in the message, so the message is inspected as a last resort.
func IsDailyLimit(err error) bool {
	e, ok := asError(err)
	if !ok || !IsRateLimited(err) {
		return false
	}
	if strings.EqualFold(e.RateLimitType, "Daily-limit") {
		return true
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "daily rate limit") ||
		(e.HTTPStatus == http.StatusMultipleChoices && strings.Contains(msg, "day"))
}

// isServerError reports whether err is a Zoom 5xx.
// isUnavailable reports a 503 Service Unavailable: Zoom did not handle the
// request.
func isUnavailable(err error) bool {
	e, ok := asError(err)
	return ok && e.HTTPStatus == http.StatusServiceUnavailable
}

func isServerError(err error) bool {
	e, ok := asError(err)
	return ok && e.HTTPStatus >= 500
}

// OAuthError is a failed call to Zoom's OAuth endpoints (/oauth/token,
// /oauth/revoke). Its text never holds a token, code or client secret.
type OAuthError struct {
	Op         string // "POST /oauth/token"
	HTTPStatus int
	// Code is the OAuth "error" ("invalid_grant", "invalid_client"), or
	// Zoom's numeric code as text when it sent one instead.
	Code string
	// Reason is Zoom's "reason" (or "error_description" or "message").
	Reason string
}

// Error describes the failure without secrets.
func (e *OAuthError) Error() string {
	s := fmt.Sprintf("zoom oauth %s: %d", e.Op, e.HTTPStatus)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// IsInvalidGrant reports whether Zoom refused a code or refresh token as
// used, expired or revoked: "invalid_grant", or code 4735 (token owner
// gone) or 4741 (token revoked).
func IsInvalidGrant(err error) bool {
	var e *OAuthError
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == "invalid_grant" || e.Code == "4735" || e.Code == "4741"
}

// checkOAuthResponse returns nil for 2xx, else an *OAuthError from the body.
func checkOAuthResponse(op string, r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode <= 299 {
		return nil
	}
	e := &OAuthError{Op: op, HTTPStatus: r.StatusCode}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	var body struct {
		Error       string      `json:"error"`
		Reason      string      `json:"reason"`
		Description string      `json:"error_description"`
		Code        json.Number `json:"code"`
		Message     string      `json:"message"`
	}
	if err == nil && json.Unmarshal(data, &body) == nil {
		e.Code = body.Error
		if e.Code == "" {
			e.Code = body.Code.String()
		}
		for _, r := range []string{body.Reason, body.Description, body.Message} {
			if r != "" {
				e.Reason = redact(r)
				break
			}
		}
	}
	if e.Reason == "" && e.Code == "" {
		e.Reason = http.StatusText(r.StatusCode)
	}
	return e
}
