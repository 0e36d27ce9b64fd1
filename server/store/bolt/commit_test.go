package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// busyCommitter holds s's committer inside a write until the returned
// function is called, so that the writes a test starts meanwhile wait.
func busyCommitter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- s.update(context.Background(), "hold", func(tx *bbolt.Tx) error {
			once.Do(func() { close(started) })
			<-hold
			return tx.Bucket([]byte(kvBucket)).Put([]byte("held"), encodeValue([]byte("1"), 0))
		})
	}()
	<-started
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Errorf("the holding write: %v", err)
		}
	}
}

// waitWaiting waits until n writes wait for the committer.
func waitWaiting(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.waitingWrites() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes waiting, want %d", s.waitingWrites(), n)
		}
		runtime.Gosched()
	}
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "zoomcti.db"), newClock())
}

func TestWritesWaitingForACommitShareTheNext(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	release := busyCommitter(t, s)
	before := s.groups.Load()
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- s.Set(ctx, fmt.Sprintf("k%d", i), []byte("v"), 0) }()
	}
	waitWaiting(t, s, n)
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := s.groups.Load() - before; got != 1 {
		t.Errorf("the %d waiting writes took %d transactions, want 1", n, got)
	}
	for i := range n {
		if _, err := s.Get(ctx, fmt.Sprintf("k%d", i)); err != nil {
			t.Errorf("k%d: %v", i, err)
		}
	}
}

func TestALoneWriteCommitsAtOnce(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	before := s.groups.Load()
	for i := range 3 {
		if err := s.Set(ctx, fmt.Sprintf("k%d", i), []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.groups.Load() - before; got != 3 {
		t.Errorf("3 writes one after another took %d transactions, want 3", got)
	}
}

func TestAFailingWriteLeavesItsGroupAndTheRestCommit(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	release := busyCommitter(t, s)
	refused := errors.New("refused")
	put := func(key string, fail bool) chan error {
		ch := make(chan error, 1)
		go func() {
			ch <- s.update(ctx, "test", func(tx *bbolt.Tx) error {
				if err := tx.Bucket([]byte(kvBucket)).Put([]byte(key), encodeValue([]byte("v"), 0)); err != nil {
					return err
				}
				if fail {
					return refused
				}
				return nil
			})
		}()
		return ch
	}
	a := put("a", false)
	waitWaiting(t, s, 1)
	b := put("b", true)
	waitWaiting(t, s, 2)
	c := put("c", false)
	waitWaiting(t, s, 3)
	release()
	if err := <-a; err != nil {
		t.Errorf("a: %v", err)
	}
	if err := <-b; !errors.Is(err, refused) {
		t.Errorf("b: %v, want its own error", err)
	}
	if err := <-c; err != nil {
		t.Errorf("c: %v", err)
	}
	for key, want := range map[string]error{"a": nil, "b": store.ErrNotFound, "c": nil} {
		if _, err := s.Get(ctx, key); !errors.Is(err, want) && err != want {
			t.Errorf("Get %s: %v, want %v", key, err, want)
		}
	}
}

func TestAPanickingWritePanicsInItsCaller(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	release := busyCommitter(t, s)
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_ = s.update(ctx, "test", func(*bbolt.Tx) error { panic("bug") })
	}()
	waitWaiting(t, s, 1)
	ok := make(chan error, 1)
	go func() { ok <- s.Set(ctx, "after", []byte("v"), 0) }()
	waitWaiting(t, s, 2)
	release()
	if p := <-panicked; p != "bug" {
		t.Errorf("the panicking writer recovered %v, want its own panic", p)
	}
	if err := <-ok; err != nil {
		t.Errorf("the write beside it: %v", err)
	}
	if _, err := s.Get(ctx, "after"); err != nil {
		t.Errorf("the write beside it was not committed: %v", err)
	}
}

func TestAWriteAfterCloseFails(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), "k", []byte("v"), 0); !errors.Is(err, errClosed) {
		t.Errorf("Set after Close: %v, want %v", err, errClosed)
	}
}

// waitingWrites is how many writes wait for the committer.
func (s *Store) waitingWrites() int {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return len(s.pending)
}
