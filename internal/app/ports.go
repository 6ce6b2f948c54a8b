// Package app holds incident-bridge's use cases: declaring and changing
// incidents, creating their Zoom meetings, settings and the Zoom connection.
// It talks to the outside only through the ports declared here.
package app

import (
	"context"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Store keeps all state. Every method commits before it returns.
type Store interface {
	// NextNumber reserves the workspace's next incident number.
	NextNumber(ctx context.Context, team incident.TeamID) (incident.Number, error)
	// CreateIncident saves a new incident (its Number already reserved) and
	// maps its channel to it. Returns incident.ErrChannelTaken if the
	// channel already belongs to an incident.
	CreateIncident(ctx context.Context, inc incident.Incident) error
	// Incident returns one incident, or incident.ErrNotFound.
	Incident(ctx context.Context, key incident.Key) (incident.Incident, error)
	// IncidentByChannel returns the channel's incident, or incident.ErrNotFound.
	IncidentByChannel(ctx context.Context, team incident.TeamID, ch incident.ChannelID) (incident.Incident, error)
	// UpdateIncident applies fn to the stored incident in one transaction and
	// returns the result. fn must not do I/O; its error aborts the update
	// and is returned as is. Returns incident.ErrNotFound.
	UpdateIncident(ctx context.Context, key incident.Key, fn func(*incident.Incident) error) (incident.Incident, error)
	// OpenIncidents returns the workspace's incidents that are not resolved,
	// without their timelines (a listing does not need them).
	OpenIncidents(ctx context.Context, team incident.TeamID) ([]incident.Incident, error)

	// Settings returns the workspace's settings, incident.DefaultSettings()
	// if none were saved.
	Settings(ctx context.Context, team incident.TeamID) (incident.Settings, error)
	// SaveSettings replaces the workspace's settings.
	SaveSettings(ctx context.Context, team incident.TeamID, s incident.Settings) error

	// ClaimMeeting marks attempt as the creator of key's meeting. With
	// replacing == "" it returns incident.ErrMeetingExists if a meeting is
	// recorded; with replacing set to a meeting ID it succeeds only while
	// that meeting is still the recorded one (else ErrMeetingExists).
	// Returns incident.ErrClaimHeld if another attempt's claim is younger
	// than the claim TTL, and ErrMeetingUncertain for an automatic claim
	// while the incident has unsettled attempts, unless c.Attempt is one.
	ClaimMeeting(ctx context.Context, key incident.Key, c Claim) error
	// RecordMeeting stores m as key's meeting if attempt still owns the
	// claim, clears the claim and the unsettled attempts, and returns the
	// incident; otherwise incident.ErrClaimLost and nothing changes.
	RecordMeeting(ctx context.Context, key incident.Key, attempt string, m incident.Meeting) (incident.Incident, error)
	// ReleaseClaim drops attempt's claim if it still owns it.
	ReleaseClaim(ctx context.Context, key incident.Key, attempt string) error
	// Claims returns every outstanding claim (left by a crash when read at
	// start-up).
	Claims(ctx context.Context) ([]PendingClaim, error)
	// MarkUnsettled records c as one of key's Unsettled attempts (a
	// meeting it may have made could not be confirmed) and releases its
	// claim if c.Attempt still owns it, in one transaction. While the
	// incident has unsettled attempts, ClaimMeeting refuses automatic
	// claims with ErrMeetingUncertain. RecordMeeting clears them.
	MarkUnsettled(ctx context.Context, key incident.Key, c Claim) error
	// ClearUnsettled drops attempt from key's Unsettled attempts (Zoom
	// showed it made no meeting).
	ClearUnsettled(ctx context.Context, key incident.Key, attempt string) error
	// Unfinished returns the incidents whose meeting is recorded but
	// unpublished, that have unsettled attempts, or whose automatic-meeting
	// check did not finish (AutoCheck), across all workspaces.
	Unfinished(ctx context.Context) ([]incident.Incident, error)

	// FirstDelivery records a Slack event ID and reports whether it was new.
	// IDs are kept at least a day, across restarts.
	FirstDelivery(ctx context.Context, eventID string, now time.Time) (bool, error)
}

// Claim is a durable intent to create one incident's meeting.
type Claim struct {
	Attempt   string          // random ID, also written into the meeting agenda
	Replacing string          // meeting ID being replaced, "" for a first meeting
	Hosts     []incident.Host // hosts that will be tried, in order, for reconciliation
	Trigger   incident.Trigger
	By        incident.UserID // who asked; empty for automatic creation
	At        time.Time       // when the claim was taken
}

// PendingClaim is a claim found in the store, with its incident.
type PendingClaim struct {
	Key   incident.Key
	Claim Claim
}

// ZoomConnections keeps install-flow Zoom connections and OAuth states.
type ZoomConnections interface {
	// ZoomConnection returns the workspace's connection (tokens decrypted),
	// or incident.ErrZoomNotConnected.
	ZoomConnection(ctx context.Context, team incident.TeamID) (incident.ZoomConnection, error)
	// SaveZoomConnection stores conn (tokens encrypted), replacing any
	// earlier one for conn.Team, and indexes it by conn.AccountID.
	SaveZoomConnection(ctx context.Context, conn incident.ZoomConnection) error
	// DeleteZoomConnection removes the workspace's connection; no error if
	// there is none.
	DeleteZoomConnection(ctx context.Context, team incident.TeamID) error
	// UpdateZoomConnection applies fn to the stored connection and stores
	// the result in one transaction (a compare-and-swap: fn checks what is
	// stored, e.g. that the refresh token is still the one it used, and
	// returns an error to leave it alone). It never recreates a deleted
	// connection: incident.ErrZoomNotConnected when there is none. fn must
	// not do I/O or change Team or AccountID; its error is returned wrapped.
	UpdateZoomConnection(ctx context.Context, team incident.TeamID, fn func(*incident.ZoomConnection) error) (incident.ZoomConnection, error)
	// TakeZoomConnection deletes the workspace's connection and returns
	// what was stored, in one transaction, or incident.ErrZoomNotConnected.
	TakeZoomConnection(ctx context.Context, team incident.TeamID) (incident.ZoomConnection, error)
	// TeamForZoomAccount returns the workspace a Zoom account is connected
	// to, or incident.ErrNotFound.
	TeamForZoomAccount(ctx context.Context, accountID string) (incident.TeamID, error)
	// PutOAuthState stores a pending authorisation under state.
	PutOAuthState(ctx context.Context, state string, s incident.OAuthState) error
	// TakeOAuthState returns and deletes state's pending authorisation
	// (single use). It returns incident.ErrNotFound for an unknown, used
	// or expired (at now) state.
	TakeOAuthState(ctx context.Context, state string, now time.Time) (incident.OAuthState, error)
}

// Zoom creates meetings in the workspace's Zoom account.
type Zoom interface {
	// CreateMeeting creates req's meeting. Errors (wrapped, errors.Is):
	// incident.ErrHostNotInAccount when the host email is not a user of the
	// account or may not host; incident.ErrZoomNotConnected;
	// incident.ErrZoomScope; incident.ErrZoomUnavailable after bounded
	// retries of 429/5xx; incident.ErrOutcomeUnknown when a meeting may have
	// been created but could not be confirmed.
	CreateMeeting(ctx context.Context, team incident.TeamID, req incident.MeetingRequest) (incident.CreatedMeeting, error)
	// FindMeeting looks among hostEmail's upcoming meetings for one whose
	// agenda contains marker. found is false when there is none;
	// incident.ErrZoomScope when listing meetings is not allowed.
	FindMeeting(ctx context.Context, team incident.TeamID, hostEmail, marker string) (m incident.CreatedMeeting, found bool, err error)
	// CheckUser returns nil when email is a user of the account who may
	// host, incident.ErrHostNotInAccount when not, incident.ErrZoomScope when
	// the token may not read users.
	CheckUser(ctx context.Context, team incident.TeamID, email string) error
}

// Slack is what the use cases need from Slack: the effects in incident
// channels that everyone sees. Replies to one person are the bot's business.
type Slack interface {
	// CreateChannel creates a public channel and returns its ID. Returns
	// ErrNameTaken when the name exists.
	CreateChannel(ctx context.Context, team incident.TeamID, name string) (incident.ChannelID, error)
	// JoinChannel makes the bot a member of ch and returns ch's name.
	JoinChannel(ctx context.Context, team incident.TeamID, ch incident.ChannelID) (string, error)
	// Invite adds users to ch; users already there are not an error.
	Invite(ctx context.Context, team incident.TeamID, ch incident.ChannelID, users ...incident.UserID) error
	// PostHeader posts and pins the incident header and returns its ts.
	PostHeader(ctx context.Context, inc incident.Incident, zoomEnabled bool) (string, error)
	// UpdateHeader rewrites the pinned header in place.
	UpdateHeader(ctx context.Context, inc incident.Incident, zoomEnabled bool) error
	// PostChanges posts a line saying who changed what.
	PostChanges(ctx context.Context, inc incident.Incident, by incident.UserID, changes []incident.Change) error
	// AnnounceMeeting posts that inc's meeting exists, with its join link.
	AnnounceMeeting(ctx context.Context, inc incident.Incident) error
	// PostNotice posts plain text in the incident's channel.
	PostNotice(ctx context.Context, inc incident.Incident, text string) error
	// AddBookmark adds a link bookmark titled title and returns its ID.
	AddBookmark(ctx context.Context, inc incident.Incident, title, link string) (string, error)
	// EditBookmark points bookmark id at link. Returns ErrBookmarkGone if
	// someone removed it.
	EditBookmark(ctx context.Context, inc incident.Incident, id, title, link string) error
	// User returns what the app needs to know of a Slack user. Returns
	// ErrUnknownUser when Slack does not know them.
	User(ctx context.Context, team incident.TeamID, user incident.UserID) (SlackUser, error)
	// Whisper shows text to one user in a channel (ephemeral).
	Whisper(ctx context.Context, team incident.TeamID, ch incident.ChannelID, user incident.UserID, text string) error
	// ShowMeeting shows user the meeting's Join link (ephemeral) in ch.
	ShowMeeting(ctx context.Context, inc incident.Incident, user incident.UserID) error
	// DirectMessage sends text to a user from the app.
	DirectMessage(ctx context.Context, team incident.TeamID, user incident.UserID, text string) error
}

// AdminLister is an optional part of the Slack port (bot.Poster has it):
// when the Slack port implements it, messages for "the workspace's admins"
// (SPEC §7) reach its admins and owners too, not only whoever connected
// Zoom and ADMIN_USER_IDS. It is separate so that Slack ports without it
// keep working.
type AdminLister interface {
	// WorkspaceAdmins returns the workspace's admins and owners who are
	// people (not bots, not deactivated), reading a bounded number of
	// users; with a partial list it returns what it found and the error.
	WorkspaceAdmins(ctx context.Context, team incident.TeamID) ([]incident.UserID, error)
}

// SlackUser is a Slack user as the app sees them.
type SlackUser struct {
	ID      incident.UserID
	Email   string // empty when Slack gives none
	Admin   bool   // workspace admin or owner
	Bot     bool
	Deleted bool
}

// Connector runs the Zoom install flow (SPEC §6).
type Connector interface {
	// AuthorizeURL is the Zoom page where an admin authorises the app.
	AuthorizeURL(state string) string
	// Exchange trades an authorization code for tokens and identifies the
	// account (GET /users/me); Team and ConnectedBy are left to the caller.
	Exchange(ctx context.Context, code string) (incident.ZoomConnection, error)
	// Revoke revokes the connection's token at Zoom.
	Revoke(ctx context.Context, conn incident.ZoomConnection) error
}

// NoZoom is the Zoom port when no Zoom credentials are configured: every
// call says Zoom is not connected.
type NoZoom struct{}

// CreateMeeting returns incident.ErrZoomNotConnected.
func (NoZoom) CreateMeeting(context.Context, incident.TeamID, incident.MeetingRequest) (incident.CreatedMeeting, error) {
	return incident.CreatedMeeting{}, incident.ErrZoomNotConnected
}

// FindMeeting returns incident.ErrZoomNotConnected.
func (NoZoom) FindMeeting(context.Context, incident.TeamID, string, string) (incident.CreatedMeeting, bool, error) {
	return incident.CreatedMeeting{}, false, incident.ErrZoomNotConnected
}

// CheckUser returns incident.ErrZoomNotConnected.
func (NoZoom) CheckUser(context.Context, incident.TeamID, string) error {
	return incident.ErrZoomNotConnected
}
