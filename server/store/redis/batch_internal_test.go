package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// A caller that gave up waiting before its call was taken (its context
// ended) is told so, so the batcher must not send its txn after all: a
// webhook answered 500 whose event was stored anyway would be taken for a
// redelivery's duplicate when Zoom sends it again, which is harmless, but
// an engine step reported failed must not have changed the call.
func TestAnAbandonedCallIsLeftOutOfItsBatch(t *testing.T) {
	t.Parallel()
	url := storetest.RedisURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := "zoomcti-test:" + rand.Text()[:12] + ":"
	s, err := Open(ctx, url, Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_ = DeletePrefix(context.Background(), url, prefix)
	})
	step := func(key string) *applyCall {
		c, err := s.newApplyCall(ctx, store.Txn{Set: []store.Put{{Key: key, Value: []byte("popped")}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	kept, abandoned := step("call:{a}:kept"), step("call:{a}:abandoned")
	abandoned.state.Store(callAbandoned)
	// Waiting, as run leaves them, but without waking the batcher: this
	// test flushes them itself.
	s.batch.mu.Lock()
	s.batch.pending = append(s.batch.pending, abandoned, kept)
	s.batch.mu.Unlock()
	if !s.batch.flush() {
		t.Fatal("flush found nothing waiting")
	}
	<-kept.done
	if _, err := kept.result(); err != nil {
		t.Fatalf("the call kept: %v", err)
	}
	select {
	case <-abandoned.done:
		t.Fatal("the abandoned call was sent and answered")
	default:
	}
	if v, err := s.Get(ctx, "call:{a}:abandoned"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the abandoned txn's key = %q, %v; want it never written", v, err)
	}
	if v, err := s.Get(ctx, "call:{a}:kept"); err != nil || string(v) != "popped" {
		t.Fatalf("the kept txn's key = %q, %v", v, err)
	}
}

// takeLocked groups the waiting calls by slot, in the order of each slot's
// first call and each call's own: whether the slots are few (found by a
// look along the groups) or many (by an index), a group holds its slot's
// calls alone, at most maxBatch of them, and what it leaves (a refused
// slot's calls, a full group's next ones) waits in order, without the
// calls whose callers gave up.
func TestTakeGroupsTheWaitingCallsBySlot(t *testing.T) {
	cluster := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { cluster.Close() })
	for _, slots := range []int{3, 12} {
		b := &batcher{s: &Store{cluster: cluster}}
		want := make([][]*applyCall, slots) // by slot
		var left []*applyCall
		var order []string // the groups' slots, by their first call taken
		call := func(slot int) *applyCall {
			c := &applyCall{slot: fmt.Sprint("s", slot)}
			b.pending = append(b.pending, c)
			return c
		}
		// Slot 0 gets more calls than a batch holds; slot 1 is refused;
		// every fifth call of the others is abandoned.
		for i := range 2 * maxBatch {
			slot := i % slots
			if i >= slots && slot != 0 && i%2 == 0 {
				slot = 0
			}
			c := call(slot)
			switch {
			case slot == 1:
				left = append(left, c)
			case slot != 0 && i%5 == 0:
				c.state.Store(callAbandoned)
			case len(want[slot]) == maxBatch:
				left = append(left, c)
			default:
				if want[slot] == nil {
					order = append(order, c.slot)
				}
				want[slot] = append(want[slot], c)
			}
		}
		groups := b.takeLocked(func(slot string) bool { return slot != "s1" })
		var got []string
		for _, g := range groups {
			got = append(got, g.slot)
			var slot int
			fmt.Sscanf(g.slot, "s%d", &slot)
			if !slices.Equal(g.calls, want[slot]) {
				t.Errorf("%d slots: group %s has %d calls, want its %d in order", slots, g.slot, len(g.calls), len(want[slot]))
			}
			for _, c := range g.calls {
				if c.state.Load() != callTaken {
					t.Errorf("%d slots: a call of %s sent without being taken", slots, g.slot)
				}
			}
		}
		if !slices.Equal(got, order) {
			t.Errorf("%d slots: groups %v, want %v", slots, got, order)
		}
		if !slices.Equal(b.pending, left) {
			t.Errorf("%d slots: %d calls left waiting, want %d in order", slots, len(b.pending), len(left))
		}
	}
}
