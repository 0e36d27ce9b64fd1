package cti

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// After an auto-saved call the agent can still change its Name or Related
// To, add notes and fill the admin's fields: the Task is updated, never
// written twice, and later updates (a recording's link, a pick in the
// chooser) keep what the agent wrote.
func TestEditAutoSavedCallLog(t *testing.T) {
	fields := func(s *Settings) {
		s.SalesEngagement = true
		s.CallLogFields = []CallLogField{{Name: "Topic__c", Label: "Topic", Type: "text"}}
	}
	tests := []struct {
		name  string
		from  Party
		edit  WrapUpEdit
		then  func(f *fixture) // after the edit
		check func(t *testing.T, task Task)
	}{
		{name: "notes, disposition and a field on the written Task", from: ada,
			edit: WrapUpEdit{Notes: "Wants the blue plan", Disposition: "Call Back Later", Fields: map[string]string{"Topic__c": "renewal"}},
			check: func(t *testing.T, task Task) {
				if !strings.HasPrefix(task.Description, "Wants the blue plan\n\n") || task.CallDisposition != "Call Back Later" ||
					task.Fields["Topic__c"] != "renewal" || task.WhoID != "003ADA" || task.WhatID != "001ANALYTICAL" {
					t.Errorf("Task %+v", task)
				}
			}},
		{name: "another of the matches, and an Opportunity as Related To", from: sharedLine,
			edit: WrapUpEdit{WhoID: graceID, WhatID: dealID},
			check: func(t *testing.T, task Task) {
				if task.WhoID != graceID || task.WhatID != dealID {
					t.Errorf("WhoId %q WhatId %q", task.WhoID, task.WhatID)
				}
			}},
		{name: "taken off the Contact: Name cleared, Related To kept", from: ada,
			edit: WrapUpEdit{WhoID: "none"},
			check: func(t *testing.T, task Task) {
				if task.WhoID != "" || task.WhatID != "001ANALYTICAL" {
					t.Errorf("WhoId %q WhatId %q, want no Name and the Account", task.WhoID, task.WhatID)
				}
			}},
		{name: "taken off the Contact and its Account", from: ada,
			edit: WrapUpEdit{WhoID: "none", WhatID: dealID},
			check: func(t *testing.T, task Task) {
				if task.WhoID != "" || task.WhatID != dealID {
					t.Errorf("WhoId %q WhatId %q", task.WhoID, task.WhatID)
				}
			}},
		{name: "Related To cleared, the Contact kept", from: ada,
			edit: WrapUpEdit{WhatID: "none"},
			check: func(t *testing.T, task Task) {
				if task.WhoID != "003ADA" || task.WhatID != "" {
					t.Errorf("WhoId %q WhatId %q, want the Contact and nothing Related To", task.WhoID, task.WhatID)
				}
			}},
		{name: "a recording after the edit keeps the notes", from: ada,
			edit: WrapUpEdit{Notes: "Wants the blue plan"},
			then: func(f *fixture) { f.handle(recordingEvent("C1")) },
			check: func(t *testing.T, task Task) {
				if !strings.HasPrefix(task.Description, "Wants the blue plan\n\n") || !strings.Contains(task.Description, "Recording: "+recURL) {
					t.Errorf("Description\n%s", task.Description)
				}
			}},
		{name: "a pick in the chooser after the edit names the pick, notes kept", from: sharedLine,
			edit: WrapUpEdit{WhoID: graceID, Notes: "Asked for Ada"},
			then: func(f *fixture) {
				if err := f.e.ChooseMatch(context.Background(), *f.alice, "C1", "003ADA"); err != nil {
					f.t.Fatal(err)
				}
			},
			check: func(t *testing.T, task Task) {
				if task.WhoID != "003ADA" || !strings.HasPrefix(task.Description, "Asked for Ada\n\n") {
					t.Errorf("WhoId %q\n%s", task.WhoID, task.Description)
				}
			}},
	}
	for _, tc := range tests {
		for _, written := range []bool{true, false} {
			name := tc.name
			if !written {
				name += ", while auto-save is still writing"
			}
			t.Run(name, func(t *testing.T) {
				f := newFixture(t)
				f.settings(fields)
				if tc.from.Number == sharedLine.Number {
					f.crm.byNumber[sharedLine.Number][1].ID = graceID
				}
				f.talk(f.inbound("C1", tc.from), time.Minute)
				if written {
					f.runJobs()
				}
				if err := f.e.EditCallLog(context.Background(), *f.alice, "C1", tc.edit); err != nil {
					t.Fatal(err)
				}
				if tc.then != nil {
					tc.then(f)
				}
				f.runJobs()
				tc.check(t, f.crm.only(t))
				if f.crm.creates != 1 {
					t.Errorf("%d Tasks written, want 1", f.crm.creates)
				}
				last := f.push.of(f.alice, "call")
				if len(last) == 0 || !last[len(last)-1].Call.Edited {
					t.Error("the softphone was not told the log was edited")
				}
				if up := f.push.of(f.alice, "log_updated"); len(up) == 0 || up[0].CallID != "C1" || up[0].TaskID == "" {
					t.Errorf("the softphone was not told the change is in Salesforce: %+v", up)
				}
			})
		}
	}
}

