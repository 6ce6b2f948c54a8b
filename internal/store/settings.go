package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Settings returns the workspace's settings, incident.DefaultSettings() if
// none were saved.
func (s *Store) Settings(ctx context.Context, team incident.TeamID) (incident.Settings, error) {
	set := incident.DefaultSettings()
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketSettings).Get([]byte(team))
		if raw == nil {
			return nil
		}
		var rec settingsRecord
		if err := decodeJSON(raw, &rec); err != nil {
			return err
		}
		set = rec.settings()
		return nil
	})
	if err != nil {
		return incident.Settings{}, fmt.Errorf("get settings of %s: %w", team, err)
	}
	return set, nil
}

// SaveSettings replaces the workspace's settings.
func (s *Store) SaveSettings(ctx context.Context, team incident.TeamID, set incident.Settings) error {
	if team == "" {
		return fmt.Errorf("save settings: empty team")
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketSettings), []byte(team), toSettingsRecord(set))
	})
	if err != nil {
		return fmt.Errorf("save settings of %s: %w", team, err)
	}
	return nil
}
