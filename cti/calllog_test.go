package cti

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The Task Auto Save writes when a call ends: what the agent finds on the
// caller's record in Salesforce.
func TestCallTask(t *testing.T) {
	tests := []struct {
		name     string
		settings func(*Settings)
		call     func(f *fixture) call
		play     func(f *fixture, c call)
		want     Task // Description is checked for wantDesc lines only
		wantDesc []string
	}{
		{name: "answered inbound call from a Contact",
			call: func(f *fixture) call { return f.inbound("C1", ada) },
			play: func(f *fixture, c call) { f.talk(c, 95*time.Second) },
			want: Task{Subject: "Call from +12025550142", CallType: "Inbound", CallDurationInSeconds: 95, CallObject: "C1",
				CallDisposition: "completed", ActivityDate: "2026-03-04", WhoID: "003ADA", WhatID: "001ANALYTICAL"},
			wantDesc: []string{"Direction: inbound", "From: +12025550142", "To: Alice (+12025550101)", "Result: completed", "Talk time: 95s", "Zoom call ID: C1"}},
		{name: "missed call from a Lead",
			call: func(f *fixture) call { return f.inbound("C1", hedy) },
			play: func(f *fixture, c call) { f.miss(c) },
			want: Task{Subject: "Missed call from +12025550177", CallType: "Inbound", CallObject: "C1",
				CallDisposition: "missed", ActivityDate: "2026-03-04", WhoID: "00QHEDY"},
			wantDesc: []string{"Result: missed", "Talk time: 0s"}},
		{name: "declined call from an Account",
			call: func(f *fixture) call { return f.inbound("C1", globex) },
			play: func(f *fixture, c call) { f.at(c, KindRinging); f.at(c, KindRejected) },
			want: Task{Subject: "Declined call from +12025550155", CallType: "Inbound", CallObject: "C1",
				CallDisposition: "rejected", ActivityDate: "2026-03-04", WhatID: "001GLOBEX"}},
		{name: "sent to voicemail",
			call: func(f *fixture) call { return f.inbound("C1", stranger) },
			play: func(f *fixture, c call) {
				f.at(c, KindRinging)
				ev := c.ev(KindEnded, f.clock.Now())
				ev.Result = "Voicemail"
				f.handle(ev)
			},
			want: Task{Subject: "Voicemail from +12025550199", CallType: "Inbound", CallObject: "C1",
				CallDisposition: "voicemail", ActivityDate: "2026-03-04"}},
		{name: "outbound call to a number that matches nothing",
			call: func(f *fixture) call { return f.outbound("C1", stranger) },
			play: func(f *fixture, c call) { f.talk(c, 3*time.Second) },
			want: Task{Subject: "Call to +12025550199", CallType: "Outbound", CallDurationInSeconds: 3, CallObject: "C1",
				CallDisposition: "completed", ActivityDate: "2026-03-04"},
			wantDesc: []string{"From: Alice (+12025550101)", "To: +12025550199"}},
		{name: "the admin's closed status",
			settings: func(s *Settings) { s.TaskStatus = "Closed - Logged" },
			call:     func(f *fixture) call { return f.outbound("C1", stranger) },
			play:     func(f *fixture, c call) { f.talk(c, 3*time.Second) },
			want: Task{Subject: "Call to +12025550199", CallType: "Outbound", CallDurationInSeconds: 3, CallObject: "C1",
				CallDisposition: "completed", Status: "Closed - Logged", ActivityDate: "2026-03-04"}},
		{name: "a withheld number",
			call: func(f *fixture) call { return f.inbound("C1", Party{Name: "Anonymous"}) },
			play: func(f *fixture, c call) { f.miss(c) },
			want: Task{Subject: "Missed call from unknown number", CallType: "Inbound", CallObject: "C1",
				CallDisposition: "missed", ActivityDate: "2026-03-04"},
			wantDesc: []string{"From: Anonymous"}},
		{name: "several matches log on the first",
			call: func(f *fixture) call { return f.inbound("C1", sharedLine) },
			play: func(f *fixture, c call) { f.miss(c) },
			want: Task{Subject: "Missed call from +12025550100", CallType: "Inbound", CallObject: "C1",
				CallDisposition: "missed", ActivityDate: "2026-03-04", WhoID: "003ADA", WhatID: "001ANALYTICAL"}},
		{name: "the admin's extra fields with a default",
			settings: func(s *Settings) {
				s.CallLogFields = []CallLogField{
					{Name: "Outcome__c", Label: "Outcome", Type: "picklist", Options: []string{"Open", "Won"}, Default: "Open"},
					{Name: "Notes__c", Label: "Notes", Type: "text"},
				}
			},
			call: func(f *fixture) call { c := f.inbound("C1", ada); c.queue = salesQueue; return c },
			play: func(f *fixture, c call) { f.talk(c, time.Second) },
			want: Task{Subject: "Call from +12025550142", CallType: "Inbound", CallDurationInSeconds: 1, CallObject: "C1",
				CallDisposition: "completed", ActivityDate: "2026-03-04", WhoID: "003ADA", WhatID: "001ANALYTICAL",
				Fields: map[string]string{"Outcome__c": "Open"}},
			wantDesc: []string{"Queue: Sales"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.settings != nil {
				f.settings(tc.settings)
			}
			tc.play(f, tc.call(f))
			f.runJobs()
			got := f.crm.only(t)
			desc := got.Description
			got.Description = ""
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Task\n%+v\nwant\n%+v", got, tc.want)
			}
			for _, line := range tc.wantDesc {
				if !strings.Contains(desc, line+"\n") && !strings.HasSuffix(desc, line) {
					t.Errorf("description lacks %q:\n%s", line, desc)
				}
			}
			// The softphone is told, so that the console shows the new Task.
			logged := f.push.of(f.alice, "logged")
			if len(logged) != 1 || logged[0].CallID != "C1" || logged[0].TaskID == "" {
				t.Errorf("logged messages %+v", logged)
			}
		})
	}
}

