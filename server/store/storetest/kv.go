package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

func mustGet(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	v, err := s.Get(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func wantMissing(t *testing.T, s store.Store, key string) {
	t.Helper()
	v, err := s.Get(ctxFor(t), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, v, err)
	}
}

func mustSet(t *testing.T, s store.Store, key, value string, ttl time.Duration) {
	t.Helper()
	if err := s.Set(ctxFor(t), key, []byte(value), ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func wantKeys(t *testing.T, s store.Store, prefix string, want ...string) {
	t.Helper()
	got, err := s.Keys(ctxFor(t), prefix)
	if err != nil {
		t.Fatalf("Keys(%q): %v", prefix, err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Keys(%q) = %q, want %q", prefix, got, want)
	}
}

func testGetMissing(t *testing.T, s store.Store, _ func(time.Duration)) {
	wantMissing(t, s, "nope")
}

func testSetGet(t *testing.T, s store.Store, _ func(time.Duration)) {
	binary := []byte{0, 1, 2, 0xff, 0}
	if err := s.Set(ctxFor(t), "bin", binary, 0); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "bin"); !bytes.Equal(got, binary) {
		t.Fatalf("Get(bin) = %v, want %v", got, binary)
	}
	mustSet(t, s, "k", "one", 0)
	mustSet(t, s, "k", "two", 0)
	if got := mustGet(t, s, "k"); string(got) != "two" {
		t.Fatalf("Get(k) after overwrite = %q, want two", got)
	}
	mustSet(t, s, "empty", "", 0)
	if got := mustGet(t, s, "empty"); len(got) != 0 {
		t.Fatalf("Get(empty) = %q, want empty", got)
	}
}

func testTTL(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxFor(t)
	mustSet(t, s, "short", "v", ttl)
	mustSet(t, s, "forever", "v", 0)
	if ok, err := s.SetNX(ctx, "lock", []byte("a"), ttl); err != nil || !ok {
		t.Fatalf("SetNX(lock) = %v, %v; want true", ok, err)
	}
	if got := mustGet(t, s, "short"); string(got) != "v" {
		t.Fatalf("Get(short) before expiry = %q", got)
	}

	advance(ttl + slack)
	wantMissing(t, s, "short")
	wantMissing(t, s, "lock")
	mustGet(t, s, "forever")
	wantKeys(t, s, "", "forever")
	// An expired lock can be taken again.
	if ok, err := s.SetNX(ctx, "lock", []byte("b"), 0); err != nil || !ok {
		t.Fatalf("SetNX(lock) after expiry = %v, %v; want true", ok, err)
	}
	if got := mustGet(t, s, "lock"); string(got) != "b" {
		t.Fatalf("Get(lock) = %q, want b", got)
	}
}

func testSetNXOneWinner(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	for i := range n {
		wg.Go(func() {
			me := fmt.Sprintf("worker-%d", i)
			ok, err := s.SetNX(ctx, "lock", []byte(me), time.Minute)
			if err != nil {
				t.Errorf("SetNX: %v", err)
				return
			}
			if ok {
				mu.Lock()
				winners = append(winners, me)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("SetNX winners = %q, want exactly one", winners)
	}
	if got := mustGet(t, s, "lock"); string(got) != winners[0] {
		t.Fatalf("Get(lock) = %q, want the winner %q", got, winners[0])
	}
}

func testCompareAndDelete(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	mustSet(t, s, "lock", "mine", time.Minute)
	if ok, err := s.CompareAndDelete(ctx, "lock", []byte("theirs")); err != nil || ok {
		t.Fatalf("CompareAndDelete(wrong value) = %v, %v; want false", ok, err)
	}
	if got := mustGet(t, s, "lock"); string(got) != "mine" {
		t.Fatalf("Get(lock) after failed CompareAndDelete = %q", got)
	}
	if ok, err := s.CompareAndDelete(ctx, "lock", []byte("mine")); err != nil || !ok {
		t.Fatalf("CompareAndDelete(right value) = %v, %v; want true", ok, err)
	}
	wantMissing(t, s, "lock")
	if ok, err := s.CompareAndDelete(ctx, "lock", []byte("mine")); err != nil || ok {
		t.Fatalf("CompareAndDelete(missing) = %v, %v; want false", ok, err)
	}
}

func testDeleteMany(t *testing.T, s store.Store, _ func(time.Duration)) {
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, s, k, k, 0)
	}
	if err := s.Delete(ctxFor(t), "a", "c", "never-set"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, s, "a")
	wantMissing(t, s, "c")
	mustGet(t, s, "b")
	if err := s.Delete(ctxFor(t)); err != nil {
		t.Fatalf("Delete(no keys): %v", err)
	}
}

func testKeysByPrefix(t *testing.T, s store.Store, _ func(time.Duration)) {
	for _, k := range []string{"user:1", "user:2", "org:1", "a*b", "axb"} {
		mustSet(t, s, k, "v", 0)
	}
	// Queue jobs live in the same store but are not keys.
	if _, err := s.Enqueue(ctxFor(t), "user:q", []byte("x")); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, s, "user:", "user:1", "user:2")
	wantKeys(t, s, "org:", "org:1")
	wantKeys(t, s, "nobody:")
	// A prefix is literal, not a pattern.
	wantKeys(t, s, "a*", "a*b")
	wantKeys(t, s, "", "user:1", "user:2", "org:1", "a*b", "axb")
}

func testPing(t *testing.T, s store.Store, _ func(time.Duration)) {
	if err := s.Ping(ctxFor(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
