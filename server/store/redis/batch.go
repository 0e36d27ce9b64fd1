package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// Batched Apply. Every Apply goes to the batcher, which sends all the txns
// waiting in one script (applyLua): from its own goroutine on one server,
// and on a cluster one script per hash slot, each from a goroutine of that
// slot's. While a slot's batch is on the wire the next txns of that slot
// wait, and are taken all at once when it is back: a lone txn goes out at
// once, and a busy instance's batches grow with the round trip. On a
// cluster each slot waits only for its own batch, so a master that is slow
// (or failing over) holds up the txns of its slots alone. Each txn is still
// checked and made as its own inside the script; what the batch shares is a
// script's fixed cost in redis-server (the call, its TIME, its answer key):
// BenchmarkApplyIntake's 32 concurrent intake writes cost redis-server
// about 38 µs of CPU each as one script each (pipelined by go-redis's
// autopipeliner, which this replaces), 22 µs batched. Redis's CPU is what
// every instance of a deployment shares, so it bounds the deployment, not
// one instance.

// maxBatch bounds the txns of one script (its keys and arguments grow with
// them).
const maxBatch = 64

// errClosed is an Apply's answer once Close has begun.
var errClosed = errors.New("store closed")

// applyCall is one Apply waiting for its batch.
type applyCall struct {
	slot string   // store.Txn.Slot: a batch on a cluster is of one slot
	keys []string // the txn's part of the script's KEYS
	args []any    // the txn's part of its ARGV

	deadline    time.Time // its caller's, if hasDeadline
	hasDeadline bool

	// state is callWaiting until the batcher takes the call, or until its
	// caller gives up waiting (callAbandoned: the batcher then leaves it out).
	state  atomic.Int32
	done   chan struct{} // closed by the batcher when answer and err are set
	answer string
	err    error
	// gaveUp is set by the caller alone: why it did not wait for done
	// (its context ended, or the store was closed).
	gaveUp error
}

const (
	callWaiting int32 = iota
	callTaken
	callAbandoned
)

// batcher gathers the Applies of concurrent callers.
type batcher struct {
	s *Store

	mu      sync.Mutex // guards pending, busy and closed
	pending []*applyCall
	// busy holds the slots with a batch on the wire (on one server, one
	// key for all).
	busy   map[string]bool
	closed bool
	wire   sync.WaitGroup // the batches on the wire

	sent atomic.Int64 // scripts sent (for the tests)

	kick   chan struct{} // 1-slot: calls wait (or, once closing, a slot came free)
	stop   chan struct{} // closed by close
	exited chan struct{} // closed when loop returns
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, busy: map[string]bool{}, kick: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{})}
	go b.loop()
	return b
}

// run sends calls with the calls waiting beside them (all of calls in one
// batch, when they fit), and returns when each has its answer or ctx ends
// (then a call without one has ctx's error).
func (b *batcher) run(ctx context.Context, calls ...*applyCall) {
	dl, hasDL := ctx.Deadline()
	for _, c := range calls {
		c.deadline, c.hasDeadline = dl, hasDL
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		for _, c := range calls {
			c.gaveUp = errClosed
		}
		return
	}
	b.pending = append(b.pending, calls...)
	b.mu.Unlock()
	b.wake()
	for _, c := range calls {
		select {
		case <-c.done:
		case <-ctx.Done():
			select {
			case <-c.done: // answered as ctx ended: the answer stands
				continue
			default:
			}
			// A call not taken yet is left out of its batch; one on the
			// wire has an unknown outcome, as a command's whose context
			// ends while Redis runs it.
			c.state.CompareAndSwap(callWaiting, callAbandoned)
			c.gaveUp = ctx.Err()
		}
	}
}

// close lets the batcher send what is waiting, and refuses what comes after.
func (b *batcher) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	<-b.exited
}

// wake tells the batcher there may be calls it can send.
func (b *batcher) wake() {
	select {
	case b.kick <- struct{}{}:
	default: // the batcher is told already
	}
}

func (b *batcher) loop() {
	defer close(b.exited)
	for {
		select {
		case <-b.kick:
			b.flush()
		case <-b.stop:
			// Send what waits, as its slots come free.
			for {
				b.flush()
				b.mu.Lock()
				idle := len(b.pending) == 0 && len(b.busy) == 0
				b.mu.Unlock()
				if idle {
					b.wire.Wait()
					return
				}
				<-b.kick
			}
		}
	}
}