// ActivityDate is the day the call rang where the agent is.
func TestCallTaskActivityDate(t *testing.T) {
	tests := []struct {
		name string
		zone string
		rang string
		want string
	}{
		{"New York evening is the day before UTC's", "America/New_York", "2026-03-05T04:30:00Z", "2026-03-04"},
		{"New York just past midnight", "America/New_York", "2026-03-05T05:30:00Z", "2026-03-05"},
		{"Tokyo is already tomorrow", "Asia/Tokyo", "2026-03-04T15:30:00Z", "2026-03-05"},
		{"no time zone is UTC", "", "2026-03-05T04:30:00Z", "2026-03-05"},
		{"an unknown time zone is UTC", "Mars/Olympus_Mons", "2026-03-05T04:30:00Z", "2026-03-05"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.alice.TimeZone = tc.zone
			rang, err := time.Parse(time.RFC3339, tc.rang)
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(rang.Sub(f.clock.Now()))
			f.miss(f.inbound("C1", ada))
			f.tick(2 * time.Hour) // the Task is written later: the day is still the day it rang
			f.runJobs()
			if got := f.crm.only(t).ActivityDate; got != tc.want {
				t.Errorf("ActivityDate %s, want %s", got, tc.want)
			}
		})
	}
}

// Auto Save off: no Task, the call waits in the agent's unlinked call logs.
func TestAutoSaveOffWaitsForWrapUp(t *testing.T) {
	f := newFixture(t)
	f.settings(func(s *Settings) { s.AutoSaveCallLogs = false })
	f.talk(f.inbound("C1", ada), time.Minute)
	f.runJobs()
	if n := len(f.crm.all()); n != 0 {
		t.Fatalf("%d Tasks written without the wrap-up", n)
	}
	w := f.push.of(f.alice, "wrapup")
	if len(w) != 1 || w[0].WrapUp.Call.ID != "C1" || w[0].WrapUp.Draft.WhoID != "003ADA" || w[0].WrapUp.Draft.CallDurationInSeconds != 60 {
		t.Fatalf("wrap-up pushed %+v", w)
	}
	list := f.wrapUps()
	if len(list) != 1 || list[0].Call.Number != ada.Number {
		t.Errorf("unlinked call logs %+v", list)
	}
}
