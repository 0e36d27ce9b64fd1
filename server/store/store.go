// Package store defines the persistence contract of zoomcti: a key/value
// store with TTLs, set-if-absent for dedupe and locks, a durable work queue
// with claim / ack / retry, and publish / subscribe. Two implementations
// satisfy it: the embedded store (package bolt, one file on disk, one
// instance) and Redis (package redis, shared by many instances, on one
// server or a Redis Cluster). The contract suite in package storetest runs
// against all three. Keys, queues and transactions follow one hash-slot
// rule on every store (slot.go), so that what runs on one runs on a cluster.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Get for a missing or expired key, and by Ack and
// Retry for a job id the queue does not hold (never enqueued, or already
// acked). Callers should test for it with errors.Is: implementations wrap it.
var ErrNotFound = errors.New("store: not found")

// KV is a key/value store with optional expiry.
type KV interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key. ttl <= 0 means no expiry.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX stores value under key only if key is absent (or expired) and
	// reports whether it did. It is the primitive for dedupe and locks.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// CompareAndDelete deletes key only if its current value equals value
	// (releasing a lock you hold) and reports whether it did.
	CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error)
	// Delete removes keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Keys lists the live keys that start with prefix, in no particular order.
	Keys(ctx context.Context, prefix string) ([]string, error)
}

// Job is one item of a durable queue.
type Job struct {
	ID       string    // unique within the queue
	Payload  []byte    // what was enqueued
	Attempts int       // how many times it has been claimed, this claim included
	Enqueued time.Time // when it was first enqueued
	LastErr  string    // the reason given to the last Retry, if any
}

// Queue is a durable, at-least-once work queue. A claimed job is invisible to
// other consumers for its lease; if it is neither acked nor retried before the
// lease runs out (the consumer crashed), it becomes claimable again.
//
// A queue may be sharded: "outbox{p07}" names shard p07 of queue "outbox"
// (see slot.go). Enqueue writes to the shard it names; Claim and Len given
// the queue's name cover every shard (given a shard's name, that shard);
// a job's ID names its shard.
type Queue interface {
	// Enqueue adds payload to queue (a shard of it, when the name has a
	// tag) and returns the job id.
	Enqueue(ctx context.Context, queue string, payload []byte) (string, error)
	// Claim takes the job of queue, across its shards, that has been due
	// longest and leases it for lease. It returns (nil, nil) when no job
	// is due.
	Claim(ctx context.Context, queue string, lease time.Duration) (*Job, error)
	// Ack removes a claimed job for good.
	Ack(ctx context.Context, queue, id string) error
	// Retry makes a claimed job due again after delay, recording reason.
	Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error
	// Len reports how many jobs queue holds (due, delayed and claimed),
	// across its shards.
	Len(ctx context.Context, queue string) (int, error)
}

// Message is one published message.
type Message struct {
	Channel string
	Payload []byte
	// Gap marks a message that nobody published: messages to this
	// subscription were lost just before it (its connection broke and was
	// made again, or it fell behind). A subscriber that must not miss one
	// reads again what they would have told it.
	Gap bool
}

// Subscription receives the messages published on its channels.
type Subscription interface {
	// C delivers messages until the subscription is closed.
	C() <-chan Message
	// Close ends the subscription and closes C.
	Close() error
}

// PubSub fans messages out to every subscriber, on every instance.
// Delivery is best effort: a subscriber that is not listening misses it.
// A subscription that knows it missed messages (Redis: its connection
// broke, or its buffer was full) delivers a Gap message once it can.
type PubSub interface {
	Publish(ctx context.Context, channel string, payload []byte) error
	// Subscribe returns once the subscription is active, so a message
	// published after it returns is delivered.
	Subscribe(ctx context.Context, channels ...string) (Subscription, error)
}

// ErrConflict is returned by Apply when an expectation does not hold: a key
// changed since the caller read it. Nothing was written; read and try again.
var ErrConflict = errors.New("store: conflict")

