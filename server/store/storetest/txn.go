package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

func mustApply(t *testing.T, s store.Store, txn store.Txn) []string {
	t.Helper()
	ids, err := s.Apply(ctxFor(t), txn)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(ids) != len(txn.Enqueue) {
		t.Fatalf("Apply returned %d ids for %d jobs", len(ids), len(txn.Enqueue))
	}
	return ids
}

func wantValue(t *testing.T, s store.Store, key, want string) {
	t.Helper()
	v, err := s.Get(ctxFor(t), key)
	if want == "" {
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(%q) = %q, %v; want not found", key, v, err)
		}
		return
	}
	if err != nil || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v; want %q", key, v, err, want)
	}
}

// testApplyAll: sets, set-if-absent, deletes, enqueues and acks in one step.
// Every part carries the hash tag {t}, so the step is in one slot.
func testApplyAll(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	for k, v := range map[string]string{"gone:{t}": "1", "kept:{t}": "old"} {
		if err := s.Set(ctx, k, []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	done := mustEnqueue(t, s, "events{t}", "event")
	mustClaim(t, s, "events", time.Minute, done, "event", 1)
	ids := mustApply(t, s, store.Txn{
		Expect: []store.Cond{{Key: "kept:{t}", Value: []byte("old")}, {Key: "new:{t}", Value: nil}},
		Set: []store.Put{
			{Key: "new:{t}", Value: []byte("v"), TTL: time.Hour},
			{Key: "kept:{t}", Value: []byte("not written"), IfAbsent: true},
			{Key: "fresh:{t}", Value: []byte("written"), IfAbsent: true},
		},
		Delete:  []string{"gone:{t}", "never-there:{t}"},
		Enqueue: []store.NewJob{{Queue: "outbox{t}", Payload: []byte("task")}},
		Ack:     []store.JobRef{{Queue: "events", ID: done}},
	})
	wantValue(t, s, "new:{t}", "v")
	wantValue(t, s, "kept:{t}", "old")
	wantValue(t, s, "fresh:{t}", "written")
	wantValue(t, s, "gone:{t}", "")
	wantLen(t, s, "events", 0)
	mustClaim(t, s, "outbox", time.Minute, ids[0], "task", 1)
	// Acking a job that is already gone is not an error in a transaction.
	mustApply(t, s, store.Txn{Ack: []store.JobRef{{Queue: "events", ID: done}}})
}

// testApplyConflict: a failed expectation writes nothing at all.
func testApplyConflict(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	if err := s.Set(ctx, "call:{t}", []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	job := mustEnqueue(t, s, "events{t}", "event")
	mustClaim(t, s, "events", time.Minute, job, "event", 1)
	for _, tc := range []struct {
		name string
		cond store.Cond
	}{
		{"stale value", store.Cond{Key: "call:{t}", Value: []byte("v1")}},
		{"expected absent", store.Cond{Key: "call:{t}"}},
		{"expected present", store.Cond{Key: "missing:{t}", Value: []byte("x")}},
	} {
		_, err := s.Apply(ctx, store.Txn{
			Expect:  []store.Cond{tc.cond},
			Set:     []store.Put{{Key: "call:{t}", Value: []byte("v3")}, {Key: "other:{t}", Value: []byte("x")}},
			Delete:  []string{"call:{t}"},
			Enqueue: []store.NewJob{{Queue: "outbox{t}", Payload: []byte("task")}},
			Ack:     []store.JobRef{{Queue: "events", ID: job}},
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("%s: Apply = %v, want ErrConflict", tc.name, err)
		}
		wantValue(t, s, "call:{t}", "v2")
		wantValue(t, s, "other:{t}", "")
		wantLen(t, s, "outbox", 0)
		wantLen(t, s, "events", 1)
	}
}

// testApplyCrossSlot: a transaction whose parts would be in different hash
// slots of a Redis Cluster is refused on every store before anything is
// written, so that a test on one server or the embedded store catches what
// a cluster would refuse.
func testApplyCrossSlot(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	job := mustEnqueue(t, s, "events{a}", "event")
	mustClaim(t, s, "events", time.Minute, job, "event", 1)
	for _, tc := range []struct {
		name string
		txn  store.Txn
	}{
		{"two untagged keys", store.Txn{
			Set: []store.Put{{Key: "x", Value: []byte("1")}, {Key: "y", Value: []byte("1")}},
		}},
		{"two tags", store.Txn{
			Set: []store.Put{{Key: "x:{a}", Value: []byte("1")}, {Key: "y:{b}", Value: []byte("1")}},
		}},
		{"a key and another shard's job", store.Txn{
			Set:     []store.Put{{Key: "x:{a}", Value: []byte("1")}},
			Enqueue: []store.NewJob{{Queue: "outbox{b}", Payload: []byte("task")}},
		}},
		{"a key and a default shard", store.Txn{
			Set:     []store.Put{{Key: "x:{a}", Value: []byte("1")}},
			Enqueue: []store.NewJob{{Queue: "outbox", Payload: []byte("task")}},
		}},
		{"an ack of another shard's job", store.Txn{
			Set: []store.Put{{Key: "x:{b}", Value: []byte("1")}},
			Ack: []store.JobRef{{Queue: "events", ID: job}},
		}},
		{"a mark on another shard", store.Txn{
			Once:    &store.Mark{Queue: "events{b}", Key: "seen:1"},
			Enqueue: []store.NewJob{{Queue: "events{a}", Payload: []byte("event")}},
		}},
	} {
		if _, err := s.Apply(ctx, tc.txn); !errors.Is(err, store.ErrCrossSlot) {
			t.Fatalf("%s: Apply = %v, want ErrCrossSlot", tc.name, err)
		}
	}
	wantKeys(t, s, "")
	wantLen(t, s, "outbox", 0)
	wantLen(t, s, "events", 1)
	// Nor was the refused mark written: the same step on one shard is fresh.
	mustApply(t, s, store.Txn{
		Once:    &store.Mark{Queue: "events{b}", Key: "seen:1"},
		Enqueue: []store.NewJob{{Queue: "events{b}", Payload: []byte("event")}},
	})
}

// testApplyOnce: a transaction with a dedupe mark happens once per mark and
// shares the marks of EnqueueOnce.
func testApplyOnce(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxFor(t)
	txn := func(payload string) store.Txn {
		return store.Txn{
			Once:    &store.Mark{Queue: "events", Key: "seen:e1", TTL: ttl},
			Enqueue: []store.NewJob{{Queue: "events", Payload: []byte(payload)}},
		}
	}
	ids := mustApply(t, s, txn("first"))
	if _, err := s.Apply(ctx, txn("again")); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second Apply = %v, want ErrDuplicate", err)
	}
	if _, fresh, err := EnqueueOnce(ctx, s, "events", "seen:e1", ttl, []byte("x")); err != nil || fresh {
		t.Fatalf("EnqueueOnce after Apply with the same mark = fresh %v, %v; want a duplicate", fresh, err)
	}
	wantLen(t, s, "events", 1)
	mustClaim(t, s, "events", time.Minute, ids[0], "first", 1)
	advance(ttl + slack)
	mustApply(t, s, txn("after the mark expired"))
}

// testApplyLeasedJob: a job enqueued with a lease is the caller's until the
// lease runs out, then anyone's.
func testApplyLeasedJob(t *testing.T, s store.Store, advance func(time.Duration)) {
	ids := mustApply(t, s, store.Txn{Enqueue: []store.NewJob{{Queue: "q", Payload: []byte("mine"), Lease: ttl}}})
	wantNoClaim(t, s, "q")
	wantLen(t, s, "q", 1)
	advance(ttl + slack)
	mustClaim(t, s, "q", time.Minute, ids[0], "mine", 2)
	if err := s.Ack(ctxFor(t), "q", ids[0]); err != nil {
		t.Fatal(err)
	}
	wantLen(t, s, "q", 0)
}

// testApplyConcurrentCAS: writers that read, change and write back a
// counter with an expectation lose no update.
func testApplyConcurrentCAS(t *testing.T, s store.Store, _ func(time.Duration)) {
	const writers, each = 4, 10
	ctx := ctxFor(t)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for i := 0; i < each; {
				var cur []byte
				n := 0
				if v, err := s.Get(ctx, "counter"); err == nil {
					cur = v
					fmt.Sscan(string(v), &n)
				} else if !errors.Is(err, store.ErrNotFound) {
					errs <- err
					return
				}
				_, err := s.Apply(ctx, store.Txn{
					Expect: []store.Cond{{Key: "counter", Value: cur}},
					Set:    []store.Put{{Key: "counter", Value: []byte(fmt.Sprint(n + 1))}},
				})
				switch {
				case errors.Is(err, store.ErrConflict):
				case err != nil:
					errs <- err
					return
				default:
					i++
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantValue(t, s, "counter", fmt.Sprint(writers*each))
}

// EnqueueOnce marks dedupeKey on queue for ttl (<= 0: for ever) and
// enqueues payload in one atomic step, or reports fresh false, writing
// nothing, when the mark is live: the webhook intake's write, as the
// contract's tests make it.
func EnqueueOnce(ctx context.Context, s store.Txner, queue, dedupeKey string, ttl time.Duration, payload []byte) (id string, fresh bool, err error) {
	ids, err := s.Apply(ctx, store.Txn{
		Once:    &store.Mark{Queue: queue, Key: dedupeKey, TTL: ttl},
		Enqueue: []store.NewJob{{Queue: queue, Payload: payload}},
	})
	if errors.Is(err, store.ErrDuplicate) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return ids[0], true, nil
}
