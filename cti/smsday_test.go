package cti

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// One Task per agent, other number and the agent's local day.
func TestSMSOneTaskPerNumberPerDay(t *testing.T) {
	f := newSMSFixture(t)
	// 10:00 and 23:30 in New York are one day; 00:30 the next is another.
	f.handle(smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "morning"))
	f.handle(smsEvent("m2", Inbound, hedy, []Party{aliceParty}, f.day.Add(time.Minute), "from Hedy"))
	f.handle(smsEvent("m3", Outbound, aliceParty, []Party{ada}, f.day.Add(13*time.Hour+30*time.Minute), "late"))
	f.handle(smsEvent("m4", Inbound, ada, []Party{aliceParty}, f.day.Add(14*time.Hour+30*time.Minute), "next day"))
	f.runJobs()
	got := map[string]string{}
	for _, task := range f.crm.all() {
		got[task.CallObject] = task.Subject + " | " + task.ActivityDate + " | " + task.WhoID
	}
	want := map[string]string{
		"zoom-sms:+12025550142:2026-03-04": "SMS with Ada Lovelace (+12025550142) | 2026-03-04 | 003ADA",
		"zoom-sms:+12025550177:2026-03-04": "SMS with Hedy Lamarr (+12025550177) | 2026-03-04 | 00QHEDY",
		"zoom-sms:+12025550142:2026-03-05": "SMS with Ada Lovelace (+12025550142) | 2026-03-05 | 003ADA",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Tasks\n%v\nwant\n%v", got, want)
	}
	for _, task := range f.crm.all() {
		if task.CallObject == "zoom-sms:+12025550142:2026-03-04" {
			assertOrder(t, task.Description, []string{"10:00 Received: morning", "23:30 Sent: late"})
		}
	}
}

// A burst is written once it has been quiet for the settle time; a
// conversation that never goes quiet is still written within a minute.
func TestSMSSettle(t *testing.T) {
	tests := []struct {
		name      string
		messages  int
		gap       time.Duration
		wantEarly bool // a Task before the last message
	}{
		{"a burst waits until it is quiet", 5, time.Second, false},
		{"a lively conversation is written within a minute", 90, time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSMSFixture(t)
			early := false
			for i := range tc.messages {
				f.handle(smsEvent(fmt.Sprint("m", i), Inbound, ada, []Party{aliceParty}, f.clock.Now(), fmt.Sprint("text ", i)))
				f.tick(tc.gap)
				if errs := f.runDue(); len(errs) != 0 {
					t.Fatal(errs)
				}
				if i < tc.messages-1 && len(f.crm.all()) > 0 {
					early = true
				}
			}
			if early != tc.wantEarly {
				t.Errorf("written before the last message: %v, want %v", early, tc.wantEarly)
			}
			if errs := f.runDue(); len(errs) != 0 {
				t.Fatal(errs)
			}
			if !tc.wantEarly && len(f.crm.all()) != 0 {
				t.Error("written before the settle time")
			}
			f.runJobs()
			task := f.crm.only(t)
			if n := len(strings.Split(task.Description, "\n")); n != tc.messages {
				t.Errorf("%d lines, want %d", n, tc.messages)
			}
			if !tc.wantEarly && (f.crm.creates != 1 || f.crm.updates != 0) {
				t.Errorf("%d creates, %d updates for one burst", f.crm.creates, f.crm.updates)
			}
		})
	}
}

// A day's SMS Task the agent deleted in Salesforce: the next message
// starts a new Task with the whole day's thread, instead of retrying the
// dead one forever.
func TestSMSDeletedTaskStartsANewOne(t *testing.T) {
	f := newSMSFixture(t)
	f.handle(smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "first"))
	f.runJobs()
	f.crm.deleteTask(f.crm.all()[0].ID)
	f.handle(smsEvent("m2", Outbound, aliceParty, []Party{ada}, f.clock.Now(), "second"))
	f.runJobs()
	task := f.crm.only(t)
	assertOrder(t, task.Description, []string{"first", "second"})
	if f.crm.creates != 2 || task.WhoID != "003ADA" {
		t.Errorf("%d creates; Task %+v", f.crm.creates, task)
	}
}

// A message that names only Account numbers is related to the Account; a
// sender nobody knows leaves the Task unlinked, and is looked up once.
func TestSMSRelatedTo(t *testing.T) {
	tests := []struct {
		name          string
		from          Party
		who, what     string
		subject       string
		wantSearches  int
		secondMessage bool
	}{
		{"an Account", globex, "", "001GLOBEX", "SMS with Globex (+12025550155)", 1, true},
		{"nobody", stranger, "", "", "SMS with +12025550199", 1, true},
		{"a short code", Party{Number: "72345"}, "", "", "SMS with 72345", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSMSFixture(t)
			f.handle(smsEvent("m1", Inbound, tc.from, []Party{aliceParty}, f.day, "hi"))
			f.runJobs()
			if tc.secondMessage {
				f.handle(smsEvent("m2", Outbound, aliceParty, []Party{tc.from}, f.clock.Now(), "hello"))
				f.runJobs()
			}
			task := f.crm.only(t)
			if task.WhoID != tc.who || task.WhatID != tc.what || task.Subject != tc.subject {
				t.Errorf("Task %+v", task)
			}
			if f.crm.searches != tc.wantSearches {
				t.Errorf("%d lookups, want %d", f.crm.searches, tc.wantSearches)
			}
		})
	}
}

// An SMS whose job cannot be queued is queued by the event's retry.
func TestSMSEnqueueFailureIsRetried(t *testing.T) {
	f := newSMSFixture(t)
	f.outbox.err = fmt.Errorf("disk full")
	ev := smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "hi")
	if err := f.e.Handle(context.Background(), ev); err == nil {
		t.Fatal("the event was acknowledged without a job")
	}
	f.outbox.err = nil
	f.handle(ev)
	f.runJobs()
	assertOrder(t, f.crm.only(t).Description, []string{"hi"})
}
