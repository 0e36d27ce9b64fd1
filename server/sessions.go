package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// sessionTTL bounds a softphone session; the agent signs in again after it.
const sessionTTL = 12 * time.Hour

// session is what a softphone's bearer token stands for. The token itself
// is never stored: only its SHA-256, so a store dump reveals no sessions.
type session struct {
	OrgID   string    `json:"org_id"`
	UserID  string    `json:"user_id"`
	Created time.Time `json:"created"`
	Epoch   string    `json:"epoch,omitempty"` // the agent's session epoch when it was made
}

// sessionEpoch is the agent's current epoch ("" before any sign-out).
func (s *Server) sessionEpoch(ctx context.Context, a cti.Agent) (string, error) {
	b, err := s.store.Get(ctx, sessionEpochKey(a))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return string(b), err
}

// endSessions ends every session and open softphone of the agent, on
// every instance: a new epoch voids the sessions (each instance checks it
// on every request and on each websocket's ping tick), and the hub tells
// every instance to close the agent's sockets now.
func (s *Server) endSessions(ctx context.Context, a cti.Agent) error {
	if err := s.store.Set(ctx, sessionEpochKey(a), []byte(randomToken()), 0); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if err := s.hub.closeAgent(ctx, a.Key(), closeAuthFail); err != nil {
		s.log.Warn("cannot tell the instances to close the agent's softphones", "org_id", a.OrgID, "user_id", a.UserID, "err", err)
	}
	return nil
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "session:" + hex.EncodeToString(sum[:])
}

// newSession creates a session for agent and returns its bearer token. The
// softphone lives in a frame where third-party cookies are blocked, so it
// carries the token itself (in memory) instead of a cookie.
func (s *Server) newSession(ctx context.Context, a cti.Agent) (string, error) {
	epoch, err := s.sessionEpoch(ctx, a)
	if err != nil {
		return "", fmt.Errorf("read session epoch: %w", err)
	}
	token := randomToken()
	v, _ := json.Marshal(session{OrgID: a.OrgID, UserID: a.UserID, Created: s.now(), Epoch: epoch})
	if err := s.store.Set(ctx, sessionKey(token), v, sessionTTL); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return token, nil
}

// agentForToken resolves a bearer token to its signed-in agent.
func (s *Server) agentForToken(ctx context.Context, token string) (*cti.Agent, error) {
	a, err := s.agentRecordForToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return &a.Agent, nil
}

// agentRecordForToken is agentForToken with everything the store knows.
func (s *Server) agentRecordForToken(ctx context.Context, token string) (*agentRecord, error) {
	if token == "" || len(token) > 200 {
		return nil, errorf(KindUnauthorized, "sign in required", nil)
	}
	b, err := s.store.Get(ctx, sessionKey(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(KindUnauthorized, "session expired; sign in again", nil)
	}
	if err != nil {
		return nil, errorf(KindUnavailable, "session store unavailable", err)
	}
	var sess session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, errorf(KindUnauthorized, "session unreadable; sign in again", err)
	}
	epoch, err := s.sessionEpoch(ctx, cti.Agent{OrgID: sess.OrgID, UserID: sess.UserID})
	if err != nil {
		return nil, errorf(KindUnavailable, "session store unavailable", err)
	}
	if epoch != sess.Epoch {
		return nil, errorf(KindUnauthorized, "signed out; sign in again", nil)
	}
	a, err := s.agent(ctx, sess.OrgID, sess.UserID)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, errorf(KindUnauthorized, "agent no longer exists; sign in again", nil)
	}
	return a, nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// handleMe answers GET /api/me: who the softphone is signed in as.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentRecordForToken(r.Context(), bearer(r))
	if err == nil {
		a, err = s.freshAdmin(r.Context(), a)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, agentView(*a))
}

// agentView is what the softphone may know about its agent.
func agentView(a agentRecord) map[string]any {
	return map[string]any{
		"org_id": a.OrgID, "user_id": a.UserID, "name": a.Name, "username": a.Username,
		"email": a.Email, "admin": a.Admin, "sign_in_required": a.SignInRequired,
		"zoom": zoomView(a),
	}
}

// zoomView is the agent's Zoom link as the softphone shows it.
func zoomView(a agentRecord) map[string]any {
	status := "not_linked"
	switch {
	case a.ZoomUserID != "" && a.ZoomReauth != "":
		status = "needs_reauth"
	case a.ZoomUserID != "":
		status = "linked"
	}
	return map[string]any{"status": status, "email": a.ZoomEmail, "message": a.ZoomReauth}
}

// handleDemoSession answers POST /api/demo/session (demo only): signs the
// softphone in as the demo agent, standing in for the Salesforce sign-in.
func (s *Server) handleDemoSession(w http.ResponseWriter, r *http.Request) {
	s.demoSession(w, r, s.demoAgent)
}

// demoSession signs the page in as who, a user the demo enrolled.
func (s *Server) demoSession(w http.ResponseWriter, r *http.Request, who *cti.Agent) {
	if who == nil {
		s.writeError(w, r, errorf(KindNotFound, "no demo agent", nil))
		return
	}
	a, err := s.agent(r.Context(), who.OrgID, who.UserID)
	if err != nil || a == nil {
		s.writeError(w, r, errorf(KindUnavailable, "no demo agent", err))
		return
	}
	token, err := s.newSession(r.Context(), a.Agent)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "cannot start a session", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "agent": agentView(*a)})
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}
