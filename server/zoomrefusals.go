package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
)

// Two of Zoom's refusals are about how the Zoom app or this server is set
// up, not about the moment: a scope missing from the Zoom app, and client
// credentials Zoom does not accept. Retrying changes nothing, so they are
// told in plain words to whoever can fix them (the agent, who passes it to
// the Zoom admin; the admin page; the operator's log), and zoomcti does not
// keep asking Zoom.

// zoomClientRefused is what everyone is told when Zoom refuses the app's
// client credentials. Configuration is read once at start, so the refusal
// stands until the operator fixes it and restarts.
const zoomClientRefused = "Zoom refused the app's client id or secret (ZOOMCTI_ZOOM_CLIENT_ID / ZOOMCTI_ZOOM_CLIENT_SECRET). " +
	"The operator must set the Zoom app's current credentials and restart zoomcti; until then Zoom cannot be linked or read. Nothing was lost."

// zoomProblemKey holds Zoom's last configuration refusal, for the admin
// page of every instance.
const zoomProblemKey = "zoomapp:problem"

// zoomProblemTTL is how long a refusal stays on the admin page without
// happening again.
const zoomProblemTTL = 7 * 24 * time.Hour

// zoomProblem is Zoom's last configuration refusal.
type zoomProblem struct {
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// noteZoomProblem records a configuration refusal for the admin page.
func (s *Server) noteZoomProblem(ctx context.Context, msg string) {
	b, _ := json.Marshal(zoomProblem{Message: msg, At: s.now().UTC()})
	if err := s.store.Set(context.WithoutCancel(ctx), zoomProblemKey, b, zoomProblemTTL); err != nil {
		s.log.Warn("cannot record the zoom refusal for the admin page", "err", err)
	}
}

// lastZoomProblem is Zoom's last configuration refusal, or nil.
func (s *Server) lastZoomProblem(ctx context.Context) *zoomProblem {
	var p zoomProblem
	if ok, err := getJSON(ctx, s.store, zoomProblemKey, &p); !ok || err != nil {
		return nil
	}
	return &p
}

// zoomClientError is the error of a call Zoom's refusal of the client
// credentials stopped.
func zoomClientError(err error) error {
	return errorf(KindUnavailable, zoomClientRefused, err)
}

// refuseClient records that Zoom refused the app's client credentials: it
// is logged once (without any secret), the admin page shows it, and no
// more requests with these credentials go to Zoom's token endpoint.
func (z *zoomAccess) refuseClient(ctx context.Context) {
	if z.clientRefused.Swap(true) {
		return
	}
	z.log.Error("Zoom refused the app's client id or secret: set ZOOMCTI_ZOOM_CLIENT_ID and ZOOMCTI_ZOOM_CLIENT_SECRET to the Zoom app's current credentials and restart; no Zoom token is requested until then",
		"client_id_set", z.oauth.ClientID != "", "client_secret_set", z.oauth.ClientSecret != "")
	if z.problem != nil {
		z.problem(ctx, zoomClientRefused)
	}
}

// zoomScopeMissing tells the agent whose stored Zoom grant lacks a scope
// what to do: the Zoom admin adds the scope, then the agent authorizes
// again (a grant keeps the scopes it was given). The admin page shows it
// too.
func (s *Server) zoomScopeMissing(ctx context.Context, orgID, userID string, se *zoom.ScopeError) {
	msg := se.Advice()
	s.noteZoomProblem(ctx, msg)
	a, err := s.agent(ctx, orgID, userID)
	if err != nil || a == nil || a.ZoomUserID == "" || a.ZoomReauth == msg {
		return // told already
	}
	a.ZoomReauth = msg
	if err := s.SaveAgent(ctx, *a, nil); err != nil {
		s.log.Error("cannot mark zoom link for re-authorization", "org_id", orgID, "user_id", userID, "err", err)
		return
	}
	s.log.Warn("zoom refused a call for a missing scope", "org_id", orgID, "user_id", userID, "scopes", se.Scopes)
	s.pushZoomStatus(ctx, *a)
}

// asScopeError finds Zoom's missing-scope refusal in err.
func asScopeError(err error) (*zoom.ScopeError, bool) {
	var se *zoom.ScopeError
	ok := errors.As(err, &se)
	return se, ok
}
