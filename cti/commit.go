package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// What one event changes in the store is applied in one step: the call's
// new state (if nobody changed it since it was read), the markers and
// outbox jobs the event decided on, and the acknowledgement of the event
// itself, all keys of one hash slot (the agent's tag, keys.go). On the embedded store that is one transaction and one disk sync;
// on Redis one script. Events of one call are applied one at a time in
// this process (a mutex per call), and across instances by the expectation
// on the call's state: the loser of a race reads again and redoes its event.

// Txn is a set of changes the KV applies atomically (see store.Txn).
type Txn struct {
	Expect  []Cond
	Set     []Put
	Delete  []string
	Enqueue []NewJob
	Ack     []JobRef
}

// Cond expects key to hold Value (nil: to be absent).
type Cond struct {
	Key   string
	Value []byte
}

// Put writes Value under Key; IfAbsent leaves a live key as it is.
type Put struct {
	Key      string
	Value    []byte
	TTL      time.Duration
	IfAbsent bool
}

// NewJob is a job to enqueue; Lease > 0 creates it claimed by the caller.
type NewJob struct {
	Queue   string
	Payload []byte
	Lease   time.Duration
}

// JobRef names a queued job.
type JobRef struct{ Queue, ID string }

// Job is a job the engine enqueued already claimed, for its caller to run
// at once (EngineConfig.Inline) instead of waiting for a worker's claim.
type Job struct {
	Ref     JobRef
	Payload []byte
	// Attempts counts the runs of the job, this one included (0: unknown).
	Attempts int
}

// InlineLease is how long a job enqueued for Inline stays the enqueuer's:
// if this process dies before running it, a worker anywhere claims it then.
const InlineLease = 30 * time.Second

// batch gathers one event's changes before they are applied, and what is
// done once they are.
type batch struct {
	txn    Txn
	inline []bool                  // per Enqueue: run at once by this process
	after  []func(context.Context) // pushes to the softphone, once the changes are stored
}

func (b *batch) set(key string, value []byte, ttl time.Duration) {
	b.txn.Set = append(b.txn.Set, Put{Key: key, Value: value, TTL: ttl})
}

func (b *batch) setIfAbsent(key string, value []byte, ttl time.Duration) {
	b.txn.Set = append(b.txn.Set, Put{Key: key, Value: value, TTL: ttl, IfAbsent: true})
}

func (b *batch) del(key string) { b.txn.Delete = append(b.txn.Delete, key) }

// enqueue adds an outbox job, on its agent's shard (in the slot of the
// agent's keys); run says whether this process runs it at once.
func (b *batch) enqueue(job outboxJob, run bool) error {
	p, err := json.Marshal(job)
	if err != nil {
		return err
	}
	b.txn.Enqueue = append(b.txn.Enqueue, NewJob{Queue: job.shard(), Payload: p})
	b.inline = append(b.inline, run)
	return nil
}

// apply stores b's changes, acknowledging ack with them, then runs what
// waits for them. It returns ErrConflict (the store's) unchanged.
func (e *Engine) apply(ctx context.Context, b *batch, ack JobRef) error {
	txn := b.txn
	if ack.ID != "" {
		txn.Ack = append(txn.Ack, ack)
	}
	if len(txn.Expect)+len(txn.Set)+len(txn.Delete)+len(txn.Enqueue)+len(txn.Ack) == 0 {
		for _, f := range b.after {
			f(ctx)
		}
		return nil
	}
	runs := make([]func(*Job), len(txn.Enqueue))
	if e.cfg.Inline != nil {
		txn.Enqueue = slices.Clone(txn.Enqueue)
		for i, inline := range b.inline {
			if inline {
				if runs[i] = e.cfg.Inline(); runs[i] != nil {
					txn.Enqueue[i].Lease = InlineLease
				}
			}
		}
	}
	ids, err := e.cfg.KV.Apply(ctx, txn)
	if err != nil {
		for _, run := range runs {
			if run != nil {
				run(nil)
			}
		}
		return err
	}
	for _, f := range b.after {
		f(ctx)
	}
	for i, run := range runs {
		if run != nil {
			run(&Job{Ref: JobRef{Queue: OutboxQueue, ID: ids[i]}, Payload: txn.Enqueue[i].Payload, Attempts: 1})
		}
	}
	return nil
}

// isConflict reports whether err is the store's "changed since read".
func (e *Engine) isConflict(err error) bool { return errors.Is(err, e.cfg.Conflict) }

// storeCall adds the call's new state to b, expecting the state it was
// loaded from, without making it the agent's active call.
func (e *Engine) storeCall(b *batch, a Agent, c *Call) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := e.callKey(a, c.ID)
	b.txn.Expect = append(b.txn.Expect, Cond{Key: key, Value: c.loaded})
	b.set(key, v, callTTL)
	return nil
}

// saveCall is storeCall that also keeps the agent's active call pointing
// at a call in progress.
func (e *Engine) saveCall(ctx context.Context, b *batch, a Agent, c *Call) error {
	if err := e.storeCall(b, a, c); err != nil {
		return err
	}
	if !c.Over() {
		b.set(e.activeKey(a), []byte(c.ID), callTTL)
		return nil
	}
	// Only clear the active call if it is this one.
	cur, err := e.cfg.KV.Get(ctx, e.activeKey(a))
	switch {
	case errors.Is(err, e.cfg.NotFound):
	case err != nil:
		return fmt.Errorf("cti: read active call: %w", err)
	case string(cur) == c.ID:
		b.txn.Expect = append(b.txn.Expect, Cond{Key: e.activeKey(a), Value: cur})
		b.del(e.activeKey(a))
	}
	return nil
}

// callLocks serialises the events of one call in this process, so that
// they neither race for the store nor look the caller up twice.
type callLocks struct {
	mu    sync.Mutex
	locks map[string]*callLock
}

type callLock struct {
	mu   sync.Mutex
	refs int
}

func (l *callLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*callLock{}
	}
	c := l.locks[key]
	if c == nil {
		c = &callLock{}
		l.locks[key] = c
	}
	c.refs++
	l.mu.Unlock()
	c.mu.Lock()
	return func() {
		c.mu.Unlock()
		l.mu.Lock()
		if c.refs--; c.refs == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
}

// withCall runs fn on the agent's call under its lock, loading the call
// (nil when new) and trying again, a few times, when another instance
// changed the call between the load and fn's commit.
func (e *Engine) withCall(ctx context.Context, a Agent, callID string, fn func(*Call) error) error {
	defer e.locks.lock(e.callKey(a, callID))()
	for attempt := 0; ; attempt++ {
		c, err := e.loadCall(ctx, a, callID)
		if err != nil {
			return err
		}
		err = fn(c)
		if !e.isConflict(err) {
			return err
		}
		if attempt == 3 {
			return ErrBusy
		}
	}
}
