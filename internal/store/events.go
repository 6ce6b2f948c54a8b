package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// EventRetention is how long a Slack event ID is remembered. Slack retries a
// delivery for minutes, not hours, so a day is ample.
const EventRetention = 24 * time.Hour

// maxPrune bounds the expired IDs one FirstDelivery removes, so a backlog
// never makes a single transaction long.
const maxPrune = 512

// Nested buckets of the events bucket: ids maps an event ID to when it was
// first seen; times orders the same IDs by time (8-byte BE Unix nanoseconds
// + ID) so pruning reads only expired entries.
var (
	eventIDs   = []byte("ids")
	eventTimes = []byte("times")
)

// FirstDelivery records a Slack event ID and reports whether it was new.
// IDs are kept for EventRetention (at least a day), across restarts; each
// call also forgets some IDs older than that, relative to now.
func (s *Store) FirstDelivery(ctx context.Context, eventID string, now time.Time) (bool, error) {
	if eventID == "" {
		return false, errors.New("record event delivery: empty event ID")
	}
	var first bool
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		ev := tx.Bucket(bucketEvents)
		ids, times := ev.Bucket(eventIDs), ev.Bucket(eventTimes)
		if err := pruneEvents(ids, times, now.Add(-EventRetention)); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		if ids.Get([]byte(eventID)) != nil {
			return nil
		}
		first = true
		ts := make([]byte, 8)
		binary.BigEndian.PutUint64(ts, uint64(now.UnixNano()))
		if err := ids.Put([]byte(eventID), ts); err != nil {
			return err
		}
		return times.Put(append(ts, eventID...), nil)
	})
	if err != nil {
		return false, fmt.Errorf("record event delivery: %w", err)
	}
	return first, nil
}

// pruneEvents deletes up to maxPrune IDs first seen before cutoff.
func pruneEvents(ids, times *bbolt.Bucket, cutoff time.Time) error {
	limit := make([]byte, 8)
	binary.BigEndian.PutUint64(limit, uint64(cutoff.UnixNano()))
	var old [][]byte
	c := times.Cursor()
	for k, _ := c.First(); k != nil && len(old) < maxPrune && bytes.Compare(k[:8], limit) < 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	// Deleting behind a live cursor can skip keys, so delete after the walk.
	for _, k := range old {
		if err := times.Delete(k); err != nil {
			return err
		}
		// Only drop the ID if it still refers to this time entry.
		if v := ids.Get(k[8:]); v != nil && bytes.Equal(v, k[:8]) {
			if err := ids.Delete(k[8:]); err != nil {
				return err
			}
		}
	}
	return nil
}
