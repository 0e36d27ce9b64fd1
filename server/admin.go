package server

import (
	"context"
	"net/http"

	"github.com/zoomcti/zoomcti/cti"
)

// requireAdmin resolves the bearer token to an agent holding the admin
// permission set, or answers 401/403.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) (*agentRecord, bool) {
	a, err := s.agentRecordForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	if !a.Admin {
		s.writeError(w, r, errorf(KindForbidden, "only admins (permission set "+s.cfg.SFAdminPermissionSet+") may do this", nil))
		return nil, false
	}
	return a, true
}

// handleAdminStatus answers GET /api/admin/status: how the integration is
// doing for the admin's org.
func (s *Server) handleAdminStatus(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	out := map[string]any{"org_id": a.OrgID}
	if lim, err := s.orgLimits(ctx, a.OrgID); err == nil && lim != nil {
		out["api_usage"] = lim
	}
	_, err := s.store.Get(ctx, orgPauseKey(a.OrgID))
	out["api_paused"] = err == nil
	queues := map[string]int{}
	for _, q := range []string{ringQueue, eventQueue, cti.OutboxQueue} {
		n, err := s.store.Len(ctx, q)
		if err != nil {
			s.writeError(w, r, errorf(KindUnavailable, "store unavailable", err))
			return
		}
		queues[q] = n
	}
	out["queues"] = queues
	if p := s.lastZoomProblem(ctx); p != nil {
		out["zoom_refusal"] = p // a missing scope, refused credentials: for the admin to fix
	}
	out["counters"] = s.metrics.snapshot()
	writeJSON(w, http.StatusOK, out)
}

// orgLimits is the org's last reported API usage, or nil.
func (s *Server) orgLimits(ctx context.Context, orgID string) (*orgLimits, error) {
	var l orgLimits
	if ok, err := getJSON(ctx, s.store, orgLimitsKey(orgID), &l); !ok || err != nil {
		return nil, err
	}
	return &l, nil
}
