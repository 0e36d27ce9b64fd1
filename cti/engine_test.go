package cti

import (
	"context"
	"testing"
	"time"
)

// Two events of one call arriving together at one instance are applied one
// at a time: the second waits while the first holds the call, then finds
// the caller already looked up and popped.
func TestEventsOfOneCallAreHandledOneAtATime(t *testing.T) {
	f := newFixture(t)
	crm := &heldCRM{fakeCRM: f.crm, started: make(chan string, 2), release: make(chan struct{})}
	t.Cleanup(crm.letGo)
	f.e.cfg.CRM = crm
	c := f.inbound("C1", ada)
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { first <- f.e.Handle(ctx, c.ev(KindRinging, f.day)) }()
	waitFor(t, crm.started, "the first event's lookup")
	second := make(chan error, 1)
	go func() { second <- f.e.Handle(ctx, c.ev(KindAnswered, f.day)) }()

	crm.letGo()
	for _, ch := range []chan error{first, second} {
		if err := waitFor(t, ch, "an event"); err != nil {
			t.Fatal(err)
		}
	}
	msgs, pops := f.push.of(f.alice, "call"), f.push.pops(f.alice)
	f.crm.mu.Lock()
	searches := f.crm.searches
	f.crm.mu.Unlock()
	if len(msgs) != 2 || len(pops) != 1 || searches != 1 {
		t.Errorf("%d messages, %d pops, %d lookups; want 2, 1, 1", len(msgs), len(pops), searches)
	}
}

// Two events of one call handled at once by two instances over one store:
// both look the caller up, only one commits over the state it read; the
// other reads the call again, redoes its event and does not pop again.
func TestTwoInstancesPopACallOnce(t *testing.T) {
	f := newFixture(t)
	crm := &heldCRM{fakeCRM: f.crm, started: make(chan string, 2), release: make(chan struct{})}
	t.Cleanup(crm.letGo)
	f.e.cfg.CRM = crm
	other := NewEngine(f.e.cfg) // a second instance: its own locks, the same store
	c := f.inbound("C1", ada)
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { first <- f.e.Handle(ctx, c.ev(KindRinging, f.day)) }()
	waitFor(t, crm.started, "the first instance's lookup")
	second := make(chan error, 1)
	go func() { second <- other.Handle(ctx, c.ev(KindAnswered, f.day)) }()
	waitFor(t, crm.started, "the second instance's lookup")

	crm.letGo()
	for _, ch := range []chan error{first, second} {
		if err := waitFor(t, ch, "an event"); err != nil {
			t.Fatal(err)
		}
	}
	if msgs, pops := f.push.of(f.alice, "call"), f.push.pops(f.alice); len(msgs) != 2 || len(pops) != 1 {
		t.Errorf("%d messages, %d pops; want 2, 1", len(msgs), len(pops))
	}
	call, err := f.e.loadCall(ctx, *f.alice, "C1")
	if err != nil || call == nil || call.State != StateAnswered || !call.Popped {
		t.Fatalf("call after both events: %+v, %v; want answered and popped", call, err)
	}
}

// waitFor waits for a value on ch, failing the test after a generous deadline
// (a guard against a hang, not a timing assertion).
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
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
