package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/server/store"
)

// Zoom access tokens live an hour and every refresh rotates the refresh
// token: the old one dies the moment it is used. So one instance refreshes
// at a time (see sharedRefresh), the new pair is stored before it is used,
// and everyone else reads the store.

// refreshMargin renews a token this long before it expires.
const refreshMargin = 2 * time.Minute

// errZoomReauth says the agent must authorize Zoom again.
var errZoomReauth = errors.New("zoom authorization must be renewed")

type storedZoomToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
}

func (v tokenVault) saveZoom(ctx context.Context, orgID, userID string, tok *oauth2.Token) error {
	st := storedZoomToken{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	if err := v.put(ctx, zoomTokenKey(orgID, userID), st); err != nil {
		return fmt.Errorf("save zoom token: %w", err)
	}
	return nil
}

func (v tokenVault) loadZoom(ctx context.Context, orgID, userID string) (*oauth2.Token, error) {
	var st storedZoomToken
	ok, err := v.get(ctx, zoomTokenKey(orgID, userID), &st)
	if err != nil {
		return nil, fmt.Errorf("load zoom token: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no Zoom token", errZoomReauth)
	}
	return &oauth2.Token{AccessToken: st.AccessToken, RefreshToken: st.RefreshToken, Expiry: st.Expiry, TokenType: "Bearer"}, nil
}

// zoomAccess makes agents' Zoom REST clients over their stored tokens.
type zoomAccess struct {
	kv      store.KV
	vault   tokenVault
	oauth   *oauth2.Config
	apiURL  string       // Zoom's REST API, without /v2
	http    *http.Client // its transport carries the calls
	now     func() time.Time
	metrics *metrics
	// rateLimited is told of each 429 Zoom gives a request of an agent of
	// the org: the admin's health shows them.
	rateLimited func(orgID string)
	// needsReauth is told when Zoom refuses the refresh token: the agent
	// must authorize Zoom again.
	needsReauth func(ctx context.Context, orgID, userID string)
	log         *slog.Logger
	// problem records a configuration refusal for the admin page.
	problem func(ctx context.Context, msg string)
	// clientRefused is set once Zoom refused the client credentials: no
	// more token requests are made with them (see refuseClient).
	clientRefused atomic.Bool
}

// client is the agent's Zoom REST client.
func (z *zoomAccess) client(orgID, userID string) *zoom.Client {
	var base http.RoundTripper = z.http.Transport
	if z.rateLimited != nil {
		base = rateLimitNoter{base: base, onLimit: func() { z.rateLimited(orgID) }}
	}
	return z.clientOver(oauth2.ReuseTokenSource(nil, &zoomTokens{z: z, orgID: orgID, userID: userID}), 30*time.Second, base)
}

// clientOver is a Zoom REST client whose calls carry src's tokens, over
// base (nil: z.http's transport).
func (z *zoomAccess) clientOver(src oauth2.TokenSource, timeout time.Duration, base http.RoundTripper) *zoom.Client {
	if base == nil {
		base = z.http.Transport
	}
	hc := &http.Client{Timeout: timeout, Transport: &oauth2.Transport{Source: src, Base: base}}
	return zoom.NewClient(z.apiURL+"/v2", hc)
}

// zoomTokens is an oauth2.TokenSource over the agent's stored Zoom token.
type zoomTokens struct {
	z             *zoomAccess
	orgID, userID string
}

// Token returns a token good for a while yet, refreshing it if need be.
func (t *zoomTokens) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return t.z.token(ctx, t.orgID, t.userID)
}

func (z *zoomAccess) token(ctx context.Context, orgID, userID string) (*oauth2.Token, error) {
	tok, _, err := sharedRefresh{
		kv:      z.kv,
		what:    "zoom",
		lockKey: zoomRefreshLockKey(orgID, userID),
		load:    func(ctx context.Context) (*oauth2.Token, error) { return z.vault.loadZoom(ctx, orgID, userID) },
		good: func(tok *oauth2.Token) bool {
			return tok.Expiry.IsZero() || z.now().Add(refreshMargin).Before(tok.Expiry)
		},
		refresh: func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
			if z.clientRefused.Load() {
				// Zoom would refuse again; the stored grant stays as it is.
				return nil, zoomClientError(zoom.ErrInvalidClient)
			}
			fresh, err := zoom.Refresh(oauthCtx(ctx, z.http), z.oauth, stored.RefreshToken)
			switch {
			case err == nil:
				z.metrics.tokenRefresh(upZoom, "ok")
			case errors.Is(err, zoom.ErrGrantRefused):
				z.metrics.tokenRefresh(upZoom, "refused")
			default:
				z.metrics.tokenRefresh(upZoom, "error")
			}
			switch {
			case errors.Is(err, zoom.ErrGrantRefused):
				z.needsReauth(ctx, orgID, userID)
				return nil, fmt.Errorf("%w: refresh refused", errZoomReauth)
			case errors.Is(err, zoom.ErrInvalidClient):
				// Zoom did not look at the refresh token: it stays stored
				// and good for when the credentials are fixed.
				z.refuseClient(ctx)
				return nil, zoomClientError(err)
			}
			return fresh, err
		},
		// The old refresh token is already dead: the new pair is stored
		// before anything else can fail.
		save: func(ctx context.Context, tok *oauth2.Token) error { return z.vault.saveZoom(ctx, orgID, userID, tok) },
	}.run(ctx)
	return tok, err
}
