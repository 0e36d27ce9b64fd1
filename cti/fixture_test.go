package cti

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// The people of the tests. Alice and Carol are agents in one org; Ada is a
// Contact, Hedy a Lead, Globex an Account; the shared line matches two
// Contacts; nobody matches the stranger.
var (
	ada         = Party{Number: "+12025550142"}
	hedy        = Party{Number: "+12025550177"}
	globex      = Party{Number: "+12025550155"}
	sharedLine  = Party{Number: "+12025550100"}
	stranger    = Party{Number: "+12025550199"}
	aliceParty  = Party{UserID: "zAlice", Number: "+12025550101", ExtensionType: "user", ExtensionNumber: "101", Name: "Alice"}
	carolParty  = Party{UserID: "zCarol", Number: "+12025550103", ExtensionType: "user", ExtensionNumber: "103", Name: "Carol"}
	adaMatch    = Match{ID: "003ADA", Type: "Contact", Name: "Ada Lovelace", AccountID: "001ANALYTICAL"}
	salesQueue  = &Routing{Name: "Sales", ExtensionNumber: "800", ExtensionType: "callQueue"}
	receptionAR = &Routing{Name: "Reception", ExtensionNumber: "700", ExtensionType: "autoReceptionist"}
)

// fixture is an engine over the fakes, with a clock the test moves. It
// starts at 10:00 in New York on 2026-03-04 (15:00 UTC).
type fixture struct {
	t      *testing.T
	e      *Engine
	clock  *fakeClock
	kv     *memKV
	crm    *fakeCRM
	outbox *memOutbox
	push   *fakeNotifier
	dir    *fakeDirectory
	alice  *Agent
	carol  *Agent
	day    time.Time

	mu     sync.Mutex
	set    Settings
	setErr error
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	day := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	f := &fixture{t: t, clock: &fakeClock{now: day}, day: day, crm: newFakeCRM(), outbox: &memOutbox{},
		push: &fakeNotifier{}, set: DefaultSettings()}
	f.kv = newMemKV(f.clock.Now)
	f.kv.outbox = f.outbox
	f.alice = &Agent{OrgID: "00DORG", UserID: "005ALICE", ZoomUserID: "zAlice", TimeZone: "America/New_York"}
	f.carol = &Agent{OrgID: "00DORG", UserID: "005CAROL", ZoomUserID: "zCarol", TimeZone: "America/New_York"}
	f.dir = &fakeDirectory{agents: map[string]*Agent{"zAlice": f.alice, "zCarol": f.carol}}
	f.e = NewEngine(EngineConfig{
		Directory: f.dir, CRM: f.crm, KV: f.kv, Outbox: f.outbox, Notifier: f.push,
		NotFound: errMissing, Conflict: errConflict, QueueSettle: 20 * time.Second, Clock: f.clock.Now,
		RingLookupWait: 20 * time.Millisecond, // real time: a hanging lookup gives up at once
		Logger:         slog.New(slog.DiscardHandler),
		Settings: func(context.Context, string) (Settings, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.set, f.setErr
		},
	})
	return f
}

// newSMSFixture is the fixture the SMS tests grew up with.
func newSMSFixture(t *testing.T) *fixture { t.Helper(); return newFixture(t) }

// settings changes the org's admin settings.
func (f *fixture) settings(change func(*Settings)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.set)
}

// failSettings makes reading the settings fail with err (nil: work again).
func (f *fixture) failSettings(err error) { f.mu.Lock(); f.setErr = err; f.mu.Unlock() }

func (f *fixture) tick(d time.Duration) { f.clock.Advance(d) }

// handle delivers an event as the event queue would: a busy call is
// retried, anything else fails the test.
func (f *fixture) handle(ev Event) {
	f.t.Helper()
	if err := f.handleErr(ev); err != nil {
		f.t.Fatalf("%s %s: %v", ev.Kind, ev.CallID, err)
	}
}

func (f *fixture) handleErr(ev Event) error {
	for range 100 {
		err := f.e.Handle(context.Background(), ev)
		if !errors.Is(err, ErrBusy) {
			return err
		}
	}
	return ErrBusy
}

