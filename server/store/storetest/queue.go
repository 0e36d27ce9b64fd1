package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

func mustEnqueue(t *testing.T, s store.Store, queue, payload string) string {
	t.Helper()
	id, err := s.Enqueue(ctxFor(t), queue, []byte(payload))
	if err != nil {
		t.Fatalf("Enqueue(%q): %v", queue, err)
	}
	if id == "" {
		t.Fatalf("Enqueue(%q) returned an empty id", queue)
	}
	return id
}

// mustClaim claims a job and fails unless it is the one wanted.
func mustClaim(t *testing.T, s store.Store, queue string, lease time.Duration, wantID, wantPayload string, wantAttempts int) *store.Job {
	t.Helper()
	job, err := s.Claim(ctxFor(t), queue, lease)
	if err != nil {
		t.Fatalf("Claim(%q): %v", queue, err)
	}
	if job == nil {
		t.Fatalf("Claim(%q) = nil, want job %s", queue, wantID)
	}
	if job.ID != wantID || string(job.Payload) != wantPayload || job.Attempts != wantAttempts {
		t.Fatalf("Claim(%q) = {ID %s, Payload %q, Attempts %d}, want {%s, %q, %d}",
			queue, job.ID, job.Payload, job.Attempts, wantID, wantPayload, wantAttempts)
	}
	if job.Enqueued.IsZero() {
		t.Fatalf("Claim(%q): Enqueued is zero", queue)
	}
	return job
}

func wantNoClaim(t *testing.T, s store.Store, queue string) {
	t.Helper()
	job, err := s.Claim(ctxFor(t), queue, time.Minute)
	if err != nil || job != nil {
		t.Fatalf("Claim(%q) = %+v, %v; want nil, nil", queue, job, err)
	}
}

func wantLen(t *testing.T, s store.Store, queue string, want int) {
	t.Helper()
	n, err := s.Len(ctxFor(t), queue)
	if err != nil || n != want {
		t.Fatalf("Len(%q) = %d, %v; want %d", queue, n, err, want)
	}
}

func testQueueFIFO(t *testing.T, s store.Store, _ func(time.Duration)) {
	var ids []string
	for i := range 5 {
		ids = append(ids, mustEnqueue(t, s, "q", fmt.Sprint("job-", i)))
	}
	other := mustEnqueue(t, s, "other", "elsewhere")
	for i, id := range ids {
		mustClaim(t, s, "q", time.Minute, id, fmt.Sprint("job-", i), 1)
	}
	wantNoClaim(t, s, "q")
	mustClaim(t, s, "other", time.Minute, other, "elsewhere", 1)
}

func testClaimEmpty(t *testing.T, s store.Store, _ func(time.Duration)) {
	wantNoClaim(t, s, "never-used")
	wantLen(t, s, "never-used", 0)
}

func testLeaseExpiry(t *testing.T, s store.Store, advance func(time.Duration)) {
	id := mustEnqueue(t, s, "q", "work")
	first := mustClaim(t, s, "q", ttl, id, "work", 1)
	// Leased: no other consumer sees it.
	wantNoClaim(t, s, "q")

	// The consumer never acked (it crashed); once the lease runs out the job
	// is handed out again.
	advance(ttl + slack)
	second := mustClaim(t, s, "q", time.Minute, id, "work", 2)
	if !second.Enqueued.Equal(first.Enqueued) {
		t.Fatalf("Enqueued changed on reclaim: %v, then %v", first.Enqueued, second.Enqueued)
	}
	if err := s.Ack(ctxFor(t), "q", id); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	wantLen(t, s, "q", 0)
	wantNoClaim(t, s, "q")
}

