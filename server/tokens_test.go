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

	"github.com/zoomcti/zoomcti/server/store"
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
	const callers = 8
	kv := &lockWatch{KV: st, lost: map[string]bool{}, allLost: make(chan struct{})}
	kv.want = callers - 1
	r := sharedRefresh{
		kv: kv, what: "test", lockKey: "lock:test",
		load: func(context.Context) (*oauth2.Token, error) { return stored.Load(), nil },
		good: func(tok *oauth2.Token) bool { return tok.AccessToken != "old" },
		refresh: func(_ context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
			refreshes.Add(1)
			if tok.RefreshToken != "r1" {
				return nil, errors.New("refreshed from a token other than the stored one")
			}
			// Hold the lock until every other caller has found it taken.
			select {
			case <-kv.allLost:
			case <-time.After(10 * time.Second):
				return nil, errors.New("the other callers never tried the lock")
			}
			return &oauth2.Token{AccessToken: "new", RefreshToken: "r2"}, nil
		},
		save: func(_ context.Context, tok *oauth2.Token) error { stored.Store(tok); return nil },
	}
	var wg sync.WaitGroup
	var refreshedHere atomic.Int32
	for range callers {
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

// lockWatch is the store as sharedRefresh sees it, noting the callers
// (each locks with a value of its own) that found the lock taken; allLost
// is closed once want of them have.
type lockWatch struct {
	store.KV
	mu      sync.Mutex
	lost    map[string]bool
	want    int
	allLost chan struct{}
}

func (w *lockWatch) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := w.KV.SetNX(ctx, key, value, ttl)
	if err == nil && !ok {
		w.mu.Lock()
		if !w.lost[string(value)] {
			w.lost[string(value)] = true
			if len(w.lost) == w.want {
				close(w.allLost)
			}
		}
		w.mu.Unlock()
	}
	return ok, err
}
