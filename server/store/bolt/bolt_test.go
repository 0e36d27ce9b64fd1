package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// clock is a settable clock shared by a test and its store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openAt(t *testing.T, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(path, Options{Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.RunWithClock(t, func(t *testing.T) (store.Store, func(time.Duration)) {
		c := newClock()
		return openAt(t, filepath.Join(t.TempDir(), "zoomcti.db"), c), c.Advance
	})
}

func TestSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zoomcti.db")
	c := newClock()

	s := openAt(t, path, c)
	if err := s.Set(ctx, "token:u1", []byte("secret"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "dedupe:e1", []byte("1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range []string{"log-1", "log-2"} {
		id, err := s.Enqueue(ctx, "outbox", []byte(p))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Claimed and then the process dies before acking.
	if job, err := s.Claim(ctx, "outbox", time.Minute); err != nil || job == nil || job.ID != ids[0] {
		t.Fatalf("Claim = %+v, %v; want job %s", job, err, ids[0])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, c)
	for _, k := range []string{"token:u1", "dedupe:e1"} {
		if _, err := s.Get(ctx, k); err != nil {
			t.Errorf("Get(%s) after restart: %v", k, err)
		}
	}
	if n, err := s.Len(ctx, "outbox"); err != nil || n != 2 {
		t.Fatalf("Len after restart = %d, %v; want 2", n, err)
	}
	// The lease survives the restart: log-1 is still held, log-2 is due.
	job, err := s.Claim(ctx, "outbox", time.Minute)
	if err != nil || job == nil || job.ID != ids[1] || string(job.Payload) != "log-2" {
		t.Fatalf("Claim after restart = %+v, %v; want log-2", job, err)
	}
	c.Advance(time.Minute)
	job, err = s.Claim(ctx, "outbox", time.Minute)
	if err != nil || job == nil || job.ID != ids[0] || string(job.Payload) != "log-1" || job.Attempts != 2 {
		t.Fatalf("Claim after lease = %+v, %v; want log-1, attempt 2", job, err)
	}
	// New ids keep counting instead of reusing acked ones.
	if err := s.Ack(ctx, "outbox", ids[0]); err != nil {
		t.Fatal(err)
	}
	id, err := s.Enqueue(ctx, "outbox", []byte("log-3"))
	if err != nil || id == ids[0] || id == ids[1] {
		t.Fatalf("Enqueue after restart = %q, %v; want a fresh id", id, err)
	}
}

func TestPurgeExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "zoomcti.db"), c)
	if err := s.Set(ctx, "short", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "long", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Count(ctx, store.Tally{Key: "short", Add: map[string]int64{"n": 1}, TTL: time.Second},
		store.Tally{Key: "long", Add: map[string]int64{"n": 1}, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if err := s.purgeExpired(); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{kvBucket, countersBucket} {
		var left []string
		err := s.db.View(func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte(bucket)).ForEach(func(k, _ []byte) error {
				left = append(left, string(k))
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0] != "long" {
			t.Fatalf("%s on disk after purge = %q, want [long]", bucket, left)
		}
	}
}

func TestSecondOpenFails(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "zoomcti.db")
	openAt(t, path, newClock())
	if s, err := Open(path, Options{}); err == nil {
		_ = s.Close()
		t.Fatal("second Open of a file in use succeeded; want an error")
	}
}

// TestEnqueueOnceFailureInBetween fails an Apply with a mark after the
// dedupe mark is written and before the job is: nothing may be left, so the
// redelivery is fresh. Calls batched with the failing one still commit.
func TestEnqueueOnceFailureInBetween(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "zoomcti.db"), newClock())
	errDiskFull := errors.New("disk full")
	var failing atomic.Bool
	failing.Store(true)
	s.afterMark = func(key string) error {
		if key == "doomed" && failing.Load() {
			return errDiskFull
		}
		return nil
	}

	const others = 8
	var wg sync.WaitGroup
	errs := make([]error, others)
	fresh := make([]bool, others)
	for i := range others {
		wg.Go(func() {
			_, fresh[i], errs[i] = storetest.EnqueueOnce(ctx, s, "events", fmt.Sprint("event-", i), time.Hour, []byte("ok"))
		})
	}
	id, ok, err := storetest.EnqueueOnce(ctx, s, "events", "doomed", time.Hour, []byte("doomed"))
	wg.Wait()
	if !errors.Is(err, errDiskFull) || ok || id != "" {
		t.Fatalf("EnqueueOnce failing in between = %q, %v, %v; want the injected error", id, ok, err)
	}
	for i := range others {
		if errs[i] != nil || !fresh[i] {
			t.Errorf("EnqueueOnce(event-%d) beside the failing call = %v, %v; want fresh", i, fresh[i], errs[i])
		}
	}
	if n, err := s.Len(ctx, "events"); err != nil || n != others {
		t.Fatalf("Len = %d, %v; want %d (the failed call's job must not be there)", n, err, others)
	}

	// The failed call left no mark: the redelivery is fresh and stored.
	failing.Store(false)
	id, ok, err = storetest.EnqueueOnce(ctx, s, "events", "doomed", time.Hour, []byte("redelivery"))
	if err != nil || !ok || id == "" {
		t.Fatalf("redelivery after the failure = %q, %v, %v; want fresh", id, ok, err)
	}
	if _, ok, err := storetest.EnqueueOnce(ctx, s, "events", "doomed", time.Hour, []byte("again")); err != nil || ok {
		t.Fatalf("second redelivery = %v, %v; want a duplicate", ok, err)
	}
	if n, err := s.Len(ctx, "events"); err != nil || n != others+1 {
		t.Fatalf("Len = %d, %v; want %d", n, err, others+1)
	}
}

// TestPurgeExpiredMarks: the sweeper drops expired dedupe marks too, and
// keeps live ones.
func TestPurgeExpiredMarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "zoomcti.db"), c)
	for _, m := range []struct {
		key string
		ttl time.Duration
	}{{"short", time.Second}, {"long", time.Hour}, {"forever", 0}} {
		if _, ok, err := storetest.EnqueueOnce(ctx, s, "events", m.key, m.ttl, []byte("x")); err != nil || !ok {
			t.Fatalf("EnqueueOnce(%s) = %v, %v", m.key, ok, err)
		}
	}
	c.Advance(time.Minute)
	if err := s.purgeExpired(); err != nil {
		t.Fatal(err)
	}
	var left []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(queuesBucket)).Bucket([]byte("events")).Bucket([]byte(onceBucket)).ForEach(func(k, _ []byte) error {
			left = append(left, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"forever", "long"}) {
		t.Fatalf("marks on disk after purge = %q, want [forever long]", left)
	}
}
