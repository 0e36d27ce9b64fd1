package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
)

// adminRecheck is how long an agent's admin rights are trusted before
// Salesforce is asked again: an admin whose custom permission is removed
// (or whose permission set is unassigned, or the app un-associated) loses
// admin rights within it. Salesforce sends no expires_in, so a token
// refresh cannot be counted on to come this often; a refresh only makes the
// next check come sooner (adminStale).
const adminRecheck = 10 * time.Minute

// requireAdmin resolves the bearer token to an agent holding the admin
// custom permission, or answers 401/403. Admin rights older than
// adminRecheck are read again from Salesforce first.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) (*agentRecord, bool) {
	a, err := s.agentRecordForToken(r.Context(), bearer(r))
	if err == nil {
		a, err = s.freshAdmin(r.Context(), a)
	}
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	if !a.Admin {
		s.writeError(w, r, errorf(KindForbidden, "only admins (custom permission "+s.cfg.SFAdminCustomPermission+", in the admin permission set) may do this", nil))
		return nil, false
	}
	return a, true
}

// isAdmin reads from the user's identity URL whether they hold the admin
// custom permission (salesforce.Client.Identity).
func (s *Server) isAdmin(ctx context.Context, cl *salesforce.Client, orgID, userID string) (bool, error) {
	id, err := cl.Identity(ctx, orgID, userID)
	if err != nil {
		return false, err
	}
	if id.CustomPermissions == nil {
		// No custom_permissions scope in the grant: nobody can be told
		// an admin. The setup guide lists the scope.
		s.log.Warn("salesforce identity carries no custom_permissions; select the custom_permissions scope in the External Client App", "org_id", orgID, "user_id", userID)
	} else if _, listed := id.CustomPermissions[s.cfg.SFAdminCustomPermission]; !listed {
		s.log.Debug("the admin custom permission is not associated with the External Client App", "org_id", orgID, "permission", s.cfg.SFAdminCustomPermission)
	}
	return id.HasCustomPermission(s.cfg.SFAdminCustomPermission), nil
}

// freshAdmin returns a with its admin rights read again from Salesforce
// when they were last read adminRecheck ago or more (or a token refresh
// marked them stale), and stored. Only an admin is checked again: an agent
// becomes an admin by signing in again. When Salesforce cannot be asked,
// admin rights are not granted on old news: the error comes back.
func (s *Server) freshAdmin(ctx context.Context, a *agentRecord) (*agentRecord, error) {
	if !a.Admin || s.now().Sub(a.AdminChecked) < adminRecheck {
		return a, nil
	}
	var admin bool
	err := s.crm.call(ctx, a.Agent, func(cl *salesforce.Client) error {
		var err error
		admin, err = s.isAdmin(ctx, cl, a.OrgID, a.UserID)
		return err
	})
	if err != nil {
		if errors.Is(err, cti.ErrSignedOut) {
			return nil, errorf(KindUnauthorized, "sign in again", err)
		}
		return nil, errorf(KindUnavailable, "cannot confirm your admin rights with Salesforce; try again", err)
	}
	fresh := *a
	fresh.Admin, fresh.AdminChecked = admin, s.now()
	if !admin {
		s.log.Info("admin rights withdrawn in salesforce", "org_id", a.OrgID, "user_id", a.UserID)
	}
	if err := s.SaveAgent(ctx, fresh, nil); err != nil {
		return nil, errorf(KindUnavailable, "store unavailable", err)
	}
	return &fresh, nil
}

// adminStale makes the next admin request read the agent's admin rights
// from Salesforce again: called after each Salesforce token refresh.
func (s *Server) adminStale(ctx context.Context, orgID, userID string) {
	a, err := s.agent(ctx, orgID, userID)
	if err != nil || a == nil || !a.Admin || a.AdminChecked.IsZero() {
		return
	}
	a.AdminChecked = time.Time{}
	if err := s.SaveAgent(ctx, *a, nil); err != nil {
		s.log.Warn("cannot mark admin rights for a re-check", "org_id", orgID, "user_id", userID, "err", err)
	}
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
	// The org's own last hour (GET /api/admin/health has the series):
	// another org's figures are never shown, nor the instance's.
	totals, err := s.lastHourTotals(ctx, a.OrgID)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "store unavailable", err))
		return
	}
	out["counters"] = totals
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
