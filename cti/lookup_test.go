package cti

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// While Salesforce does not answer, a ringing call shows at once with its
// number and Zoom's caller-id name, the card says the lookup is waiting
// (never "no match"), and the match fills in, and pops, when Salesforce
// answers; the Task names the caller whenever the lookup came through.
func TestLookupWaiting(t *testing.T) {
	down := errors.New("503 Service Unavailable")
	adaPop := Pop{Kind: PopRecord, RecordID: "003ADA", ObjectType: "Contact"}
	search := Pop{Kind: PopSearch, SearchString: ada.Number}
	tests := []struct {
		name     string
		settings func(*Settings)
		err      error                                  // what the lookup fails with at first
		hang     bool                                   // or: the lookup does not answer at first
		play     func(t *testing.T, f *fixture, c call) // the call, with Salesforce back somewhere in it
		firstPop []Pop                                  // the pops the ring brought
		lookup   LookupFailure                          // what the ringing card says
		pops     []Pop                                  // every pop of the call, in the end
		who      string                                 // the Task's WhoId
	}{
		{name: "Salesforce back while ringing: the match fills in and pops", err: down,
			play: func(t *testing.T, f *fixture, c call) {
				f.crm.lookupErr = nil
				f.runJobs()
				f.tick(10 * time.Second)
				f.at(c, KindMissed)
			},
			lookup: LookupWaiting, pops: []Pop{adaPop}, who: "003ADA"},
		{name: "Salesforce hangs: the ring shows without waiting for it, and the match fills in", hang: true,
			play: func(t *testing.T, f *fixture, c call) {
				f.crm.mu.Lock()
				f.crm.hang = false
				f.crm.mu.Unlock()
				f.runJobs()
				f.tick(10 * time.Second)
				f.at(c, KindMissed)
			},
			lookup: LookupWaiting, pops: []Pop{adaPop}, who: "003ADA"},
		{name: "Salesforce down the whole call: no pop, and the Task's writer finds the caller", err: down,
			play: func(t *testing.T, f *fixture, c call) {
				f.tick(5 * time.Second)
				f.at(c, KindAnswered)
				f.tick(time.Minute)
				f.at(c, KindEnded)
				f.crm.lookupErr = nil
			},
			lookup: LookupWaiting, who: "003ADA"},
		{name: "pop on answer: Salesforce back after the answer pops then", err: down,
			settings: func(s *Settings) { s.PopOn = PopOnAnswered },
			play: func(t *testing.T, f *fixture, c call) {
				f.tick(5 * time.Second)
				f.at(c, KindAnswered)
				f.crm.lookupErr = nil
				f.runJobs()
				f.tick(time.Minute)
				f.at(c, KindEnded)
			},
			lookup: LookupWaiting, pops: []Pop{adaPop}, who: "003ADA"},
		{name: "out of API requests: the console's search pops, the match fills in once the limit resets", err: ErrCRMPaused,
			play: func(t *testing.T, f *fixture, c call) {
				f.crm.lookupErr = nil
				f.runJobs()
				f.tick(10 * time.Second)
				f.at(c, KindMissed)
			},
			firstPop: []Pop{search}, lookup: LookupPaused, pops: []Pop{search}, who: "003ADA"},
		{name: "Salesforce answers, then says the agent signed out: nothing pops", err: down,
			play: func(t *testing.T, f *fixture, c call) {
				f.crm.lookupErr = ErrSignedOut
				f.tick(lookupRetryMax)
				if errs := f.runDue(); len(errs) != 0 {
					t.Fatal(errs)
				}
				f.crm.lookupErr = nil
				f.tick(10 * time.Second)
				f.at(c, KindMissed)
			},
			lookup: LookupWaiting, who: "003ADA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.settings != nil {
				f.settings(tc.settings)
			}
			f.crm.lookupErr = tc.err
			f.crm.hang = tc.hang
			c := f.inbound("C1", Party{Number: ada.Number, Name: "ADA LOVELACE"})
			f.at(c, KindRinging) // acknowledged: nothing waits for Salesforce

			ring := f.push.of(f.alice, "call")
			if len(ring) != 1 {
				t.Fatalf("%d messages for the ring, want 1", len(ring))
			}
			card := ring[0].Call
			if card.Number != ada.Number || card.Name != "ADA LOVELACE" || card.State != StateRinging {
				t.Errorf("ringing card %+v, want the number and Zoom's caller-id name", card)
			}
			if card.Lookup != tc.lookup || len(card.Matches) != 0 {
				t.Errorf("ringing card says lookup %q with %d matches, want %q (never a plain no-match)", card.Lookup, len(card.Matches), tc.lookup)
			}
			if got := f.push.pops(f.alice); !reflect.DeepEqual(got, tc.firstPop) {
				t.Errorf("the ring popped %+v, want %+v", got, tc.firstPop)
			}

			tc.play(t, f, c)
			f.runJobs()

			if got := f.push.pops(f.alice); !reflect.DeepEqual(got, tc.pops) && (len(got) != 0 || len(tc.pops) != 0) {
				t.Errorf("pops %+v, want %+v", got, tc.pops)
			}
			if tc.who == "003ADA" && tc.lookup != LookupPaused && len(tc.pops) > 0 {
				// The card learnt the match while the call was on.
				filled := false
				for _, m := range f.push.of(f.alice, "call") {
					if m.Call != nil && m.Call.Lookup == "" && len(m.Call.Matches) == 1 && m.Call.Matches[0].ID == "003ADA" && !m.Call.Ended.After(m.Call.Ringing) {
						filled = true
					}
				}
				if !filled {
					t.Error("the card never showed the match while the call was on")
				}
			}
			if task := f.crm.only(t); task.WhoID != tc.who {
				t.Errorf("Task WhoId %q, want %q", task.WhoID, tc.who)
			}
		})
	}
}

// A lookup Salesforce keeps refusing is asked again with backoff, not in a
// tight loop, and stops once the call is over.
func TestLookupRetriesBackOff(t *testing.T) {
	f := newFixture(t)
	f.crm.lookupErr = errors.New("timeout")
	c := f.inbound("C1", ada)
	f.at(c, KindRinging)
	var waits []time.Duration
	for range 6 {
		q, wake, ok := f.outbox.next(f.clock.Now())
		if !ok {
			waits = append(waits, wake.Sub(f.clock.Now()))
			f.clock.Advance(wake.Sub(f.clock.Now()))
			continue
		}
		f.outbox.requeue(q)
		if errs := f.runDue(); len(errs) != 0 {
			t.Fatalf("lookup job failed instead of deferring: %v", errs)
		}
	}
	if len(waits) < 2 || waits[len(waits)-1] <= waits[0] || waits[len(waits)-1] > lookupRetryMax {
		t.Errorf("waits between lookups %v: want them growing, at most %s", waits, lookupRetryMax)
	}
	f.at(c, KindMissed)
	f.crm.lookupErr = nil
	searches := f.crm.searches
	f.runJobs()
	if f.crm.searches != searches+1 { // the Task's writer, once
		t.Errorf("%d lookups after the call ended, want 1 (the Task's writer)", f.crm.searches-searches)
	}
	if task := f.crm.only(t); task.WhoID != "003ADA" {
		t.Errorf("Task WhoId %q", task.WhoID)
	}
}
