package server

import (
	"context"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// engineKV is the store as the engine sees it: the same operations, with
// the engine's own words for a transaction. Jobs a transaction enqueues for
// anyone to claim wake this instance's claim loop at once (nudge).
type engineKV struct {
	store.Store
	nudge   func(queue string)
	intakes *intakes // the intake writes a commit may wait for
}

var _ cti.KV = engineKV{}

// Apply translates txn and applies it.
func (k engineKV) Apply(ctx context.Context, txn cti.Txn) ([]string, error) {
	t := store.Txn{Delete: txn.Delete}
	for _, c := range txn.Expect {
		t.Expect = append(t.Expect, store.Cond{Key: c.Key, Value: c.Value})
	}
	for _, p := range txn.Set {
		t.Set = append(t.Set, store.Put{Key: p.Key, Value: p.Value, TTL: p.TTL, IfAbsent: p.IfAbsent})
	}
	for _, j := range txn.Enqueue {
		t.Enqueue = append(t.Enqueue, store.NewJob{Queue: j.Queue, Payload: j.Payload, Lease: j.Lease})
	}
	for _, a := range txn.Ack {
		t.Ack = append(t.Ack, store.JobRef{Queue: a.Queue, ID: a.ID})
	}
	if k.intakes != nil {
		if err := k.intakes.resolveAcks(ctx, &t); err != nil {
			return nil, err
		}
	}
	ids, err := k.Store.Apply(ctx, t)
	if err == nil && k.nudge != nil {
		for _, j := range txn.Enqueue {
			if j.Lease <= 0 {
				k.nudge(j.Queue)
			}
		}
	}
	return ids, err
}
