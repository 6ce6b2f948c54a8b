// Package fakezoom is a faithful, in-process fake of the parts of Zoom that
// incident-bridge talks to: REST API v2 (create and list meetings, get a
// user), OAuth 2.0 (authorize, token with three grants, revoke) and a
// webhook sender that signs like Zoom. It serves on a 127.0.0.1 httptest
// server, keeps all state per Server (no package state), and imports nothing
// from this module.
//
// Faithful, after shared/reference/zoom.md (§8 "Fake Zoom checklist") and
// Zoom's own OpenAPI files in shared/specs (operationIds meetingCreate,
// meetings, user):
//
//   - Bearer tokens only; a token in the query string is refused. Unknown or
//     revoked tokens get 401/124 "Invalid access token.", expired ones 401/124
//     "Access token has expired."; a token without the operation's scope gets
//     400/4711 (reference §2 errors table).
//   - POST /users/{userId}/meetings: userId is an ID, an email or "me";
//     unknown hosts get 404/1001 (or 400/1010 with Options.UnknownUserCode),
//     hosts without hosting rights 400/3161. The body is checked against
//     the spec's constraints (topic ≤ 200, type ∈ {1,2,3,8,10}, start_time
//     format, duration 1–1440, agenda ≤ 2000, jbh_time ∈ {0,5,10,15},
//     auto_recording ∈ {local,cloud,none}, approval_type, audio, password)
//     and rejected with 400/300 and errors[{field,message}]. Success is 201
//     with the full meeting object: int64 id of 11 digits, uuid, host_id,
//     host_email, status "waiting", join_url with ?pwd=, a generated passcode,
//     start_url carrying zak=, and settings where join_before_host is kept only
//     for types 2, 3 and 8 and is forced off by waiting_room (reference §2).
//   - 100 create requests per host per UTC day, then 429/429 with
//     X-RateLimit-Type "Daily-limit" and Retry-After at the next UTC midnight
//     (reference §6).
//   - GET /users/{userId}/meetings lists a host's meetings with the spec's
//     pagination and truncates agendas to 250 characters, as the spec says.
//   - GET /users/{userId}: the spec's user object; "me" is the authorising
//     user for install tokens and the account owner for Server-to-Server
//     tokens ("the token is the owner's access token", Zoom's S2S docs).
//   - OAuth: Basic client authentication; account_credentials (expires_in
//     3600, no refresh token, several tokens valid at once);
//     authorization_code (codes single use, 5 minutes, exact redirect_uri,
//     optional PKCE, expires_in 3599, api_url); refresh_token with rotation,
//     where reusing a refresh token gets 400 {"reason":"Invalid Token!",
//     "error":"invalid_grant"} (reference §4). Revoke kills the whole grant.
//   - Webhooks: x-zm-request-timestamp in seconds and x-zm-signature
//     "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")), the
//     endpoint.url_validation challenge and app_deauthorized (reference §5).
//
// Not modelled (the app does not call them): get, update, delete or end a
// meeting, recurrence details, registrants, alternative host checks, account
// and per-second limits other than injected ones. Where Zoom's behaviour is
// UNCONFIRMED in the reference, the fake picks the stricter reading and says
// so on the method.
//
// Test drivers stand in for people and for Zoom's own failures:
// Authorize/Deny click the consent screen, FailNext, RateLimitNext and
// HangAfterCreate inject faults, ExpireAccessTokens, RevokeAll and
// RevokeAccount act as time and admins do, and Meetings, CreateCalls,
// Requests, TokenRequests and Revocations record what the client did.
package fakezoom
