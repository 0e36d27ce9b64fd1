package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
)

// Linking an agent's Zoom account runs in a popup like the Salesforce
// sign-in (see popup.go). The softphone asks for a one-time ticket with its
// bearer token and submits it in a POST form aimed at its popup, so it
// never appears in a URL; /oauth/zoom/start binds the popup's browser with
// a cookie and goes on to Zoom; the callback's page hands the outcome to
// window.opener only, and the softphone then reads /api/me. The Zoom
// account is linked only when its login email matches the agent's
// Salesforce username or email (the org's Common Settings card);
// otherwise nothing is kept.

type zoomLinkState struct {
	OrgID    string `json:"org_id"`
	UserID   string `json:"user_id"`
	BindHash string `json:"bind_hash,omitempty"`
	Verifier string `json:"verifier,omitempty"`
}

type zoomOutcome struct {
	Linked  bool   `json:"linked"`
	Message string `json:"message,omitempty"`
}

const zoomSystemError = "Zoom is not answering right now (system error). Try again in a few minutes."

// handleZoomTicket answers POST /api/zoom/ticket: a one-time ticket for
// the softphone to POST to /oauth/zoom/start from its popup.
func (s *Server) handleZoomTicket(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentRecordForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.cfg.ZoomClientID == "" {
		s.writeError(w, r, errorf(KindUnavailable, "Zoom is not configured on this server (ZOOMCTI_ZOOM_CLIENT_ID)", nil))
		return
	}
	if s.zoom.clientRefused.Load() {
		// Zoom would refuse the code exchange: say so before the agent
		// goes through Zoom's consent for nothing.
		s.writeError(w, r, zoomClientError(zoom.ErrInvalidClient))
		return
	}
	ticket := randomToken()
	b, _ := json.Marshal(zoomLinkState{OrgID: a.OrgID, UserID: a.UserID})
	if err := s.store.Set(r.Context(), "zoomticket:"+hashKey(ticket), b, 2*time.Minute); err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"ticket": ticket, "action": "/oauth/zoom/start"})
}

