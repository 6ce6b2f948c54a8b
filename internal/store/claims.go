package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// ClaimTTL is how long a claim keeps other attempts out. It must be longer
// than the longest Zoom create including its bounded retries and backoff
// (well under a minute), so a live attempt is never overtaken; a claim older
// than this was left by a crash, and start-up reconciles it (Claims) before
// anyone retries.
const ClaimTTL = 2 * time.Minute

// ClaimMeeting marks c.Attempt as the creator of key's meeting, durably, so
// Zoom's non-idempotent create runs once.
//
// With c.Replacing == "" it returns incident.ErrMeetingExists if a meeting
// is recorded; with c.Replacing set to a meeting ID it succeeds only while
// that meeting is the recorded one (else incident.ErrMeetingExists). It
// returns incident.ErrClaimHeld if another attempt's claim is younger than
// ClaimTTL at c.At (the store's clock when c.At is zero); the same attempt
// claiming again refreshes its claim. An automatic claim (c.Trigger
// incident.TriggerAutomatic) gets app.ErrMeetingUncertain while the
// incident has unsettled attempts, unless it re-takes one of them (to
// record the meeting it was found to have made): one of them may have made
// a meeting, and only a person may decide to make another.
// Returns incident.ErrNotFound.
func (s *Store) ClaimMeeting(ctx context.Context, key incident.Key, c app.Claim) error {
	if c.Attempt == "" {
		return fmt.Errorf("claim meeting of %s: empty attempt", key)
	}
	if c.At.IsZero() {
		c.At = s.now()
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		switch {
		case c.Replacing == "" && rec.Meeting != nil:
			return incident.ErrMeetingExists
		case c.Replacing != "" && (rec.Meeting == nil || rec.Meeting.ID != c.Replacing):
			return incident.ErrMeetingExists
		case c.Trigger == incident.TriggerAutomatic && len(rec.Unsettled) > 0 && !isUnsettled(rec, c.Attempt):
			return app.ErrMeetingUncertain
		case rec.Claim != nil && rec.Claim.Attempt != c.Attempt && c.At.Sub(rec.Claim.At) < ClaimTTL:
			return incident.ErrClaimHeld
		}
		rec.Claim = toClaimRecord(c)
		return putIncident(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("claim meeting of %s: %w", key, err)
	}
	return nil
}

// RecordMeeting stores m as key's meeting if attempt still owns the claim,
// clears the claim and the unsettled attempts (a meeting now exists; what
// they may have made is no longer the incident's), and returns the
// incident; otherwise it returns incident.ErrClaimLost and changes nothing.
// Returns incident.ErrNotFound.
func (s *Store) RecordMeeting(ctx context.Context, key incident.Key, attempt string, m incident.Meeting) (incident.Incident, error) {
	var out incident.Incident
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		if rec.Claim == nil || rec.Claim.Attempt != attempt || attempt == "" {
			return incident.ErrClaimLost
		}
		inc := rec.incident()
		inc.Meeting = &m
		inc.Unsettled = nil
		next := toIncidentRecord(inc, nil)
		if err := putIncident(tx, next); err != nil {
			return err
		}
		out = next.incident()
		return nil
	})
	if err != nil {
		return incident.Incident{}, fmt.Errorf("record meeting of %s: %w", key, err)
	}
	return out, nil
}

// ReleaseClaim drops attempt's claim if it still owns it; otherwise it does
// nothing. Returns incident.ErrNotFound.
func (s *Store) ReleaseClaim(ctx context.Context, key incident.Key, attempt string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		if rec.Claim == nil || rec.Claim.Attempt != attempt {
			return nil
		}
		rec.Claim = nil
		return putIncident(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("release meeting claim of %s: %w", key, err)
	}
	return nil
}

// Claims returns every outstanding claim across all workspaces, live or
// expired; read at start-up, these were left by a crash between claim and
// record.
func (s *Store) Claims(ctx context.Context) ([]app.PendingClaim, error) {
	var claims []app.PendingClaim
	err := s.eachIncident(ctx, func(rec incidentRecord) {
		if rec.Claim != nil {
			claims = append(claims, app.PendingClaim{
				Key:   incident.Key{Team: incident.TeamID(rec.Team), Number: incident.Number(rec.Number)},
				Claim: rec.Claim.claim(),
			})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list meeting claims: %w", err)
	}
	return claims, nil
}

// isUnsettled reports whether attempt is one of rec's unsettled attempts.
func isUnsettled(rec incidentRecord, attempt string) bool {
	for _, u := range rec.Unsettled {
		if u.Attempt == attempt {
			return true
		}
	}
	return false
}

// MarkUnsettled adds c to key's unsettled attempts (replacing an earlier
// entry for the same attempt) and, if c.Attempt still owns the claim,
// releases it, in one transaction: there is no moment at which the claim
// is gone but the uncertainty not yet recorded. The attempt is recorded
// even if its claim was lost meanwhile, since the meeting it may have made
// exists either way. Returns incident.ErrNotFound.
func (s *Store) MarkUnsettled(ctx context.Context, key incident.Key, c app.Claim) error {
	if c.Attempt == "" {
		return fmt.Errorf("mark attempt of %s unsettled: empty attempt", key)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		if rec.Claim != nil && rec.Claim.Attempt == c.Attempt {
			rec.Claim = nil
		}
		rec.Unsettled = slices.DeleteFunc(rec.Unsettled, func(u claimRecord) bool { return u.Attempt == c.Attempt })
		rec.Unsettled = append(rec.Unsettled, *toClaimRecord(c))
		return putIncident(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("mark attempt of %s unsettled: %w", key, err)
	}
	return nil
}

// ClearUnsettled drops attempt from key's unsettled attempts; nothing
// happens if it is not there. Returns incident.ErrNotFound.
func (s *Store) ClearUnsettled(ctx context.Context, key incident.Key, attempt string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		n := len(rec.Unsettled)
		rec.Unsettled = slices.DeleteFunc(rec.Unsettled, func(u claimRecord) bool { return u.Attempt == attempt })
		if len(rec.Unsettled) == n {
			return nil
		}
		return putIncident(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("clear unsettled attempt of %s: %w", key, err)
	}
	return nil
}

// Unfinished returns, across all workspaces, the incidents whose meeting is
// recorded but not yet published, that have unsettled attempts, or whose
// automatic-meeting check did not finish: what start-up reconciliation
// finishes.
func (s *Store) Unfinished(ctx context.Context) ([]incident.Incident, error) {
	var out []incident.Incident
	err := s.eachIncident(ctx, func(rec incidentRecord) {
		if len(rec.Unsettled) > 0 || (rec.Meeting != nil && rec.Meeting.Unpublished) || rec.AutoCheck > 0 {
			out = append(out, rec.incident())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list unfinished meetings: %w", err)
	}
	return out, nil
}

// eachIncident calls fn with every incident record of every workspace, in
// one read transaction.
func (s *Store) eachIncident(ctx context.Context, fn func(incidentRecord)) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketIncidents).ForEachBucket(func(team []byte) error {
			tb := tx.Bucket(bucketIncidents).Bucket(team)
			if tb == nil {
				return errors.New("team bucket vanished")
			}
			return tb.ForEach(func(k, v []byte) error {
				var rec incidentRecord
				if err := decodeJSON(v, &rec); err != nil {
					return fmt.Errorf("incident %s/%x: %w", team, k, err)
				}
				fn(rec)
				return nil
			})
		})
	})
}
