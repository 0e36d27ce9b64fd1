package storetest

import (
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

func wantCounts(t *testing.T, s store.Store, key string, want map[string]int64) {
	t.Helper()
	got, err := s.Counts(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Counts(%q): %v", key, err)
	}
	if len(got) != 1 || !maps.Equal(got[0], want) {
		t.Fatalf("Counts(%q) = %v, want %v", key, got, want)
	}
}

// Adds accumulate, maxima only rise, and counter sets live apart from the
// KV keys.
func testCountAddMax(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	wantCounts(t, s, "c:absent", map[string]int64{})
	if err := s.Count(ctx,
		store.Tally{Key: "c:a", Add: map[string]int64{"x": 2, "y": 1}, Max: map[string]int64{"m": 5}},
		store.Tally{Key: "c:b", Add: map[string]int64{"x": 7}},
		store.Tally{Key: "c:a", Add: map[string]int64{"x": 3, "z": -4}, Max: map[string]int64{"m": 3, "n": 9}},
	); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, "c:a", map[string]int64{"x": 5, "y": 1, "z": -4, "m": 5, "n": 9})
	if err := s.Count(ctx, store.Tally{Key: "c:a", Max: map[string]int64{"m": 6}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Counts(ctx, "c:b", "c:absent", "c:a")
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]int64{{"x": 7}, {}, {"x": 5, "y": 1, "z": -4, "m": 6, "n": 9}}
	if len(got) != len(want) {
		t.Fatalf("Counts gave %d sets, want %d", len(got), len(want))
	}
	for i := range want {
		if !maps.Equal(got[i], want[i]) {
			t.Fatalf("Counts[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := s.Get(ctx, "c:a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a counter set's key: %v, want ErrNotFound", err)
	}
	wantKeys(t, s, "c:")
	if err := s.Count(ctx); err != nil {
		t.Fatalf("Count of nothing: %v", err)
	}
}

// A counter set expires TTL after its last change; a change without TTL
// keeps it for good.
func testCountTTL(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxFor(t)
	if err := s.Count(ctx,
		store.Tally{Key: "c:short", Add: map[string]int64{"x": 1}, TTL: ttl},
		store.Tally{Key: "c:kept", Add: map[string]int64{"x": 1}, TTL: ttl},
		store.Tally{Key: "c:forever", Add: map[string]int64{"x": 1}},
	); err != nil {
		t.Fatal(err)
	}
	if err := s.Count(ctx, store.Tally{Key: "c:kept", Add: map[string]int64{"x": 1}}); err != nil {
		t.Fatal(err)
	}
	advance(ttl + slack)
	wantCounts(t, s, "c:short", map[string]int64{})
	wantCounts(t, s, "c:kept", map[string]int64{"x": 2})
	wantCounts(t, s, "c:forever", map[string]int64{"x": 1})
	// An expired set starts again from nothing.
	if err := s.Count(ctx, store.Tally{Key: "c:short", Add: map[string]int64{"x": 1}, TTL: ttl}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, "c:short", map[string]int64{"x": 1})
}

// Writers that never read add up exactly: what several instances flushing
// at once rely on.
func testCountConcurrent(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for range each {
				errs <- s.Count(ctx,
					store.Tally{Key: "c:shared", Add: map[string]int64{"n": 1, "w": int64(w)}, Max: map[string]int64{"top": int64(w)}},
					store.Tally{Key: "c:other", Add: map[string]int64{"n": 2}})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantCounts(t, s, "c:shared", map[string]int64{"n": writers * each, "w": each * writers * (writers - 1) / 2, "top": writers - 1})
	wantCounts(t, s, "c:other", map[string]int64{"n": 2 * writers * each})
}
