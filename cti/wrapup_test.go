package cti

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Salesforce ids the agent may pick in the wrap-up form (15 characters,
// as the form sends them).
const (
	graceID  = "003000000GRACE1" // a Contact matching the shared line
	turingID = "003000000TURING" // a Contact matching nothing
	leadID   = "00Q0000000HEDY1"
	dealID   = "006000000DEAL01" // an Opportunity
)

// wrapUpFixture ends a call from number with Auto Save off, so that it
// waits in Alice's unlinked call logs.
func wrapUpFixture(t *testing.T, from Party, change func(*Settings)) *fixture {
	t.Helper()
	f := newFixture(t)
	f.settings(func(s *Settings) {
		s.AutoSaveCallLogs = false
		s.SalesEngagement = true
		s.CallLogFields = []CallLogField{
			{Name: "Outcome__c", Label: "Outcome", Type: "picklist", Options: []string{"Open", "Won", "Lost"}, Default: "Open", Required: true},
			{Name: "Topic__c", Label: "Topic", Type: "text"},
		}
		if change != nil {
			change(s)
		}
	})
	f.talk(f.inbound("C1", from), 42*time.Second)
	return f
}

// The wrap-up form saved: the Task is the draft with the agent's edit.
func TestWrapUpSave(t *testing.T) {
	tests := []struct {
		name     string
		from     Party
		settings func(*Settings)
		edit     WrapUpEdit
		check    func(t *testing.T, task Task)
	}{
		{name: "saved as it is: the draft with the field defaults", from: ada, check: func(t *testing.T, task Task) {
			if task.Subject != "Call from +12025550142" || task.WhoID != "003ADA" || task.WhatID != "001ANALYTICAL" ||
				task.CallDurationInSeconds != 42 || task.Fields["Outcome__c"] != "Open" || len(task.Fields) != 1 {
				t.Errorf("Task %+v", task)
			}
		}},
		{name: "notes, subject, disposition and fields", from: ada,
			edit: WrapUpEdit{Subject: " Renewal call ", Notes: "Wants the blue plan", Disposition: "Call Back Later",
				Fields: map[string]string{"Outcome__c": "Won", "Topic__c": "renewal"}},
			check: func(t *testing.T, task Task) {
				if task.Subject != "Renewal call" || !strings.HasPrefix(task.Description, "Wants the blue plan\n\nDirection: inbound") ||
					task.CallDisposition != "Call Back Later" || task.Fields["Outcome__c"] != "Won" || task.Fields["Topic__c"] != "renewal" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "logged on no one keeps Related To", from: ada, edit: WrapUpEdit{WhoID: "none"},
			check: func(t *testing.T, task Task) {
				if task.WhoID != "" || task.WhatID != "001ANALYTICAL" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "related to nothing keeps the Name", from: ada, edit: WrapUpEdit{WhatID: "none"},
			check: func(t *testing.T, task Task) {
				if task.WhoID != "003ADA" || task.WhatID != "" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "another record that matches the number", from: sharedLine, edit: WrapUpEdit{WhoID: graceID},
			check: func(t *testing.T, task Task) {
				if task.WhoID != graceID || task.WhatID != "" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "any Contact when Editable Contact/Lead is on, related to a deal", from: ada,
			settings: func(s *Settings) { s.EditableContactLead = true },
			edit:     WrapUpEdit{WhoID: turingID, WhatID: dealID},
			check: func(t *testing.T, task Task) {
				if task.WhoID != turingID || task.WhatID != dealID {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "a Lead takes no Related To", from: ada,
			settings: func(s *Settings) { s.EditableContactLead = true },
			edit:     WrapUpEdit{WhoID: leadID},
			check: func(t *testing.T, task Task) {
				if task.WhoID != leadID || task.WhatID != "" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "no extra fields at all", from: stranger, settings: func(s *Settings) { s.CallLogFields = nil },
			edit: WrapUpEdit{WhatID: dealID},
			check: func(t *testing.T, task Task) {
				if task.Fields != nil || task.WhoID != "" || task.WhatID != dealID {
					t.Errorf("Task %+v", task)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := wrapUpFixture(t, tc.from, tc.settings)
			f.runJobs()
			if len(f.crm.all()) != 0 {
				t.Fatal("a Task before the wrap-up")
			}
			if err := f.e.CompleteWrapUp(ctx, *f.alice, "C1", tc.edit); err != nil {
				t.Fatal(err)
			}
			f.runJobs()
			tc.check(t, f.crm.only(t))
			if list := f.wrapUps(); len(list) != 0 {
				t.Errorf("still waiting: %+v", list)
			}
			// Saved twice (a double click): still one Task.
			if err := f.e.CompleteWrapUp(ctx, *f.alice, "C1", tc.edit); !errors.Is(err, ErrNoWrapUp) {
				t.Errorf("second save: %v, want ErrNoWrapUp", err)
			}
			f.runJobs()
			f.crm.only(t)
		})
	}
}

// Invalid input names the field and changes nothing.
func TestWrapUpValidation(t *testing.T) {
	tests := []struct {
		name     string
		settings func(*Settings)
		edit     WrapUpEdit
		field    string
	}{
		{name: "a subject too long", edit: WrapUpEdit{Subject: strings.Repeat("s", 256)}, field: "subject"},
		{name: "notes too long", edit: WrapUpEdit{Notes: strings.Repeat("n", 30001)}, field: "notes"},
		{name: "a disposition the admin does not offer", edit: WrapUpEdit{Disposition: "Sold a boat"}, field: "disposition"},
		{name: "a disposition without Sales Engagement", settings: func(s *Settings) { s.SalesEngagement = false },
			edit: WrapUpEdit{Disposition: "Call Back Later"}, field: "disposition"},
		{name: "a Name that is not an id", edit: WrapUpEdit{WhoID: "Ada"}, field: "who_id"},
		{name: "a Name that is an Account", edit: WrapUpEdit{WhoID: "001000000ACME01"}, field: "who_id"},
		{name: "a Name that does not match the number", edit: WrapUpEdit{WhoID: turingID}, field: "who_id"},
		{name: "a Related To that is a Contact", edit: WrapUpEdit{WhatID: turingID}, field: "what_id"},
		{name: "a Related To that is not an id", edit: WrapUpEdit{WhatID: "deal!"}, field: "what_id"},
		{name: "a Lead related to a deal", settings: func(s *Settings) { s.EditableContactLead = true },
			edit: WrapUpEdit{WhoID: leadID, WhatID: dealID}, field: "what_id"},
		{name: "a required field emptied", edit: WrapUpEdit{Fields: map[string]string{"Outcome__c": " "}}, field: "fields.Outcome__c"},
		{name: "a picklist value not offered", edit: WrapUpEdit{Fields: map[string]string{"Outcome__c": "Maybe"}}, field: "fields.Outcome__c"},
		{name: "a text field too long", edit: WrapUpEdit{Fields: map[string]string{"Topic__c": strings.Repeat("t", 256)}}, field: "fields.Topic__c"},
		{name: "a field the admin did not add", edit: WrapUpEdit{Fields: map[string]string{"OwnerId": "005X"}}, field: "fields.OwnerId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := wrapUpFixture(t, ada, tc.settings)
			err := f.e.CompleteWrapUp(context.Background(), *f.alice, "C1", tc.edit)
			var fe FieldErrors
			if !errors.As(err, &fe) || fe[tc.field] == "" {
				t.Fatalf("%v, want an error on %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field+": ") {
				t.Errorf("message %q does not name %s", err, tc.field)
			}
			f.runJobs()
			if len(f.crm.all()) != 0 || len(f.wrapUps()) != 1 {
				t.Errorf("%d Tasks and %d waiting after a refused save", len(f.crm.all()), len(f.wrapUps()))
			}
		})
	}
}

// Discarded: no Task, and the post-call record does not bring it back.
func TestWrapUpDiscard(t *testing.T) {
	ctx := context.Background()
	f := wrapUpFixture(t, ada, nil)
	if err := f.e.DiscardWrapUp(ctx, *f.alice, "C1"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.DiscardWrapUp(ctx, *f.alice, "C1"); !errors.Is(err, ErrNoWrapUp) {
		t.Errorf("second discard: %v, want ErrNoWrapUp", err)
	}
	f.handle(recordEvent(CallRecord{CallID: "C1", UserID: "zAlice", Direction: Inbound, Caller: ada, Callee: aliceParty, Start: f.day}))
	if out, err := f.e.LogRecord(ctx, *f.alice, CallRecord{CallID: "C1", Direction: Inbound, Caller: ada, Start: f.day}); err != nil || out != AlreadyLogged {
		t.Errorf("reconcile: %v, %v; want AlreadyLogged", out, err)
	}
	f.runJobs()
	if len(f.crm.all()) != 0 || len(f.wrapUps()) != 0 {
		t.Errorf("%d Tasks, %d waiting after a discard", len(f.crm.all()), len(f.wrapUps()))
	}
	if err := f.e.CompleteWrapUp(ctx, *f.alice, "C1", WrapUpEdit{}); !errors.Is(err, ErrNoWrapUp) {
		t.Errorf("save after discard: %v, want ErrNoWrapUp", err)
	}
}

// The unlinked call logs list, newest first, each agent their own; they
// expire after thirty days.
func TestWrapUpList(t *testing.T) {
	f := wrapUpFixture(t, ada, nil)
	f.tick(time.Hour)
	f.miss(f.inbound("C2", hedy))
	list := f.wrapUps()
	if len(list) != 2 || list[0].Call.ID != "C2" || list[1].Call.ID != "C1" {
		t.Fatalf("list %+v", list)
	}
	if list[0].Draft.Subject != "Missed call from +12025550177" || list[0].Call.Result != "missed" {
		t.Errorf("newest %+v", list[0])
	}
	if other, err := f.e.WrapUps(context.Background(), *f.carol); err != nil || len(other) != 0 {
		t.Errorf("Carol's list %+v, %v", other, err)
	}
	f.tick(31 * 24 * time.Hour)
	if list := f.wrapUps(); len(list) != 0 {
		t.Errorf("%d wrap-ups left after a month", len(list))
	}
}
