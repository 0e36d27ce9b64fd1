package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
)

// An org whose Salesforce is slow holds only its own slots: its next job
// waits, another org's job runs at once.
func TestDispatcherIsFairBetweenOrgs(t *testing.T) {
	d := newDispatcher(2)
	ctx := context.Background()
	var held []func()
	for range 2 {
		leave, ok := d.enter(ctx, "sf:00DSLOW")
		if !ok {
			t.Fatal("a free slot was refused")
		}
		held = append(held, leave)
	}
	waiting := make(chan func(), 1)
	go func() {
		leave, _ := d.enter(ctx, "sf:00DSLOW")
		waiting <- leave
	}()
	other := make(chan func(), 1)
	go func() {
		leave, _ := d.enter(ctx, "sf:00DFAST")
		other <- leave
	}()
	// The other org's job is not behind the slow org's: it gets a slot
	// while the slow org's third job still waits.
	leaveOther := receive(t, other, "the other org's slot")
	select {
	case <-waiting:
		t.Fatal("the slow org ran a third job with two already running")
	default:
	}
	leaveOther()
	held[0]()
	receive(t, waiting, "the slow org's next slot once one was freed")()
	held[1]()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.tenants) != 0 {
		t.Errorf("%d idle orgs still tracked, want none", len(d.tenants))
	}
}

// A job waiting for its org's slot gives up when the instance shuts down.
func TestDispatcherWaitEndsWithTheContext(t *testing.T) {
	d := newDispatcher(1)
	leave, _ := d.enter(context.Background(), "zoom:A")
	defer leave()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, ok := d.enter(ctx, "zoom:A"); ok {
		t.Fatal("entered a full org after the context ended")
	}
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// A job still waiting for its org's slot when the instance shuts down is
// handed back at once: another instance claims it without waiting for its
// lease to run out.
func TestShutdownHandsBackWaitingJobs(t *testing.T) {
	s, st := newTestServer(t, nil)
	s.jobs = newDispatcher(1)
	busy, _ := s.jobs.enter(context.Background(), "zoom:A")
	defer busy()
	ids, err := st.Apply(context.Background(), store.Txn{Enqueue: []store.NewJob{{Queue: eventQueue, Payload: []byte(`{}`), Lease: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // shutting down
	if !s.jobs.reserve() {
		t.Fatal("no room for a job")
	}
	s.runJob(ctx, eventQueue, &store.Job{ID: ids[0], Payload: []byte(`{}`), Attempts: 1}, &cti.Event{AccountID: "A"})
	job, err := st.Claim(context.Background(), eventQueue, time.Minute)
	if err != nil || job == nil || job.ID != ids[0] {
		t.Fatalf("claim after the shutdown: %+v, %v; want the job handed back", job, err)
	}
}

// A call's Task write that a shutting-down instance holds but has not
// started is handed back with the write claim its event stored for it: the
// instance that takes it next writes the Task at once, instead of finding
// the claim held (busy) until it runs out two minutes later.
func TestShutdownHandsBackATaskWriteWithItsClaim(t *testing.T) {
	var release func()
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		s.jobs = newDispatcher(1)
		// The org's one slot is taken: the Task write waits for it.
		release, _ = s.jobs.enter(context.Background(), "sf:"+s.demoAgent.OrgID)
	})
	defer release()
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: "7400000000000000901", From: "+12025550142", To: DemoZoomUserID})
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0]) // ringing
	e.send(bodies[2]) // ended: the Task write is enqueued, claimed by this instance
	ctx := context.Background()
	waitFor(t, 10*time.Second, func() bool {
		n, err := e.st.Len(ctx, cti.OutboxQueue)
		return err == nil && n == 1
	}, "the Task write queued")

	e.stop() // shutting down: the write never starts here
	var job *store.Job
	waitFor(t, 10*time.Second, func() bool {
		job, err = e.st.Claim(ctx, cti.OutboxQueue, time.Minute)
		return err == nil && job != nil
	}, "the Task write handed back")
	// Another instance takes it.
	if _, err := e.s.engine.RunJob(ctx, cti.Job{Ref: cti.JobRef{Queue: cti.OutboxQueue, ID: job.ID}, Payload: job.Payload, Attempts: job.Attempts}); err != nil {
		t.Fatalf("the next attempt: %v, want the Task written", err)
	}
	if n := len(e.tasks("7400000000000000901")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
}

// A job's acknowledgement or retry that the store refuses (restarting,
// failing over) is tried again until the store answers, not left for the
// job's lease to run out; a job the store no longer holds is not.
func TestSettleOpOutlastsAShortStoreOutage(t *testing.T) {
	down := errors.New("CLUSTERDOWN The cluster is down")
	calls := 0
	err := settleOp(context.Background(), func(context.Context) error {
		if calls++; calls <= 3 {
			return down
		}
		return nil
	})
	if err != nil || calls != 4 {
		t.Fatalf("settleOp = %v after %d calls, want success on the fourth", err, calls)
	}
	calls = 0
	if err := settleOp(context.Background(), func(context.Context) error { calls++; return fmt.Errorf("ack: %w", store.ErrNotFound) }); !errors.Is(err, store.ErrNotFound) || calls != 1 {
		t.Fatalf("settleOp of a job gone = %v after %d calls, want not found at once", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = settleOp(ctx, func(context.Context) error {
		if calls++; calls == 2 {
			cancel()
		}
		return down
	})
	if !errors.Is(err, down) {
		t.Fatalf("settleOp past its time = %v, want the store's error", err)
	}
}
