package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// readCache keeps, per instance, the read-mostly records every event and
// request reads several times — an org's settings, an agent, a Zoom user's
// link — so that a call's ring path reads the store for what changes per
// call only. Every write of a cached key through this instance drops it
// here and publishes its name, and every instance drops what it is told,
// so a change made anywhere is seen at once. An entry older than cacheLife
// is read again: in the background while it is still answered, so that a
// call's ring path does not wait for it (an agent's record is read once per
// call, minutes apart), up to cacheStale, after which it is read before it
// is answered. So should a message be lost (a publish that failed; a lost
// subscription drops everything), the change is seen by the first read
// after cacheLife and every one after it.
//
// Until start has subscribed, nothing is cached: another instance's writes
// could not reach this one.
type readCache struct {
	store.Store
	prefixes []string
	life     time.Duration
	now      func() time.Time
	log      *slog.Logger
	// self marks this instance's invalidations, which it has applied
	// already when its own message comes back.
	self string

	mu      sync.Mutex
	on      bool
	entries map[string]cacheEntry
	// refreshing marks the keys being read again in the background.
	refreshing map[string]bool
	// drops counts invalidations: a read that began before one may have
	// fetched what it dropped, so it is not kept.
	drops uint64
}

type cacheEntry struct {
	value []byte // nil: the key was absent
	at    time.Time
}

const (
	cacheChannel = "readcache"
	cacheLife    = 5 * time.Second
	cacheStale   = 10 * time.Minute
	// cacheMax bounds the entries; past it the cache starts over.
	cacheMax = 100_000
)

// cachedPrefixes are the keys readCache keeps: read on every event, written
// by an admin's or an agent's action — or, for an org's pause (crm.go), by
// Salesforce's refusal once the org is out of API requests: every request
// to Salesforce reads it. A pause that ends by its expiry (five minutes),
// which no message announces, is still answered by the first read cacheLife
// after it, and seen by the reads after that one.
var cachedPrefixes = []string{settingsPrefix, agentPrefix, zoomLinkPrefix, orgPausePrefix}

func newReadCache(st store.Store, now func() time.Time, log *slog.Logger) *readCache {
	return &readCache{Store: st, prefixes: cachedPrefixes, life: cacheLife, now: now, log: log,
		self: randomToken(), entries: map[string]cacheEntry{}}
}

// start subscribes to other instances' invalidations and turns the cache
// on until ctx is done.
func (c *readCache) start(ctx context.Context) error {
	sub, err := c.Store.Subscribe(ctx, cacheChannel)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.on = true
	c.mu.Unlock()
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		c.on = false
		c.entries = map[string]cacheEntry{}
		c.drops++
		c.mu.Unlock()
		_ = sub.Close()
	}()
	go func() {
		for m := range sub.C() {
			if m.Gap {
				// Invalidations were lost: what is cached may be stale.
				c.dropAll()
				continue
			}
			from, key, _ := strings.Cut(string(m.Payload), " ")
			if from != c.self {
				c.drop(key)
			}
		}
	}()
	return nil
}

func (c *readCache) cached(key string) bool {
	for _, p := range c.prefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func (c *readCache) dropAll() {
	c.mu.Lock()
	c.entries = map[string]cacheEntry{}
	c.drops++
	c.mu.Unlock()
}

func (c *readCache) drop(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.drops++
	c.mu.Unlock()
}

// Get answers a cached key from memory while its entry is fresh.
func (c *readCache) Get(ctx context.Context, key string) ([]byte, error) {
	if !c.cached(key) {
		return c.Store.Get(ctx, key)
	}
	c.mu.Lock()
	on, drops := c.on, c.drops
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		age := c.now().Sub(e.at)
		if age < c.life || age < cacheStale && c.revalidate(key) {
			if e.value == nil {
				return nil, store.ErrNotFound
			}
			return append([]byte(nil), e.value...), nil
		}
	}
	v, err := c.Store.Get(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) || !on {
		return v, err
	}
	c.keep(key, drops, v, err)
	return v, err
}

// keep stores what a read of key that began at drops found (v, or absent
// when err is set), unless an invalidation came in between.
func (c *readCache) keep(key string, drops uint64, v []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || c.drops != drops {
		return
	}
	if len(c.entries) >= cacheMax {
		c.entries = map[string]cacheEntry{}
	}
	e := cacheEntry{at: c.now()} // absent
	if err == nil {
		e.value = append(make([]byte, 0, len(v)), v...) // never nil: an empty value is not an absent one
	}
	c.entries[key] = e
}

// revalidate reads key again in the background, once at a time, and says
// whether its entry may be answered meanwhile (the cache is on).
func (c *readCache) revalidate(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return false
	}
	if c.refreshing[key] {
		return true
	}
	if c.refreshing == nil {
		c.refreshing = map[string]bool{}
	}
	c.refreshing[key] = true
	drops := c.drops
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, err := c.Store.Get(ctx, key)
		if err == nil || errors.Is(err, store.ErrNotFound) {
			c.keep(key, drops, v, err)
		}
		c.mu.Lock()
		delete(c.refreshing, key)
		c.mu.Unlock()
	}()
	return true
}

// changed drops keys here and tells every instance, after a write that may
// have changed them (failed writes included: one may have landed).
func (c *readCache) changed(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if !c.cached(k) {
			continue
		}
		c.drop(k)
		// The write is done whatever happens here; another instance
		// that misses this message sees the change within cacheLife.
		ctx := context.WithoutCancel(ctx)
		if err := c.Store.Publish(ctx, cacheChannel, []byte(c.self+" "+k)); err != nil {
			c.log.Warn("read cache: cannot publish an invalidation; other instances see the change within "+cacheLife.String(), "err", err)
		}
	}
}

func (c *readCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	err := c.Store.Set(ctx, key, value, ttl)
	c.changed(ctx, key)
	return err
}

func (c *readCache) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := c.Store.SetNX(ctx, key, value, ttl)
	if ok || err != nil {
		c.changed(ctx, key)
	}
	return ok, err
}

func (c *readCache) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	ok, err := c.Store.CompareAndDelete(ctx, key, value)
	if ok || err != nil {
		c.changed(ctx, key)
	}
	return ok, err
}

func (c *readCache) Delete(ctx context.Context, keys ...string) error {
	err := c.Store.Delete(ctx, keys...)
	c.changed(ctx, keys...)
	return err
}

func (c *readCache) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	ids, err := c.Store.Apply(ctx, txn)
	if err == nil || !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrDuplicate) {
		for _, p := range txn.Set {
			c.changed(ctx, p.Key)
		}
		c.changed(ctx, txn.Delete...)
	}
	return ids, err
}
