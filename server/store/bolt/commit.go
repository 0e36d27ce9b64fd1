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
// takes 59–63 and 78–85 µs. In zoomcti bench it took the embedded intake
// from 0.27 to 0.30–0.31 of the bare handler, and pops at 50 calls a second
// from p50 3.3 to 2.6 ms (medians). Its cost: at 10,000 agents and 200
// calls a second it commits about 770 times a second, mostly one write
// each, and there the pops' p99 was higher than with Batch (209–336 ms
// against 114–270 ms over six runs each). Letting a group gather for
// 500 µs when writes came back to back gave 128 and 150 ms there, but pops
// at 50 calls a second at p50 3.2 ms, so it was not kept.

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
	s.writeMu.Lock()
	if s.writesClosed {
		s.writeMu.Unlock()
		return errClosed
	}
	s.pending = append(s.pending, w)
	s.writeMu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // the committer is told already
	}
	err := <-w.done
	if err == errTrySolo {
		// On this goroutine, so that a panic in fn is its caller's, as
		// with bbolt's Update.
		err = s.db.Update(fn)
	}
	return err
}

// commitLoop is the committer: when told, it takes every write waiting,
// commits them, answers each, and does so again until none waits. Once
// Close has begun it commits what waits and takes no more.
func (s *Store) commitLoop() {
	defer s.wg.Done()
	var group []*write
	for {
		closing := false
		select {
		case <-s.kick:
		case <-s.stop:
			closing = true
		}
		for {
			s.writeMu.Lock()
			group, s.pending = s.pending, group[:0]
			s.writesClosed = closing
			s.writeMu.Unlock()
			if len(group) == 0 {
				break
			}
			for g := group; len(g) > 0; {
				n := min(len(g), maxGroup)
				s.commitGroup(g[:n])
				g = g[n:]
			}
			clear(group)
		}
		if closing {
			return
		}
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
