package cti

import (
	"testing"
	"time"
)

// A queue call rings every member; the queue rule says whose Task it is.
func TestQueueCallLog(t *testing.T) {
	type step struct {
		who  string // "alice" or "carol"
		kind EventKind
		wait time.Duration // before the next step
	}
	ring := func(who string) step { return step{who, KindRinging, 0} }
	tests := []struct {
		name        string
		toAnswering bool // Log answered calls in queue against answered member
		steps       []step
		wantOwners  []string // whose Tasks Salesforce gets
		wantSubject string
	}{
		{name: "on: the answering member logs it, the member who only rang does not", toAnswering: true,
			steps:      []step{ring("alice"), ring("carol"), {"carol", KindMissed, 0}, {"alice", KindAnswered, time.Minute}, {"alice", KindEnded, 0}},
			wantOwners: []string{"00DORG:005ALICE"}, wantSubject: "Call from +12025550142"},
		{name: "on: nobody answered, nobody logs it", toAnswering: true,
			steps: []step{ring("alice"), ring("carol"), {"alice", KindMissed, 0}, {"carol", KindMissed, 0}}},
		{name: "off: answered, one Task, the answering member's",
			steps:      []step{ring("alice"), ring("carol"), {"alice", KindAnswered, 0}, {"carol", KindMissed, time.Minute}, {"alice", KindEnded, 0}},
			wantOwners: []string{"00DORG:005ALICE"}, wantSubject: "Call from +12025550142"},
		{name: "off: the answer arrives after the other member's miss, within the settle delay",
			steps:      []step{ring("carol"), {"carol", KindMissed, 0}, ring("alice"), {"alice", KindAnswered, 30 * time.Second}, {"alice", KindEnded, 0}},
			wantOwners: []string{"00DORG:005ALICE"}, wantSubject: "Call from +12025550142"},
		{name: "off: nobody answered, one missed-call Task, the first ringing member's",
			steps:      []step{ring("carol"), ring("alice"), {"carol", KindMissed, 0}, {"alice", KindMissed, 0}},
			wantOwners: []string{"00DORG:005CAROL"}, wantSubject: "Missed call from +12025550142"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.settings(func(s *Settings) { s.LogQueueCallsToAnsweringMember = tc.toAnswering })
			legs := map[string]call{
				"alice": f.inbound("Q1", ada).viaQueue(f.alice, aliceParty),
				"carol": f.inbound("Q1", ada).viaQueue(f.carol, carolParty),
			}
			for _, s := range tc.steps {
				f.at(legs[s.who], s.kind)
				f.tick(time.Second + s.wait)
				f.runDue() // the outbox keeps polling while the call goes on
			}
			f.runJobs()
			var owners []string
			for _, task := range f.crm.all() {
				owners = append(owners, task.Owner)
				if task.Subject != tc.wantSubject {
					t.Errorf("subject %q, want %q", task.Subject, tc.wantSubject)
				}
				if task.WhoID != "003ADA" || task.CallObject != "Q1" {
					t.Errorf("Task %+v", task.Task)
				}
			}
			if len(owners) != len(tc.wantOwners) || (len(owners) > 0 && owners[0] != tc.wantOwners[0]) {
				t.Errorf("Tasks owned by %v, want %v", owners, tc.wantOwners)
			}
			// Both members saw the call ring, and popped it.
			for _, a := range []*Agent{f.alice, f.carol} {
				if n := len(f.push.pops(a)); n != 1 {
					t.Errorf("%s got %d pops, want 1", a.UserID, n)
				}
			}
		})
	}
}

// With the rule off, the Task of an unanswered queue call waits for the
// settle delay, so that a late answer from another member can claim it.
func TestQueueMissedWaitsForTheSettleDelay(t *testing.T) {
	f := newFixture(t)
	f.settings(func(s *Settings) { s.LogQueueCallsToAnsweringMember = false })
	c := f.inbound("Q1", ada).viaQueue(f.alice, aliceParty)
	f.miss(c)
	f.tick(19 * time.Second)
	if errs := f.runDue(); len(errs) != 0 || len(f.crm.all()) != 0 {
		t.Fatalf("before the settle delay: errors %v, %d Tasks", errs, len(f.crm.all()))
	}
	f.tick(time.Second)
	if errs := f.runDue(); len(errs) != 0 {
		t.Fatal(errs)
	}
	if task := f.crm.only(t); task.Subject != "Missed call from +12025550142" || task.CallDurationInSeconds != 0 {
		t.Errorf("Task %+v", task)
	}
	// A redelivered miss queues again but writes nothing more.
	f.handle(c.ev(KindMissed, f.day))
	f.runJobs()
	f.crm.only(t)
}

// With Auto Save off, the unanswered queue call waits in the wrap-up list
// of the member it fell to, and of no one else.
func TestQueueMissedWithAutoSaveOff(t *testing.T) {
	f := newFixture(t)
	f.settings(func(s *Settings) { s.LogQueueCallsToAnsweringMember, s.AutoSaveCallLogs = false, false })
	f.miss(f.inbound("Q1", ada).viaQueue(f.alice, aliceParty))
	f.miss(f.inbound("Q1", ada).viaQueue(f.carol, carolParty))
	f.runJobs()
	if len(f.crm.all()) != 0 {
		t.Fatalf("%d Tasks written without the agent's wrap-up", len(f.crm.all()))
	}
	if w := f.push.of(f.alice, "wrapup"); len(w) != 1 || w[0].WrapUp.Draft.Subject != "Missed call from +12025550142" {
		t.Errorf("Alice's wrap-ups %+v", w)
	}
	if w := f.push.of(f.carol, "wrapup"); len(w) != 0 {
		t.Errorf("Carol was asked to wrap up a call Alice has: %+v", w)
	}
}

// A call forwarded by an auto receptionist is an ordinary call.
func TestAutoReceptionistCallIsLoggedAsUsual(t *testing.T) {
	f := newFixture(t)
	c := f.inbound("A1", ada)
	c.queue = receptionAR
	f.miss(c)
	f.runJobs()
	task := f.crm.only(t)
	if task.Subject != "Missed call from +12025550142" {
		t.Errorf("Task %+v", task)
	}
}
