package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/zoomcti/zoomcti/cti"
)

// settings returns the org's settings: the stored document over the
// defaults, read on every decision so a change applies at once.
func (s *Server) settings(ctx context.Context, orgID string) (cti.Settings, error) {
	return loadSettings(ctx, s.store, orgID, s.cfg.DefaultCountry)
}

// loadSettings reads the org's settings from kv; what the org has not set
// keeps its default.
func loadSettings(ctx context.Context, kv getter, orgID, defaultCountry string) (cti.Settings, error) {
	set := cti.DefaultSettings()
	set.DefaultCountry = defaultCountry
	if _, err := getJSON(ctx, kv, settingsKey(orgID), &set); err != nil {
		return set, fmt.Errorf("load settings: %w", err)
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

// handleGetSettings answers GET /api/settings (admins): the org's settings,
// the defaults, and the country codes the default country may be (the
// cards check it before saving).
func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	set, err := s.settings(r.Context(), a.OrgID)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "settings unavailable", err))
		return
	}
	defaults := cti.DefaultSettings()
	defaults.DefaultCountry = s.cfg.DefaultCountry
	writeJSON(w, http.StatusOK, map[string]any{"settings": set, "defaults": defaults, "countries": cti.CountryCodes()})
}

// handlePutSettings answers PUT /api/settings (admins): replaces the org's
// settings document. Fields left out take their defaults; unknown fields
// and invalid values are refused with a message per field. The next event
// uses the new settings: nothing is cached.
func (s *Server) handlePutSettings(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	set := cti.DefaultSettings()
	set.DefaultCountry = s.cfg.DefaultCountry
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		s.writeError(w, r, errorf(KindInvalid, "settings must be a JSON object of known settings: "+err.Error(), err))
		return
	}
	if err := set.Validate(); err != nil {
		var fe cti.FieldErrors
		if errors.As(err, &fe) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid settings", "fields": fe})
			return
		}
		s.writeError(w, r, errorf(KindInvalid, err.Error(), err))
		return
	}
	if err := s.saveSettings(r.Context(), a.OrgID, set); err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "settings not saved; try again", err))
		return
	}
	s.log.Info("settings changed", "org_id", a.OrgID, "user_id", a.UserID)
	writeJSON(w, http.StatusOK, map[string]any{"settings": set})
}
