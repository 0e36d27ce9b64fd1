package server

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// Many callers find the stored token stale at once: one refreshes, under
// the store lock, and stores the result before anyone uses it; the others
// wait and pick it up from the store.
func TestSharedRefreshRefreshesOnce(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var stored atomic.Pointer[oauth2.Token]
	stored.Store(&oauth2.Token{AccessToken: "old", RefreshToken: "r1"})
	var refreshes, usedUnsaved atomic.Int32
	r := sharedRefresh{
		kv: st, what: "test", lockKey: "lock:test",
		load: func(context.Context) (*oauth2.Token, error) { return stored.Load(), nil },
		good: func(tok *oauth2.Token) bool { return tok.AccessToken != "old" },
		refresh: func(_ context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
			refreshes.Add(1)
			if tok.RefreshToken != "r1" {
				return nil, errors.New("refreshed from a token other than the stored one")
			}
			time.Sleep(50 * time.Millisecond)
			return &oauth2.Token{AccessToken: "new", RefreshToken: "r2"}, nil
		},
		save: func(_ context.Context, tok *oauth2.Token) error { stored.Store(tok); return nil },
	}
	var wg sync.WaitGroup
	var refreshedHere atomic.Int32
	for range 8 {
		wg.Go(func() {
			tok, refreshed, err := r.run(context.Background())
			if err != nil || tok.AccessToken != "new" {
				t.Errorf("run = %v, %v; want the new token", tok, err)
				return
			}
			if refreshed {
				refreshedHere.Add(1)
			} else if stored.Load().AccessToken != "new" {
				usedUnsaved.Add(1)
			}
		})
	}
	wg.Wait()
	if n := refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	if n := refreshedHere.Load(); n != 1 {
		t.Fatalf("%d callers say they refreshed, want 1", n)
	}
	if usedUnsaved.Load() != 0 {
		t.Fatal("a caller used the new token before it was stored")
	}
	if _, err := st.Get(context.Background(), "lock:test"); err == nil {
		t.Fatal("the refresh lock is still held")
	}
}
