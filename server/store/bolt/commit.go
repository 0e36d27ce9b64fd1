package bolt

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Group commit. Every write of the store goes to one committer goroutine,
// which runs all the writes that are waiting in one bbolt transaction, so
// they share its page writes and its two disk syncs. While it commits, the
// next writers wait, and it takes all of them at once when it is done: a
// lone write commits at once, and a busy instance's batches grow with the
// time a commit takes.
//
// bbolt's own Batch instead waits a fixed MaxBatchDelay after a batch's
// first write for company (so a lone write waits it out), and closes a
// batch when its timer fires whether or not the disk is free. Measured with
// BenchmarkApplyIntake (32 concurrent intake writes) on a 2-core machine,
// to one queue shard and spread over 1,000: Batch at a 500 µs delay took
// 83–85 and 103–110 µs a write, at no delay 355 and 259 µs; this committer
// takes 59–63 and 78–85 µs.

// maxGroup bounds the writes of one commit, as bbolt's MaxBatchSize.
const maxGroup = 1000

// errTrySolo tells a writer to run its write in a transaction of its own:
// it failed in a group, which was then committed without it.
var errTrySolo = errors.New("bolt: run this write on its own")

type write struct {
	fn   func(*bbolt.Tx) error
	done chan error // buffered: the committer never waits on a writer
}

// errClosed is a write's answer once Close has begun.
var errClosed = errors.New("bolt: store closed")

// commit runs fn in a read-write transaction, committed with the writes of
// other goroutines waiting at the same time. fn may run more than once (a
// group one of whose writes fails is run again without it), so it must set
// its results from scratch on every run.
func (s *Store) commit(fn func(*bbolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	s.waiting.Add(1)
	select {
	case s.writes <- w:
	case <-s.stop:
		s.waiting.Add(-1)
		return errClosed
	}
	err := <-w.done
	if err == errTrySolo {
		// On this goroutine, so that a panic in fn is its caller's, as
		// with bbolt's Update.
		err = s.db.Update(fn)
	}
	return err
}

// commitLoop is the committer: it takes the first waiting write, every
// other one waiting behind it, commits them, and answers each.
func (s *Store) commitLoop() {
	defer s.wg.Done()
	group := make([]*write, 0, 64)
	for {
		select {
		case w := <-s.writes:
			group = append(group[:0], w)
			s.waiting.Add(-1)
		case <-s.stop:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case w := <-s.writes:
				group = append(group, w)
				s.waiting.Add(-1)
			default:
				break more
			}
		}
		s.commitGroup(group)
		clear(group)
	}
}

// commitGroup commits group in one transaction. A write that fails (or
// panics) is left out and told to run alone, and the rest are run again
// without it, as bbolt's Batch does.
func (s *Store) commitGroup(group []*write) {
	for len(group) > 0 {
		s.groups.Add(1)
		failed := -1
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for i, w := range group {
				if err := runWrite(w.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, w := range group {
				w.done <- err
			}
			return
		}
		group[failed].done <- errTrySolo
		group = append(group[:failed], group[failed+1:]...)
	}
}

// runWrite runs fn, turning a panic into an error so that one writer's bug
// does not take the committer down with it; that writer runs its write
// again alone, on its own goroutine, and panics there.
func runWrite(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bolt: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
