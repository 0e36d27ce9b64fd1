package redis_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// Txns sent in one script are each checked and made as their own: a
// duplicate, a broken expectation or a Redis error answers its own txn,
// and the txns after it in the batch still run, seeing the writes of those
// before.
func TestABatchAnswersEachTxnAlone(t *testing.T) {
	onEachServer(t, func(t *testing.T, url string) {
		prefix := uniquePrefix()
		s := openPrefix(t, url, prefix)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// A key of the wrong type: reading it as the call's state fails.
		if err := s.Raw().HSet(ctx, prefix+"kv:call:{events}:h", "f", "v").Err(); err != nil {
			t.Fatal(err)
		}
		intake := func(key string) store.Txn {
			return store.Txn{Once: &store.Mark{Queue: "events", Key: key, TTL: time.Hour},
				Enqueue: []store.NewJob{{Queue: "events", Payload: []byte(key)}}}
		}
		step := func(key string) store.Txn {
			return store.Txn{Expect: []store.Cond{{Key: key}}, Set: []store.Put{{Key: key, Value: []byte("popped")}}}
		}
		before := s.Batches()
		res := s.ApplyTogether(ctx,
			intake("seen:e1"),
			intake("seen:e1"), // its redelivery, right behind it
			step("call:{events}:c1"),
			step("call:{events}:c1"), // a second step over the state the first changed
			step("call:{events}:h"),  // WRONGTYPE
			intake("seen:e2"),
		)
		if n := s.Batches() - before; n != 1 {
			t.Fatalf("sent in %d scripts, want 1", n)
		}
		if len(res[0].IDs) != 1 || res[0].Err != nil {
			t.Errorf("intake: %v, %v", res[0].IDs, res[0].Err)
		}
		if !errors.Is(res[1].Err, store.ErrDuplicate) {
			t.Errorf("redelivery in the same batch: %v, %v; want ErrDuplicate", res[1].IDs, res[1].Err)
		}
		if res[2].Err != nil {
			t.Errorf("step: %v", res[2].Err)
		}
		if !errors.Is(res[3].Err, store.ErrConflict) {
			t.Errorf("second step: %v; want ErrConflict", res[3].Err)
		}
		if err := res[4].Err; err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
			t.Errorf("step over a hash: %v; want Redis's WRONGTYPE error", err)
		}
		if len(res[5].IDs) != 1 || res[5].Err != nil {
			t.Errorf("intake after the error: %v, %v", res[5].IDs, res[5].Err)
		}
		if n, err := s.Len(ctx, "events"); err != nil || n != 2 {
			t.Errorf("Len = %d, %v; want the two events' jobs", n, err)
		}
		if v, err := s.Get(ctx, "call:{events}:c1"); err != nil || string(v) != "popped" {
			t.Errorf("call state %q, %v", v, err)
		}
	})
}

// On a cluster a script runs on the keys of one slot: a batch of txns of
// several slots goes as one script per slot, each answering its txns.
func TestABatchAcrossSlotsRunsOnACluster(t *testing.T) {
	onEachServer(t, func(t *testing.T, url string) {
		s := openPrefix(t, url, uniquePrefix())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var txns []store.Txn
		var shards []string
		for _, tag := range []string{"a1", "a2", "a3", "a4", "a5", "a6", "a1"} {
			shard := store.ShardName("events", tag)
			shards = append(shards, shard)
			txns = append(txns, store.Txn{
				Once:    &store.Mark{Queue: shard, Key: "seen:" + tag + "-" + string(rune('a'+len(txns))), TTL: time.Hour},
				Enqueue: []store.NewJob{{Queue: shard, Payload: []byte(tag)}},
				Set:     []store.Put{{Key: "call:{" + tag + "}:x" + string(rune('a'+len(txns))), Value: []byte("1")}},
			})
		}
		for i, r := range s.ApplyTogether(ctx, txns...) {
			if r.Err != nil || len(r.IDs) != 1 {
				t.Fatalf("txn %d on %s: %v, %v", i, shards[i], r.IDs, r.Err)
			}
		}
		if n, err := s.Len(ctx, "events"); err != nil || n != len(txns) {
			t.Errorf("Len = %d, %v; want %d", n, err, len(txns))
		}
	})
}

// Close sends what is waiting; an Apply after it is refused, not left
// waiting.
func TestApplyAfterCloseIsRefused(t *testing.T) {
	t.Parallel()
	url := servers(t)[0].url
	s := openPrefix(t, url, uniquePrefix())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.Apply(ctx, store.Txn{Set: []store.Put{{Key: "k", Value: []byte("v")}}})
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Apply after Close: %v; want the store's refusal", err)
	}
}

