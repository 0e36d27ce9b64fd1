package cti

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// What the agent's softphone is told to pop, and when, for every pop rule.
func TestScreenPop(t *testing.T) {
	const (
		adaNum    = "+12025550142"
		sharedNum = "+12025550100"
		strangNum = "+12025550199"
	)
	adaPop := &Pop{Kind: PopRecord, RecordID: "003ADA", ObjectType: "Contact"}
	answered := []EventKind{KindRinging, KindAnswered, KindHold, KindUnhold, KindEnded}
	tests := []struct {
		name      string
		settings  func(*Settings)
		from      Party
		outbound  bool
		lookupErr error
		steps     []EventKind
		want      []*Pop // the pop each step's message carries (nil: none)
	}{
		{name: "one match pops on ringing, once", from: ada, steps: answered,
			want: []*Pop{adaPop, nil, nil, nil, nil}},
		{name: "pop on answered waits for the answer", from: ada, steps: answered,
			settings: func(s *Settings) { s.PopOn = "answered" },
			want:     []*Pop{nil, adaPop, nil, nil, nil}},
		{name: "pop on answered: a missed call never pops", from: ada, steps: []EventKind{KindRinging, KindMissed},
			settings: func(s *Settings) { s.PopOn = "answered" },
			want:     []*Pop{nil, nil}},
		{name: "a Lead", from: hedy, steps: []EventKind{KindRinging},
			want: []*Pop{{Kind: PopRecord, RecordID: "00QHEDY", ObjectType: "Lead"}}},
		{name: "an Account", from: globex, steps: []EventKind{KindRinging},
			want: []*Pop{{Kind: PopRecord, RecordID: "001GLOBEX", ObjectType: "Account"}}},
		{name: "several matches: the agent chooses", from: sharedLine, steps: []EventKind{KindRinging},
			want: []*Pop{{Kind: PopChoose}}},
		{name: "several matches: the console's search", from: sharedLine, steps: []EventKind{KindRinging},
			settings: func(s *Settings) { s.MultipleMatch = "search" },
			want:     []*Pop{{Kind: PopSearch, SearchString: sharedNum}}},
		{name: "several matches: the softphone layout", from: sharedLine, steps: []EventKind{KindRinging},
			settings: func(s *Settings) { s.MultipleMatch = "layout" },
			want:     []*Pop{{Kind: PopLayout, SearchString: sharedNum, CallType: "inbound", DefaultFields: map[string]string{"Phone": sharedNum}}}},
		{name: "no match: a new Contact with the number", from: stranger, steps: []EventKind{KindRinging},
			want: []*Pop{{Kind: PopNew, EntityName: "Contact", DefaultFields: map[string]string{"Phone": strangNum}}}},
		{name: "no match: a new Lead", from: stranger, steps: []EventKind{KindRinging},
			settings: func(s *Settings) { s.NoMatch = "new_lead" },
			want:     []*Pop{{Kind: PopNew, EntityName: "Lead", DefaultFields: map[string]string{"Phone": strangNum}}}},
		{name: "no match: the admin's flow", from: stranger, steps: []EventKind{KindRinging},
			settings: func(s *Settings) { s.NoMatch, s.NoMatchFlow = "flow", "New_Caller" },
			want:     []*Pop{{Kind: PopFlow, Flow: "New_Caller", DefaultFields: map[string]string{"Phone": strangNum}}}},
		{name: "no match: nothing", from: stranger, steps: []EventKind{KindRinging},
			settings: func(s *Settings) { s.NoMatch = "none" },
			want:     []*Pop{nil}},
		{name: "a withheld number pops nothing", from: Party{Name: "Anonymous"}, steps: []EventKind{KindRinging},
			want: []*Pop{nil}},
		{name: "lookup paused: the console's search, which costs no API call", from: ada, lookupErr: ErrCRMPaused,
			steps: []EventKind{KindRinging}, want: []*Pop{{Kind: PopSearch, SearchString: adaNum}}},
		{name: "agent signed out of Salesforce: nothing to pop", from: ada, lookupErr: ErrSignedOut,
			steps: []EventKind{KindRinging}, want: []*Pop{nil}},
		{name: "an outbound call the agent dialled in Zoom pops too", from: ada, outbound: true,
			steps: []EventKind{KindRinging, KindAnswered}, want: []*Pop{adaPop, nil}},
		{name: "events after the end pop nothing", from: ada, steps: []EventKind{KindEnded, KindRinging},
			want: []*Pop{nil, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.settings != nil {
				f.settings(tc.settings)
			}
			f.crm.lookupErr = tc.lookupErr
			c := f.inbound("C1", tc.from)
			if tc.outbound {
				c = f.outbound("C1", tc.from)
			}
			for _, k := range tc.steps {
				f.at(c, k)
				f.tick(time.Second)
			}
			msgs := f.push.of(f.alice, "call")
			if len(msgs) != len(tc.steps) {
				t.Fatalf("%d call messages for %d events", len(msgs), len(tc.steps))
			}
			for i, m := range msgs {
				got := m.Pop
				if m.Resent {
					got = nil // sent again, skipped by a softphone that made it
				}
				if !reflect.DeepEqual(got, tc.want[i]) {
					t.Errorf("after %s: pop %+v (resent %v), want %+v", tc.steps[i], m.Pop, m.Resent, tc.want[i])
				}
			}
		})
	}
}

