package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// The Poster tells workspace admins and owners what concerns them all.
var _ app.AdminLister = (*Poster)(nil)

// Bounds on the users.list walk of WorkspaceAdmins: pages of adminsPageSize
// users (Slack's recommended maximum), at most adminsMaxPages of them, so a
// huge workspace costs a bounded number of calls (users.list is Tier 2,
// about 20 a minute).
const (
	adminsPageSize = 200
	adminsMaxPages = 10
)

// WorkspaceAdmins lists the workspace's admins and owners with users.list
// (is_admin, is_owner, is_primary_owner), leaving out bots and deactivated
// users. It reads at most adminsMaxPages pages; a workspace with more users
// gets the admins of those pages and an error saying the list was cut
// short. A failed page returns the admins found so far with the error.
func (p *Poster) WorkspaceAdmins(ctx context.Context, _ incident.TeamID) ([]incident.UserID, error) {
	var admins []incident.UserID
	pg := p.api.GetUsersPaginated(slack.GetUsersOptionLimit(adminsPageSize))
	for range adminsMaxPages {
		var err error
		pg, err = pg.Next(ctx)
		if pg.Done(err) {
			return admins, nil
		}
		if err != nil {
			return admins, fmt.Errorf("users.list: %w", err)
		}
		for _, u := range pg.Users {
			if (u.IsAdmin || u.IsOwner || u.IsPrimaryOwner) && !u.IsBot && !u.Deleted {
				admins = append(admins, incident.UserID(u.ID))
			}
		}
		if pg.Cursor == "" {
			return admins, nil
		}
	}
	return admins, fmt.Errorf("users.list: stopped after %d pages of %d users", adminsMaxPages, adminsPageSize)
}
