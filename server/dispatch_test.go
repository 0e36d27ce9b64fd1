package server

import (
	"context"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
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
