package cti

import (
	"context"
	"testing"
	"time"
)

// Ignore Internal Calls: calls between extensions are neither popped nor
// logged nor shown; off, they are shown and logged, but never popped or
// looked up (a colleague has no record).
func TestInternalCalls(t *testing.T) {
	tests := []struct {
		name        string
		ignore      bool
		placed      bool
		wantMsgs    int
		wantSubject string // "" for no Task
	}{
		{name: "ignored", ignore: true},
		{name: "ignored, placed by the agent", ignore: true, placed: true},
		{name: "logged", wantMsgs: 3, wantSubject: "Internal call with +12025550103"},
		{name: "logged, placed by the agent", placed: true, wantMsgs: 3, wantSubject: "Internal call with +12025550103"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.settings(func(s *Settings) { s.IgnoreInternalCalls = tc.ignore })
			c := f.internal("I1", carolParty, tc.placed)
			f.talk(c, 10*time.Second)
			f.at(c, KindEnded) // redelivered
			f.runJobs()
			msgs := f.push.of(f.alice, "call")
			if len(f.push.pops(f.alice)) != 0 || f.crm.searches != 0 {
				t.Errorf("%d pops, %d lookups for an internal call", len(f.push.pops(f.alice)), f.crm.searches)
			}
			if tc.wantSubject == "" {
				if len(msgs) != 0 || len(f.crm.all()) != 0 {
					t.Errorf("%d messages and %d Tasks for an ignored call", len(msgs), len(f.crm.all()))
				}
				return
			}
			if len(msgs) < tc.wantMsgs {
				t.Errorf("%d messages, want at least %d", len(msgs), tc.wantMsgs)
			}
			task := f.crm.only(t)
			if task.Subject != tc.wantSubject || task.CallType != "Internal" || task.WhoID != "" || task.CallDurationInSeconds != 10 {
				t.Errorf("Task %+v", task)
			}
		})
	}
}

// An ignored internal call is not shown to a softphone that reconnects
// either, and does not hide the outside call the agent is on.
func TestIgnoredInternalCallIsNotResent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.settings(func(s *Settings) { s.IgnoreInternalCalls = true })
	internal := f.internal("I1", carolParty, false)
	f.at(internal, KindRinging)
	if m, err := f.e.ActiveCall(ctx, *f.alice); err != nil || m != nil {
		t.Errorf("a reconnecting softphone is shown %+v (err %v)", m, err)
	}
	f.at(internal, KindMissed)
	outside := f.inbound("C1", ada)
	f.at(outside, KindRinging)
	f.at(outside, KindAnswered)
	f.at(f.internal("I2", carolParty, false), KindRinging) // Carol calls while Alice talks
	f.at(f.internal("I2", carolParty, false), KindMissed)
	if m, err := f.e.ActiveCall(ctx, *f.alice); err != nil || m == nil || m.Call.ID != "C1" {
		t.Errorf("during the outside call the softphone is shown %+v (err %v), want C1", m, err)
	}
}
