package cti

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Several records match the caller; the agent picks one in the chooser. The
// call is logged on the record picked, whether the pick came before the
// hang-up or after the Task was written, and the card marks it.
func TestTheChosenMatchIsTheOneLogged(t *testing.T) {
	for _, tc := range []struct {
		name        string
		chooseAfter bool // after the call ended and its Task was written
	}{
		{"picked while ringing", false},
		{"picked after the Task was written", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.inbound("C1", sharedLine)
			f.at(c, KindRinging)
			if pops := f.push.pops(f.alice); len(pops) != 1 || pops[0].Kind != PopChoose {
				t.Fatalf("pops %+v, want the chooser", pops)
			}
			choose := func() {
				t.Helper()
				if err := f.e.ChooseMatch(context.Background(), *f.alice, "C1", graceID); err != nil {
					t.Fatal(err)
				}
			}
			if !tc.chooseAfter {
				choose()
			}
			f.tick(5 * time.Second)
			f.at(c, KindAnswered)
			f.tick(time.Minute)
			f.at(c, KindEnded)
			f.runJobs()
			if tc.chooseAfter {
				if task := f.crm.only(t); task.WhoID != adaMatch.ID {
					t.Fatalf("before the pick the Task names %q, want the first match", task.WhoID)
				}
				choose()
				f.runJobs()
			}
			task := f.crm.only(t)
			if task.WhoID != graceID || task.WhatID != "001ANALYTICAL" {
				t.Errorf("Task on %q / %q, want Grace %s and her Account", task.WhoID, task.WhatID, graceID)
			}
			msgs := f.push.of(f.alice, "call")
			if last := msgs[len(msgs)-1]; last.Call == nil || last.Call.Chosen != graceID || last.Call.Matches[0].ID != graceID {
				t.Errorf("last card %+v, want Grace chosen and first", last.Call)
			}
		})
	}
}

func TestChoosingWhatIsNotAMatchIsRefused(t *testing.T) {
	f := newFixture(t)
	c := f.inbound("C1", sharedLine)
	f.at(c, KindRinging)
	for _, tc := range []struct{ name, call, record string }{
		{"a record that does not match", "C1", "003000000OTHER1"},
		{"a call zoomcti does not know", "C9", graceID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := f.e.ChooseMatch(context.Background(), *f.alice, tc.call, tc.record); !errors.Is(err, ErrNoSuchMatch) {
				t.Fatalf("error %v, want ErrNoSuchMatch", err)
			}
		})
	}
	f.tick(time.Minute)
	f.at(c, KindEnded)
	f.runJobs()
	if task := f.crm.only(t); task.WhoID != adaMatch.ID {
		t.Errorf("Task on %q, want the first match", task.WhoID)
	}
}

// A record the agent creates from the no-match pop during the call gets
// the call: the console reports the navigation to it (search alone would
// miss a record this fresh). Old records, calls with a match and foreign
// ids are refused.
func TestAdoptTheRecordCreatedForTheCall(t *testing.T) {
	const newID = "003000000NEWBIE"
	tests := []struct {
		name    string
		from    Party
		created time.Duration // since the call began ringing
		when    string        // "ringing", "after" (logged), "wrapup" (auto-save off), "late"
		wantErr bool
		who     string
	}{
		{name: "created while ringing, logged on it", from: stranger, created: 10 * time.Second, when: "ringing", who: newID},
		{name: "created after the Task was written: the Task is updated", from: stranger, created: 90 * time.Second, when: "after", who: newID},
		{name: "with Auto Save off: the wrap-up's draft names it", from: stranger, created: 90 * time.Second, when: "wrapup", who: newID},
		{name: "a record older than the call is not adopted", from: stranger, created: -time.Hour, when: "ringing", wantErr: true},
		{name: "a call with a match keeps it", from: ada, created: 10 * time.Second, when: "ringing", wantErr: true, who: "003ADA"},
		{name: "long after the call, the card no longer takes one", from: stranger, created: 90 * time.Second, when: "late", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.when == "wrapup" {
				f.settings(func(s *Settings) { s.AutoSaveCallLogs = false })
			}
			f.crm.records = map[string]fakeRecord{newID: {Match: Match{ID: newID, Type: "Contact", Name: "New Caller"}, created: f.day.Add(tc.created)}}
			c := f.inbound("C1", tc.from)
			f.at(c, KindRinging)
			if tc.when != "ringing" {
				f.tick(5 * time.Second)
				f.at(c, KindAnswered)
				f.tick(time.Minute)
				f.at(c, KindEnded)
				f.runJobs()
			}
			if tc.when == "late" {
				f.tick(adoptWindow + time.Minute)
			}
			number, err := f.e.AdoptRecord(context.Background(), *f.alice, "C1", newID)
			if tc.wantErr != (err != nil) || err != nil && !errors.Is(err, ErrNoSuchMatch) {
				t.Fatalf("AdoptRecord: %v, want error %v (ErrNoSuchMatch)", err, tc.wantErr)
			}
			if err == nil && number != tc.from.Number {
				t.Errorf("number %q, want %q (its cached lookup is stale)", number, tc.from.Number)
			}
			if tc.when == "ringing" {
				f.tick(5 * time.Second)
				f.at(c, KindAnswered)
				f.tick(time.Minute)
				f.at(c, KindEnded)
			}
			if tc.when == "wrapup" {
				w := f.wrapUps()
				if len(w) != 1 || w[0].Draft.WhoID != tc.who {
					t.Fatalf("wrap-ups %+v, want one naming %s", w, tc.who)
				}
				if err := f.e.CompleteWrapUp(context.Background(), *f.alice, "C1", WrapUpEdit{}); err != nil {
					t.Fatal(err)
				}
			}
			f.runJobs()
			task := f.crm.only(t)
			if task.WhoID != tc.who {
				t.Errorf("Task WhoId %q, want %q", task.WhoID, tc.who)
			}
			if !tc.wantErr {
				msgs := f.push.of(f.alice, "call")
				last := msgs[len(msgs)-1].Call
				if len(last.Matches) != 1 || last.Matches[0].ID != newID || last.Chosen != newID {
					t.Errorf("the card shows %+v, want the new record", last)
				}
			}
		})
	}
}