// The softphone's call card: the caller, the state, the matches.
func TestCallCard(t *testing.T) {
	f := newFixture(t)
	c := f.inbound("C1", Party{Number: ada.Number, Name: "ADA L"})
	c.queue = salesQueue
	f.at(c, KindRinging)
	f.tick(4 * time.Second)
	f.at(c, KindAnswered)
	f.tick(time.Minute)
	f.at(c, KindEnded)
	msgs := f.push.of(f.alice, "call")
	if len(msgs) != 3 {
		t.Fatalf("%d messages", len(msgs))
	}
	states := []CallState{msgs[0].Call.State, msgs[1].Call.State, msgs[2].Call.State}
	if !reflect.DeepEqual(states, []CallState{StateRinging, StateAnswered, StateEnded}) {
		t.Errorf("states %v", states)
	}
	last := msgs[2].Call
	if last.Number != ada.Number || last.Name != "ADA L" || last.Queue != "Sales" || last.Duration != 60 ||
		last.Result != "completed" || len(last.Matches) != 1 || last.Matches[0].ID != "003ADA" {
		t.Errorf("card %+v", last)
	}
}

// A call the agent clicked to dial from a record is not popped again, and
// it is logged against that record without a lookup.
func TestClickToDial(t *testing.T) {
	hedyIntent := DialIntent{Number: "(202) 555-0177", RecordID: "00QHEDY", RecordName: "Hedy Lamarr", ObjectType: "Lead"}
	tests := []struct {
		name     string
		intent   *DialIntent
		wait     time.Duration // between the click and the call
		wantPop  bool
		wantWho  string
		searches int
	}{
		{name: "from a Lead", intent: &hedyIntent, wantWho: "00QHEDY"},
		{name: "from a record that is not a person: not popped, looked up", wantWho: "00QHEDY", searches: 1,
			intent: &DialIntent{Number: "+1 202 555 0177", RecordID: "500CASE", ObjectType: "Case"}},
		{name: "a click that never became a call is forgotten", intent: &hedyIntent, wait: 3 * time.Minute,
			wantPop: true, wantWho: "00QHEDY", searches: 1},
		{name: "dialled in Zoom, no click", wantPop: true, wantWho: "00QHEDY", searches: 1},
		{name: "an unreadable number is not remembered", intent: &DialIntent{Number: "call me"}, wantPop: true,
			wantWho: "00QHEDY", searches: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.intent != nil {
				if err := f.e.NoteDial(context.Background(), *f.alice, *tc.intent); err != nil {
					t.Fatal(err)
				}
			}
			f.tick(tc.wait)
			c := f.outbound("D1", hedy)
			f.talk(c, 30*time.Second)
			if got := len(f.push.pops(f.alice)) > 0; got != tc.wantPop {
				t.Errorf("popped %v, want %v", got, tc.wantPop)
			}
			f.runJobs()
			task := f.crm.only(t)
			if task.WhoID != tc.wantWho || task.CallType != "Outbound" || task.Subject != "Call to +12025550177" {
				t.Errorf("Task %+v", task)
			}
			if f.crm.searches != tc.searches {
				t.Errorf("%d lookups, want %d", f.crm.searches, tc.searches)
			}
		})
	}
}

