package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce"
)

// The agent signs in to Salesforce in a first-party popup (the softphone's
// frame cannot keep third-party cookies). Only the window that opened the
// popup may get its result: the start binds the popup's browser to the
// OAuth state with an HttpOnly cookie, the callback requires that cookie,
// and the last page hands the result to window.opener with postMessage,
// addressed to our own origin (see popup.go). Nothing secret travels in a
// URL, and no endpoint hands a result to whoever presents a key.

const (
	signinTTL    = 10 * time.Minute // from start to callback
	signinCookie = "zoomcti_signin"
)

type signinState struct {
	Verifier string    `json:"verifier"`
	LoginURL string    `json:"login_url"` // the connected org signed in to
	BindHash string    `json:"bind_hash"` // hash of the popup's cookie
	Started  time.Time `json:"started"`
}

// signinOutcome is what the popup's last page picks up, once.
type signinOutcome struct {
	Message string `json:"message,omitempty"`
	OrgID   string `json:"org_id,omitempty"`
	UserID  string `json:"user_id,omitempty"`
}

func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// handleSigninStart answers GET /oauth/salesforce/start: the popup's first
// page; it binds this browser to a new state and sends the agent to
// Salesforce with PKCE.
func (s *Server) handleSigninStart(w http.ResponseWriter, r *http.Request) {
	if s.orgs.list[0].ClientID == "" {
		s.renderPopup(w, http.StatusServiceUnavailable, popupSignin, "Salesforce sign-in is not configured on this server (ZOOMCTI_SF_CLIENT_ID). Ask your admin.")
		return
	}
	// The softphone says which org's console it runs in; that org's app
	// signs the agent in.
	org, err := s.orgs.forOrigin(r.URL.Query().Get("origin"))
	if err != nil {
		s.renderPopup(w, http.StatusBadRequest, popupSignin, strings.TrimPrefix(err.Error(), errUnknownOrg.Error()+": ")+".")
		return
	}
	state := randomToken()
	verifier := oauth2.GenerateVerifier()
	bind := randomToken()
	b, _ := json.Marshal(signinState{Verifier: verifier, LoginURL: s.orgs.list[org].LoginURL, BindHash: hashKey(bind), Started: s.now()})
	if err := s.store.Set(r.Context(), "signin:"+hashKey(state), b, signinTTL); err != nil {
		s.log.Error("cannot store sign-in state", "err", err)
		s.renderPopup(w, http.StatusServiceUnavailable, popupSignin, "zoomcti cannot start the sign-in right now. Try again in a minute.")
		return
	}
	s.setPopupCookie(w, popupSignin, bind, signinTTL)
	u := s.orgs.oauth[org].AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("display", "popup"))
	http.Redirect(w, r, u, http.StatusFound)
}

// handleSigninCallback answers GET /oauth/salesforce/callback.
func (s *Server) handleSigninCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// The state is single use: whoever deletes it owns the callback.
	raw, ok := s.takeOnce(r.Context(), "signin:"+hashKey(q.Get("state")))
	if !ok || q.Get("state") == "" {
		s.renderPopup(w, http.StatusBadRequest, popupSignin, "This sign-in has expired or was already used. Close this window and press Sign in again.")
		return
	}
	var st signinState
	_ = json.Unmarshal(raw, &st)
	bind, ok := s.popupBinding(r, popupSignin, st.BindHash)
	if !ok {
		// A sign-in started in another browser (someone sent this link):
		// its result must not go anywhere.
		s.renderPopup(w, http.StatusForbidden, popupSignin, "This sign-in was not started in this browser. Close this window and press Sign in in the softphone.")
		return
	}
	finish := func(out signinOutcome) {
		if err := s.storePopupResult(r.Context(), popupSignin, bind, out); err != nil {
			s.log.Error("cannot store sign-in result", "err", err)
			s.renderPopup(w, http.StatusServiceUnavailable, popupSignin, "zoomcti could not finish the sign-in. Try again in a minute.")
			return
		}
		s.renderPopup(w, http.StatusOK, popupSignin, "")
	}
	if e := q.Get("error"); e != "" {
		s.metrics.oauthRefused(flowSignin, e)
		finish(signinOutcome{Message: signinErrorMessage(e, q.Get("error_description"))})
		return
	}
	a, msg := s.completeSignin(r.Context(), q.Get("code"), st.Verifier, s.orgs.forLoginURL(st.LoginURL))
	if a == nil {
		finish(signinOutcome{Message: msg})
		return
	}
	s.log.Info("agent signed in", "org_id", a.OrgID, "user_id", a.UserID, "admin", a.Admin)
	finish(signinOutcome{OrgID: a.OrgID, UserID: a.UserID})
}

