package cti

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Whatever Zoom and the store do, a call gets exactly one Task per agent.
func TestCallIsLoggedOnce(t *testing.T) {
	tests := []struct {
		name string
		play func(f *fixture, c call)
		want Task // the fields checked: Subject and duration
	}{
		{name: "the end delivered twice", play: func(f *fixture, c call) {
			f.talk(c, 30*time.Second)
			f.runJobs()
			f.at(c, KindEnded)
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 30}},
		{name: "every event delivered twice", play: func(f *fixture, c call) {
			for _, k := range []EventKind{KindRinging, KindAnswered, KindEnded} {
				ev := c.ev(k, f.clock.Now())
				f.handle(ev)
				f.handle(ev)
				f.tick(10 * time.Second)
			}
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 10}},
		{name: "a miss after the end", play: func(f *fixture, c call) {
			f.at(c, KindRinging)
			f.at(c, KindEnded)
			f.at(c, KindMissed)
		}, want: Task{Subject: "Missed call from +12025550142"}},
		{name: "the end first, carrying the answer; the rest late", play: func(f *fixture, c call) {
			ev := c.ev(KindEnded, f.day.Add(50*time.Second))
			ev.Ringing, ev.Answered, ev.Ended = f.day, f.day.Add(5*time.Second), f.day.Add(50*time.Second)
			f.handle(ev)
			f.runJobs()
			f.handle(c.ev(KindAnswered, f.day.Add(5*time.Second)))
			f.handle(c.ev(KindRinging, f.day))
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 45}},
		{name: "hold and unhold out of order", play: func(f *fixture, c call) {
			f.at(c, KindRinging)
			f.at(c, KindUnhold)
			f.at(c, KindAnswered)
			f.at(c, KindHold)
			f.tick(20 * time.Second)
			f.at(c, KindUnhold)
			f.at(c, KindMute)
			f.at(c, KindEnded)
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 20}},
		{name: "two jobs for the call", play: func(f *fixture, c call) {
			f.talk(c, time.Second)
			f.outbox.requeue(&queued{payload: f.outbox.pending()[0]})
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 1}},
		{name: "the post-call record after the live events", play: func(f *fixture, c call) {
			f.talk(c, 12*time.Second)
			f.runJobs()
			f.handle(recordEvent(CallRecord{CallID: "C1", UserID: "zAlice", Direction: Inbound, Caller: ada, Callee: aliceParty,
				Start: f.day, Answer: f.day.Add(5 * time.Second), End: f.day.Add(17 * time.Second), DurationSeconds: 12}))
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 12}},
		{name: "the post-call record while the Task is queued", play: func(f *fixture, c call) {
			f.talk(c, 12*time.Second)
			f.handle(recordEvent(CallRecord{CallID: "C1", UserID: "zAlice", Direction: Inbound, Caller: ada, Callee: aliceParty,
				Start: f.day, DurationSeconds: 12, Result: "Call connected"}))
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 12}},
		{name: "the post-call record before the live end", play: func(f *fixture, c call) {
			f.at(c, KindRinging)
			f.handle(recordEvent(CallRecord{CallID: "C1", UserID: "zAlice", Direction: Inbound, Caller: ada, Callee: aliceParty,
				Start: f.day, Answer: f.day.Add(2 * time.Second), End: f.day.Add(9 * time.Second), Result: "answered"}))
			f.at(c, KindEnded)
		}, want: Task{Subject: "Call from +12025550142", CallDurationInSeconds: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.play(f, f.inbound("C1", ada))
			f.runJobs()
			got := f.crm.only(t)
			if got.Subject != tc.want.Subject || got.CallDurationInSeconds != tc.want.CallDurationInSeconds || got.WhoID != "003ADA" {
				t.Errorf("Task %q %ds %s, want %q %ds", got.Subject, got.CallDurationInSeconds, got.WhoID, tc.want.Subject, tc.want.CallDurationInSeconds)
			}
			if n := len(f.push.pops(f.alice)); n > 1 {
				t.Errorf("popped %d times", n)
			}
			if ok, err := f.e.Logged(context.Background(), *f.alice, "C1"); !ok || err != nil {
				t.Errorf("Logged: %v, %v", ok, err)
			}
		})
	}
}