// ErrDuplicate is returned by Apply when the transaction's dedupe mark is
// already live. Nothing was written.
var ErrDuplicate = errors.New("store: duplicate")

// Txn is a set of changes Apply makes as one atomic step: all of them or, on
// any error, none. Its parts apply in the order of the fields. All of them
// must be in one hash slot (Txn.Slot): Apply refuses any other Txn with
// ErrCrossSlot.
type Txn struct {
	// Once, when set, makes the transaction a first delivery: if Once.Queue
	// holds a live mark for Once.Key, Apply writes nothing and returns
	// ErrDuplicate; otherwise the mark is written with the rest, so that a
	// failure or a crash never leaves a mark without what it marks (a
	// redelivery taken for a duplicate and the event lost). Marks belong to
	// their queue, not to the KV keyspace: Get and Keys do not see them,
	// and the same key on two queues is two marks.
	Once *Mark
	// Expect lists keys that must hold exactly the given value (nil: be
	// absent or expired) for anything to be written; otherwise Apply
	// returns ErrConflict. It is how a reader that did not lock commits.
	Expect []Cond
	Set    []Put
	Delete []string
	// Enqueue adds jobs; Apply returns their ids in this order.
	Enqueue []NewJob
	// Ack removes claimed jobs, as Ack does; a job already gone is not an
	// error here (a redelivered job finishing twice is).
	Ack []JobRef
}

// Mark is a queue's dedupe mark. Marks belong to a shard: the same key on
// two shards of a queue is two marks.
type Mark struct {
	Queue, Key string
	TTL        time.Duration // <= 0: never expires
}

// Cond is one expectation of a Txn.
type Cond struct {
	Key   string
	Value []byte // nil: the key must be absent
}

// Put is one value a Txn writes.
type Put struct {
	Key   string
	Value []byte
	TTL   time.Duration // <= 0: no expiry
	// IfAbsent writes the value only where the key is absent (or expired),
	// like SetNX; a live key is left as it is, and is no conflict.
	IfAbsent bool
}

// NewJob is a job a Txn enqueues.
type NewJob struct {
	Queue   string
	Payload []byte
	// Lease > 0 creates the job already claimed by the caller for that long
	// (Attempts 1), so that the caller can run it at once without a Claim;
	// if the caller dies, the job becomes due when the lease runs out.
	Lease time.Duration
}

// JobRef names a job of a queue.
type JobRef struct{ Queue, ID string }

// Txner applies transactions.
type Txner interface {
	// Apply makes the changes of txn in one atomic step and returns the ids
	// of the jobs it enqueued. On the embedded store it is one transaction
	// (one disk sync, shared with concurrent writers); on Redis one script.
	// A txn whose parts span hash slots is refused with ErrCrossSlot, on
	// every store, before anything is written.
	Apply(ctx context.Context, txn Txn) ([]string, error)
}

// Tally is what Count changes in one counter set: a hash of named
// integers under Key, in a keyspace of its own (Get and Keys do not see
// it, as they do not see a queue's marks).
type Tally struct {
	Key string
	// Add adds each delta to its field (an absent field counts from 0).
	Add map[string]int64
	// Max raises each field to at least the value given (an absent field
	// takes it).
	Max map[string]int64
	// TTL makes the whole set expire TTL after this change; <= 0 leaves it
	// without expiry.
	TTL time.Duration
}

// Counters are sets of integer counters that many writers change at once
// without reading them first: each instance adds what it counted, and the
// sums (and maxima) come out the same whichever order the writes land in.
type Counters interface {
	// Count applies tallies. Each tally is atomic on its own; a batch is
	// not: on error some tallies may have been applied, so a caller must
	// not simply send the same batch again.
	Count(ctx context.Context, tallies ...Tally) error
	// Counts returns the fields of each key, in the order asked; an absent
	// or expired key gives an empty map.
	Counts(ctx context.Context, keys ...string) ([]map[string]int64, error)
}

// Store is everything the server persists.
type Store interface {
	KV
	Queue
	Txner
	PubSub
	Counters
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
