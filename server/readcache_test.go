package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// countingGets counts the reads that reach the store and can hold them.
type countingGets struct {
	store.Store
	gets atomic.Int64
	hold chan chan struct{} // when set, a Get waits for the channel it receives
}

func (c *countingGets) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets.Add(1)
	v, err := c.Store.Get(ctx, key)
	if c.hold != nil {
		release := <-c.hold
		<-release
	}
	return v, err
}

type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// twoCaches are two instances' read caches over one Redis.
func twoCaches(t *testing.T) (a, b *readCache, rawA, rawB *countingGets, clock *fakeNow) {
	t.Helper()
	url := storetest.RedisURL(t)
	prefix := fmt.Sprintf("zoomcti-test:%s:%d:", t.Name(), time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock = &fakeNow{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	open := func() (*readCache, *countingGets) {
		st, err := redis.Open(ctx, url, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			keys, _ := st.Keys(context.Background(), "")
			_ = st.Delete(context.Background(), keys...)
			st.Close()
		})
		raw := &countingGets{Store: st}
		c := newReadCache(raw, clock.now, testLogger())
		if err := c.start(ctx); err != nil {
			t.Fatal(err)
		}
		return c, raw
	}
	a, rawA = open()
	b, rawB = open()
	return a, b, rawA, rawB, clock
}

// waitValue waits until c reads want under key.
func waitValue(t *testing.T, c *readCache, key, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := c.Get(context.Background(), key)
		if err == nil && string(v) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s reads %q (%v), want %q", key, v, err, want)
		}
		time.Sleep(time.Millisecond) // polling a condition, not waiting for time
	}
}

func TestReadCacheServesRepeatReadsFromMemory(t *testing.T) {
	a, _, rawA, _, _ := twoCaches(t)
	ctx := context.Background()
	if err := a.Set(ctx, "settings:org1", []byte("v1"), 0); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if v, err := a.Get(ctx, "settings:org1"); err != nil || string(v) != "v1" {
			t.Fatalf("get = %q, %v", v, err)
		}
	}
	if n := rawA.gets.Load(); n != 1 {
		t.Errorf("%d reads reached the store, want 1", n)
	}
	// Keys that change per call are never cached.
	for range 3 {
		_, _ = a.Get(ctx, "call:org1:u1:c1")
	}
	if n := rawA.gets.Load(); n != 4 {
		t.Errorf("%d reads reached the store, want 4 (the call key each time)", n)
	}
}

func TestReadCacheSeesAnotherInstancesWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(ctx context.Context, c *readCache, key string) error
		want  string // "" the key is gone
	}{
		{"set", func(ctx context.Context, c *readCache, key string) error { return c.Set(ctx, key, []byte("v2"), 0) }, "v2"},
		{"apply", func(ctx context.Context, c *readCache, key string) error {
			_, err := c.Apply(ctx, store.Txn{Set: []store.Put{{Key: key, Value: []byte("v2")}}})
			return err
		}, "v2"},
		{"delete", func(ctx context.Context, c *readCache, key string) error { return c.Delete(ctx, key) }, ""},
		{"apply delete", func(ctx context.Context, c *readCache, key string) error {
			_, err := c.Apply(ctx, store.Txn{Delete: []string{key}})
			return err
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, _, rawB, _ := twoCaches(t)
			ctx := context.Background()
			const key = "agent:org1:u1"
			if err := a.Set(ctx, key, []byte("v1"), 0); err != nil {
				t.Fatal(err)
			}
			// A's own announcement of that write may reach B while B
			// reads, and then B keeps nothing: wait until B has it.
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, err := b.Get(ctx, key)
				if err != nil || string(v) != "v1" {
					t.Fatalf("b reads %q, %v", v, err)
				}
				before := rawB.gets.Load()
				if v, _ := b.Get(ctx, key); string(v) == "v1" && rawB.gets.Load() == before {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("b never kept the record")
				}
			}
			// The fake clock stands still: only A's message can make B
			// read again.
			if err := tc.write(ctx, a, key); err != nil {
				t.Fatal(err)
			}
			deadline = time.Now().Add(5 * time.Second)
			for {
				v, err := b.Get(ctx, key)
				if tc.want == "" && errors.Is(err, store.ErrNotFound) || tc.want != "" && string(v) == tc.want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("b still reads %q (%v) after a's write", v, err)
				}
				time.Sleep(time.Millisecond) // polling a condition
			}
		})
	}
}

