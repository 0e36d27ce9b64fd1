package server

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zoomcti/zoomcti/server/store"
)

// The store operations timed (zoomcti_store_operation_duration_seconds's op).
const (
	opGet = iota
	opSet
	opSetNX
	opCompareAndDelete
	opDelete
	opKeys
	opEnqueue
	opClaim
	opAck
	opRetry
	opLen
	opApply
	opPublish
	opSubscribe
	opCount
	opCounts
	opPing
	numStoreOps
)

var storeOpNames = [numStoreOps]string{"get", "set", "setnx", "compare_and_delete", "delete", "keys",
	"enqueue", "claim", "ack", "retry", "len", "apply", "publish", "subscribe", "count", "counts", "ping"}

// timedStore times every operation of the store under it. It sits below
// the read cache: a read the cache answers is no store operation.
type timedStore struct {
	store.Store
	took [numStoreOps]prometheus.Observer
	errs [numStoreOps]prometheus.Counter
}

func newTimedStore(st store.Store, m *metrics) *timedStore {
	t := &timedStore{Store: st}
	for i, name := range storeOpNames {
		t.took[i] = m.storeOps.WithLabelValues(name)
		t.errs[i] = m.storeErrors.WithLabelValues(name)
	}
	return t
}

// done records one operation begun at start.
func (t *timedStore) done(op int, start time.Time, err error) {
	t.took[op].Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrDuplicate) {
		t.errs[op].Inc()
	}
}

func (t *timedStore) Get(ctx context.Context, key string) ([]byte, error) {
	start := time.Now()
	v, err := t.Store.Get(ctx, key)
	t.done(opGet, start, err)
	return v, err
}

func (t *timedStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	start := time.Now()
	err := t.Store.Set(ctx, key, value, ttl)
	t.done(opSet, start, err)
	return err
}

func (t *timedStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	start := time.Now()
	ok, err := t.Store.SetNX(ctx, key, value, ttl)
	t.done(opSetNX, start, err)
	return ok, err
}

func (t *timedStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	start := time.Now()
	ok, err := t.Store.CompareAndDelete(ctx, key, value)
	t.done(opCompareAndDelete, start, err)
	return ok, err
}

func (t *timedStore) Delete(ctx context.Context, keys ...string) error {
	start := time.Now()
	err := t.Store.Delete(ctx, keys...)
	t.done(opDelete, start, err)
	return err
}

func (t *timedStore) Keys(ctx context.Context, prefix string) ([]string, error) {
	start := time.Now()
	keys, err := t.Store.Keys(ctx, prefix)
	t.done(opKeys, start, err)
	return keys, err
}

func (t *timedStore) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	start := time.Now()
	id, err := t.Store.Enqueue(ctx, queue, payload)
	t.done(opEnqueue, start, err)
	return id, err
}

func (t *timedStore) Claim(ctx context.Context, queue string, lease time.Duration) (*store.Job, error) {
	start := time.Now()
	j, err := t.Store.Claim(ctx, queue, lease)
	t.done(opClaim, start, err)
	return j, err
}

func (t *timedStore) Ack(ctx context.Context, queue, id string) error {
	start := time.Now()
	err := t.Store.Ack(ctx, queue, id)
	t.done(opAck, start, err)
	return err
}

func (t *timedStore) Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error {
	start := time.Now()
	err := t.Store.Retry(ctx, queue, id, delay, reason)
	t.done(opRetry, start, err)
	return err
}

func (t *timedStore) Len(ctx context.Context, queue string) (int, error) {
	start := time.Now()
	n, err := t.Store.Len(ctx, queue)
	t.done(opLen, start, err)
	return n, err
}

func (t *timedStore) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	start := time.Now()
	ids, err := t.Store.Apply(ctx, txn)
	t.done(opApply, start, err)
	return ids, err
}

func (t *timedStore) Publish(ctx context.Context, channel string, payload []byte) error {
	start := time.Now()
	err := t.Store.Publish(ctx, channel, payload)
	t.done(opPublish, start, err)
	return err
}

func (t *timedStore) Subscribe(ctx context.Context, channels ...string) (store.Subscription, error) {
	start := time.Now()
	sub, err := t.Store.Subscribe(ctx, channels...)
	t.done(opSubscribe, start, err)
	return sub, err
}

func (t *timedStore) Count(ctx context.Context, tallies ...store.Tally) error {
	start := time.Now()
	err := t.Store.Count(ctx, tallies...)
	t.done(opCount, start, err)
	return err
}

func (t *timedStore) Counts(ctx context.Context, keys ...string) ([]map[string]int64, error) {
	start := time.Now()
	out, err := t.Store.Counts(ctx, keys...)
	t.done(opCounts, start, err)
	return out, err
}

func (t *timedStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := t.Store.Ping(ctx)
	t.done(opPing, start, err)
	return err
}
