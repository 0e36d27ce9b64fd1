package cti

import (
	"context"
	"strings"
	"testing"
	"time"
)

const (
	recURL = "https://zoom.example/rec/R1"
	vmURL  = "https://zoom.example/vm/V1"
)

func recordingEvent(callID string) Event {
	return Event{ID: "zoom:rec:" + callID, Kind: KindRecording, UserID: "zAlice",
		Recording: &Recording{ID: "R1", CallID: callID, DownloadURL: recURL, DurationSeconds: 30}}
}

func voicemailEvent(callID string, from Party) Event {
	return Event{ID: "zoom:vm:" + callID, Kind: KindVoicemail, UserID: "zAlice",
		Voicemail: &Voicemail{ID: "V1", CallID: callID, Caller: from, Callee: aliceParty, DownloadURL: vmURL}}
}

// Voicemails and recordings come after the call, often after its Task:
// their links end up on the Task either way, and the Task is never doubled.
func TestMediaLinksOnTheTask(t *testing.T) {
	tests := []struct {
		name        string
		play        func(f *fixture)
		wantSubject string
		wantLink    string // a Description line
		wantUpdates int
	}{
		{name: "a recording after the Task was written", play: func(f *fixture) {
			f.talk(f.inbound("C1", ada), time.Minute)
			f.runJobs()
			f.handle(recordingEvent("C1"))
			f.handle(recordingEvent("C1")) // redelivered
		}, wantSubject: "Call from +12025550142", wantLink: "Recording: " + recURL, wantUpdates: 1},
		{name: "a recording while the Task is still queued", play: func(f *fixture) {
			f.talk(f.inbound("C1", ada), time.Minute)
			f.handle(recordingEvent("C1"))
		}, wantSubject: "Call from +12025550142", wantLink: "Recording: " + recURL, wantUpdates: 1},
		{name: "a voicemail after the missed call's Task", play: func(f *fixture) {
			f.miss(f.inbound("C1", ada))
			f.runJobs()
			f.handle(voicemailEvent("C1", ada))
		}, wantSubject: "Voicemail from +12025550142", wantLink: "Voicemail: " + vmURL, wantUpdates: 1},
		{name: "a voicemail before the call's own events", play: func(f *fixture) {
			f.handle(voicemailEvent("C1", ada))
			f.miss(f.inbound("C1", ada))
		}, wantSubject: "Voicemail from +12025550142", wantLink: "Voicemail: " + vmURL},
		{name: "a voicemail before the post-call record of a call whose events were lost", play: func(f *fixture) {
			f.handle(voicemailEvent("C1", ada))
			f.handle(recordEvent(CallRecord{CallID: "C1", UserID: "zAlice", Direction: Inbound, Caller: ada, Callee: aliceParty,
				Start: f.day, End: f.day.Add(30 * time.Second), Result: "No Answer"}))
		}, wantSubject: "Voicemail from +12025550142", wantLink: "Voicemail: " + vmURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.play(f)
			f.runJobs()
			task := f.crm.only(t)
			if task.Subject != tc.wantSubject || !strings.Contains(task.Description, "\n"+tc.wantLink+"\n") {
				t.Errorf("Task %q\n%s", task.Subject, task.Description)
			}
			if f.crm.updates != tc.wantUpdates {
				t.Errorf("%d updates, want %d", f.crm.updates, tc.wantUpdates)
			}
		})
	}
}

// With Auto Save off, a link that comes while the call waits for its
// wrap-up goes into the Task the agent saves.
func TestMediaLinkBeforeTheWrapUp(t *testing.T) {
	f := wrapUpFixture(t, ada, nil)
	f.handle(recordingEvent("C1"))
	f.runJobs()
	if err := f.e.CompleteWrapUp(context.Background(), *f.alice, "C1", WrapUpEdit{Notes: "ok"}); err != nil {
		t.Fatal(err)
	}
	f.runJobs()
	if task := f.crm.only(t); !strings.Contains(task.Description, "Recording: "+recURL) || f.crm.updates != 0 {
		t.Errorf("Task (%d updates)\n%s", f.crm.updates, task.Description)
	}
}