// handleZoomStart answers POST /oauth/zoom/start (form: ticket), submitted
// by the softphone into its popup: bind this browser, then on to Zoom's
// consent page with PKCE and a state.
func (s *Server) handleZoomStart(w http.ResponseWriter, r *http.Request) {
	// Only the softphone's own page submits this form; another site
	// making a browser submit someone's ticket is refused.
	if r.Header.Get("Origin") != s.publicOrigin() {
		s.renderPopup(w, http.StatusForbidden, popupZoom, "This authorization was not started from the softphone. Close this window and press Authorize Zoom again.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	ticket := r.PostFormValue("ticket")
	raw, ok := s.takeOnce(r.Context(), "zoomticket:"+hashKey(ticket))
	if !ok || ticket == "" {
		s.renderPopup(w, http.StatusBadRequest, popupZoom, "This link has expired or was already used. Close this window and press Authorize Zoom again.")
		return
	}
	var st zoomLinkState
	_ = json.Unmarshal(raw, &st)
	bind := randomToken()
	st.BindHash = hashKey(bind)
	st.Verifier = oauth2.GenerateVerifier()
	state := randomToken()
	b, _ := json.Marshal(st)
	if err := s.store.Set(r.Context(), "zoomstate:"+hashKey(state), b, signinTTL); err != nil {
		s.renderPopup(w, http.StatusServiceUnavailable, popupZoom, "zoomcti cannot start the authorization right now. Try again in a minute.")
		return
	}
	s.setPopupCookie(w, popupZoom, bind, signinTTL)
	s.renderOnward(w, s.zoom.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(st.Verifier)))
}

var onwardPage = template.Must(template.New("onward").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zoomcti</title>
<link rel="stylesheet" href="/static/softphone.css"></head>
<body><main><p><a id="onward" href="{{.URL}}">Continue to Zoom</a></p></main>
<script nonce="{{.Nonce}}">location.replace({{.URL}});</script></body></html>`))

// renderOnward sends the popup on to Zoom from a page of ours rather than
// by redirecting the form POST: the softphone's form-action 'self' also
// covers where a form's response redirects to.
func (s *Server) renderOnward(w http.ResponseWriter, to string) {
	nonce := randomToken()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	_ = onwardPage.Execute(w, map[string]string{"URL": to, "Nonce": nonce})
}

// takeOnce reads and deletes key atomically enough for one-time values:
// only the caller whose delete succeeds gets the value.
func (s *Server) takeOnce(ctx context.Context, key string) ([]byte, bool) {
	raw, err := s.store.Get(ctx, key)
	if err != nil {
		return nil, false
	}
	if ok, err := s.store.CompareAndDelete(ctx, key, raw); err != nil || !ok {
		return nil, false
	}
	return raw, true
}

// handleZoomCallback answers GET /oauth/zoom/callback.
func (s *Server) handleZoomCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw, ok := s.takeOnce(r.Context(), "zoomstate:"+hashKey(q.Get("state")))
	if !ok || q.Get("state") == "" {
		s.renderPopup(w, http.StatusBadRequest, popupZoom, "This authorization has expired or was already used. Close this window and press Authorize Zoom again.")
		return
	}
	var st zoomLinkState
	_ = json.Unmarshal(raw, &st)
	bind, ok := s.popupBinding(r, popupZoom, st.BindHash)
	if !ok {
		s.renderPopup(w, http.StatusForbidden, popupZoom, "This authorization was not started in this browser. Close this window and press Authorize Zoom in the softphone.")
		return
	}
	out := s.linkZoom(r.Context(), st, q)
	if err := s.storePopupResult(r.Context(), popupZoom, bind, out); err != nil {
		s.renderPopup(w, http.StatusServiceUnavailable, popupZoom, "zoomcti could not finish. Try again in a minute.")
		return
	}
	s.renderPopup(w, http.StatusOK, popupZoom, "")
}

// handleZoomResult answers POST /oauth/zoom/result: the callback's page,
// holding the popup's cookie, picks up the outcome for its opener.
func (s *Server) handleZoomResult(w http.ResponseWriter, r *http.Request) {
	var out zoomOutcome
	if !s.takePopupResult(w, r, popupZoom, &out) {
		return
	}
	if !out.Linked {
		writeJSON(w, http.StatusOK, map[string]string{"status": "error", "message": out.Message})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "done", "done": "Zoom is linked."})
}

// linkZoom finishes the authorization: code → token → who is it → the
// identity rule → link, or refuse and keep nothing.
func (s *Server) linkZoom(ctx context.Context, st zoomLinkState, q map[string][]string) zoomOutcome {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if e := get("error"); e != "" {
		s.metrics.oauthRefused(flowZoomLink, e)
		if e == "access_denied" {
			return zoomOutcome{Message: "Zoom authorization was cancelled. Press Authorize Zoom to try again."}
		}
		return zoomOutcome{Message: "Zoom refused the authorization (" + e + "). Try again, or ask your admin."}
	}
	rec, err := s.agent(ctx, st.OrgID, st.UserID)
	if err != nil || rec == nil {
		return zoomOutcome{Message: "Sign in to Salesforce again, then authorize Zoom."}
	}
	tok, err := zoom.Exchange(oauthCtx(ctx, s.zoomHTTP), s.zoom.oauth, get("code"), st.Verifier)
	if errors.Is(err, zoom.ErrInvalidClient) {
		s.zoom.refuseClient(ctx)
		return zoomOutcome{Message: zoomClientRefused}
	}
	if err != nil {
		s.log.Warn("zoom code exchange failed", "err", err)
		return zoomOutcome{Message: zoomSystemError}
	}
	me, err := s.zoom.clientOver(oauth2.StaticTokenSource(tok), 20*time.Second, nil).Me(ctx)
	if se, ok := asScopeError(err); ok {
		// The grant is of no use without the scope: keep nothing. It is
		// not revoked: revoking uninstalls the app for that Zoom user,
		// which would also cut a link the agent (or another) already has,
		// and we cannot tell whose grant this is without users/me.
		s.noteZoomProblem(ctx, se.Advice())
		s.log.Warn("zoom link refused for a missing scope", "org_id", st.OrgID, "user_id", st.UserID, "scopes", se.Scopes)
		return zoomOutcome{Message: se.Advice()}
	}
	if err != nil {
		s.log.Warn("zoom users/me failed", "err", err)
		return zoomOutcome{Message: zoomSystemError}
	}
	other, err := s.AgentByZoomUser(ctx, me.ID)
	if err != nil {
		return zoomOutcome{Message: zoomSystemError}
	}
	linkedElsewhere := other != nil && other.Key() != rec.Key()
	set, err := s.settings(ctx, rec.OrgID)
	if err != nil {
		return zoomOutcome{Message: zoomSystemError}
	}
	if ok, compared := cti.IdentityMatches(me.Email, rec.Username, rec.Email, set.MatchZoomEmailToUsername); !ok {
		if !linkedElsewhere {
			// Revoking uninstalls the app for that Zoom user, which would
			// also cut a link another agent holds; only revoke a lone grant.
			s.revokeZoom(ctx, tok.AccessToken)
		}
		field, setting := "email", "off"
		if set.MatchZoomEmailToUsername {
			field, setting = "username", "on"
		}
		s.metrics.zoomMismatches.Inc()
		return zoomOutcome{Message: fmt.Sprintf(
			"Not linked: your Zoom login email (%s) does not match your Salesforce %s (%s). Your admin's setting \"Match the Zoom login email with the Salesforce username\" is %s. Authorize Zoom with the matching account, or ask your admin.",
			cti.MaskEmail(me.Email), field, cti.MaskEmail(compared), setting)}
	}
	if linkedElsewhere {
		return zoomOutcome{Message: "This Zoom account is already linked to another Salesforce user. Disconnect it there first."}
	}
	if rec.ZoomUserID != "" && rec.ZoomUserID != me.ID {
		s.unlinkZoom(ctx, rec, true, "") // one Zoom account per Salesforce user
	}
	if err := s.tokens.saveZoom(ctx, rec.OrgID, rec.UserID, tok); err != nil {
		return zoomOutcome{Message: zoomSystemError}
	}
	rec.ZoomUserID, rec.ZoomEmail, rec.ZoomReauth = me.ID, me.Email, ""
	if err := s.SaveAgent(ctx, *rec, nil); err != nil {
		return zoomOutcome{Message: zoomSystemError}
	}
	if err := s.LinkZoom(ctx, rec.Agent); err != nil {
		return zoomOutcome{Message: zoomSystemError}
	}
	s.log.Info("zoom linked", "org_id", rec.OrgID, "user_id", rec.UserID)
	s.pushZoomStatus(ctx, *rec)
	return zoomOutcome{Linked: true}
}

// handleZoomDisconnect answers POST /api/zoom/disconnect: revoke at Zoom
// and forget the tokens and Zoom identifiers at once. Tasks stay.
func (s *Server) handleZoomDisconnect(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentRecordForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.unlinkZoom(r.Context(), a, true, "Zoom disconnected."); err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "disconnect incomplete; try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"zoom": zoomView(*a)})
}

// unlinkZoom removes the agent's Zoom link: the tokens (revoked at Zoom
// first when revoke is set), the link, the Zoom ids in the agent's record
// and the call state that carries them. reason, when set, is told to the
// softphone.
func (s *Server) unlinkZoom(ctx context.Context, a *agentRecord, revoke bool, reason string) error {
	if revoke {
		if tok, err := s.tokens.loadZoom(ctx, a.OrgID, a.UserID); err == nil {
			s.revokeZoom(ctx, tok.AccessToken)
		}
	}
	keys := []string{zoomTokenKey(a.OrgID, a.UserID), presenceKey(a.Agent), cti.ActiveCallKey(a.Agent)}
	if a.ZoomUserID != "" {
		// Only drop the link if it is still ours.
		if owner, err := s.AgentByZoomUser(ctx, a.ZoomUserID); err == nil && owner != nil && owner.Key() == a.Key() {
			keys = append(keys, zoomLinkKey(a.ZoomUserID))
		}
	}
	calls, err := s.store.Keys(ctx, cti.CallKeyPrefix(a.Agent))
	if err != nil {
		return err
	}
	keys = append(keys, calls...)
	if err := s.store.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("delete zoom data: %w", err)
	}
	a.ZoomUserID, a.ZoomEmail, a.ZoomReauth = "", "", ""
	if err := s.SaveAgent(ctx, *a, nil); err != nil {
		return err
	}
	s.log.Info("zoom unlinked", "org_id", a.OrgID, "user_id", a.UserID)
	s.pushZoomStatus(ctx, *a, reason)
	return nil
}

func (s *Server) revokeZoom(ctx context.Context, accessToken string) {
	if s.zoom.clientRefused.Load() {
		return // Zoom refuses these credentials; told once already
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := zoom.Revoke(ctx, s.zoomHTTP, s.zoom.oauth, accessToken)
	switch {
	case errors.Is(err, zoom.ErrInvalidClient):
		s.zoom.refuseClient(ctx)
	case err != nil:
		s.log.Warn("zoom revoke failed", "err", err)
	}
}

// pushZoomStatus tells the agent's softphones about their Zoom link.
func (s *Server) pushZoomStatus(ctx context.Context, a agentRecord, message ...string) {
	msg := map[string]any{"type": "zoom", "zoom": zoomView(a)}
	if len(message) > 0 && message[0] != "" {
		msg["message"] = message[0]
	}
	if err := s.hub.Notify(ctx, a.Key(), msg); err != nil {
		s.log.Warn("push zoom status failed", "err", err)
	}
}

// handleUserEvent acts on Zoom's directory events for linked agents.
func (s *Server) handleUserEvent(ctx context.Context, ev cti.Event) error {
	zoomUser := ev.UserID
	if zoomUser == "" && ev.User != nil {
		zoomUser = ev.User.ID
	}
	if zoomUser == "" {
		return nil
	}
	ag, err := s.AgentByZoomUser(ctx, zoomUser)
	if err != nil || ag == nil {
		return err
	}
	a, err := s.agent(ctx, ag.OrgID, ag.UserID)
	if err != nil || a == nil {
		return err
	}
	switch ev.Kind {
	case cti.KindDeauthorize:
		// Zoom has already dropped the tokens: nothing to revoke.
		return s.unlinkZoom(ctx, a, false, "Zoom access was removed (the app was uninstalled or deauthorized). Authorize Zoom to link again.")
	case cti.KindUserDeleted:
		return s.unlinkZoom(ctx, a, true, "Your Zoom user was deleted; Zoom is no longer linked.")
	case cti.KindUserUpdated:
		if ev.User == nil || ev.User.Email == "" || ev.User.Email == a.ZoomEmail {
			return nil
		}
		set, err := s.settings(ctx, a.OrgID)
		if err != nil {
			return err
		}
		if ok, _ := cti.IdentityMatches(ev.User.Email, a.Username, a.Email, set.MatchZoomEmailToUsername); !ok {
			return s.unlinkZoom(ctx, a, true, fmt.Sprintf("Your Zoom login email changed to %s, which no longer matches your Salesforce user; Zoom is no longer linked.", cti.MaskEmail(ev.User.Email)))
		}
		a.ZoomEmail = ev.User.Email
		return s.SaveAgent(ctx, *a, nil)
	case cti.KindPresence:
		p := cti.NormalizePresence(ev.Presence)
		b, _ := json.Marshal(p)
		if err := s.store.Set(ctx, presenceKey(a.Agent), b, 24*time.Hour); err != nil {
			return err
		}
		return s.hub.Notify(ctx, a.Key(), map[string]any{"type": "presence", "presence": p})
	}
	return nil
}

// presence is the agent's last known Zoom presence, or nil.
func (s *Server) presence(ctx context.Context, a cti.Agent) *cti.Presence {
	var p cti.Presence
	if ok, err := getJSON(ctx, s.store, presenceKey(a), &p); !ok || err != nil {
		return nil
	}
	return &p
}

// zoomNeedsReauth marks the agent's link as needing a new authorization
// (Zoom refused the refresh token) and tells their softphone.
func (s *Server) zoomNeedsReauth(ctx context.Context, orgID, userID string) {
	a, err := s.agent(ctx, orgID, userID)
	if err != nil || a == nil {
		return
	}
	a.ZoomReauth = "Zoom no longer accepts this app's authorization. Press Authorize Zoom to renew it."
	if err := s.SaveAgent(ctx, *a, nil); err != nil {
		s.log.Error("cannot mark zoom link for re-authorization", "org_id", orgID, "user_id", userID, "err", err)
	}
	s.log.Warn("zoom authorization must be renewed", "org_id", orgID, "user_id", userID)
	s.pushZoomStatus(ctx, *a)
}

// saveZoomToken stores the agent's Zoom token (the demo and the load
// generator grant theirs directly).
func (s *Server) saveZoomToken(ctx context.Context, orgID, userID string, tok *oauth2.Token) error {
	return s.tokens.saveZoom(ctx, orgID, userID, tok)
}
