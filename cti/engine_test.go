package cti

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// heldCRM holds every phone lookup until released, and announces each one
// as it starts: a test can see two lookups of one call running at once.
type heldCRM struct {
	*fakeCRM
	started chan string // the number of each lookup that starts
	release chan struct{}
	once    sync.Once
}

func (c *heldCRM) FindByPhone(ctx context.Context, a Agent, number string) ([]Match, error) {
	c.started <- number
	<-c.release
	return c.fakeCRM.FindByPhone(ctx, a, number)
}

func (c *heldCRM) letGo() { c.once.Do(func() { close(c.release) }) }

// pushLog records what the engine pushed to softphones.
type pushLog struct {
	mu   sync.Mutex
	msgs []Message
}

func (n *pushLog) Notify(_ context.Context, _ string, msg any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if m, ok := msg.(Message); ok {
		n.msgs = append(n.msgs, m)
	}
	return nil
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

// Two events of one call arriving together (two workers, two instances)
// are applied one at a time: while the first holds the call, the second is
// refused as busy, so it never reads a call state that is about to change.
func TestEventsOfOneCallAreHandledOneAtATime(t *testing.T) {
	crm := &heldCRM{
		fakeCRM: &fakeCRM{tasks: map[string]Task{}, byNumber: map[string][]Match{
			"+12025550142": {{ID: "003ADA", Type: "Contact", Name: "Ada Lovelace"}},
		}},
		started: make(chan string, 2),
		release: make(chan struct{}),
	}
	t.Cleanup(crm.letGo)
	alice := &Agent{OrgID: "00DORG", UserID: "005ALICE", ZoomUserID: "zAlice"}
	now := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	pushed := &pushLog{}
	e := NewEngine(EngineConfig{
		Directory: dirFunc(func(id string) *Agent {
			if id == alice.ZoomUserID {
				return alice
			}
			return nil
		}),
		CRM: crm, KV: &memKV{m: map[string][]byte{}}, Outbox: &memOutbox{}, Notifier: pushed,
		NotFound: errMissing, Clock: func() time.Time { return now },
	})
	event := func(id string, kind Kind) Event {
		return Event{ID: id, Kind: kind, CallID: "C1", UserID: alice.ZoomUserID, Direction: Inbound, At: now,
			Caller: Party{Number: "+12025550142"}, Callee: Party{UserID: alice.ZoomUserID, ExtensionType: "user"}}
	}
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { first <- e.Handle(ctx, event("zoom:ring", KindRinging)) }()
	waitFor(t, crm.started, "the first event's lookup")

	second := make(chan error, 1)
	go func() { second <- e.Handle(ctx, event("zoom:answer", KindAnswered)) }()
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
	if err := e.Handle(ctx, event("zoom:answer", KindAnswered)); err != nil {
		t.Fatalf("retry after the first event: %v", err)
	}
	pushed.mu.Lock()
	defer pushed.mu.Unlock()
	crm.mu.Lock()
	defer crm.mu.Unlock()
	pops := 0
	for _, m := range pushed.msgs {
		if m.Pop != nil {
			pops++
		}
	}
	if len(pushed.msgs) != 2 || pops != 1 || crm.searches != 1 {
		t.Errorf("%d messages, %d pops, %d lookups; want 2, 1, 1", len(pushed.msgs), pops, crm.searches)
	}
}
