package cti

import (
	"context"
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

// oneCallRig is an engine (or two, sharing one store: two instances) over
// a held CRM, for events of one call that arrive together.
type oneCallRig struct {
	crm    *heldCRM
	kv     *memKV
	pushed *pushLog
	alice  *Agent
	now    time.Time
}

func newOneCallRig(t *testing.T) *oneCallRig {
	r := &oneCallRig{
		crm: &heldCRM{
			fakeCRM: &fakeCRM{tasks: map[string]Task{}, byNumber: map[string][]Match{
				"+12025550142": {{ID: "003ADA", Type: "Contact", Name: "Ada Lovelace"}},
			}},
			started: make(chan string, 4),
			release: make(chan struct{}),
		},
		kv:     &memKV{m: map[string][]byte{}, outbox: &memOutbox{}},
		pushed: &pushLog{},
		alice:  &Agent{OrgID: "00DORG", UserID: "005ALICE", ZoomUserID: "zAlice"},
		now:    time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC),
	}
	t.Cleanup(r.crm.letGo)
	return r
}

func (r *oneCallRig) engine() *Engine {
	return NewEngine(EngineConfig{
		Directory: dirFunc(func(id string) *Agent {
			if id == r.alice.ZoomUserID {
				return r.alice
			}
			return nil
		}),
		CRM: r.crm, KV: r.kv, Outbox: r.kv.outbox, Notifier: r.pushed,
		NotFound: errMissing, Conflict: errConflict, Clock: func() time.Time { return r.now },
	})
}

func (r *oneCallRig) event(id string, kind Kind) Event {
	return Event{ID: id, Kind: kind, CallID: "C1", UserID: r.alice.ZoomUserID, Direction: Inbound, At: r.now,
		Caller: Party{Number: "+12025550142"}, Callee: Party{UserID: r.alice.ZoomUserID, ExtensionType: "user"}}
}

// pops counts the pops pushed, and all messages.
func (r *oneCallRig) pops() (pops, msgs int) {
	r.pushed.mu.Lock()
	defer r.pushed.mu.Unlock()
	for _, m := range r.pushed.msgs {
		if m.Pop != nil {
			pops++
		}
	}
	return pops, len(r.pushed.msgs)
}

// Two events of one call arriving together at one instance are applied one
// at a time: the second waits while the first holds the call, then finds
// the caller already looked up and popped.
func TestEventsOfOneCallAreHandledOneAtATime(t *testing.T) {
	r := newOneCallRig(t)
	e := r.engine()
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- e.Handle(ctx, r.event("zoom:ring", KindRinging)) }()
	waitFor(t, r.crm.started, "the first event's lookup")
	second := make(chan error, 1)
	go func() { second <- e.Handle(ctx, r.event("zoom:answer", KindAnswered)) }()

	r.crm.letGo()
	for _, ch := range []chan error{first, second} {
		if err := waitFor(t, ch, "an event"); err != nil {
			t.Fatal(err)
		}
	}
	r.crm.mu.Lock()
	searches := r.crm.searches
	r.crm.mu.Unlock()
	if pops, msgs := r.pops(); msgs != 2 || pops != 1 || searches != 1 {
		t.Errorf("%d messages, %d pops, %d lookups; want 2, 1, 1", msgs, pops, searches)
	}
}

// Two events of one call handled at once by two instances: both look the
// caller up, but only one commits first; the other reads the call again,
// redoes its event on it and does not pop a second time.
func TestTwoInstancesPopACallOnce(t *testing.T) {
	r := newOneCallRig(t)
	one, two := r.engine(), r.engine()
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- one.Handle(ctx, r.event("zoom:ring", KindRinging)) }()
	waitFor(t, r.crm.started, "the first instance's lookup")
	second := make(chan error, 1)
	go func() { second <- two.Handle(ctx, r.event("zoom:answer", KindAnswered)) }()
	waitFor(t, r.crm.started, "the second instance's lookup")

	r.crm.letGo()
	for _, ch := range []chan error{first, second} {
		if err := waitFor(t, ch, "an event"); err != nil {
			t.Fatal(err)
		}
	}
	if pops, msgs := r.pops(); msgs != 2 || pops != 1 {
		t.Errorf("%d messages, %d pops; want 2, 1", msgs, pops)
	}
	c, err := one.loadCall(ctx, *r.alice, "C1")
	if err != nil || c == nil || c.State != StateAnswered || !c.Popped {
		t.Fatalf("call after both events: %+v, %v; want answered and popped", c, err)
	}
}