// A softphone that reconnects mid-call gets the call again, with its pop
// marked as a resend; after the call, nothing.
func TestActiveCallOnReconnect(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if m, err := f.e.ActiveCall(ctx, *f.alice); err != nil || m != nil {
		t.Fatalf("before any call: %+v, %v", m, err)
	}
	c := f.inbound("C1", ada)
	f.at(c, KindRinging)
	f.tick(2 * time.Second)
	f.at(c, KindAnswered)
	m, err := f.e.ActiveCall(ctx, *f.alice)
	if err != nil || m == nil {
		t.Fatalf("during the call: %+v, %v", m, err)
	}
	if m.Call.ID != "C1" || m.Call.State != StateAnswered || m.Pop == nil || m.Pop.RecordID != "003ADA" {
		t.Errorf("resent %+v (pop %+v)", m.Call, m.Pop)
	}
	// Carol's call does not show on Alice's softphone.
	if m, _ := f.e.ActiveCall(ctx, *f.carol); m != nil {
		t.Errorf("Carol sees %+v", m.Call)
	}
	f.at(c, KindEnded)
	if m, err := f.e.ActiveCall(ctx, *f.alice); err != nil || m != nil {
		t.Errorf("after the call: %+v, %v", m, err)
	}
}

// A second call that ends does not clear the call still in progress.
func TestActiveCallSurvivesAnotherCallEnding(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	first, second := f.inbound("C1", ada), f.inbound("C2", hedy)
	f.at(first, KindRinging)
	f.at(second, KindRinging) // call waiting: the active call is now C2
	f.at(first, KindMissed)
	m, err := f.e.ActiveCall(ctx, *f.alice)
	if err != nil || m == nil || m.Call.ID != "C2" {
		t.Fatalf("active %+v, %v; want C2", m, err)
	}
}

// Events for Zoom users nobody linked, and events that are not about a
// call, show nothing and log nothing.
func TestEventsThatDoNothing(t *testing.T) {
	tests := []struct {
		name string
		ev   func(f *fixture) Event
	}{
		{"an unlinked Zoom user", func(f *fixture) Event {
			ev := f.inbound("C1", ada).ev(KindRinging, f.day)
			ev.UserID = "zNobody"
			return ev
		}},
		{"a queue-level event without a user", func(f *fixture) Event {
			ev := f.inbound("C1", ada).ev(KindRinging, f.day)
			ev.UserID = ""
			return ev
		}},
		{"presence", func(f *fixture) Event { return Event{ID: "p1", Kind: KindPresence, UserID: "zAlice", Presence: "Away"} }},
		{"an unknown event", func(f *fixture) Event { return Event{ID: "u1", Kind: KindUnknown} }},
		{"a call record of an unlinked user", func(f *fixture) Event {
			return Event{ID: "r1", Kind: KindCallRecord, UserID: "zNobody", Records: []CallRecord{{CallID: "C1"}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.handle(tc.ev(f))
			f.runJobs()
			if n := len(f.push.of(f.alice, "")); n != 0 || len(f.crm.all()) != 0 || f.kv.len() != 0 {
				t.Errorf("%d messages, %d Tasks, %d keys", n, len(f.crm.all()), f.kv.len())
			}
		})
	}
}

// A pop is pushed once its step is stored; an instance killed in between
// never pushes it, and an agent whose softphone is on another instance is
// not sent it again by a reconnect. The answer's push carries it again,
// resent (a softphone that made the pop skips it), so the agent still gets
// it, with the answer.
func TestAPopWhosePushWasLostComesWithTheAnswer(t *testing.T) {
	f := newFixture(t)
	c := f.inbound("C1", ada)
	f.push.mu.Lock()
	f.push.err = errors.New("the instance died before its push")
	f.push.mu.Unlock()
	f.at(c, KindRinging)
	f.push.mu.Lock()
	f.push.err = nil
	f.push.mu.Unlock()
	if got := f.push.of(f.alice, "call"); len(got) != 0 {
		t.Fatalf("the ring's push was recorded: %+v", got)
	}
	f.tick(time.Second)
	f.at(c, KindAnswered)
	msgs := f.push.of(f.alice, "call")
	if len(msgs) != 1 {
		t.Fatalf("%d call messages after the answer, want 1", len(msgs))
	}
	want := &Pop{Kind: PopRecord, RecordID: "003ADA", ObjectType: "Contact"}
	if m := msgs[0]; !reflect.DeepEqual(m.Pop, want) || !m.Resent || m.Call.State != StateAnswered {
		t.Fatalf("the answer's push: pop %+v resent %v state %s; want %+v, resent, answered", m.Pop, m.Resent, m.Call.State, want)
	}
	// Later events do not send it again.
	f.tick(time.Second)
	f.at(c, KindEnded)
	for _, m := range f.push.of(f.alice, "call")[1:] {
		if m.Pop != nil {
			t.Fatalf("a later event's push carries the pop again: %+v", m)
		}
	}
}
