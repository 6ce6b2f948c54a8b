package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Reconcile settles meeting claims left by a process that died between
// claiming and recording (SPEC §5.6). Run it at start-up, before handling
// requests. For each claim it looks for the meeting in Zoom by the
// attempt ID in its agenda: found, it is recorded and announced; surely
// absent, the claim is released. When Zoom cannot be asked (no
// meeting-listing scope, or Zoom down) the claim is released and the
// uncertainty logged: the next request may then create a meeting.
func (a *App) Reconcile(ctx context.Context) error {
	claims, err := a.store.Claims(ctx)
	if err != nil {
		return fmt.Errorf("reconcile: list claims: %w", err)
	}
	for _, pc := range claims {
		if err := a.reconcileClaim(ctx, pc); err != nil {
			a.logger(ctx).Error().Err(err).Str("incident", pc.Key.String()).Msg("reconcile meeting claim failed")
		}
	}
	return nil
}

func (a *App) reconcileClaim(ctx context.Context, pc PendingClaim) error {
	log := a.logger(ctx).With().Str("incident", pc.Key.String()).Logger()
	s, err := a.store.Settings(ctx, pc.Key.Team)
	if err != nil {
		return err
	}
	for _, email := range pc.Claim.Hosts {
		m, found, err := a.zoom.FindMeeting(ctx, pc.Key.Team, email, AgendaMarker(pc.Claim.Attempt))
		if err != nil {
			log.Warn().Err(err).Msg("cannot confirm whether a meeting was created before the restart; releasing the claim")
			break
		}
		if !found {
			continue
		}
		meeting := incident.Meeting{ID: m.ID, JoinURL: m.JoinURL, Passcode: m.Passcode, HostKind: incident.HostRequester, Trigger: incident.TriggerOneClick, CreatedAt: a.now().UTC()}
		if sameEmailFold(email, s.FallbackEmail) {
			meeting.HostKind = incident.HostFallback
		}
		inc, err := a.store.RecordMeeting(ctx, pc.Key, pc.Claim.Attempt, meeting)
		if errors.Is(err, incident.ErrClaimLost) {
			return nil
		}
		if err != nil {
			return err
		}
		log.Info().Str("zoom_meeting", m.ID).Msg("recovered meeting created before a restart")
		a.publishMeeting(ctx, inc, s, pc.Claim.Replacing != "")
		return nil
	}
	return a.store.ReleaseClaim(ctx, pc.Key, pc.Claim.Attempt)
}

func sameEmailFold(a, b string) bool { return a != "" && strings.EqualFold(a, b) }
