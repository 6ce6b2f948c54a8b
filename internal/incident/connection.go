package incident

import "time"

// ZoomConnection is a workspace's installed Zoom account (install flow,
// SPEC §6): who connected it and its OAuth tokens. The store seals the
// tokens; nothing else may print them.
type ZoomConnection struct {
	Team         TeamID
	AccountID    string
	ConnectedBy  UserID
	ConnectedAt  time.Time
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
	Scopes       []string
	// Broken is set when Zoom refused the refresh token: an admin must
	// reconnect. BrokenTold records that admins were told.
	Broken     bool
	BrokenTold bool
}

// OAuthState is a pending Zoom authorisation, bound to the workspace and
// admin who asked, single use, valid until Expires.
type OAuthState struct {
	Team    TeamID
	User    UserID
	Expires time.Time
}
