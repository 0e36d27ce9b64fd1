package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
)

// sharedTokens is one agent's Salesforce token, shared by every instance
// through the store. Salesforce sends no expires_in, so a token is renewed
// only when Salesforce refuses it; then exactly one instance refreshes (it
// holds a store lock) and the others pick its result up from the store.
type sharedTokens struct {
	s      *Server
	orgID  string
	userID string

	mu  sync.Mutex // one refresh at a time in this process
	cur *oauth2.Token
}

var _ salesforce.TokenSource = (*sharedTokens)(nil)

const refreshLockTTL = 30 * time.Second

func (t *sharedTokens) Token(ctx context.Context) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		return t.cur, nil
	}
	tok, err := t.s.loadSFToken(ctx, t.orgID, t.userID)
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

	lockKey := "lock:sfrefresh:" + t.orgID + ":" + t.userID
	lockVal := []byte(randomToken())
	for {
		stored, err := t.s.loadSFToken(ctx, t.orgID, t.userID)
		if err != nil {
			return nil, err
		}
		if stored.AccessToken != staleAccess {
			t.cur = stored // another instance refreshed it
			return stored, nil
		}
		ok, err := t.s.store.SetNX(ctx, lockKey, lockVal, refreshLockTTL)
		if err != nil {
			return nil, fmt.Errorf("lock token refresh: %w", err)
		}
		if ok {
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return nil, fmt.Errorf("waiting for another instance's token refresh: %w", err)
		}
	}
	defer t.s.store.CompareAndDelete(context.WithoutCancel(ctx), lockKey, lockVal)

	// Holding the lock: read once more, then refresh.
	stored, err := t.s.loadSFToken(ctx, t.orgID, t.userID)
	if err != nil {
		return nil, err
	}
	if stored.AccessToken != staleAccess {
		t.cur = stored
		return stored, nil
	}
	fresh, err := t.s.crm.oauthConfig().TokenSource(oauthCtx(ctx, t.s), &oauth2.Token{RefreshToken: stored.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "inactive_user" || re.ErrorCode == "inactive_org") {
			t.cur = nil
			t.s.signedOut(ctx, t.orgID, t.userID, "Your Salesforce session has ended (the access was revoked or expired). Sign in again.")
			return nil, fmt.Errorf("%w: refresh refused: %s", cti.ErrSignedOut, re.ErrorCode)
		}
		return nil, fmt.Errorf("salesforce: refresh token: %w", err)
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = stored.RefreshToken
	}
	if iu, _ := fresh.Extra("instance_url").(string); iu == "" {
		iu, _ = stored.Extra("instance_url").(string)
		fresh = fresh.WithExtra(map[string]any{"instance_url": iu})
	}
	// Stored before it is used: if Salesforce rotated the refresh token,
	// a crash now must not leave the old one behind.
	if err := t.s.saveSFToken(ctx, t.orgID, t.userID, fresh); err != nil {
		return nil, err
	}
	t.s.metrics.add(counterSalesforceTokenRefresh, 1)
	t.cur = fresh
	return fresh, nil
}

// oauthCtx makes the oauth2 package use the server's HTTP client.
func oauthCtx(ctx context.Context, s *Server) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.http)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
