package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/server/store"
)

// Zoom access tokens live an hour and every refresh rotates the refresh
// token: the old one dies the moment it is used. So one instance refreshes
// at a time (a store lock), the new pair is stored before it is used, and
// everyone else reads the store.

func zoomTokenKey(orgID, userID string) string { return "zoomtoken:" + orgID + ":" + userID }

// refreshMargin renews a token this long before it expires.
const refreshMargin = 2 * time.Minute

// errZoomReauth says the agent must authorize Zoom again.
var errZoomReauth = errors.New("zoom authorization must be renewed")

type storedZoomToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
}

func (s *Server) zoomOAuth() *oauth2.Config {
	return zoom.OAuthConfig(s.cfg.ZoomClientID, s.cfg.ZoomClientSecret, s.cfg.ZoomOAuthURL, s.cfg.PublicURL+"/oauth/zoom/callback")
}

func (s *Server) saveZoomToken(ctx context.Context, orgID, userID string, tok *oauth2.Token) error {
	plain, _ := json.Marshal(storedZoomToken{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry})
	key := zoomTokenKey(orgID, userID)
	if err := s.store.Set(ctx, key, s.sealer.seal(key, plain), 0); err != nil {
		return fmt.Errorf("save zoom token: %w", err)
	}
	return nil
}

func (s *Server) loadZoomToken(ctx context.Context, orgID, userID string) (*oauth2.Token, error) {
	key := zoomTokenKey(orgID, userID)
	sealed, err := s.store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: no Zoom token", errZoomReauth)
	}
	if err != nil {
		return nil, fmt.Errorf("load zoom token: %w", err)
	}
	plain, err := s.sealer.open(key, sealed)
	if err != nil {
		return nil, err
	}
	var st storedZoomToken
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: st.AccessToken, RefreshToken: st.RefreshToken, Expiry: st.Expiry, TokenType: "Bearer"}, nil
}

// zoomTokens is an oauth2.TokenSource over the agent's stored Zoom token.
type zoomTokens struct {
	s             *Server
	orgID, userID string
}

// Token returns a token good for a while yet, refreshing it if need be.
func (t *zoomTokens) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return t.s.freshZoomToken(ctx, t.orgID, t.userID)
}

func (s *Server) freshZoomToken(ctx context.Context, orgID, userID string) (*oauth2.Token, error) {
	good := func(tok *oauth2.Token) bool {
		return tok.Expiry.IsZero() || s.now().Add(refreshMargin).Before(tok.Expiry)
	}
	tok, err := s.loadZoomToken(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	if good(tok) {
		return tok, nil
	}
	lockKey := "lock:zoomrefresh:" + orgID + ":" + userID
	lockVal := []byte(randomToken())
	for {
		ok, err := s.store.SetNX(ctx, lockKey, lockVal, 30*time.Second)
		if err != nil {
			return nil, fmt.Errorf("lock zoom refresh: %w", err)
		}
		if ok {
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return nil, fmt.Errorf("waiting for another instance's zoom refresh: %w", err)
		}
		if tok, err = s.loadZoomToken(ctx, orgID, userID); err != nil {
			return nil, err
		} else if good(tok) {
			return tok, nil // another instance refreshed it
		}
	}
	defer s.store.CompareAndDelete(context.WithoutCancel(ctx), lockKey, lockVal)
	if tok, err = s.loadZoomToken(ctx, orgID, userID); err != nil {
		return nil, err
	} else if good(tok) {
		return tok, nil
	}
	stale := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Unix(1, 0)}
	fresh, err := s.zoomOAuth().TokenSource(oauthCtx(ctx, s), stale).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			s.zoomNeedsReauth(ctx, orgID, userID)
			return nil, fmt.Errorf("%w: refresh refused", errZoomReauth)
		}
		return nil, fmt.Errorf("zoom: refresh token: %w", err)
	}
	// The old refresh token is already dead: store the new pair before
	// anything else can fail.
	if err := s.saveZoomToken(ctx, orgID, userID, fresh); err != nil {
		return nil, err
	}
	s.metrics.add(counterZoomTokenRefresh, 1)
	return fresh, nil
}

// zoomClient is the agent's Zoom REST client.
func (s *Server) zoomClient(orgID, userID string) *zoom.Client {
	src := oauth2.ReuseTokenSource(nil, &zoomTokens{s: s, orgID: orgID, userID: userID})
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &oauth2.Transport{Source: src, Base: s.http.Transport}}
	return zoom.NewClient(s.cfg.ZoomAPIURL+"/v2", hc)
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
