package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// IsAdmin reports whether user may change settings: a workspace admin or
// owner, or listed in ADMIN_USER_IDS.
func (a *App) IsAdmin(ctx context.Context, team incident.TeamID, user incident.UserID) (bool, error) {
	if a.admins[user] {
		return true, nil
	}
	u, err := a.slack.User(ctx, team, user)
	if errors.Is(err, ErrUnknownUser) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check admin: %w", err)
	}
	return u.Admin && !u.Deleted, nil
}

// requireAdmin refuses non-admins with a *Problem.
func (a *App) requireAdmin(ctx context.Context, team incident.TeamID, user incident.UserID, what string) error {
	ok, err := a.IsAdmin(ctx, team, user)
	if err != nil {
		return err
	}
	if !ok {
		return incident.Problemf("Only workspace admins and owners (or users in ADMIN_USER_IDS) can %s. Ask an admin.", what)
	}
	return nil
}

// SettingsFor returns the workspace's settings for an admin to edit.
func (a *App) SettingsFor(ctx context.Context, team incident.TeamID, user incident.UserID) (incident.Settings, error) {
	if err := a.requireAdmin(ctx, team, user, "change incident-bridge settings"); err != nil {
		return incident.Settings{}, err
	}
	s, err := a.store.Settings(ctx, team)
	if err != nil {
		return incident.Settings{}, fmt.Errorf("load settings: %w", err)
	}
	return s, nil
}

// Settings returns the workspace's settings, for anyone to read.
func (a *App) Settings(ctx context.Context, team incident.TeamID) (incident.Settings, error) {
	return a.store.Settings(ctx, team)
}

// SaveSettings validates and saves an admin's settings. Invalid values come
// back as incident.FieldErrors and nothing is saved. With a fallback email
// and a Zoom token that may read users, the email is checked against the
// account.
func (a *App) SaveSettings(ctx context.Context, team incident.TeamID, user incident.UserID, s incident.Settings) error {
	if err := a.requireAdmin(ctx, team, user, "change incident-bridge settings"); err != nil {
		return err
	}
	s = s.Normalize()
	if errs := s.Validate(); len(errs) > 0 {
		return errs
	}
	if s.FallbackEmail != "" && s.ZoomEnabled {
		err := a.checkFallback(ctx, team, s.FallbackEmail)
		switch {
		case err == nil:
		case errors.Is(err, incident.ErrHostNotInAccount):
			return incident.FieldErrors{{Field: incident.SettingFallbackEmail, Msg: "This email is not a user of the connected Zoom account (or may not host meetings). Use the email of a licensed Zoom user in that account."}}
		default:
			// Without the user-read scope, or with Zoom unreachable or
			// slow, the email cannot be checked now; meetings will check
			// it (and fall back no further if it fails).
			a.logger(ctx).Info().Err(err).Msg("fallback email not checked against zoom")
		}
	}
	if err := a.store.SaveSettings(ctx, team, s); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	a.rejected.forget(team)
	a.logger(ctx).Info().Str("team", string(team)).Str("user", string(user)).Msg("settings saved")
	return nil
}

// saveReserve is the part of the caller's deadline kept for saving after
// the fallback email is checked at Zoom; checkTimeout bounds the check when
// the caller set no deadline.
const (
	saveReserve  = 500 * time.Millisecond
	checkTimeout = 10 * time.Second
)

// checkFallback asks Zoom whether email may host, leaving time before ctx's
// deadline to save: a slow Zoom must not turn a valid save into a failure.
func (a *App) checkFallback(ctx context.Context, team incident.TeamID, email string) error {
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-saveReserve))
	} else {
		ctx, cancel = context.WithTimeout(ctx, checkTimeout)
	}
	defer cancel()
	return a.zoom.CheckUser(ctx, team, email)
}
