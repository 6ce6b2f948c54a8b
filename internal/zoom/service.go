package zoom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Mode is how the app is connected to Zoom.
type Mode string

// Connection modes.
const (
	ModeServerToServer Mode = "server-to-server" // ZOOM_ACCOUNT_ID set: one account, no install
	ModeInstall        Mode = "install"          // per-workspace OAuth install
)

// Service is the app's Zoom port: meetings and users of the workspace's
// Zoom account, with Zoom's errors turned into the domain's sentinels.
// Each sentinel wraps the cause, so errors.Is(err, incident.ErrX) and
// errors.As(err, &*zoom.Error) both work.
type Service struct {
	c     *Client
	mode  Mode
	ts    oauth2.TokenSource // server-to-server
	oauth *OAuth             // install
	store ConnectionStore    // install
}

// NewServerToServerService serves every workspace from one account, with
// tokens from ts (usually ServerToServer's); the team argument of its
// methods is ignored.
func NewServerToServerService(c *Client, ts oauth2.TokenSource) *Service {
	return &Service{c: c, mode: ModeServerToServer, ts: ts}
}

// NewInstallService serves each workspace from the account it installed,
// with o.TokenSource(team, store); a workspace without a connection gets
// incident.ErrZoomNotConnected.
func NewInstallService(c *Client, o *OAuth, store ConnectionStore) *Service {
	return &Service{c: c, mode: ModeInstall, oauth: o, store: store}
}

// Mode says how the service is connected.
func (s *Service) Mode() Mode { return s.mode }

// tokens returns team's token source.
func (s *Service) tokens(team incident.TeamID) oauth2.TokenSource {
	if s.mode == ModeInstall {
		return s.oauth.TokenSource(team, s.store)
	}
	return s.ts
}

// CreateMeeting creates req's meeting, hosted by req.HostEmail (see
// Client.CreateMeeting for retries and reconciliation; the agenda must
// carry "attempt <id>" within its first 250 bytes for a create of unknown
// outcome to be checked). Errors (errors.Is): incident.ErrHostNotInAccount
// (1001/1010: not a user of the account; 3161: may not host, which is also
// incident.ErrHostMayNotHost); a bare 404 without Zoom's code is not one;
// incident.ErrZoomScope; incident.ErrZoomNotConnected (no connection, or
// Zoom refused the token even after a refresh); incident.ErrZoomUnavailable
// (rate limits, including a host's daily limit, and 5xx or network
// failures after bounded retries, when the host's meetings showed nothing
// was created); incident.ErrOutcomeUnknown (a meeting may exist and could not be found).
func (s *Service) CreateMeeting(ctx context.Context, team incident.TeamID, req incident.MeetingRequest) (incident.CreatedMeeting, error) {
	m, err := s.c.CreateMeeting(ctx, s.tokens(team), req)
	if err != nil {
		return incident.CreatedMeeting{}, fmt.Errorf("create zoom meeting: %w", mapError(err))
	}
	return m, nil
}

// FindMeeting looks among hostEmail's unexpired meetings for one whose
// agenda holds marker (an attempt ID or "attempt <id>"). The meeting found
// has no start URL or passcode. A host who is not in the account (or may
// not host) has no meetings: found is false, err nil. Errors:
// incident.ErrZoomScope when listing is not allowed (scope
// meeting:read:list_meetings:admin missing, or 403/2306), and as
// CreateMeeting otherwise.
func (s *Service) FindMeeting(ctx context.Context, team incident.TeamID, hostEmail, marker string) (incident.CreatedMeeting, bool, error) {
	m, found, err := s.c.FindMeeting(ctx, s.tokens(team), hostEmail, marker)
	switch {
	case err == nil:
		return m, found, nil
	case IsUserNotFound(err) || IsNotAllowedToHost(err):
		return incident.CreatedMeeting{}, false, nil
	}
	return incident.CreatedMeeting{}, false, fmt.Errorf("find zoom meeting: %w", mapError(err))
}

// CheckUser returns nil when email is an active user of the account,
// incident.ErrHostNotInAccount when Zoom does not know them (1001/1010) or
// they are not active (pending invitation, deactivated), and
// incident.ErrZoomScope when the token may not read users (4711).
func (s *Service) CheckUser(ctx context.Context, team incident.TeamID, email string) error {
	u, err := s.c.User(ctx, s.tokens(team), email)
	if err != nil {
		return fmt.Errorf("check zoom user: %w", mapError(err))
	}
	if u.Status != "" && u.Status != "active" {
		return fmt.Errorf("check zoom user: %w: the zoom user is %s", incident.ErrHostNotInAccount, u.Status)
	}
	return nil
}

// Account returns the connection's own user (GET /users/me), whose
// AccountID identifies the Zoom account (SPEC §6: one account per
// workspace). Errors as CheckUser.
func (s *Service) Account(ctx context.Context, team incident.TeamID) (User, error) {
	u, err := s.c.User(ctx, s.tokens(team), "me")
	if err != nil {
		return User{}, fmt.Errorf("get zoom account: %w", mapError(err))
	}
	return u, nil
}

