package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// errKeyChanged: an UpdateIncident fn tried to move the incident.
var errKeyChanged = errors.New("update must not change the incident's team or number")

// NextNumber reserves the workspace's next incident number: 1, 2, 3… per
// team, from the team bucket's sequence, never reused.
func (s *Store) NextNumber(ctx context.Context, team incident.TeamID) (incident.Number, error) {
	if team == "" {
		return 0, errors.New("next incident number: empty team")
	}
	var n incident.Number
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(bucketIncidents).CreateBucketIfNotExists([]byte(team))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		n = incident.Number(seq)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("next incident number for %s: %w", team, err)
	}
	return n, nil
}

// CreateIncident saves a new incident (its Number already reserved) and maps
// its channel, if set, to it. It returns incident.ErrChannelTaken if the
// channel already belongs to an incident; saving a number twice is an error.
func (s *Store) CreateIncident(ctx context.Context, inc incident.Incident) error {
	key := inc.Key()
	if inc.Team == "" || inc.Number < 1 {
		return fmt.Errorf("create incident %s: team and a reserved number are required", key)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		tb, err := tx.Bucket(bucketIncidents).CreateBucketIfNotExists([]byte(inc.Team))
		if err != nil {
			return err
		}
		if tb.Get(numKey(inc.Number)) != nil {
			return errors.New("incident already exists")
		}
		if inc.Channel != "" {
			if err := mapChannel(tx, inc.Team, inc.Channel, inc.Number); err != nil {
				return err
			}
		}
		// Keep NextNumber ahead of any number saved here.
		if tb.Sequence() < uint64(inc.Number) {
			if err := tb.SetSequence(uint64(inc.Number)); err != nil {
				return err
			}
		}
		return putJSON(tb, numKey(inc.Number), toIncidentRecord(inc, nil))
	})
	if err != nil {
		return fmt.Errorf("create incident %s: %w", key, err)
	}
	return nil
}

// Incident returns one incident, or incident.ErrNotFound.
func (s *Store) Incident(ctx context.Context, key incident.Key) (incident.Incident, error) {
	var inc incident.Incident
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		inc = rec.incident()
		return nil
	})
	if err != nil {
		return incident.Incident{}, fmt.Errorf("get incident %s: %w", key, err)
	}
	return inc, nil
}

// IncidentByChannel returns the channel's incident, or incident.ErrNotFound.
func (s *Store) IncidentByChannel(ctx context.Context, team incident.TeamID, ch incident.ChannelID) (incident.Incident, error) {
	var inc incident.Incident
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketChannels).Get(channelKey(team, ch))
		if raw == nil {
			return incident.ErrNotFound
		}
		if len(raw) != 8 {
			return fmt.Errorf("bad channel index value (%d bytes)", len(raw))
		}
		rec, err := getIncident(tx, incident.Key{Team: team, Number: incident.Number(binary.BigEndian.Uint64(raw))})
		if err != nil {
			return err
		}
		inc = rec.incident()
		return nil
	})
	if err != nil {
		return incident.Incident{}, fmt.Errorf("get incident of channel %s/%s: %w", team, ch, err)
	}
	return inc, nil
}

// UpdateIncident applies fn to a copy of the stored incident in one write
// transaction and returns the result. fn must not do I/O: it runs under the
// database's only write lock. fn's error aborts the update and is returned
// unchanged. A changed Channel moves the channel index (ErrChannelTaken if
// the new channel belongs to another incident); a changed Team or Number is
// refused. Returns incident.ErrNotFound.
func (s *Store) UpdateIncident(ctx context.Context, key incident.Key, fn func(*incident.Incident) error) (incident.Incident, error) {
	var (
		out   incident.Incident
		fnErr error
	)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec, err := getIncident(tx, key)
		if err != nil {
			return err
		}
		inc := rec.incident()
		if fnErr = fn(&inc); fnErr != nil {
			return fnErr
		}
		if inc.Key() != key {
			return errKeyChanged
		}
		if inc.Channel != incident.ChannelID(rec.Channel) {
			if err := moveChannel(tx, key, incident.ChannelID(rec.Channel), inc.Channel); err != nil {
				return err
			}
		}
		next := toIncidentRecord(inc, rec.Claim)
		if err := putIncident(tx, next); err != nil {
			return err
		}
		out = next.incident()
		return nil
	})
	switch {
	case err == nil:
		return out, nil
	case fnErr != nil && err == fnErr:
		return incident.Incident{}, fnErr
	default:
		return incident.Incident{}, fmt.Errorf("update incident %s: %w", key, err)
	}
}

// OpenIncidents returns the workspace's incidents that are not resolved, in
// number order.
func (s *Store) OpenIncidents(ctx context.Context, team incident.TeamID) ([]incident.Incident, error) {
	var open []incident.Incident
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		tb := tx.Bucket(bucketIncidents).Bucket([]byte(team))
		if tb == nil {
			return nil
		}
		return tb.ForEach(func(k, v []byte) error {
			var rec listedRecord
			if err := decodeJSON(v, &rec); err != nil {
				return fmt.Errorf("incident %x: %w", k, err)
			}
			if inc := rec.incident(); inc.Open() {
				open = append(open, inc)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list open incidents of %s: %w", team, err)
	}
	return open, nil
}

// listedRecord is an incident record read for a listing: its timeline,
// which only grows, is skipped rather than decoded (the outer field shadows
// the embedded one for encoding/json).
type listedRecord struct {
	incidentRecord
	Timeline skipped `json:"timeline,omitempty"`
}

// skipped is a JSON value that is read past and not kept.
type skipped struct{}

// UnmarshalJSON accepts any value and keeps nothing.
func (*skipped) UnmarshalJSON([]byte) error { return nil }

// getIncident reads key's record, or incident.ErrNotFound.
func getIncident(tx *bbolt.Tx, key incident.Key) (incidentRecord, error) {
	if key.Team == "" {
		return incidentRecord{}, incident.ErrNotFound
	}
	tb := tx.Bucket(bucketIncidents).Bucket([]byte(key.Team))
	if tb == nil {
		return incidentRecord{}, incident.ErrNotFound
	}
	raw := tb.Get(numKey(key.Number))
	if raw == nil {
		return incidentRecord{}, incident.ErrNotFound
	}
	var rec incidentRecord
	if err := decodeJSON(raw, &rec); err != nil {
		return incidentRecord{}, err
	}
	return rec, nil
}

// putIncident writes rec into its team's bucket, which must exist.
func putIncident(tx *bbolt.Tx, rec incidentRecord) error {
	tb := tx.Bucket(bucketIncidents).Bucket([]byte(rec.Team))
	if tb == nil {
		return incident.ErrNotFound
	}
	return putJSON(tb, numKey(incident.Number(rec.Number)), rec)
}

// mapChannel points ch at incident n, or returns ErrChannelTaken.
func mapChannel(tx *bbolt.Tx, team incident.TeamID, ch incident.ChannelID, n incident.Number) error {
	b := tx.Bucket(bucketChannels)
	k := channelKey(team, ch)
	if b.Get(k) != nil {
		return incident.ErrChannelTaken
	}
	return b.Put(k, numKey(n))
}

// moveChannel re-points the channel index from old to ch for key.
func moveChannel(tx *bbolt.Tx, key incident.Key, old, ch incident.ChannelID) error {
	if ch != "" {
		if err := mapChannel(tx, key.Team, ch, key.Number); err != nil {
			return err
		}
	}
	if old != "" {
		if err := tx.Bucket(bucketChannels).Delete(channelKey(key.Team, old)); err != nil {
			return err
		}
	}
	return nil
}