// Links for calls that have no Task to add to.
func TestMediaWithoutATask(t *testing.T) {
	tests := []struct {
		name string
		play func(f *fixture)
	}{
		{"a queue's voicemail", func(f *fixture) {
			ev := voicemailEvent("C1", ada)
			ev.UserID = ""
			f.handle(ev)
		}},
		{"a recording without a link", func(f *fixture) {
			ev := recordingEvent("C1")
			ev.Recording.DownloadURL = ""
			f.handle(ev)
		}},
		{"an unlinked Zoom user's recording", func(f *fixture) {
			ev := recordingEvent("C1")
			ev.UserID = "zNobody"
			f.handle(ev)
		}},
		{"a queue call this member only rang for", func(f *fixture) {
			f.miss(f.inbound("Q1", ada).viaQueue(f.alice, aliceParty))
			f.handle(voicemailEvent("Q1", ada))
		}},
		{"a discarded wrap-up", func(f *fixture) {
			f.settings(func(s *Settings) { s.AutoSaveCallLogs = false })
			f.miss(f.inbound("C1", ada))
			if err := f.e.DiscardWrapUp(context.Background(), *f.alice, "C1"); err != nil {
				f.t.Fatal(err)
			}
			f.handle(voicemailEvent("C1", ada))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.play(f)
			f.runJobs()
			if n := len(f.crm.all()); n != 0 || f.crm.updates != 0 {
				t.Errorf("%d Tasks, %d updates", n, f.crm.updates)
			}
		})
	}
}

// A Task deleted in Salesforce, or one never written, is left alone: the
// update neither fails forever nor writes a new Task.
func TestMediaUpdateGivesUp(t *testing.T) {
	t.Run("the Task was deleted", func(t *testing.T) {
		f := newFixture(t)
		f.talk(f.inbound("C1", ada), time.Minute)
		f.runJobs()
		f.crm.deleteTask(f.crm.all()[0].ID)
		f.handle(recordingEvent("C1"))
		f.runJobs()
		if n := len(f.crm.all()); n != 0 || f.crm.updates != 1 {
			t.Errorf("%d Tasks, %d updates", n, f.crm.updates)
		}
	})
	t.Run("the Task was never written", func(t *testing.T) {
		f := newFixture(t)
		f.crm.reject = func(Task) bool { return true }
		f.talk(f.inbound("C1", ada), time.Minute)
		f.runJobs() // set aside
		f.crm.reject = nil
		f.handle(recordingEvent("C1"))
		for range 3 {
			if errs := f.runDue(); len(errs) != 0 {
				t.Fatal(errs)
			}
			f.tick(time.Hour)
		}
		if kinds := f.outbox.kinds(); len(kinds) != 1 {
			t.Fatalf("jobs %v, want the update still waiting", kinds)
		}
		f.tick(24 * time.Hour)
		if errs := f.runDue(); len(errs) != 0 || len(f.outbox.kinds()) != 0 {
			t.Errorf("after a day: %v, jobs %v", errs, f.outbox.kinds())
		}
		if len(f.crm.all()) != 0 {
			t.Error("an update wrote a Task")
		}
	})
}

// A voicemail that comes before its call's events does not leave a ringing
// call on the softphone when those events never come; when they do come,
// the call shows as usual.
func TestEarlyVoicemailIsNotAnActiveCall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.handle(voicemailEvent("C1", ada))
	if m, err := f.e.ActiveCall(ctx, *f.alice); err != nil || m != nil {
		t.Errorf("a reconnecting softphone is shown %+v (err %v)", m, err)
	}
	f.at(f.inbound("C1", ada), KindRinging) // late
	if m, err := f.e.ActiveCall(ctx, *f.alice); err != nil || m == nil || m.Call.ID != "C1" {
		t.Errorf("once it rings: %+v, %v", m, err)
	}
}