// On a cluster each slot waits only for its own batch: while one master
// holds a batch (paused here, as a master that is slow or failing over
// would), the txns of a slot on another master still go, and are answered
// first.
func TestASlowMasterHoldsUpOnlyItsOwnSlots(t *testing.T) {
	url := storetest.RedisClusterURL(t)
	s := openPrefix(t, url, uniquePrefix())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc, ok := s.Raw().(*goredis.ClusterClient)
	if !ok {
		t.Fatalf("%s is not a cluster", url)
	}
	master := func(tag string) *goredis.Client {
		m, err := cc.MasterForKey(ctx, "k{"+tag+"}")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	slow, other := "a1", ""
	for _, tag := range []string{"a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"} {
		if master(tag).Options().Addr != master(slow).Options().Addr {
			other = tag
			break
		}
	}
	if other == "" {
		t.Fatal("every tag tried is on one master")
	}
	intake := func(tag, event string) store.Txn {
		shard := store.ShardName("events", tag)
		return store.Txn{Once: &store.Mark{Queue: shard, Key: "seen:" + event, TTL: time.Hour},
			Enqueue: []store.NewJob{{Queue: shard, Payload: []byte(event)}}}
	}
	// Each shard's first write registers it (in the queue's own slot,
	// which may be on the master paused below): done before the pause.
	for _, tag := range []string{slow, other} {
		if _, err := s.Apply(ctx, intake(tag, tag+"-first")); err != nil {
			t.Fatal(err)
		}
	}

	unpause := pauseWrites(t, ctx, master(slow))

	before := s.Batches()
	held := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, intake(slow, slow))
		held <- err
	}()
	for s.Batches() == before {
		select {
		case err := <-held:
			t.Fatalf("the paused master answered: %v", err)
		case <-ctx.Done():
			t.Fatal("the slow slot's batch was never sent")
		default:
			runtime.Gosched()
		}
	}
	if _, err := s.Apply(ctx, intake(other, other)); err != nil {
		t.Fatalf("the other master's txn: %v", err)
	}
	select {
	case err := <-held:
		t.Fatalf("the paused master's txn was answered (%v) before the other master's", err)
	default:
	}
	unpause()
	if err := <-held; err != nil {
		t.Fatalf("the slow master's txn, once let go: %v", err)
	}
	if n, err := s.Len(ctx, "events"); err != nil || n != 4 {
		t.Errorf("Len = %d, %v; want the four jobs", n, err)
	}
}

// Close sends what waits behind a batch on the wire, once its slot comes
// free, and only then returns; what comes after it is refused.
func TestCloseSendsWhatWaitsBehindABatch(t *testing.T) {
	url := storetest.RedisClusterURL(t)
	prefix := uniquePrefix()
	s := openPrefix(t, url, prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc, ok := s.Raw().(*goredis.ClusterClient)
	if !ok {
		t.Fatalf("%s is not a cluster", url)
	}
	const tag = "a1"
	shard := store.ShardName("events", tag)
	intake := func(event string) store.Txn {
		return store.Txn{Once: &store.Mark{Queue: shard, Key: "seen:" + event, TTL: time.Hour},
			Enqueue: []store.NewJob{{Queue: shard, Payload: []byte(event)}}}
	}
	if _, err := s.Apply(ctx, intake("first")); err != nil { // registers the shard
		t.Fatal(err)
	}
	paused, err := cc.MasterForKey(ctx, "k{"+tag+"}")
	if err != nil {
		t.Fatal(err)
	}
	unpause := pauseWrites(t, ctx, paused)

	applied := make(chan error, 2)
	apply := func(event string) { _, err := s.Apply(ctx, intake(event)); applied <- err }
	before := s.Batches()
	go apply("on the wire")
	for s.Batches() == before {
		if ctx.Err() != nil {
			t.Fatal("the first batch was never sent")
		}
		runtime.Gosched()
	}
	go apply("waiting behind it")
	for s.Waiting() == 0 {
		if ctx.Err() != nil {
			t.Fatal("the second Apply never waited")
		}
		runtime.Gosched()
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.Closing() {
		runtime.Gosched()
	}
	if _, err := s.Apply(ctx, intake("after Close")); err == nil {
		t.Fatal("an Apply after Close was taken")
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with a batch on the wire and another waiting", err)
	default:
	}
	unpause()
	for range 2 {
		if err := <-applied; err != nil {
			t.Errorf("an Apply made before Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	check := openPrefix(t, url, prefix)
	if n, err := check.Len(ctx, "events"); err != nil || n != 3 {
		t.Errorf("Len = %d, %v; want the first job and the two made before Close", n, err)
	}
}

// pauseWrites makes master take no write (a script included) until the
// returned unpause, or the test's end, lets it go; should the test process
// die first, the pause ends by itself after 15 s.
func pauseWrites(t *testing.T, ctx context.Context, master *goredis.Client) (unpause func()) {
	t.Helper()
	if err := master.Do(ctx, "CLIENT", "PAUSE", 15000, "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unpause = func() {
		once.Do(func() {
			if err := master.Do(context.Background(), "CLIENT", "UNPAUSE").Err(); err != nil {
				t.Errorf("CLIENT UNPAUSE: %v", err)
			}
		})
	}
	t.Cleanup(unpause)
	return unpause
}
