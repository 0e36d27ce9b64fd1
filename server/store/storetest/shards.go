package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// testShardsClaimOldestFirst: Claim on a queue takes the job that has been
// due longest across its shards, so a busy shard never starves another.
func testShardsClaimOldestFirst(t *testing.T, s store.Store, advance func(time.Duration)) {
	const step = 5 * time.Millisecond // Redis orders by whole milliseconds
	var want []string
	var payloads []string
	add := func(queue, payload string) {
		want = append(want, mustEnqueue(t, s, queue, payload))
		payloads = append(payloads, payload)
	}
	add("q{a}", "a1")
	add("q{a}", "a2")
	add("q{a}", "a3")
	advance(step)
	add("q{b}", "b1")
	advance(step)
	add("q", "default")
	advance(step)
	add("q{a}", "a4")
	mustEnqueue(t, s, "other{a}", "another queue")

	for _, id := range want[:3] {
		if tag := store.Tag(id); tag != "a" {
			t.Fatalf("job %s of shard q{a} has tag %q", id, tag)
		}
	}
	if tag := store.Tag(want[4]); tag != "" {
		t.Fatalf("job %s of the default shard has tag %q", want[4], tag)
	}
	wantLen(t, s, "q", 6)
	wantLen(t, s, "q{a}", 4)
	wantLen(t, s, "q{b}", 1)
	for i, id := range want {
		mustClaim(t, s, "q", time.Minute, id, payloads[i], 1)
	}
	wantNoClaim(t, s, "q")
	wantLen(t, s, "other", 1)
}

// testShardsJobs: a sharded job is leased, retried, acked and counted like
// any other, found by its id from the queue's name or its shard's.
func testShardsJobs(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxFor(t)
	id := mustEnqueue(t, s, "q{a}", "work")
	other := mustEnqueue(t, s, "q{b}", "other")
	// A shard's name claims from that shard only.
	mustClaim(t, s, "q{b}", time.Minute, other, "other", 1)
	wantNoClaim(t, s, "q{b}")
	mustClaim(t, s, "q", ttl, id, "work", 1)
	wantNoClaim(t, s, "q")
	advance(ttl + slack)
	mustClaim(t, s, "q", time.Minute, id, "work", 2)
	if err := s.Retry(ctx, "q", id, 0, "again"); err != nil {
		t.Fatalf("Retry(q, %s): %v", id, err)
	}
	job := mustClaim(t, s, "q{a}", time.Minute, id, "work", 3)
	if job.LastErr != "again" {
		t.Fatalf("LastErr = %q, want again", job.LastErr)
	}
	wantLen(t, s, "q", 2)
	if err := s.Ack(ctx, "q{a}", id); err != nil {
		t.Fatalf("Ack(q{a}, %s): %v", id, err)
	}
	if err := s.Ack(ctx, "q", id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Ack = %v, want ErrNotFound", err)
	}
	if err := s.Ack(ctx, "q", other); err != nil {
		t.Fatalf("Ack(q, %s): %v", other, err)
	}
	wantLen(t, s, "q", 0)
	if err := s.Ack(ctx, "q", "{c}0000000000000001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Ack(a shard never used) = %v, want ErrNotFound", err)
	}
	if err := s.Retry(ctx, "q", "{a}0000000000000099", 0, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Retry(unknown) = %v, want ErrNotFound", err)
	}
}

// testShardsMarks: dedupe marks belong to a shard.
func testShardsMarks(t *testing.T, s store.Store, _ func(time.Duration)) {
	if _, fresh := enqueueOnce(t, s, "q{a}", "event-1", time.Hour, "first"); !fresh {
		t.Fatal("first EnqueueOnce on q{a} was not fresh")
	}
	if _, fresh := enqueueOnce(t, s, "q{a}", "event-1", time.Hour, "again"); fresh {
		t.Fatal("second EnqueueOnce on q{a} was fresh")
	}
	if _, fresh := enqueueOnce(t, s, "q{b}", "event-1", time.Hour, "elsewhere"); !fresh {
		t.Fatal("EnqueueOnce of a key marked on another shard was not fresh")
	}
	if _, fresh := enqueueOnce(t, s, "q", "event-1", time.Hour, "default"); !fresh {
		t.Fatal("EnqueueOnce of a key marked on another shard (the default) was not fresh")
	}
	wantLen(t, s, "q", 3)
	wantKeys(t, s, "")
}

// testShardsConcurrentClaimers: claimers of a sharded queue process every
// job exactly once.
func testShardsConcurrentClaimers(t *testing.T, s store.Store, _ func(time.Duration)) {
	const jobs, workers = 120, 8
	shards := []string{"q", "q{a}", "q{b}", "q{c}", "q{d}", "q{e}"}
	want := make(map[string]string, jobs)
	for i := range jobs {
		p := fmt.Sprint("job-", i)
		want[mustEnqueue(t, s, shards[i%len(shards)], p)] = p
	}
	claimEachOnce(t, s, "q", workers, want)
	wantLen(t, s, "q", 0)
}
