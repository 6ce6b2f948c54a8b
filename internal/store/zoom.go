package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// accountTakenMsg is shown to the admin when SaveZoomConnection refuses a
// Zoom account that another workspace holds (SPEC §6).
const accountTakenMsg = "This Zoom account is already connected to another Slack workspace. " +
	"Disconnect it there (`/incident zoom disconnect`) before connecting it here."

// ZoomConnection returns the workspace's connection with its tokens
// decrypted, or incident.ErrZoomNotConnected.
func (s *Store) ZoomConnection(ctx context.Context, team incident.TeamID) (incident.ZoomConnection, error) {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	var conn incident.ZoomConnection
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketTokens).Get([]byte(team))
		if raw == nil {
			return incident.ErrZoomNotConnected
		}
		rec, err := decodeConnection(raw)
		if err != nil {
			return err
		}
		plain, err := unseal(s.aead, rec.Sealed, []byte(team))
		if err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		var tok tokensPlain
		if err := json.Unmarshal(plain, &tok); err != nil {
			// The decoder's error could quote token bytes; keep it out.
			return errors.New("tokens: malformed sealed payload")
		}
		conn = incident.ZoomConnection{
			Team:         incident.TeamID(rec.Team),
			AccountID:    rec.AccountID,
			ConnectedBy:  incident.UserID(rec.ConnectedBy),
			ConnectedAt:  rec.ConnectedAt,
			AccessToken:  tok.Access,
			RefreshToken: tok.Refresh,
			Expiry:       rec.Expiry,
			Scopes:       nilIfEmpty(rec.Scopes),
			Broken:       rec.Broken,
			BrokenTold:   rec.BrokenTold,
		}
		return nil
	})
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("get zoom connection of %s: %w", team, err)
	}
	return conn, nil
}

// SaveZoomConnection stores conn with its tokens sealed, replacing any
// earlier connection of conn.Team, and indexes it by conn.AccountID. A Zoom
// account connected to another workspace is refused with an
// *incident.Problem, checked in the same transaction so two concurrent
// installs cannot both win.
func (s *Store) SaveZoomConnection(ctx context.Context, conn incident.ZoomConnection) error {
	if conn.Team == "" || conn.AccountID == "" {
		return errors.New("save zoom connection: team and account ID are required")
	}
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	plain, err := json.Marshal(tokensPlain{V: recordVersion, Access: conn.AccessToken, Refresh: conn.RefreshToken})
	if err != nil {
		return fmt.Errorf("save zoom connection of %s: encode tokens: %w", conn.Team, err)
	}
	team := []byte(conn.Team)
	sealed, err := seal(s.aead, plain, team)
	if err != nil {
		return fmt.Errorf("save zoom connection of %s: %w", conn.Team, err)
	}
	rec := connectionRecord{
		V:           recordVersion,
		Team:        string(conn.Team),
		AccountID:   conn.AccountID,
		ConnectedBy: string(conn.ConnectedBy),
		ConnectedAt: utc(conn.ConnectedAt),
		Expiry:      utc(conn.Expiry),
		Scopes:      nilIfEmpty(conn.Scopes),
		Broken:      conn.Broken,
		BrokenTold:  conn.BrokenTold,
		Sealed:      sealed,
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		tokens, accounts := tx.Bucket(bucketTokens), tx.Bucket(bucketAccounts)
		acct := []byte(conn.AccountID)
		if owner := accounts.Get(acct); owner != nil && !bytes.Equal(owner, team) && tokens.Get(owner) != nil {
			return &incident.Problem{Msg: accountTakenMsg}
		}
		if err := unindexAccount(tx, team); err != nil {
			return err
		}
		if err := accounts.Put(acct, team); err != nil {
			return err
		}
		return putJSON(tokens, team, rec)
	})
	if err != nil {
		return fmt.Errorf("save zoom connection of %s: %w", conn.Team, err)
	}
	return nil
}

// DeleteZoomConnection removes the workspace's connection and its account
// index; no error if there is none.
func (s *Store) DeleteZoomConnection(ctx context.Context, team incident.TeamID) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := unindexAccount(tx, []byte(team)); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).Delete([]byte(team))
	})
	if err != nil {
		return fmt.Errorf("delete zoom connection of %s: %w", team, err)
	}
	return nil
}

// TeamForZoomAccount returns the workspace a Zoom account is connected to,
// or incident.ErrNotFound.
func (s *Store) TeamForZoomAccount(ctx context.Context, accountID string) (incident.TeamID, error) {
	var team incident.TeamID
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketAccounts).Get([]byte(accountID))
		if raw == nil {
			return incident.ErrNotFound
		}
		team = incident.TeamID(raw) // string conversion copies
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("find workspace of zoom account %s: %w", accountID, err)
	}
	return team, nil
}

// unindexAccount removes the account index entry of team's current
// connection, if it points at team.
func unindexAccount(tx *bbolt.Tx, team []byte) error {
	raw := tx.Bucket(bucketTokens).Get(team)
	if raw == nil {
		return nil
	}
	rec, err := decodeConnection(raw)
	if err != nil {
		return fmt.Errorf("token record: %w", err)
	}
	accounts := tx.Bucket(bucketAccounts)
	if owner := accounts.Get([]byte(rec.AccountID)); bytes.Equal(owner, team) {
		return accounts.Delete([]byte(rec.AccountID))
	}
	return nil
}

// stateKey hashes an OAuth state so the file holds no usable states.
func stateKey(state string) []byte {
	sum := sha256.Sum256([]byte(state))
	return sum[:]
}

// PutOAuthState stores a pending authorisation under state, and forgets
// states that expired (by the store's clock).
func (s *Store) PutOAuthState(ctx context.Context, state string, st incident.OAuthState) error {
	if state == "" {
		return errors.New("save oauth state: empty state")
	}
	now := s.now()
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketOAuthStates)
		if err := pruneStates(b, now); err != nil {
			return err
		}
		return putJSON(b, stateKey(state), oauthStateRecord{
			V: recordVersion, Team: string(st.Team), User: string(st.User), Expires: utc(st.Expires),
		})
	})
	if err != nil {
		// Never name the state: it is a bearer secret until used.
		return fmt.Errorf("save oauth state for %s: %w", st.Team, err)
	}
	return nil
}

// TakeOAuthState returns and deletes state's pending authorisation (single
// use). It returns incident.ErrNotFound for an unknown, used or expired (at
// now) state; an expired state is deleted too.
func (s *Store) TakeOAuthState(ctx context.Context, state string, now time.Time) (incident.OAuthState, error) {
	var (
		st    incident.OAuthState
		found bool
	)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketOAuthStates)
		k := stateKey(state)
		raw := b.Get(k)
		if raw == nil {
			return nil
		}
		var rec oauthStateRecord
		if err := decodeJSON(raw, &rec); err != nil {
			return err
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		if now.Before(rec.Expires) {
			found = true
			st = incident.OAuthState{Team: incident.TeamID(rec.Team), User: incident.UserID(rec.User), Expires: rec.Expires}
		}
		return nil
	})
	if err != nil {
		return incident.OAuthState{}, fmt.Errorf("take oauth state: %w", err)
	}
	if !found {
		return incident.OAuthState{}, fmt.Errorf("take oauth state: %w", incident.ErrNotFound)
	}
	return st, nil
}

// pruneStates deletes states that expired before now.
func pruneStates(b *bbolt.Bucket, now time.Time) error {
	var old [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		var rec oauthStateRecord
		if err := decodeJSON(v, &rec); err != nil || !now.Before(rec.Expires) {
			old = append(old, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("prune oauth states: %w", err)
		}
	}
	return nil
}