// handleSigninResult answers POST /oauth/salesforce/result: the popup's
// last page, holding the browser's cookie, picks up the outcome once and
// posts it to its opener. The session is made only now, so a popup
// without an opener (which never asks) leaves none behind.
func (s *Server) handleSigninResult(w http.ResponseWriter, r *http.Request) {
	var out signinOutcome
	if !s.takePopupResult(w, r, popupSignin, &out) {
		return
	}
	if out.Message != "" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "error", "message": out.Message})
		return
	}
	a, err := s.agent(r.Context(), out.OrgID, out.UserID)
	if err != nil || a == nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	token, err := s.newSession(r.Context(), a.Agent)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "could not finish the sign-in; try again", err))
		return
	}
	done := "Signed in."
	if a.Name != "" {
		done = "Signed in as " + a.Name + "."
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "done", "token": token, "agent": agentView(*a), "done": done})
}

// signinErrorMessage says, in the agent's terms, what went wrong at
// Salesforce and what to do.
func signinErrorMessage(code, desc string) string {
	switch {
	case code == "access_denied":
		return "Sign-in was cancelled. Press Sign in to try again."
	case strings.Contains(strings.ToLower(desc), "must be installed"):
		return "Your Salesforce admin must install the zoomcti app in this org before agents can sign in (Setup → Connected Apps OAuth Usage → Install, or an External Client App). Then try again."
	case code == "invalid_client_id" || code == "invalid_client":
		return "Salesforce does not know this zoomcti server's app (check ZOOMCTI_SF_CLIENT_ID and the login URL). Ask your admin."
	case code == "redirect_uri_mismatch":
		return "The callback URL of the zoomcti app in Salesforce does not match this server. Ask your admin."
	}
	if desc == "" {
		desc = code
	}
	return "Salesforce refused the sign-in (" + desc + "). Try again, or ask your admin."
}

