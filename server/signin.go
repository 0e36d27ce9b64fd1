package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce"
	"github.com/zoomcti/zoomcti/server/store"
)

// The agent signs in to Salesforce in a first-party popup (the softphone's
// frame cannot keep third-party cookies). The softphone makes up a secret
// poll key, opens /oauth/salesforce/start?poll=KEY in the popup, and polls
// /api/session/poll with the key until the popup's flow has finished; the
// popup only nudges it with a postMessage that carries nothing secret, so
// the flow works even when a login page severs window.opener.

const (
	signinTTL    = 10 * time.Minute // from start to callback
	signinResult = 5 * time.Minute  // how long a finished sign-in waits to be picked up
)

type signinState struct {
	Verifier string    `json:"verifier"`
	PollHash string    `json:"poll_hash"`
	Started  time.Time `json:"started"`
}

// signinOutcome is what the softphone's poll picks up.
type signinOutcome struct {
	Token   string `json:"token,omitempty"` // sealed in the store
	Message string `json:"message,omitempty"`
	OrgID   string `json:"org_id,omitempty"`
	UserID  string `json:"user_id,omitempty"`
}

func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// handleSigninStart answers GET /oauth/salesforce/start: the popup's first
// page; it sends the agent to Salesforce with PKCE and a state.
func (s *Server) handleSigninStart(w http.ResponseWriter, r *http.Request) {
	poll := r.URL.Query().Get("poll")
	if len(poll) < 32 || len(poll) > 128 {
		s.renderSignin(w, http.StatusBadRequest, "", "This sign-in link is incomplete. Close this window and press Sign in again.")
		return
	}
	if s.cfg.SFClientID == "" {
		s.renderSignin(w, http.StatusServiceUnavailable, "", "Salesforce sign-in is not configured on this server (ZOOMCTI_SF_CLIENT_ID). Ask your admin.")
		return
	}
	state := randomToken()
	verifier := oauth2.GenerateVerifier()
	b, _ := json.Marshal(signinState{Verifier: verifier, PollHash: hashKey(poll), Started: s.now()})
	if err := s.store.Set(r.Context(), "signin:"+hashKey(state), b, signinTTL); err != nil {
		s.log.Error("cannot store sign-in state", "err", err)
		s.renderSignin(w, http.StatusServiceUnavailable, "", "zoomcti cannot start the sign-in right now. Try again in a minute.")
		return
	}
	u := s.crm.oauthConfig().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("display", "popup"))
	http.Redirect(w, r, u, http.StatusFound)
}

