package zoom

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

const opUser = "GET /users/{userId}"

// User is the part of a Zoom user we use. Email is personal data: never
// log it.
type User struct {
	ID        string
	Email     string
	AccountID string
	// Type: 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic, 99 None.
	Type int
	// Status: "active", "inactive" or "pending".
	Status string
}

// user is the part of GET /users/{userId}'s answer we decode.
type user struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	AccountID string `json:"account_id"`
	Type      int    `json:"type"`
	Status    string `json:"status"`
}

// User returns the user idOrEmail: a user ID, an email, or "me" (the
// token's own user; for an install, the authorising admin). Needs
// user:read:user:admin (classic user:read:admin) for other users. Zoom
// answers 404/1001 (IsUserNotFound) for someone outside the account.
func (c *Client) User(ctx context.Context, ts oauth2.TokenSource, idOrEmail string) (User, error) {
	r, err := c.NewRequest(ctx, http.MethodGet, userPath(idOrEmail), nil)
	if err != nil {
		return User{}, err
	}
	var u user
	if err := c.Do(ts, opUser, r, &u); err != nil {
		return User{}, err
	}
	return User(u), nil
}
