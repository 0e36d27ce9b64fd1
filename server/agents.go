package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
)

// agentRecord is a signed-in Salesforce user as the store keeps it.
type agentRecord struct {
	cti.Agent
	InstanceURL string `json:"instance_url"` // where this agent's org answers REST calls
	// LoginURL is the connected org (SFOrg) the agent signed in at: its
	// app refreshes and revokes their tokens.
	LoginURL string `json:"login_url,omitempty"`
	Admin    bool   `json:"admin,omitempty"`
	// AdminChecked is when Admin was last read from Salesforce; admin.go
	// reads it again when it is older than adminRecheck.
	AdminChecked time.Time `json:"admin_checked,omitzero"`
	// SignInRequired, when set, is why the agent must sign in to
	// Salesforce again (their token was revoked or expired).
	SignInRequired string    `json:"sign_in_required,omitempty"`
	SignedIn       time.Time `json:"signed_in,omitzero"`
	// ZoomReauth, when set, is why the agent must authorize Zoom again.
	ZoomReauth string `json:"zoom_reauth,omitempty"`
}

// agent loads an agent, or returns nil when there is none.
func (s *Server) agent(ctx context.Context, orgID, userID string) (*agentRecord, error) {
	return loadAgent(ctx, s.store, orgID, userID)
}

// loadAgent loads an agent from kv, or returns nil when there is none.
func loadAgent(ctx context.Context, kv getter, orgID, userID string) (*agentRecord, error) {
	var a agentRecord
	ok, err := getJSON(ctx, kv, agentKey(orgID, userID), &a)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("load agent: %w", err)
		}
		return nil, err
	}
	return &a, nil
}

// agentOAuth is the app of the org an agent signed in at.
func (s *Server) agentOAuth(ctx context.Context, orgID, userID string) *oauth2.Config {
	loginURL := ""
	if a, err := s.agent(ctx, orgID, userID); err == nil && a != nil {
		loginURL = a.LoginURL
	}
	return s.orgs.oauth[s.orgs.forLoginURL(loginURL)]
}

// AgentByZoomUser implements cti.Directory.
func (s *Server) AgentByZoomUser(ctx context.Context, zoomUserID string) (*cti.Agent, error) {
	var ref struct{ OrgID, UserID string }
	ok, err := getJSON(ctx, s.store, zoomLinkKey(zoomUserID), &ref)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("load zoom link: %w", err)
		} else {
			s.health.learn(zoomUserID, "")
		}
		return nil, err
	}
	a, err := s.agent(ctx, ref.OrgID, ref.UserID)
	if err != nil || a == nil {
		return nil, err
	}
	// The health figures name a webhook's org from what the engine found.
	s.health.learn(zoomUserID, a.OrgID)
	return &a.Agent, nil
}

// zoomUserTag returns the hash tag of the agent a Zoom user is linked to
// (cti.AgentTag), or "" when the user is linked to nobody.
func (s *Server) zoomUserTag(ctx context.Context, zoomUserID string) (string, error) {
	var ref struct{ OrgID, UserID string }
	ok, err := getJSON(ctx, s.store, zoomLinkKey(zoomUserID), &ref)
	if err != nil {
		return "", fmt.Errorf("load zoom link: %w", err)
	}
	if !ok {
		return "", nil
	}
	return cti.AgentTag(cti.Agent{OrgID: ref.OrgID, UserID: ref.UserID}), nil
}

// SaveAgent stores a signed-in agent and their Salesforce token (encrypted).
func (s *Server) SaveAgent(ctx context.Context, a agentRecord, tok *oauth2.Token) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := s.store.Set(ctx, agentKey(a.OrgID, a.UserID), b, 0); err != nil {
		return fmt.Errorf("save agent: %w", err)
	}
	if tok != nil {
		if err := s.tokens.saveSF(ctx, a.OrgID, a.UserID, tok); err != nil {
			return err
		}
	}
	return nil
}

// LinkZoom links a Zoom user to an agent. The identity rule (the Zoom email
// must match the Salesforce username or email) is checked by the caller.
func (s *Server) LinkZoom(ctx context.Context, a cti.Agent) error {
	ref, _ := json.Marshal(map[string]string{"OrgID": a.OrgID, "UserID": a.UserID})
	if err := s.store.Set(ctx, zoomLinkKey(a.ZoomUserID), ref, 0); err != nil {
		return fmt.Errorf("save zoom link: %w", err)
	}
	return nil
}

// signedOut forgets an agent's Salesforce token (it no longer works) and
// tells their softphone to sign in again. Their Zoom link, pending call
// logs and Tasks stay: the outbox writes the logs once they are back.
func (s *Server) signedOut(ctx context.Context, orgID, userID, reason string) {
	// Every session and socket of the agent ends, here and elsewhere: a
	// sign-out in one tab, or a revocation at Salesforce, is for all. The
	// sockets close last, after the softphones were told why.
	defer func() {
		if err := s.endSessions(ctx, cti.Agent{OrgID: orgID, UserID: userID}); err != nil {
			s.log.Error("cannot end the agent's sessions", "org_id", orgID, "user_id", userID, "err", err)
		}
	}()
	s.crm.forget(orgID, userID)
	if err := s.store.Delete(ctx, sfTokenKey(orgID, userID)); err != nil {
		s.log.Error("cannot delete a dead salesforce token", "org_id", orgID, "user_id", userID, "err", err)
	}
	a, err := s.agent(ctx, orgID, userID)
	if err != nil || a == nil {
		return
	}
	a.SignInRequired = reason
	if err := s.SaveAgent(ctx, *a, nil); err != nil {
		s.log.Error("cannot mark agent signed out", "org_id", orgID, "user_id", userID, "err", err)
	}
	s.log.Warn("agent must sign in to salesforce again", "org_id", orgID, "user_id", userID)
	_ = s.hub.Notify(ctx, a.Key(), map[string]string{"type": "signin_required", "message": reason})
}
