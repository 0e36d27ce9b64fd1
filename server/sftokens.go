package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
	"github.com/zoomcti/zoomcti/server/store"
)

// storedToken is the JSON sealed under sftoken:<org>:<user>.
type storedToken struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	InstanceURL  string `json:"instance_url,omitempty"`
}

func (v tokenVault) saveSF(ctx context.Context, orgID, userID string, tok *oauth2.Token) error {
	st := storedToken{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, InstanceURL: salesforce.InstanceURL(tok)}
	if err := v.put(ctx, sfTokenKey(orgID, userID), st); err != nil {
		return fmt.Errorf("save salesforce token: %w", err)
	}
	return nil
}

func (v tokenVault) loadSF(ctx context.Context, orgID, userID string) (*oauth2.Token, error) {
	var st storedToken
	ok, err := v.get(ctx, sfTokenKey(orgID, userID), &st)
	if err != nil {
		return nil, fmt.Errorf("load salesforce token: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no Salesforce token", cti.ErrSignedOut)
	}
	tok := &oauth2.Token{AccessToken: st.AccessToken, RefreshToken: st.RefreshToken, TokenType: "Bearer"}
	return salesforce.WithInstanceURL(tok, st.InstanceURL), nil
}

// sfTokenConfig is what every agent's shared Salesforce token needs.
type sfTokenConfig struct {
	kv    store.KV
	vault tokenVault
	// oauth is the app an agent signed in with (their org's).
	oauth   func(ctx context.Context, orgID, userID string) *oauth2.Config
	http    *http.Client // for the token endpoint
	metrics *metrics
	// signedOut is told when Salesforce refuses the refresh token for
	// good: the agent must sign in again.
	signedOut func(ctx context.Context, orgID, userID, reason string)
	// refreshed, when set, is told after this instance refreshed an
	// agent's token (admin rights are read again after a refresh).
	refreshed func(ctx context.Context, orgID, userID string)
}

// sharedTokens is one agent's Salesforce token, shared by every instance
// through the store. Salesforce sends no expires_in, so a token is renewed
// only when Salesforce refuses it; then exactly one instance refreshes (see
// sharedRefresh) and the others pick its result up from the store.
type sharedTokens struct {
	cfg           sfTokenConfig
	orgID, userID string

	mu  sync.Mutex // one refresh at a time in this process
	cur *oauth2.Token
}

func newSharedTokens(cfg sfTokenConfig, orgID, userID string) *sharedTokens {
	return &sharedTokens{cfg: cfg, orgID: orgID, userID: userID}
}

var _ salesforce.TokenSource = (*sharedTokens)(nil)

// Token implements salesforce.TokenSource.
func (t *sharedTokens) Token(ctx context.Context) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		return t.cur, nil
	}
	tok, err := t.cfg.vault.loadSF(ctx, t.orgID, t.userID)
	if err != nil {
		return nil, err
	}
	t.cur = tok
	return tok, nil
}

// Refresh implements salesforce.TokenSource.
func (t *sharedTokens) Refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	staleAccess := ""
	if stale != nil {
		staleAccess = stale.AccessToken
	}
	if t.cur != nil && t.cur.AccessToken != staleAccess {
		return t.cur, nil // replaced while we waited for the mutex
	}
	// The refresh outlives the request that needed it: others wait on it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshLockTTL)
	defer cancel()
	tok, refreshed, err := sharedRefresh{
		kv:      t.cfg.kv,
		what:    "salesforce",
		lockKey: sfRefreshLockKey(t.orgID, t.userID),
		load:    func(ctx context.Context) (*oauth2.Token, error) { return t.cfg.vault.loadSF(ctx, t.orgID, t.userID) },
		good:    func(tok *oauth2.Token) bool { return tok.AccessToken != staleAccess },
		refresh: t.refresh,
		save: func(ctx context.Context, tok *oauth2.Token) error {
			return t.cfg.vault.saveSF(ctx, t.orgID, t.userID, tok)
		},
	}.run(ctx)
	if err != nil {
		return nil, err
	}
	if refreshed {
		if t.cfg.refreshed != nil {
			t.cfg.refreshed(ctx, t.orgID, t.userID)
		}
	}
	t.cur = tok
	return tok, nil
}

// refresh trades the stored refresh token for a new token. When
// Salesforce refuses the grant for good, the agent is signed out here,
// under the refresh lock, so the other instances find no token to retry.
func (t *sharedTokens) refresh(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
	fresh, err := salesforce.Refresh(oauthCtx(ctx, t.cfg.http), t.cfg.oauth(ctx, t.orgID, t.userID), stored)
	if err == nil {
		t.cfg.metrics.tokenRefresh(upSalesforce, "ok")
		return fresh, nil
	}
	var end *salesforce.SignInRequired
	if errors.As(salesforce.AsCTIError(err), &end) {
		t.cfg.metrics.tokenRefresh(upSalesforce, "refused")
		t.cur = nil
		t.cfg.signedOut(ctx, t.orgID, t.userID, end.Reason)
		return nil, fmt.Errorf("%w: refresh refused: %v", cti.ErrSignedOut, err)
	}
	// Neither the grant's fault nor the record's: the work waits and is
	// tried again, so no Salesforce error kind travels with it.
	t.cfg.metrics.tokenRefresh(upSalesforce, "error")
	return nil, fmt.Errorf("salesforce token refresh failed: %v", err)
}
