package server

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// A ringing event is worth a pop only before the agent picks up, so it does
// not wait for its own intake write: its lookup starts while the write is
// on its way to the disk, and only its commit waits for the write (the
// commit acknowledges the job the write creates). If the write fails, or
// finds the event a duplicate, the commit is dropped: nothing the early run
// did is stored or pushed, and Zoom's retry (or the first delivery) does it.

// pendingPrefix marks a job id that the intake has not written yet.
const pendingPrefix = "pending:"

// errIntakeFailed is what the commit of an early run gets when its event was
// not stored after all.
var errIntakeFailed = errors.New("server: the event's intake write failed")

// intake is one event's intake write, seen by its early run.
type intake struct {
	ref     string // the placeholder job id
	done    chan struct{}
	id      string // the job's id once written
	payload []byte
	err     error
}

// intakes are the intake writes in flight on this instance.
type intakes struct {
	seq atomic.Int64
	mu  sync.Mutex
	m   map[string]*intake
}

func (in *intakes) start(payload []byte) *intake {
	p := &intake{ref: pendingPrefix + strconv.FormatInt(in.seq.Add(1), 10), done: make(chan struct{}), payload: payload}
	in.mu.Lock()
	if in.m == nil {
		in.m = map[string]*intake{}
	}
	in.m[p.ref] = p
	in.mu.Unlock()
	return p
}

// finish records the intake write's outcome.
func (in *intakes) finish(p *intake, id string, err error) {
	p.id, p.err = id, err
	close(p.done)
}

// forget drops the placeholder once its early run is over.
func (in *intakes) forget(p *intake) {
	in.mu.Lock()
	delete(in.m, p.ref)
	in.mu.Unlock()
}

// resolve waits for the write behind placeholder ref and returns the job id.
func (in *intakes) resolve(ctx context.Context, ref string) (string, error) {
	in.mu.Lock()
	p := in.m[ref]
	in.mu.Unlock()
	if p == nil {
		return "", errIntakeFailed // its run is over: nothing may commit for it any more
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if p.err != nil { // the intake write failed
		return "", errIntakeFailed
	}
	return p.id, nil
}

// resolveAcks replaces the placeholder job ids in txn's acknowledgements by
// the ids their intake writes gave, waiting for those writes.
func (in *intakes) resolveAcks(ctx context.Context, txn *store.Txn) error {
	for i, a := range txn.Ack {
		if len(a.ID) <= len(pendingPrefix) || a.ID[:len(pendingPrefix)] != pendingPrefix {
			continue
		}
		id, err := in.resolve(ctx, a.ID)
		if err != nil {
			return err
		}
		txn.Ack[i].ID = id
	}
	return nil
}

// runEarly runs a ringing event while its intake write p is in flight (an
// inflight slot is held for it, released here), then settles its job.
func (s *Server) runEarly(ctx context.Context, queue string, ev cti.Event, p *intake) {
	defer s.jobs.release()
	defer s.intakes.forget(p)
	acked, ran, err := s.runAs(ctx, "zoom:"+ev.AccountID, func(ctx context.Context) (bool, error) {
		return s.processEvent(ctx, ev, cti.JobRef{Queue: queue, ID: p.ref})
	})
	<-p.done
	switch {
	case p.err != nil:
		// Not stored (or a duplicate): whatever the run did was not committed.
	case !ran:
		s.handBack(ctx, queue, &store.Job{ID: p.id, Payload: p.payload, Attempts: 1})
	default:
		s.settle(ctx, queue, &store.Job{ID: p.id, Payload: p.payload, Attempts: 1}, acked, err)
	}
}
