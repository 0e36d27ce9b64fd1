// Package store defines the persistence contract of zoomcti: a key/value
// store with TTLs, set-if-absent for dedupe and locks, a durable work queue
// with claim / ack / retry, and publish / subscribe. Two implementations
// satisfy it: the embedded store (package bolt, one file on disk, one
// instance) and Redis (package redis, shared by many instances). The contract
// suite in package storetest runs against both.
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
type Queue interface {
	// Enqueue adds payload to queue and returns the job id.
	Enqueue(ctx context.Context, queue string, payload []byte) (string, error)
	// EnqueueOnce marks dedupeKey for ttl and enqueues payload in one
	// atomic step: if queue already holds a live mark for dedupeKey nothing
	// is written and fresh is false; otherwise the mark and the job are
	// written together or (on error) neither is, so that a failure or a
	// crash never leaves a mark without its job (a redelivery taken for a
	// duplicate and the event lost). Marks belong to the queue, not to the
	// KV keyspace: Get and Keys do not see them, and the same dedupeKey on
	// two queues is two marks. ttl <= 0 means the mark never expires.
	EnqueueOnce(ctx context.Context, queue, dedupeKey string, ttl time.Duration, payload []byte) (id string, fresh bool, err error)
	// Claim takes the oldest due job of queue and leases it for lease. It
	// returns (nil, nil) when no job is due.
	Claim(ctx context.Context, queue string, lease time.Duration) (*Job, error)
	// Ack removes a claimed job for good.
	Ack(ctx context.Context, queue, id string) error
	// Retry makes a claimed job due again after delay, recording reason.
	Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error
	// Len reports how many jobs queue holds (due, delayed and claimed).
	Len(ctx context.Context, queue string) (int, error)
}

// Message is one published message.
type Message struct {
	Channel string
	Payload []byte
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
type PubSub interface {
	Publish(ctx context.Context, channel string, payload []byte) error
	// Subscribe returns once the subscription is active, so a message
	// published after it returns is delivered.
	Subscribe(ctx context.Context, channels ...string) (Subscription, error)
}

// Store is everything the server persists.
type Store interface {
	KV
	Queue
	PubSub
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
