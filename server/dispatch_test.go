package server

import (
	"context"
	"testing"
	"time"
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
