package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
		var err error
		conn, err = s.getConnection(tx, team)
		return err
	})
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("get zoom connection of %s: %w", team, err)
	}
	return conn, nil
}

// getConnection reads and unseals team's connection in tx. The caller
// holds keyMu.
func (s *Store) getConnection(tx *bbolt.Tx, team incident.TeamID) (incident.ZoomConnection, error) {
	raw := tx.Bucket(bucketTokens).Get([]byte(team))
	if raw == nil {
		return incident.ZoomConnection{}, incident.ErrZoomNotConnected
	}
	rec, err := decodeConnection(raw)
	if err != nil {
		return incident.ZoomConnection{}, err
	}
	plain, err := unseal(s.aead, rec.Sealed, []byte(team))
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("tokens: %w", err)
	}
	var tok tokensPlain
	if err := json.Unmarshal(plain, &tok); err != nil {
		// The decoder's error could quote token bytes; keep it out.
		return incident.ZoomConnection{}, errors.New("tokens: malformed sealed payload")
	}
	return incident.ZoomConnection{
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
	}, nil
}

// sealConnection is conn as stored: its tokens sealed with its team as
// additional data. The caller holds keyMu.
func (s *Store) sealConnection(conn incident.ZoomConnection) (connectionRecord, error) {
	plain, err := json.Marshal(tokensPlain{V: recordVersion, Access: conn.AccessToken, Refresh: conn.RefreshToken})
	if err != nil {
		return connectionRecord{}, fmt.Errorf("encode tokens: %w", err)
	}
	sealed, err := seal(s.aead, plain, []byte(conn.Team))
	if err != nil {
		return connectionRecord{}, err
	}
	return connectionRecord{
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
	}, nil
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
	rec, err := s.sealConnection(conn)
	if err != nil {
		return fmt.Errorf("save zoom connection of %s: %w", conn.Team, err)
	}
	team := []byte(conn.Team)
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

// UpdateZoomConnection applies fn to the workspace's stored connection
// and stores the result, in one transaction, so fn's checks and its
// changes cannot be overtaken by another writer: a token refresh uses it to
// write the new pair only while the stored refresh token is still the one
// it presented. It never recreates a deleted connection: with none stored
// it returns incident.ErrZoomNotConnected without calling fn. fn must not
// do I/O and may not change Team or AccountID; an error from fn aborts the
// update and is returned wrapped (errors.Is matches it). It returns the
// connection as stored.
func (s *Store) UpdateZoomConnection(ctx context.Context, team incident.TeamID, fn func(*incident.ZoomConnection) error) (incident.ZoomConnection, error) {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	var conn incident.ZoomConnection
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		cur, err := s.getConnection(tx, team)
		if err != nil {
			return err
		}
		next := cur
		next.Scopes = slices.Clone(cur.Scopes)
		if err := fn(&next); err != nil {
			return err
		}
		if next.Team != cur.Team || next.AccountID != cur.AccountID {
			return errors.New("the team and Zoom account of a connection cannot change; save a new connection instead")
		}
		rec, err := s.sealConnection(next)
		if err != nil {
			return err
		}
		conn = next
		return putJSON(tx.Bucket(bucketTokens), []byte(team), rec)
	})
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("update zoom connection of %s: %w", team, err)
	}
	return conn, nil
}

// DeleteZoomConnection removes the workspace's connection and its account
// index; no error if there is none.
func (s *Store) DeleteZoomConnection(ctx context.Context, team incident.TeamID) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error { return deleteConnection(tx, []byte(team)) })
	if err != nil {
		return fmt.Errorf("delete zoom connection of %s: %w", team, err)
	}
	return nil
}

// TakeZoomConnection removes the workspace's connection and its account
// index and returns what was stored, in one transaction: whoever revokes
// the tokens afterwards revokes the last pair stored, even if a refresh
// committed a newer one just before. It returns
// incident.ErrZoomNotConnected if there is none.
func (s *Store) TakeZoomConnection(ctx context.Context, team incident.TeamID) (incident.ZoomConnection, error) {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	var conn incident.ZoomConnection
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		if conn, err = s.getConnection(tx, team); err != nil {
			return err
		}
		return deleteConnection(tx, []byte(team))
	})
	if err != nil {
		return incident.ZoomConnection{}, fmt.Errorf("take zoom connection of %s: %w", team, err)
	}
	return conn, nil
}

// deleteConnection removes team's connection and its account index entry.
func deleteConnection(tx *bbolt.Tx, team []byte) error {
	if err := unindexAccount(tx, team); err != nil {
		return err
	}
	return tx.Bucket(bucketTokens).Delete(team)
}

// BrokenZoomConnections counts the workspaces whose connection Zoom
// refused (Broken): each needs an admin to reconnect. It reads no tokens.
func (s *Store) BrokenZoomConnections(ctx context.Context) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(_, v []byte) error {
			rec, err := decodeConnection(v)
			if err != nil {
				return err
			}
			if rec.Broken {
				n++
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("count broken zoom connections: %w", err)
	}
	return n, nil
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