// A worker that dies between Salesforce's write and its own record of it
// leaves the job to a retry, which finds the earlier Task instead of
// writing a second one.
func TestCrashBetweenTaskAndMark(t *testing.T) {
	tests := []struct {
		name  string
		crash func(f *fixture)
	}{
		{"the mark is not saved", func(f *fixture) {
			failed := false
			f.kv.fail = func(op, key string) error {
				if op == "set" && strings.HasPrefix(key, "tasklog:") && !strings.HasSuffix(key, ":writing") && !failed {
					failed = true
					return errors.New("store went away")
				}
				return nil
			}
		}},
		{"Salesforce's answer is lost", func(f *fixture) { f.crm.failAfterCreate = 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.talk(f.inbound("C1", ada), time.Minute)
			tc.crash(f)
			if errs := f.runDue(); len(errs) != 1 {
				t.Fatalf("first attempt: %v, want one failure", errs)
			}
			f.runJobs()
			f.crm.only(t)
			if f.crm.creates != 1 || f.crm.finds != 1 {
				t.Errorf("%d creates, %d finds; want 1 and 1", f.crm.creates, f.crm.finds)
			}
		})
	}
}

// Salesforce down: the job waits in the outbox and the Task is written
// once it is back; a first attempt that never reached Salesforce costs a
// FindTask on the retry, and no second Task.
func TestTaskWaitsForSalesforce(t *testing.T) {
	for _, cause := range []error{ErrCRMPaused, ErrSignedOut, errors.New("503 from Salesforce")} {
		t.Run(cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			f.talk(f.inbound("C1", ada), time.Minute)
			f.crm.err = cause
			for range 3 {
				if errs := f.runDue(); len(errs) != 1 || !errors.Is(errs[0], cause) {
					t.Fatalf("attempt: %v, want %v", errs, cause)
				}
			}
			f.crm.err = nil
			f.runJobs()
			if task := f.crm.only(t); task.WhoID != "003ADA" {
				t.Errorf("Task %+v", task)
			}
		})
	}
}

// A lookup that could not run during the call (org paused, agent signed
// out) runs when the Task is written, so the Task still names the caller.
func TestTaskLooksUpWhenTheCallCouldNot(t *testing.T) {
	f := newFixture(t)
	f.crm.lookupErr = ErrSignedOut
	f.talk(f.inbound("C1", ada), time.Minute)
	if errs := f.runDue(); len(errs) != 1 {
		t.Fatalf("while signed out: %v", errs)
	}
	f.crm.lookupErr = nil // signed in again
	f.runJobs()
	if task := f.crm.only(t); task.WhoID != "003ADA" || task.WhatID != "001ANALYTICAL" {
		t.Errorf("Task %+v", task)
	}
}

