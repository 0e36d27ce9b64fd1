package cti

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Two events of one call arriving together (two workers, two instances)
// are applied one at a time: while the first holds the call, the second is
// refused as busy, so it never reads a call state that is about to change.
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
	select {
	case err := <-second:
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("second event while the first holds the call: %v, want ErrBusy", err)
		}
	case <-crm.started:
		t.Fatal("a second event of the call was handled while the first still held it")
	case <-time.After(10 * time.Second):
		t.Fatal("the second event neither finished nor started a lookup")
	}

	crm.letGo()
	if err := waitFor(t, first, "the first event"); err != nil {
		t.Fatal(err)
	}
	// The call is free again: the retried event goes through, and the
	// call was looked up and popped once.
	if err := f.e.Handle(ctx, c.ev(KindAnswered, f.day)); err != nil {
		t.Fatalf("retry after the first event: %v", err)
	}
	msgs, pops := f.push.of(f.alice, "call"), f.push.pops(f.alice)
	f.crm.mu.Lock()
	searches := f.crm.searches
	f.crm.mu.Unlock()
	if len(msgs) != 2 || len(pops) != 1 || searches != 1 {
		t.Errorf("%d messages, %d pops, %d lookups; want 2, 1, 1", len(msgs), len(pops), searches)
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
