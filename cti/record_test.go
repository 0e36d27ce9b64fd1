package cti

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Reconcile (and the post-call record of a call whose live events were
// lost) logs from Zoom's call history: one Task per call, as the live
// path would have written it.
func TestLogRecord(t *testing.T) {
	day := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	in := func(result string) CallRecord {
		return CallRecord{CallID: "C1", Direction: Inbound, Caller: ada, Callee: aliceParty, Start: day,
			End: day.Add(time.Minute), DurationSeconds: 40, Result: result}
	}
	tests := []struct {
		name        string
		rec         CallRecord
		settings    func(*Settings)
		before      func(f *fixture)
		want        LogOutcome
		wantSubject string // "" for no Task
		wantSeconds int
		wantResult  string
	}{
		{name: "answered: talk time from the duration", rec: in("Call connected"), want: LoggedNow,
			wantSubject: "Call from +12025550142", wantSeconds: 40, wantResult: "completed"},
		{name: "answered: the end from the answer", want: LoggedNow,
			rec:         CallRecord{CallID: "C1", Direction: Inbound, Caller: ada, Start: day, Answer: day.Add(3 * time.Second), DurationSeconds: 25},
			wantSubject: "Call from +12025550142", wantSeconds: 25, wantResult: "completed"},
		{name: "no answer", rec: in("No Answer"), want: LoggedNow, wantSubject: "Missed call from +12025550142", wantSeconds: 40, wantResult: "missed"},
		{name: "voicemail", rec: in("Voicemail"), want: LoggedNow, wantSubject: "Voicemail from +12025550142", wantSeconds: 40, wantResult: "voicemail"},
		{name: "busy", rec: in("busy"), want: LoggedNow, wantSubject: "Declined call from +12025550142", wantSeconds: 40, wantResult: "rejected"},
		{name: "a result Zoom adds later is kept", rec: in("Call_Parked"), want: LoggedNow, wantSubject: "Call from +12025550142", wantSeconds: 40, wantResult: "call_parked"},
		{name: "outbound", want: LoggedNow,
			rec:         CallRecord{CallID: "C1", Direction: Outbound, Caller: aliceParty, Callee: hedy, Start: day, Answer: day, End: day.Add(9 * time.Second)},
			wantSubject: "Call to +12025550177", wantSeconds: 9, wantResult: "completed"},
		{name: "internal, ignored", rec: CallRecord{CallID: "C1", Internal: true, Direction: Inbound, Caller: carolParty, Callee: aliceParty, Start: day},
			settings: func(s *Settings) { s.IgnoreInternalCalls = true }, want: Ignored},
		{name: "internal, logged", rec: CallRecord{CallID: "C1", Internal: true, Direction: Inbound, Caller: carolParty, Callee: aliceParty, Start: day},
			want: LoggedNow, wantSubject: "Internal call with +12025550103", wantResult: "completed"},
		{name: "already logged live", rec: in("answered"), want: AlreadyLogged, before: func(f *fixture) {
			f.talk(f.inbound("C1", ada), 40*time.Second)
			f.runJobs()
		}, wantSubject: "Call from +12025550142", wantSeconds: 40, wantResult: "completed"},
		{name: "Auto Save off: waits for the wrap-up", rec: in("answered"), want: WrapUpQueued,
			settings: func(s *Settings) { s.AutoSaveCallLogs = false }},
		{name: "already waiting for the wrap-up", rec: in("answered"), want: WrapUpWaiting,
			settings: func(s *Settings) { s.AutoSaveCallLogs = false },
			before:   func(f *fixture) { f.miss(f.inbound("C1", ada)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			if tc.settings != nil {
				f.settings(tc.settings)
			}
			if tc.before != nil {
				tc.before(f)
			}
			got, err := f.e.LogRecord(ctx, *f.alice, tc.rec)
			if err != nil || got != tc.want {
				t.Fatalf("LogRecord: %v, %v; want %v", got, err, tc.want)
			}
			// Reconcile run twice over the same range: a call still
			// waiting for its wrap-up is not called logged.
			wantAgain := map[LogOutcome]LogOutcome{WrapUpQueued: WrapUpWaiting, WrapUpWaiting: WrapUpWaiting, Ignored: Ignored}[tc.want]
			if again, err := f.e.LogRecord(ctx, *f.alice, tc.rec); err != nil || again != wantAgain {
				t.Errorf("second run: %v, %v; want %v", again, err, wantAgain)
			}
			f.runJobs()
			all := f.crm.all()
			if tc.wantSubject == "" {
				if len(all) != 0 {
					t.Errorf("%d Tasks, want none", len(all))
				}
				if (tc.want == WrapUpQueued || tc.want == WrapUpWaiting) && len(f.wrapUps()) != 1 {
					t.Errorf("%d calls waiting for a wrap-up, want 1", len(f.wrapUps()))
				}
				return
			}
			task := f.crm.only(t)
			if task.Subject != tc.wantSubject || task.CallDurationInSeconds != tc.wantSeconds || task.CallDisposition != tc.wantResult {
				t.Errorf("Task %q %ds %q, want %q %ds %q", task.Subject, task.CallDurationInSeconds, task.CallDisposition,
					tc.wantSubject, tc.wantSeconds, tc.wantResult)
			}
		})
	}
}

func TestLogRecordErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.e.LogRecord(ctx, *f.alice, CallRecord{}); !errors.Is(err, ErrBadJob) {
		t.Errorf("a record without a call id: %v, want ErrBadJob", err)
	}
	f.crm.err = errors.New("503")
	rec := CallRecord{CallID: "C1", Direction: Inbound, Caller: ada, Start: f.day}
	if _, err := f.e.LogRecord(ctx, *f.alice, rec); err == nil {
		t.Error("LogRecord succeeded while Salesforce was down")
	}
	f.crm.err = nil
	if got, err := f.e.LogRecord(ctx, *f.alice, rec); err != nil || got != LoggedNow {
		t.Errorf("after Salesforce came back: %v, %v", got, err)
	}
	f.crm.only(t)
}

// The post-call record event names every leg of the call; each agent logs
// their own.
func TestCallRecordEventLogsOnlyTheAgentsLeg(t *testing.T) {
	f := newFixture(t)
	f.handle(recordEvent(
		CallRecord{CallID: "C1", UserID: "zCarol", Direction: Inbound, Caller: ada, Callee: carolParty, Start: f.day},
		CallRecord{CallID: "C1", UserID: "zAlice", Direction: Inbound, Caller: ada, Callee: aliceParty, Start: f.day, Result: "No Answer"},
	))
	f.runJobs()
	all := f.crm.all()
	if len(all) != 1 || all[0].Owner != f.alice.Key() || all[0].Subject != "Missed call from +12025550142" {
		t.Errorf("Tasks %+v", all)
	}
}

// Reconcile reaches back six months, further than the call log's mark is
// kept: a call logged long ago, reconciled again, keeps its one Task.
func TestReconcilingAnOldCallFindsItsTask(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rec := CallRecord{CallID: "C1", Direction: Inbound, Caller: ada, Callee: aliceParty, Start: f.day,
		End: f.day.Add(time.Minute), DurationSeconds: 40, Result: "Call connected"}
	if got, err := f.e.LogRecord(ctx, *f.alice, rec); err != nil || got != LoggedNow {
		t.Fatalf("first reconcile: %v, %v", got, err)
	}
	if f.crm.finds != 0 {
		t.Errorf("a recent call asked Salesforce for its Task %d times before its first write, want 0", f.crm.finds)
	}
	f.tick(120 * 24 * time.Hour) // the mark is long gone
	if got, err := f.e.LogRecord(ctx, *f.alice, rec); err != nil || got != AlreadyLogged {
		t.Errorf("reconciled four months later: %v, %v; want AlreadyLogged", got, err)
	}
	f.runJobs()
	f.crm.only(t)
	// Found once, it is marked again: a third run asks no more.
	finds := f.crm.finds
	if got, err := f.e.LogRecord(ctx, *f.alice, rec); err != nil || got != AlreadyLogged || f.crm.finds != finds {
		t.Errorf("third run: %v, %v, %d more finds; want AlreadyLogged and none", got, err, f.crm.finds-finds)
	}
	// An old call never logged is logged, once.
	old := rec
	old.CallID, old.Start, old.End = "C2", f.clock.Now().Add(-100*24*time.Hour), f.clock.Now().Add(-100*24*time.Hour+time.Minute)
	if got, err := f.e.LogRecord(ctx, *f.alice, old); err != nil || got != LoggedNow {
		t.Errorf("an old call never logged: %v, %v; want LoggedNow", got, err)
	}
	if n := len(f.crm.all()); n != 2 {
		t.Errorf("%d Tasks, want 2", n)
	}
	// With Auto Save off, the old call logged long ago is not offered to
	// the agent as a wrap-up.
	f.settings(func(s *Settings) { s.AutoSaveCallLogs = false })
	f.tick(100 * 24 * time.Hour)
	if got, err := f.e.LogRecord(ctx, *f.alice, rec); err != nil || got != AlreadyLogged {
		t.Errorf("Auto Save off, reconciled again months later: %v, %v; want AlreadyLogged", got, err)
	}
	if n := len(f.wrapUps()); n != 0 {
		t.Errorf("%d calls waiting for a wrap-up, want none", n)
	}
}