// With Auto Save off, the agent's wrap-up survives a recording that comes
// after it was saved (the update used to rewrite the Description from the
// call alone, dropping the notes).
func TestWrapUpNotesSurviveALaterRecording(t *testing.T) {
	f := wrapUpFixture(t, ada, nil)
	if err := f.e.CompleteWrapUp(context.Background(), *f.alice, "C1", WrapUpEdit{Notes: "Wants the blue plan", Fields: map[string]string{"Outcome__c": "Won"}}); err != nil {
		t.Fatal(err)
	}
	f.runJobs()
	f.handle(recordingEvent("C1"))
	f.runJobs()
	task := f.crm.only(t)
	if !strings.HasPrefix(task.Description, "Wants the blue plan\n\n") || !strings.Contains(task.Description, "Recording: "+recURL) {
		t.Errorf("Description\n%s", task.Description)
	}
	if task.Fields["Outcome__c"] != "Won" {
		t.Errorf("fields %v", task.Fields)
	}
}

// What cannot be edited, and bad input, change nothing.
func TestEditCallLogRefused(t *testing.T) {
	t.Run("a call still on", func(t *testing.T) {
		f := newFixture(t)
		f.at(f.inbound("C1", ada), KindRinging)
		if err := f.e.EditCallLog(context.Background(), *f.alice, "C1", WrapUpEdit{Notes: "x"}); !errors.Is(err, ErrNotLogged) {
			t.Errorf("%v, want ErrNotLogged", err)
		}
	})
	t.Run("a call waiting for its wrap-up", func(t *testing.T) {
		f := wrapUpFixture(t, ada, nil)
		if err := f.e.EditCallLog(context.Background(), *f.alice, "C1", WrapUpEdit{Notes: "x"}); !errors.Is(err, ErrNotLogged) {
			t.Errorf("%v, want ErrNotLogged", err)
		}
	})
	t.Run("a discarded call", func(t *testing.T) {
		f := wrapUpFixture(t, ada, nil)
		if err := f.e.DiscardWrapUp(context.Background(), *f.alice, "C1"); err != nil {
			t.Fatal(err)
		}
		if err := f.e.EditCallLog(context.Background(), *f.alice, "C1", WrapUpEdit{Notes: "x"}); !errors.Is(err, ErrNotLogged) {
			t.Errorf("%v, want ErrNotLogged", err)
		}
	})
	t.Run("an unknown call", func(t *testing.T) {
		f := newFixture(t)
		if err := f.e.EditCallLog(context.Background(), *f.alice, "nope", WrapUpEdit{Notes: "x"}); !errors.Is(err, ErrNotLogged) {
			t.Errorf("%v, want ErrNotLogged", err)
		}
	})
	t.Run("a Name that is not one of the matches", func(t *testing.T) {
		f := newFixture(t)
		f.talk(f.inbound("C1", ada), time.Minute)
		f.runJobs()
		var fe FieldErrors
		if err := f.e.EditCallLog(context.Background(), *f.alice, "C1", WrapUpEdit{WhoID: turingID}); !errors.As(err, &fe) || fe["who_id"] == "" {
			t.Fatalf("%v, want a who_id field error", err)
		}
		f.runJobs()
		if task := f.crm.only(t); task.WhoID != "003ADA" || f.crm.updates != 0 {
			t.Errorf("Task %+v after %d updates; want it untouched", task, f.crm.updates)
		}
	})
}

// The softphone's "Edit log" opens the form with the saved log: the log
// as the call built it and the agent's last edit; a call whose log is not
// saved has none to open.
func TestCallLogForTheEditForm(t *testing.T) {
	f := newFixture(t)
	f.talk(f.inbound("C1", ada), time.Minute)
	f.runJobs()
	ctx := context.Background()
	saved, err := f.e.CallLog(ctx, *f.alice, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Edit != nil || saved.Draft.WhoID != "003ADA" || saved.Call.ID != "C1" || !strings.HasPrefix(saved.Draft.Subject, "Call from") {
		t.Errorf("before an edit: %+v", saved)
	}
	edit := WrapUpEdit{Notes: "Wants the blue plan", WhoID: "none"}
	if err := f.e.EditCallLog(ctx, *f.alice, "C1", edit); err != nil {
		t.Fatal(err)
	}
	saved, err = f.e.CallLog(ctx, *f.alice, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Edit == nil || saved.Edit.Notes != edit.Notes || saved.Edit.WhoID != "none" || strings.Contains(saved.Draft.Description, edit.Notes) {
		t.Errorf("after an edit: edit %+v, draft %+v", saved.Edit, saved.Draft)
	}
	if !saved.Call.Edited {
		t.Error("the call does not say it was edited")
	}

	w := wrapUpFixture(t, ada, nil)
	if _, err := w.e.CallLog(ctx, *w.alice, "C1"); !errors.Is(err, ErrNotLogged) {
		t.Errorf("a call waiting for its wrap-up: %v, want ErrNotLogged", err)
	}
	if _, err := f.e.CallLog(ctx, *f.alice, "nope"); !errors.Is(err, ErrNotLogged) {
		t.Errorf("an unknown call: %v, want ErrNotLogged", err)
	}
}