// handleSigninCallback answers GET /oauth/salesforce/callback.
func (s *Server) handleSigninCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	stateKey := "signin:" + hashKey(q.Get("state"))
	raw, err := s.store.Get(r.Context(), stateKey)
	if err != nil || q.Get("state") == "" {
		s.renderSignin(w, http.StatusBadRequest, "", "This sign-in has expired or was already used. Close this window and press Sign in again.")
		return
	}
	// The state is single use: whoever deletes it owns the callback.
	if ok, err := s.store.CompareAndDelete(r.Context(), stateKey, raw); err != nil || !ok {
		s.renderSignin(w, http.StatusBadRequest, "", "This sign-in was already used. Close this window and press Sign in again.")
		return
	}
	var st signinState
	_ = json.Unmarshal(raw, &st)
	finish := func(out signinOutcome, status int, name string) {
		if out.Token != "" {
			out.Token = base64.StdEncoding.EncodeToString(s.sealer.seal("signinpoll", []byte(out.Token)))
		}
		b, _ := json.Marshal(out)
		if err := s.store.Set(r.Context(), "signinpoll:"+st.PollHash, b, signinResult); err != nil {
			s.log.Error("cannot store sign-in result", "err", err)
			s.renderSignin(w, http.StatusServiceUnavailable, "", "zoomcti could not finish the sign-in. Try again in a minute.")
			return
		}
		s.renderSignin(w, status, name, out.Message)
	}
	if e := q.Get("error"); e != "" {
		s.metrics.add(oauthErrorCounter("signin_refused:", e), 1)
		finish(signinOutcome{Message: signinErrorMessage(e, q.Get("error_description"))}, http.StatusOK, "")
		return
	}
	a, msg := s.completeSignin(r.Context(), q.Get("code"), st.Verifier)
	if a == nil {
		finish(signinOutcome{Message: msg}, http.StatusOK, "")
		return
	}
	token, err := s.newSession(r.Context(), a.Agent)
	if err != nil {
		s.log.Error("cannot create session", "err", err)
		finish(signinOutcome{Message: "zoomcti could not finish the sign-in. Try again in a minute."}, http.StatusOK, "")
		return
	}
	s.log.Info("agent signed in", "org_id", a.OrgID, "user_id", a.UserID, "admin", a.Admin)
	finish(signinOutcome{Token: token, OrgID: a.OrgID, UserID: a.UserID}, http.StatusOK, a.Name)
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
func (s *Server) completeSignin(ctx context.Context, code, verifier string) (*agentRecord, string) {
	const tryAgain = "Salesforce sign-in failed. Close this window and try again in a minute."
	if code == "" {
		return nil, tryAgain
	}
	tok, err := s.crm.oauthConfig().Exchange(oauthCtx(ctx, s), code, oauth2.VerifierOption(verifier))
	if err != nil {
		s.log.Warn("salesforce code exchange failed", "err", err)
		return nil, tryAgain
	}
	instance, _ := tok.Extra("instance_url").(string)
	if _, err := url.Parse(instance); err != nil || instance == "" {
		s.log.Warn("salesforce token without instance_url")
		return nil, tryAgain
	}
	revoke := func() { s.revokeSF(context.WithoutCancel(ctx), tok.RefreshToken, tok.AccessToken) }
	cl := s.crm.newClient(instance, salesforce.NewTokenSource(s.crm.oauthConfig(), tok, nil), "")
	info, err := cl.UserInfo(ctx)
	if err != nil {
		s.log.Warn("salesforce userinfo failed", "err", err)
		revoke()
		return nil, tryAgain
	}
	if len(s.cfg.SFOrgIDs) > 0 && !slices.ContainsFunc(s.cfg.SFOrgIDs, func(id string) bool { return sameID(id, info.OrgID) }) {
		revoke()
		return nil, fmt.Sprintf("You signed in to a Salesforce org (%s) that is not connected to this zoomcti. Sign in with your company's org (check the login domain: production, sandbox or My Domain), or ask your admin.", info.OrgID)
	}
	admin, err := s.isAdmin(ctx, cl, info.UserID)
	if salesforce.IsKind(err, salesforce.KindAPIDisabled) {
		revoke()
		return nil, "API access is not enabled for your Salesforce user, and the softphone needs it. Ask your admin for the \"API Enabled\" permission, then sign in again."
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
	s.crm.forget(rec.OrgID, rec.UserID)
	if err := s.SaveAgent(ctx, rec, tok); err != nil {
		s.log.Error("cannot save agent", "err", err)
		revoke()
		return nil, tryAgain
	}
	return &rec, ""
}

// sameID compares Salesforce ids, 15- or 18-character.
func sameID(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

// isAdmin reports whether the user holds the admin permission set.
func (s *Server) isAdmin(ctx context.Context, cl *salesforce.Client, userID string) (bool, error) {
	q := fmt.Sprintf("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '%s' AND PermissionSet.Name = '%s' LIMIT 1",
		salesforce.EscapeSOQL(userID), salesforce.EscapeSOQL(s.cfg.SFAdminPermissionSet))
	recs, err := cl.Query(ctx, q)
	return len(recs) > 0, err
}

// revokeSF revokes tokens at Salesforce; failures are logged, not fatal.
func (s *Server) revokeSF(ctx context.Context, tokens ...string) {
	for _, t := range tokens {
		if t == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.SFLoginURL+"/services/oauth2/revoke",
			strings.NewReader(url.Values{"token": {t}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := s.http.Do(req)
		cancel()
		if err != nil {
			s.log.Warn("salesforce revoke failed", "err", err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			s.log.Warn("salesforce revoke refused", "status", resp.StatusCode)
		}
		return // revoking the refresh token revokes its access tokens too
	}
}

// handleSessionPoll answers POST /api/session/poll {poll}: the softphone
// picks up the result of its sign-in popup, once.
func (s *Server) handleSessionPoll(w http.ResponseWriter, r *http.Request) {
	poll, ok := s.pollKey(w, r)
	if !ok {
		return
	}
	key := "signinpoll:" + hashKey(poll)
	raw, err := s.store.Get(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "pending"})
		return
	}
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	if ok, err := s.store.CompareAndDelete(r.Context(), key, raw); err != nil || !ok {
		writeJSON(w, http.StatusOK, map[string]string{"status": "pending"})
		return
	}
	var out signinOutcome
	_ = json.Unmarshal(raw, &out)
	if out.Token == "" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "error", "message": out.Message})
		return
	}
	sealed, err := base64.StdEncoding.DecodeString(out.Token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	token, err := s.sealer.open("signinpoll", sealed)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.agent(r.Context(), out.OrgID, out.UserID)
	if err != nil || a == nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "done", "token": string(token), "agent": agentView(*a)})
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
	if tok, err := s.loadSFToken(r.Context(), a.OrgID, a.UserID); err == nil {
		s.revokeSF(r.Context(), tok.RefreshToken, tok.AccessToken)
	}
	s.signedOut(r.Context(), a.OrgID, a.UserID, "You signed out.")
	if err := s.store.Delete(r.Context(), sessionKey(token)); err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "sign-out incomplete; try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed_out"})
}

var signinPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zoomcti sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/softphone.css"></head>
<body><header class="bar"><span class="title">Zoom Phone for Salesforce</span></header>
<main>{{if .Message}}<p class="error" role="alert" id="signin-result">{{.Message}}</p>
{{else}}<p id="signin-result">{{.Done}} You can close this window.</p>{{end}}
<p class="muted">This window closes by itself.</p></main>
<script nonce="{{.Nonce}}">
if (window.opener) { try { window.opener.postMessage({type: "zoomcti:signin-done"}, {{.Origin}}); } catch (e) {} }
setTimeout(function () { window.close(); }, {{if .Message}}6000{{else}}800{{end}});
</script></body></html>`))

// renderSignin shows the sign-in popup's last page.
func (s *Server) renderSignin(w http.ResponseWriter, status int, name, message string) {
	done := "Signed in."
	if name != "" {
		done = "Signed in as " + name + "."
	}
	s.renderPopup(w, status, done, message)
}

// renderPopup shows a popup's last page: done on success, else message. It
// nudges the softphone, which then polls for the outcome.
func (s *Server) renderPopup(w http.ResponseWriter, status int, done, message string) {
	nonce := randomToken()
	origin := s.cfg.PublicURL
	if u, err := url.Parse(s.cfg.PublicURL); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = signinPage.Execute(w, map[string]string{"Done": done, "Message": message, "Nonce": nonce, "Origin": origin})
}

// pollKey reads the {"poll": key} body of the popup endpoints: a secret the
// softphone made up, at least 128 bits.
func (s *Server) pollKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Poll string `json:"poll"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil || len(in.Poll) < 32 || len(in.Poll) > 128 {
		s.writeError(w, r, errorf(KindInvalid, "poll key missing", err))
		return "", false
	}
	return in.Poll, true
}
