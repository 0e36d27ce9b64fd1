package server

import (
	"context"
	"errors"

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
	// apart counts a job acknowledged after its step instead of in it.
	apart func()
}

var _ cti.KV = engineKV{}

// Apply translates txn and applies it.
//
// A step acknowledges its job in the agent's hash slot, where the intake
// (or the engine) queued it. A job queued elsewhere (on the default shard:
// before its Zoom user was linked, or by a version that did not shard
// queues; on another agent's shard: the Zoom user was linked to another
// agent since) would make the step span slots, which every store refuses.
// Then, and only then, the step is applied without the acknowledgement,
// and the job is acknowledged right after it: should this instance die in
// between, the job runs again after its lease, as a job whose instance
// died mid-run always does.
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
	var late []store.JobRef
	if _, err := t.Slot(); errors.Is(err, store.ErrCrossSlot) && len(t.Ack) > 0 {
		rest := t
		rest.Ack = nil
		if _, err := rest.Slot(); err == nil {
			late, t = t.Ack, rest
		}
	}
	ids, err := k.Store.Apply(ctx, t)
	if err != nil {
		return nil, err
	}
	for _, a := range late {
		// A failure leaves the job to run again after its lease: the step
		// is stored, so it is not reported as failed.
		_ = k.Store.Ack(ctx, a.Queue, a.ID)
		if k.apart != nil {
			k.apart()
		}
	}
	if k.nudge != nil {
		for _, j := range txn.Enqueue {
			if j.Lease <= 0 {
				k.nudge(j.Queue)
			}
		}
	}
	return ids, nil
}