// completeSignin trades the code for tokens, checks who signed in and
// stores the agent. It returns the agent, or nil and what to tell them.
func (s *Server) completeSignin(ctx context.Context, code, verifier string, org int) (*agentRecord, string) {
	app, conf := s.orgs.oauth[org], s.orgs.list[org]
	const tryAgain = "Salesforce sign-in failed. Close this window and try again in a minute."
	if code == "" {
		return nil, tryAgain
	}
	tok, err := app.Exchange(oauthCtx(ctx, s.sfHTTP), code, oauth2.VerifierOption(verifier))
	if err != nil {
		s.log.Warn("salesforce code exchange failed", "err", err)
		return nil, tryAgain
	}
	instance := salesforce.InstanceURL(tok)
	if _, err := url.Parse(instance); err != nil || instance == "" {
		s.log.Warn("salesforce token without instance_url")
		return nil, tryAgain
	}
	revoke := func() { s.revokeSF(context.WithoutCancel(ctx), app, tok.RefreshToken, tok.AccessToken) }
	if granted, ok := tok.Extra("scope").(string); ok {
		if missing := salesforce.MissingScopes(granted); len(missing) > 0 {
			s.log.Warn("salesforce grant lacks scopes", "granted", granted, "missing", strings.Join(missing, " "))
			revoke()
			return nil, salesforce.MissingScopeMessage(missing...)
		}
	}
	cl := s.crm.newClient(instance, salesforce.NewTokenSource(app, tok, nil), "")
	info, err := cl.UserInfo(ctx)
	if scope := missingScope(err); scope != "" {
		revoke()
		return nil, salesforce.MissingScopeMessage(scope)
	}
	if err != nil {
		s.log.Warn("salesforce userinfo failed", "err", err)
		revoke()
		return nil, tryAgain
	}
	if len(s.cfg.SFOrgIDs) > 0 && !slices.ContainsFunc(s.cfg.SFOrgIDs, func(id string) bool { return sameID(id, info.OrgID) }) {
		revoke()
		return nil, fmt.Sprintf("You signed in to a Salesforce org (%s) that is not connected to this zoomcti. Sign in with your company's org (check the login domain: production, sandbox or My Domain), or ask your admin.", info.OrgID)
	}
	if conf.OrgID != "" && !sameID(conf.OrgID, info.OrgID) {
		revoke()
		return nil, fmt.Sprintf("You signed in to a Salesforce org (%s) other than %s, the org this softphone runs in. Sign in with your user of %s.", info.OrgID, conf.Name, conf.Name)
	}
	err = cl.CheckDataAPI(ctx, info.UserID)
	if errors.Is(err, salesforce.KindAPIDisabled) {
		revoke()
		return nil, "API access is not enabled for your Salesforce user, and the softphone needs it. Ask your admin for the \"API Enabled\" permission, then sign in again."
	}
	if scope := missingScope(err); scope != "" {
		revoke()
		return nil, salesforce.MissingScopeMessage(scope)
	}
	if err != nil {
		s.log.Warn("salesforce data API check failed", "org_id", info.OrgID, "err", err)
		revoke()
		return nil, tryAgain
	}
	admin, err := s.isAdmin(ctx, cl, info.OrgID, info.UserID)
	if scope := missingScope(err); scope != "" {
		revoke()
		return nil, salesforce.MissingScopeMessage(scope)
	}
	if err != nil {
		s.log.Warn("admin check failed", "org_id", info.OrgID, "err", err)
		revoke()
		return nil, tryAgain
	}
	rec := agentRecord{}
	if old, err := s.agent(ctx, info.OrgID, info.UserID); err == nil && old != nil {
		rec = *old // keep the Zoom link and preferences
	}
	rec.OrgID, rec.UserID, rec.Username, rec.Email, rec.Name = info.OrgID, info.UserID, info.Username, info.Email, info.Name
	rec.InstanceURL, rec.Admin, rec.SignInRequired, rec.SignedIn = instance, admin, "", s.now()
	rec.LoginURL = conf.LoginURL
	rec.AdminChecked = s.now()
	s.crm.forget(rec.OrgID, rec.UserID)
	if err := s.SaveAgent(ctx, rec, tok); err != nil {
		s.log.Error("cannot save agent", "err", err)
		revoke()
		return nil, tryAgain
	}
	return &rec, ""
}

// missingScope names the OAuth scope whose absence made Salesforce refuse
// err's call, or "".
func missingScope(err error) string {
	var se *salesforce.Error
	if errors.As(err, &se) {
		return se.MissingScope()
	}
	return ""
}

// sameID compares Salesforce ids, 15- or 18-character.
func sameID(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

// revokeSF revokes tokens at Salesforce; failures are logged, not fatal.
func (s *Server) revokeSF(ctx context.Context, app *oauth2.Config, tokens ...string) {
	if err := salesforce.Revoke(ctx, s.sfHTTP, app, tokens...); err != nil {
		s.log.Warn("salesforce revoke failed", "err", err)
	}
}

// handleSignout answers POST /api/signout: revokes the agent's Salesforce
// tokens, forgets them and ends the session. The Zoom link, Tasks and call
// logs waiting in the outbox stay.
func (s *Server) handleSignout(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	a, err := s.agentForToken(r.Context(), token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if tok, err := s.tokens.loadSF(r.Context(), a.OrgID, a.UserID); err == nil {
		s.revokeSF(r.Context(), s.agentOAuth(r.Context(), a.OrgID, a.UserID), tok.RefreshToken, tok.AccessToken)
	}
	s.signedOut(r.Context(), a.OrgID, a.UserID, "You signed out.")
	if err := s.store.Delete(r.Context(), sessionKey(token)); err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "sign-out incomplete; try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed_out"})
}
