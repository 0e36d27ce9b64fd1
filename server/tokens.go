package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/server/store"
)

// tokenVault keeps agents' OAuth tokens in the store, sealed with the
// server's key and bound to their store key.
type tokenVault struct {
	kv     store.KV
	sealer *sealer
}

// put seals v's JSON under key.
func (v tokenVault) put(ctx context.Context, key string, value any) error {
	plain, err := json.Marshal(value)
	if err != nil {
		return err
	}
	return v.kv.Set(ctx, key, v.sealer.seal(key, plain), 0)
}

// get opens and decodes the value under key into out and reports whether
// there was one.
func (v tokenVault) get(ctx context.Context, key string, out any) (bool, error) {
	sealed, err := v.kv.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	plain, err := v.sealer.open(key, sealed)
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(plain, out)
}

// refreshLockTTL bounds a shared token refresh and how long its lock is
// held.
const refreshLockTTL = 30 * time.Second

// sharedRefresh renews a token that every instance reads from the store.
// Exactly one instance refreshes at a time (it holds a SET NX lock); it
// reads the store once more under the lock, refreshes, and stores the new
// token before anyone uses it (the provider may have rotated the refresh
// token: a crash must not leave the old one behind). The others wait and
// pick its result up from the store.
type sharedRefresh struct {
	kv      store.KV
	what    string // "salesforce", "zoom": for errors
	lockKey string
	load    func(context.Context) (*oauth2.Token, error)
	// good reports whether a stored token can be used as it is.
	good    func(*oauth2.Token) bool
	refresh func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error)
	save    func(context.Context, *oauth2.Token) error
}

// run returns a good token and whether this call refreshed it.
func (r sharedRefresh) run(ctx context.Context) (*oauth2.Token, bool, error) {
	lockVal := []byte(randomToken())
	for {
		tok, err := r.load(ctx)
		if err != nil {
			return nil, false, err
		}
		if r.good(tok) {
			return tok, false, nil // another instance refreshed it
		}
		ok, err := r.kv.SetNX(ctx, r.lockKey, lockVal, refreshLockTTL)
		if err != nil {
			return nil, false, fmt.Errorf("lock %s token refresh: %w", r.what, err)
		}
		if ok {
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return nil, false, fmt.Errorf("waiting for another instance's %s token refresh: %w", r.what, err)
		}
	}
	defer r.kv.CompareAndDelete(context.WithoutCancel(ctx), r.lockKey, lockVal)

	// Holding the lock: read once more, then refresh.
	tok, err := r.load(ctx)
	if err != nil {
		return nil, false, err
	}
	if r.good(tok) {
		return tok, false, nil
	}
	fresh, err := r.refresh(ctx, tok)
	if err != nil {
		return nil, false, err
	}
	if err := r.save(ctx, fresh); err != nil {
		return nil, false, err
	}
	return fresh, true, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// oauthCtx makes the oauth2 package use hc.
func oauthCtx(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}
