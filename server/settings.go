package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

func settingsKey(orgID string) string { return "settings:" + orgID }

// settings returns the org's settings: the stored document over the
// defaults, read on every decision so a change applies at once.
func (s *Server) settings(ctx context.Context, orgID string) (cti.Settings, error) {
	set := cti.DefaultSettings()
	b, err := s.store.Get(ctx, settingsKey(orgID))
	if errors.Is(err, store.ErrNotFound) {
		return set, nil
	}
	if err != nil {
		return set, fmt.Errorf("load settings: %w", err)
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return set, fmt.Errorf("decode settings: %w", err)
	}
	return set, nil
}

// saveSettings stores the org's settings document.
func (s *Server) saveSettings(ctx context.Context, orgID string, set cti.Settings) error {
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return s.store.Set(ctx, settingsKey(orgID), b, 0)
}