// runJobs plays the outbox until it is empty: a deferred job runs again
// once the fake clock reaches its time (the clock jumps there when nothing
// else is due), a failed one is retried, one that returns ErrBadJob is set
// aside.
func (f *fixture) runJobs() {
	f.t.Helper()
	for range 200 {
		q, wake, ok := f.outbox.next(f.clock.Now())
		if !ok {
			if wake.IsZero() {
				return
			}
			f.clock.Advance(wake.Sub(f.clock.Now()))
			continue
		}
		q.attempts++
		_, err := f.e.RunJob(context.Background(), Job{Payload: q.payload, Attempts: q.attempts})
		var d *DeferError
		switch {
		case err == nil:
		case errors.As(err, &d):
			q.notBefore = f.clock.Now().Add(d.After)
			f.outbox.requeue(q)
		case errors.Is(err, ErrBadJob):
			f.outbox.bury(q)
		default:
			f.outbox.requeue(q)
		}
	}
	f.t.Fatal("the outbox never emptied")
}

// runDue runs each job due now once, as one poll of the outbox would, and
// returns the errors of those that failed; failed and deferred jobs stay
// queued, ErrBadJob ones are set aside.
func (f *fixture) runDue() []error {
	f.t.Helper()
	var retry []*queued
	var out []error
	for {
		q, _, ok := f.outbox.next(f.clock.Now())
		if !ok {
			break
		}
		q.attempts++
		_, err := f.e.RunJob(context.Background(), Job{Payload: q.payload, Attempts: q.attempts})
		var d *DeferError
		switch {
		case err == nil:
			continue
		case errors.As(err, &d):
			q.notBefore = f.clock.Now().Add(d.After)
			retry = append(retry, q)
			continue
		case errors.Is(err, ErrBadJob):
			f.outbox.bury(q)
		default:
			retry = append(retry, q)
		}
		out = append(out, err)
	}
	for _, q := range retry {
		f.outbox.requeue(q)
	}
	return out
}

// call describes one call from one agent's side, to build its events.
type call struct {
	id    string
	agent *Agent
	self  Party
	dir   Direction
	other Party
	queue *Routing
	// placed is an internal call the agent placed (an outbound call always is).
	placed bool
}

func (f *fixture) inbound(id string, from Party) call {
	return call{id: id, agent: f.alice, self: aliceParty, dir: Inbound, other: from}
}

func (f *fixture) outbound(id string, to Party) call {
	return call{id: id, agent: f.alice, self: aliceParty, dir: Outbound, other: to}
}

// internal is a call between Alice and a colleague; placed says Alice called.
func (f *fixture) internal(id string, colleague Party, placed bool) call {
	return call{id: id, agent: f.alice, self: aliceParty, dir: Internal, other: colleague, placed: placed}
}

// viaQueue is the call as one queue member sees it.
func (c call) viaQueue(a *Agent, self Party) call {
	c.agent, c.self, c.queue = a, self, salesQueue
	return c
}

// ev is the event of this kind for this call at time at.
func (c call) ev(kind EventKind, at time.Time) Event {
	ev := Event{ID: "zoom:" + c.id + ":" + string(kind) + ":" + c.agent.ZoomUserID, Source: "zoom", Type: string(kind),
		Kind: kind, At: at, CallID: c.id, UserID: c.agent.ZoomUserID, Direction: c.dir, Queue: c.queue,
		Caller: c.other, Callee: c.self}
	if kind == KindRinging {
		ev.Ringing = at // Zoom's ringing_start_time
	}
	if c.dir == Outbound || c.placed {
		ev.Caller, ev.Callee = c.self, c.other
	}
	return ev
}

// at delivers the event of this kind at the fixture's present.
func (f *fixture) at(c call, kind EventKind) { f.t.Helper(); f.handle(c.ev(kind, f.clock.Now())) }

// talk plays a whole answered call: ringing, answered after 5 s, ended
// after talk.
func (f *fixture) talk(c call, talk time.Duration) {
	f.t.Helper()
	f.at(c, KindRinging)
	f.tick(5 * time.Second)
	f.at(c, KindAnswered)
	f.tick(talk)
	f.at(c, KindEnded)
}

// miss plays a call that rang 20 s and was not answered.
func (f *fixture) miss(c call) {
	f.t.Helper()
	f.at(c, KindRinging)
	f.tick(20 * time.Second)
	f.at(c, KindMissed)
}

// wrapUps is Alice's list of unlinked call logs.
func (f *fixture) wrapUps() []WrapUp {
	f.t.Helper()
	list, err := f.e.WrapUps(context.Background(), *f.alice)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}