// mapError turns Zoom failures into domain sentinels, keeping the cause.
func mapError(err error) error {
	var oe *OAuthError
	switch {
	case errors.Is(err, incident.ErrZoomNotConnected), errors.Is(err, incident.ErrOutcomeUnknown):
		return err
	case IsNotAllowedToHost(err):
		return fmt.Errorf("%w: %w", incident.ErrHostMayNotHost, err)
	case IsUserNotFound(err):
		return fmt.Errorf("%w: %w", incident.ErrHostNotInAccount, err)
	case IsScopeMissing(err), IsListingForbidden(err):
		return fmt.Errorf("%w: %w", incident.ErrZoomScope, err)
	case IsTokenInvalid(err):
		return fmt.Errorf("%w: %w", incident.ErrZoomNotConnected, err)
	case errors.As(err, &oe) && oe.HTTPStatus >= 400 && oe.HTTPStatus < 500:
		// The token endpoint refused our credentials or grant.
		return fmt.Errorf("%w: %w", incident.ErrZoomNotConnected, err)
	case IsRateLimited(err), isServerError(err), isTransport(err), errors.As(err, &oe):
		return fmt.Errorf("%w: %w", incident.ErrZoomUnavailable, err)
	}
	return err
}

// ScopeNeed is a scope the app uses and what it is for.
type ScopeNeed struct {
	Scope   string // granular name, as shown to admins
	Feature string
	// AnyOf are the scope names that satisfy it, classic ones included.
	AnyOf []string
}

// scopeNeeds returns the required and optional scopes (SPEC §5.3).
func scopeNeeds() (required, optional []ScopeNeed) {
	required = []ScopeNeed{
		{Scope: "meeting:write:meeting:admin", Feature: "create meetings for any user of the account",
			AnyOf: []string{"meeting:write:meeting:admin", "meeting:write:admin"}},
		{Scope: "user:read:user:admin", Feature: "identify the account and check the fallback user",
			AnyOf: []string{"user:read:user:admin", "user:read:admin", "user:write:admin"}},
	}
	optional = []ScopeNeed{
		{Scope: "meeting:read:list_meetings:admin", Feature: "find a meeting again after a crash or timeout during creation",
			AnyOf: []string{"meeting:read:list_meetings:admin", "meeting:read:admin"}},
	}
	return required, optional
}

// Status is the state of a workspace's Zoom connection, for
// `/incident zoom status`.
type Status struct {
	Mode Mode
	// Scopes are those the token was granted; nil when Zoom did not say,
	// in which case nothing is reported missing.
	Scopes []string
	// Missing are required scopes not granted.
	Missing []ScopeNeed
	// MissingOptional are optional scopes not granted; the features they
	// enable are off.
	MissingOptional []ScopeNeed
}

// Status gets a token for team (fetching or refreshing one if needed) and
// reports the mode and scopes. Errors as CheckUser (ErrZoomNotConnected
// when the workspace has no working connection).
func (s *Service) Status(ctx context.Context, team incident.TeamID) (Status, error) {
	tok, err := token(ctx, s.tokens(team))
	if err != nil {
		return Status{}, fmt.Errorf("zoom status: %w", mapError(err))
	}
	st := Status{Mode: s.mode, Scopes: Scopes(tok)}
	if len(st.Scopes) == 0 {
		st.Scopes = nil
		return st, nil
	}
	required, optional := scopeNeeds()
	granted := func(n ScopeNeed) bool {
		return slices.ContainsFunc(n.AnyOf, func(sc string) bool { return slices.Contains(st.Scopes, sc) })
	}
	for _, n := range required {
		if !granted(n) {
			st.Missing = append(st.Missing, n)
		}
	}
	for _, n := range optional {
		if !granted(n) {
			st.MissingOptional = append(st.MissingOptional, n)
		}
	}
	return st, nil
}

// String describes the status for admins, e.g. "Server-to-Server OAuth;
// scopes granted: …; optional scope meeting:read:list_meetings:admin not
// granted, so this is off: find a meeting again after …".
func (st Status) String() string {
	var b strings.Builder
	if st.Mode == ModeInstall {
		b.WriteString("Installed with OAuth")
	} else {
		b.WriteString("Server-to-Server OAuth")
	}
	if st.Scopes == nil {
		b.WriteString("; Zoom did not say which scopes were granted.")
		return b.String()
	}
	b.WriteString("; scopes granted: " + strings.Join(st.Scopes, ", "))
	for _, n := range st.Missing {
		fmt.Fprintf(&b, "; required scope %s not granted, so the app cannot %s", n.Scope, n.Feature)
	}
	for _, n := range st.MissingOptional {
		fmt.Fprintf(&b, "; optional scope %s not granted, so this is off: %s", n.Scope, n.Feature)
	}
	b.WriteString(".")
	return b.String()
}

// Describe is Status(ctx, team).String(), for `/incident zoom status`
// (the app's ZoomDescriber). Errors as Status.
func (s *Service) Describe(ctx context.Context, team incident.TeamID) (string, error) {
	st, err := s.Status(ctx, team)
	if err != nil {
		return "", err
	}
	return st.String(), nil
}