func TestReadCacheForgetsAbsenceOnWrite(t *testing.T) {
	a, b, _, _, _ := twoCaches(t)
	ctx := context.Background()
	const key = "zoomlink:ZU1"
	for _, c := range []*readCache{a, b} {
		if _, err := c.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get = %v, want not found", err)
		}
	}
	if err := a.Set(ctx, key, []byte("linked"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := a.Get(ctx, key); err != nil || string(v) != "linked" {
		t.Fatalf("the writer reads %q, %v", v, err)
	}
	waitValue(t, b, key, "linked")
}

// An entry past cacheLife is read again (answered meanwhile, so that a ring
// never waits for it), and one past cacheStale before it is answered: a
// write whose invalidation was lost is seen by the first read after
// cacheLife and every one after it.
func TestReadCacheEntriesAreReadAgainAfterCacheLife(t *testing.T) {
	a, _, rawA, _, clock := twoCaches(t)
	ctx := context.Background()
	const key = "settings:org2"
	if err := a.Set(ctx, key, []byte("v1"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, key); err != nil {
		t.Fatal(err)
	}
	// A write no message announces (a lost invalidation).
	if err := rawA.Store.Set(ctx, key, []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	clock.add(cacheLife - time.Millisecond)
	if v, _ := a.Get(ctx, key); string(v) != "v1" {
		t.Fatalf("read %q within the entry's life, want the cached v1", v)
	}
	clock.add(time.Millisecond)
	if v, _ := a.Get(ctx, key); string(v) != "v1" {
		t.Fatalf("read %q at the end of the entry's life, want v1 while it is read again", v)
	}
	waitValue(t, a, key, "v2")
	// An entry nobody read for cacheStale is read before it is answered.
	if err := rawA.Store.Set(ctx, key, []byte("v3"), 0); err != nil {
		t.Fatal(err)
	}
	clock.add(cacheStale)
	if v, _ := a.Get(ctx, key); string(v) != "v3" {
		t.Fatalf("read %q after cacheStale, want v3 at once", v)
	}
}

func TestReadCacheKeepsNoReadThatRacedAWrite(t *testing.T) {
	a, _, rawA, _, _ := twoCaches(t)
	ctx := context.Background()
	const key = "agent:org1:u2"
	if err := a.Set(ctx, key, []byte("old"), 0); err != nil {
		t.Fatal(err)
	}
	rawA.hold = make(chan chan struct{})
	release := make(chan struct{})
	got := make(chan string)
	go func() {
		v, _ := a.Get(ctx, key) // reads "old", then is held
		got <- string(v)
	}()
	rawA.hold <- release // the read has fetched "old" and waits
	rawA.hold = nil
	if err := rawA.Store.Set(ctx, key, []byte("new"), 0); err != nil {
		t.Fatal(err)
	}
	a.changed(ctx, key)
	close(release)
	if v := <-got; v != "old" {
		t.Fatalf("the racing read got %q", v)
	}
	if v, _ := a.Get(ctx, key); string(v) != "new" {
		t.Fatalf("read %q after the write: the racing read's value was kept", v)
	}
}

func TestReadCacheOffUntilStarted(t *testing.T) {
	url := storetest.RedisURL(t)
	st, err := redis.Open(context.Background(), url, redis.Options{Prefix: fmt.Sprintf("zoomcti-test:%s:%d:", t.Name(), time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	raw := &countingGets{Store: st}
	c := newReadCache(raw, time.Now, testLogger())
	ctx := context.Background()
	defer func() { _ = st.Delete(ctx, "settings:org3") }()
	if err := c.Set(ctx, "settings:org3", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.Get(ctx, "settings:org3"); err != nil {
			t.Fatal(err)
		}
	}
	if n := raw.gets.Load(); n != 3 {
		t.Errorf("%d reads reached the store before start, want 3", n)
	}
}

// gapStore is a store whose subscriptions are the test's push channel.
type gapStore struct {
	store.Store
	ps *gapPubSub
}

func (g *gapStore) Subscribe(ctx context.Context, channels ...string) (store.Subscription, error) {
	return g.ps.Subscribe(ctx, channels...)
}

// When the store says invalidations were lost, the cache forgets what it
// holds: a change another instance made meanwhile is read at once, not
// after cacheLife.
func TestReadCacheForgetsAllAfterAGap(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ps := &gapPubSub{ch: make(chan store.Message, 1)}
	clock := &fakeNow{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	c := newReadCache(&gapStore{Store: st, ps: ps}, clock.now, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.start(ctx); err != nil {
		t.Fatal(err)
	}
	key := "settings:00DORG"
	if err := c.Set(ctx, key, []byte("v1"), 0); err != nil {
		t.Fatal(err)
	}
	get := func() string {
		v, err := c.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	if v := get(); v != "v1" {
		t.Fatalf("got %q, want v1", v)
	}
	// Another instance writes; its invalidation is lost with the gap.
	if err := st.Set(ctx, key, []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	if v := get(); v != "v1" {
		t.Fatalf("before the gap got %q, want the cached v1", v)
	}
	ps.ch <- store.Message{Gap: true}
	deadline := time.Now().Add(10 * time.Second)
	for get() != "v2" {
		if time.Now().After(deadline) {
			t.Fatal("after the gap the cache still answers v1")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