// flush sends the calls waiting whose slot has no batch on the wire, one
// script per slot of at most maxBatch txns, and reports whether it sent
// any. Each slot's sender then sends that slot's next txns, until none
// waits.
func (b *batcher) flush() bool {
	b.mu.Lock()
	groups := b.takeLocked(func(slot string) bool { return !b.busy[slot] })
	for _, g := range groups {
		b.busy[g.slot] = true
	}
	b.wire.Add(len(groups))
	b.mu.Unlock()
	for _, g := range groups {
		if b.s.cluster == nil {
			// One server, one slot: sent from here, with no goroutine
			// between a lone Apply and the wire.
			b.drain(g.slot, g.calls)
			continue
		}
		go b.drain(g.slot, g.calls)
	}
	return len(groups) > 0
}

// drain sends calls, the first batch of slot, then each batch of slot that
// waits by the time the one before is back.
func (b *batcher) drain(slot string, calls []*applyCall) {
	defer b.wire.Done()
	for len(calls) > 0 {
		b.send(calls)
		b.mu.Lock()
		calls = nil
		if groups := b.takeLocked(func(s string) bool { return s == slot }); len(groups) > 0 {
			calls = groups[0].calls
		}
		closing := false
		if len(calls) == 0 {
			delete(b.busy, slot)
			closing = b.closed
		}
		b.mu.Unlock()
		if closing {
			b.wake() // a closing batcher waits for its slots to come free
		}
	}
}

// slotCalls are the calls of one slot that one script sends.
type slotCalls struct {
	slot  string
	calls []*applyCall
}

// takeLocked takes from pending, by slot, up to maxBatch waiting calls of
// each slot that want accepts, dropping the calls whose callers gave up;
// the groups come in the order of their first call. On one server every
// call is of slot "", so there is one group at most. Caller holds b.mu.
func (b *batcher) takeLocked(want func(slot string) bool) []slotCalls {
	var (
		groups []slotCalls
		index  map[string]int // the groups by slot, once they are many (a cluster's)
	)
	keep := b.pending[:0]
	for _, c := range b.pending {
		slot := ""
		if b.s.cluster != nil {
			slot = c.slot
		}
		g := -1
		if index != nil {
			if i, ok := index[slot]; ok {
				g = i
			}
		} else {
			for i := range groups {
				if groups[i].slot == slot {
					g = i
					break
				}
			}
		}
		if !want(slot) || (g >= 0 && len(groups[g].calls) == maxBatch) {
			if c.state.Load() != callAbandoned {
				keep = append(keep, c)
			}
			continue
		}
		if !c.state.CompareAndSwap(callWaiting, callTaken) {
			continue // its caller gave up
		}
		if g < 0 {
			groups = append(groups, slotCalls{slot: slot})
			g = len(groups) - 1
			if index != nil {
				index[slot] = g
			} else if len(groups) > 8 {
				index = make(map[string]int, 2*len(groups))
				for i, gr := range groups {
					index[gr.slot] = i
				}
			}
		}
		groups[g].calls = append(groups[g].calls, c)
	}
	clear(b.pending[len(keep):])
	b.pending = keep
	if len(b.pending) == 0 {
		b.pending = nil // let the backing array go
	}
	return groups
}

// send runs one script for calls and gives each its answer.
func (b *batcher) send(calls []*applyCall) {
	if len(calls) == 0 {
		return
	}
	nk, na := 1, 1
	for _, c := range calls {
		nk += len(c.keys)
		na += len(c.args)
	}
	keys := make([]string, 1, nk)
	args := make([]any, 1, na)
	args[0] = len(calls)
	for _, c := range calls {
		keys = append(keys, c.keys...)
		args = append(args, c.args...)
	}
	// The answers' key carries the hash tag of the batch's keys (one slot
	// on a cluster), or, untagged, the whole name of its first key as its
	// tag, which Redis hashes alike.
	tag := b.s.prefix
	if len(keys) > 1 {
		if tag = store.Tag(keys[1]); tag == "" {
			tag = keys[1]
		}
	}
	keys[0] = b.s.prefix + "ran:{" + tag + "}:" + rand.Text()
	b.sent.Add(1)
	ctx, cancel := batchContext(calls)
	res, err := b.s.apply.Run(ctx, b.s.client, keys, args...).StringSlice()
	cancel()
	if err == nil && len(res) != len(calls) {
		err = fmt.Errorf("%d answers for %d txns", len(res), len(calls))
	}
	for i, c := range calls {
		if err != nil {
			c.err = err
		} else {
			c.answer = res[i]
		}
		close(c.done)
	}
}

// batchContext gives a batch the latest deadline of its calls', none if
// one of them has none (the client's own timeouts still apply).
func batchContext(calls []*applyCall) (context.Context, context.CancelFunc) {
	var latest time.Time
	for _, c := range calls {
		if !c.hasDeadline {
			return context.Background(), func() {}
		}
		if c.deadline.After(latest) {
			latest = c.deadline
		}
	}
	return context.WithDeadline(context.Background(), latest)
}