func testRetry(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxFor(t)
	id := mustEnqueue(t, s, "q", "work")
	mustClaim(t, s, "q", time.Minute, id, "work", 1)
	if err := s.Retry(ctx, "q", id, ttl, "salesforce: 503"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	// Delayed: not due yet, but still held.
	wantNoClaim(t, s, "q")
	wantLen(t, s, "q", 1)

	advance(ttl + slack)
	job := mustClaim(t, s, "q", time.Minute, id, "work", 2)
	if job.LastErr != "salesforce: 503" {
		t.Fatalf("LastErr = %q, want the Retry reason", job.LastErr)
	}
	// No delay: due at once.
	if err := s.Retry(ctx, "q", id, 0, "again"); err != nil {
		t.Fatalf("Retry(no delay): %v", err)
	}
	job = mustClaim(t, s, "q", time.Minute, id, "work", 3)
	if job.LastErr != "again" {
		t.Fatalf("LastErr = %q, want again", job.LastErr)
	}
}

func testAckRetryUnknown(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	if err := s.Ack(ctx, "q", "no-such-job"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Ack(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.Retry(ctx, "q", "no-such-job", 0, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Retry(unknown) = %v, want ErrNotFound", err)
	}
	id := mustEnqueue(t, s, "q", "work")
	mustClaim(t, s, "q", time.Minute, id, "work", 1)
	if err := s.Ack(ctx, "q", id); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := s.Ack(ctx, "q", id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Ack = %v, want ErrNotFound", err)
	}
	if err := s.Retry(ctx, "q", id, 0, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Retry after Ack = %v, want ErrNotFound", err)
	}
	// Queue q is empty now, so an id of another queue is unknown to it.
	other := mustEnqueue(t, s, "other", "x")
	if err := s.Ack(ctx, "q", other); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Ack(id of another queue) = %v, want ErrNotFound", err)
	}
}

func testConcurrentClaimers(t *testing.T, s store.Store, _ func(time.Duration)) {
	const jobs, workers = 200, 8
	want := make(map[string]string, jobs)
	for i := range jobs {
		p := fmt.Sprint("job-", i)
		want[mustEnqueue(t, s, "q", p)] = p
	}
	claimEachOnce(t, s, "q", workers, want)
	wantLen(t, s, "q", 0)
}

// claimEachOnce has workers claim queue's jobs and acknowledge them until
// none is left, and fails t unless each job of want (id → payload) was
// claimed exactly once, with its payload, and no other.
func claimEachOnce(t *testing.T, s store.Store, queue string, workers int, want map[string]string) {
	t.Helper()
	ctx := ctxFor(t)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = make(map[string]int)
	)
	for range workers {
		wg.Go(func() {
			for {
				job, err := s.Claim(ctx, queue, time.Minute)
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if job == nil {
					return
				}
				mu.Lock()
				seen[job.ID]++
				mu.Unlock()
				if want[job.ID] != string(job.Payload) {
					t.Errorf("job %s payload %q, want %q", job.ID, job.Payload, want[job.ID])
				}
				if err := s.Ack(ctx, queue, job.ID); err != nil {
					t.Errorf("Ack(%s): %v", job.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != len(want) {
		t.Errorf("processed %d distinct jobs, want %d", len(seen), len(want))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %s processed %d times, want once", id, n)
		}
	}
}

func testLen(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	a := mustEnqueue(t, s, "q", "a")
	mustEnqueue(t, s, "q", "b")
	mustEnqueue(t, s, "q", "c")
	wantLen(t, s, "q", 3)
	mustClaim(t, s, "q", time.Minute, a, "a", 1)
	wantLen(t, s, "q", 3) // claimed jobs still count
	if err := s.Retry(ctx, "q", a, time.Hour, "later"); err != nil {
		t.Fatal(err)
	}
	wantLen(t, s, "q", 3) // so do delayed ones
	if err := s.Ack(ctx, "q", a); err != nil {
		t.Fatal(err)
	}
	wantLen(t, s, "q", 2)
	wantLen(t, s, "other", 0)
}

// enqueueOnce calls EnqueueOnce and checks that its answer is consistent:
// an id exactly when fresh.
func enqueueOnce(t *testing.T, s store.Store, queue, key string, ttl time.Duration, payload string) (string, bool) {
	t.Helper()
	id, fresh, err := EnqueueOnce(ctxFor(t), s, queue, key, ttl, []byte(payload))
	if err != nil {
		t.Fatalf("EnqueueOnce(%q, %q): %v", queue, key, err)
	}
	if fresh != (id != "") {
		t.Fatalf("EnqueueOnce(%q, %q) = %q, fresh %v; want an id exactly when fresh", queue, key, id, fresh)
	}
	return id, fresh
}

func testEnqueueOnce(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxFor(t)
	id, fresh := enqueueOnce(t, s, "q", "event-1", time.Hour, "first")
	if !fresh {
		t.Fatal("first EnqueueOnce was not fresh")
	}
	wantLen(t, s, "q", 1)
	if _, fresh := enqueueOnce(t, s, "q", "event-1", time.Hour, "redelivery"); fresh {
		t.Fatal("second EnqueueOnce with the same key was fresh")
	}
	wantLen(t, s, "q", 1)
	mustClaim(t, s, "q", time.Minute, id, "first", 1)
	if err := s.Ack(ctx, "q", id); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	// The mark outlives the job: a redelivery after processing is still a
	// duplicate.
	if _, fresh := enqueueOnce(t, s, "q", "event-1", time.Hour, "late redelivery"); fresh {
		t.Fatal("EnqueueOnce after the job was acked was fresh; the mark must outlive the job")
	}
	wantLen(t, s, "q", 0)

	// Another key, or the same key on another queue, is another mark.
	other, fresh := enqueueOnce(t, s, "q", "event-2", time.Hour, "second")
	if !fresh {
		t.Fatal("EnqueueOnce with another key was not fresh")
	}
	mustClaim(t, s, "q", time.Minute, other, "second", 1)
	if _, fresh := enqueueOnce(t, s, "elsewhere", "event-1", time.Hour, "x"); !fresh {
		t.Fatal("EnqueueOnce of a key marked on another queue was not fresh")
	}
	// Marks are not KV keys.
	wantMissing(t, s, "event-1")
	wantKeys(t, s, "")
	// Plain Enqueue ignores marks.
	mustEnqueue(t, s, "q", "plain")
	wantLen(t, s, "q", 2)
}

func testEnqueueOnceTTL(t *testing.T, s store.Store, advance func(time.Duration)) {
	if _, fresh := enqueueOnce(t, s, "q", "event-1", ttl, "first"); !fresh {
		t.Fatal("first EnqueueOnce was not fresh")
	}
	if _, fresh := enqueueOnce(t, s, "q", "forever", 0, "kept"); !fresh {
		t.Fatal("first EnqueueOnce without ttl was not fresh")
	}
	if _, fresh := enqueueOnce(t, s, "q", "event-1", ttl, "too soon"); fresh {
		t.Fatal("EnqueueOnce before the ttl ran out was fresh")
	}
	advance(ttl + slack)
	id, fresh := enqueueOnce(t, s, "q", "event-1", ttl, "after ttl")
	if !fresh {
		t.Fatal("EnqueueOnce after the ttl ran out was not fresh")
	}
	if _, fresh := enqueueOnce(t, s, "q", "forever", 0, "again"); fresh {
		t.Fatal("a mark without ttl expired")
	}
	wantLen(t, s, "q", 3)
	// The new job is there, behind the two first ones.
	for range 2 {
		if job, err := s.Claim(ctxFor(t), "q", time.Minute); err != nil || job == nil {
			t.Fatalf("Claim = %+v, %v", job, err)
		}
	}
	mustClaim(t, s, "q", time.Minute, id, "after ttl", 1)
}

func testEnqueueOnceConcurrent(t *testing.T, s store.Store, _ func(time.Duration)) {
	const callers = 16
	ctx := ctxFor(t)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh []string
	)
	for i := range callers {
		wg.Go(func() {
			id, ok, err := EnqueueOnce(ctx, s, "q", "event-1", time.Hour, []byte(fmt.Sprint("delivery-", i)))
			if err != nil {
				t.Errorf("EnqueueOnce: %v", err)
				return
			}
			if ok {
				mu.Lock()
				fresh = append(fresh, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(fresh) != 1 {
		t.Fatalf("%d of %d concurrent EnqueueOnce calls with one key were fresh (%v), want exactly 1", len(fresh), callers, fresh)
	}
	wantLen(t, s, "q", 1)
}
