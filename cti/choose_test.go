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
