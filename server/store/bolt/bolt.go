// Package bolt is the embedded store, zoomcti's default: everything the
// server persists lives in one bbolt file on local disk, and publish /
// subscribe fans out inside the process. It serves exactly one instance;
// several instances share state through package redis instead.
package bolt

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// Options configures the embedded store.
type Options struct {
	// Clock returns the current time. It decides key expiry and when queued
	// jobs become due, so tests can move time without sleeping. Default
	// time.Now.
	Clock func() time.Time
}

// Store is the embedded implementation of store.Store.
type Store struct {
	db    *bbolt.DB
	clock func() time.Time
	// afterMark, when set (by tests only), runs inside Apply's
	// transaction between the dedupe mark and the job; an error from it
	// stands for a failure in between, such as a full disk.
	afterMark func(dedupeKey string) error

	mu     sync.RWMutex // guards subs and closed
	subs   map[string]map[*subscription]struct{}
	closed bool

	// The committer's (commit.go): the writes waiting for it, and a
	// wake-up for it when it idles.
	writeMu      sync.Mutex
	pending      []*write
	writesClosed bool // Close has begun: no more writes are taken
	kick         chan struct{}
	groups       atomic.Int64  // transactions the committer has run
	stop         chan struct{} // closed by Close to end the sweeper and the committer
	wg           sync.WaitGroup
	closeOnce    sync.Once
	closeErr     error
}

var _ store.Store = (*Store)(nil)

// Top-level buckets. Queues nest one bucket per queue name inside
// queuesBucket (see queue.go).
const (
	kvBucket     = "kv"
	queuesBucket = "queues"
)

// sweepInterval is how often expired keys are purged from disk. Reads check
// expiry themselves, so this only bounds how long dead bytes stay in the file.
const sweepInterval = time.Minute

// Open opens (creating if needed) the store file at path.
func Open(path string, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	// bbolt holds an exclusive file lock; without a timeout a second process
	// on the same file would hang forever instead of failing.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s (is another instance using it?): %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{kvBucket, queuesBucket} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: create buckets: %w", path, err)
	}
	s := &Store{
		db:    db,
		clock: opts.Clock,
		subs:  make(map[string]map[*subscription]struct{}),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
	}
	s.wg.Add(2)
	go s.sweepLoop()
	go s.commitLoop()
	return s, nil
}

// Ping reports whether the database file is open.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, "ping", func(*bbolt.Tx) error { return nil })
}

// Close stops the sweeper, ends every open subscription and closes the file.
// Calling it again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		s.closeSubscriptions()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("bolt: close: %w", err)
		}
	})
	return s.closeErr
}

func (s *Store) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			// A failed sweep is harmless: reads still hide expired keys and
			// the next tick tries again.
			_ = s.purgeExpired()
		}
	}
}

// update runs fn in a read-write transaction, wrapping any error with op.
//
// Writes from concurrent goroutines are committed together (commit.go):
// every commit waits for the disk, and one sync for many writes is what
// lets one instance keep up with a busy call center. fn may therefore run
// more than once (a group whose other member fails is run again without
// it), so it must set its results from scratch on every run.
func (s *Store) update(ctx context.Context, op string, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	if err := s.commit(fn); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	return nil
}

// view runs fn in a read-only transaction, wrapping any error with op.
func (s *Store) view(ctx context.Context, op string, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	if err := s.db.View(fn); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	return nil
}