// Salesforce refusing a call log: without the admin's extra fields first,
// then unrelated, and what it refuses whole is set aside, never retried
// forever.
func TestRejectedTask(t *testing.T) {
	tests := []struct {
		name      string
		reject    func(Task) bool
		fields    bool // the admin has an extra field with a default
		wantTasks int
		check     func(t *testing.T, task Task)
	}{
		{name: "a misconfigured extra field: saved without it", fields: true,
			reject:    func(t Task) bool { return len(t.Fields) > 0 },
			wantTasks: 1, check: func(t *testing.T, task Task) {
				if task.Fields != nil || task.WhoID != "003ADA" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "a deleted Contact: saved unrelated, with a note", fields: true,
			reject:    func(t Task) bool { return len(t.Fields) > 0 || t.WhoID != "" },
			wantTasks: 1, check: func(t *testing.T, task Task) {
				if task.WhoID != "" || task.WhatID != "" || !strings.Contains(task.Description, "could not relate") {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "a deleted Contact, no extra fields", reject: func(t Task) bool { return t.WhoID != "" },
			wantTasks: 1, check: func(t *testing.T, task Task) {
				if task.WhoID != "" || task.Fields != nil {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "refused whole: set aside", fields: true, reject: func(Task) bool { return true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.fields {
				f.settings(func(s *Settings) {
					s.CallLogFields = []CallLogField{{Name: "Gone__c", Label: "Gone", Type: "text", Default: "x"}}
				})
			}
			f.crm.reject = tc.reject
			f.talk(f.inbound("C1", ada), time.Minute)
			f.runJobs()
			all := f.crm.all()
			if len(all) != tc.wantTasks {
				t.Fatalf("%d Tasks, want %d", len(all), tc.wantTasks)
			}
			if tc.wantTasks == 0 {
				if len(f.outbox.dead) != 1 {
					t.Errorf("%d jobs set aside, want 1", len(f.outbox.dead))
				}
				return
			}
			tc.check(t, all[0].Task)
		})
	}
}

// Failures around the event: the event is retried and nothing is lost or
// doubled; a softphone that cannot be reached does not hold the call up.
// (A lookup Salesforce does not answer holds nothing up either: see
// TestLookupWaiting.)
func TestEventFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(f *fixture)
		fix    func(f *fixture)
	}{
		{"the outbox refuses the job", func(f *fixture) { f.outbox.err = errors.New("disk full") }, func(f *fixture) { f.outbox.err = nil }},
		{"the directory is down", func(f *fixture) { f.dir.err = errors.New("store down") }, func(f *fixture) { f.dir.err = nil }},
		{"the settings cannot be read", func(f *fixture) { f.failSettings(errors.New("store down")) }, func(f *fixture) { f.failSettings(nil) }},
		{"the call cannot be saved", func(f *fixture) {
			f.kv.fail = func(op, key string) error {
				if op == "set" && strings.HasPrefix(key, "call:") {
					return errors.New("store down")
				}
				return nil
			}
		}, func(f *fixture) { f.kv.fail = nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.inbound("C1", ada)
			tc.break_(f)
			ring, end := c.ev(KindRinging, f.day), c.ev(KindEnded, f.day.Add(20*time.Second))
			if f.handleErr(ring) == nil && f.handleErr(end) == nil {
				t.Fatal("the events were acknowledged although they could not be handled")
			}
			tc.fix(f)
			f.handle(ring)
			f.handle(end)
			f.runJobs()
			if task := f.crm.only(t); task.Subject != "Missed call from +12025550142" {
				t.Errorf("Task %+v", task)
			}
		})
	}
	t.Run("the softphone cannot be reached", func(t *testing.T) {
		f := newFixture(t)
		f.push.err = errors.New("no socket")
		f.miss(f.inbound("C1", ada))
		f.runJobs()
		f.crm.only(t)
	})
}

// A payload the outbox can never run is set aside at once.
func TestBadOutboxJobs(t *testing.T) {
	for _, payload := range []string{`not json`, `{"kind":"fax"}`, `{"kind":"sms"}`} {
		t.Run(payload, func(t *testing.T) {
			f := newFixture(t)
			if err := f.e.RunOutboxJob(context.Background(), []byte(payload)); !errors.Is(err, ErrBadJob) {
				t.Errorf("%v, want ErrBadJob", err)
			}
		})
	}
}

func recordEvent(recs ...CallRecord) Event {
	return Event{ID: "zoom:history:" + recs[0].CallID, Kind: KindCallRecord, UserID: "zAlice", Records: recs}
}

// A process that dies after Salesforce wrote the Task, before it could
// record it or give its write claim back (the claim stored with the job
// stays): the retry does not take the claim for its own, waits for it to
// run out, then finds the Task instead of writing a second one.
func TestDeathAfterTheTaskWrite(t *testing.T) {
	f := newFixture(t)
	f.talk(f.inbound("C1", ada), time.Minute)
	f.crm.failAfterCreate = 1
	f.kv.fail = func(op, key string) error {
		if op == "set" && strings.HasSuffix(key, ":writing") {
			return errors.New("the process is gone")
		}
		return nil
	}
	if errs := f.runDue(); len(errs) != 1 {
		t.Fatalf("first attempt: %v, want one failure", errs)
	}
	f.kv.fail = nil
	if errs := f.runDue(); len(errs) != 1 || !errors.Is(errs[0], ErrBusy) {
		t.Fatalf("retry while the first attempt's claim holds: %v, want busy", errs)
	}
	f.clock.Advance(writeClaim)
	f.runJobs()
	f.crm.only(t)
	if f.crm.creates != 1 || f.crm.finds != 1 {
		t.Errorf("%d creates, %d finds; want 1 and 1", f.crm.creates, f.crm.finds)
	}
}

// A Task write whose first attempt comes after the claim stored with it
// ran out (its job waited out a backlog, or the org's API pause) renews the
// claim before it writes: another attempt at the same log that comes
// meanwhile (another job for the same log) is told busy, instead of taking the run-out
// claim, finding no Task yet and writing a second one. A first attempt
// that comes at once writes under the claim as it was stored.
func TestALateFirstAttemptRenewsItsClaimBeforeWriting(t *testing.T) {
	for _, c := range []struct {
		name  string
		wait  time.Duration
		renew bool
	}{
		{"at once", 0, false},
		{"within claimFresh", claimFresh - time.Second, false},
		{"after claimFresh", claimFresh + time.Second, true},
		{"after the claim ran out", writeClaim + time.Minute, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.talk(f.inbound("C1", ada), time.Minute)
			f.clock.Advance(c.wait)
			base := logKey(*f.alice, "C1")
			var sets int
			f.kv.fail = func(op, key string) error {
				if op == "set" && key == base+":writing" {
					sets++
				}
				return nil
			}
			var other error = errors.New("no Task was created")
			f.crm.onCreate = func() {
				f.kv.fail = nil
				_, other = f.e.claimWrite(context.Background(), base)
			}
			if errs := f.runDue(); len(errs) != 0 {
				t.Fatalf("the first attempt: %v", errs)
			}
			if !errors.Is(other, ErrBusy) {
				t.Errorf("another attempt while the first wrote: %v, want busy", other)
			}
			if renewed := sets > 0; renewed != c.renew {
				t.Errorf("the claim renewed: %v, want %v", renewed, c.renew)
			}
			f.crm.only(t)
			if f.crm.creates != 1 || f.crm.finds != 0 {
				t.Errorf("%d creates, %d finds; want 1 and 0", f.crm.creates, f.crm.finds)
			}
		})
	}
}

// A Task write handed back before it ran (its instance shutting down) gives
// up the write claim its event stored with it: the instance that takes it
// next writes the Task at once, rather than waiting for the claim to run
// out (busy, every few moments, for two minutes) and then asking Salesforce.
func TestHandedBackTaskWriteIsWrittenAtOnce(t *testing.T) {
	f := newFixture(t)
	f.talk(f.inbound("C1", ada), time.Minute)
	q, _, ok := f.outbox.next(f.clock.Now())
	if !ok {
		t.Fatal("no Task write queued")
	}
	// Claimed with the event (attempt 1), handed back before it ran.
	if err := f.e.HandBack(context.Background(), Job{Payload: q.payload, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	q.attempts = 1
	f.outbox.requeue(q)
	if errs := f.runDue(); len(errs) != 0 {
		t.Fatalf("the next attempt: %v, want the Task written", errs)
	}
	f.crm.only(t)
	if f.crm.creates != 1 || f.crm.finds != 0 {
		t.Errorf("%d creates, %d finds; want 1 and 0", f.crm.creates, f.crm.finds)
	}
}
