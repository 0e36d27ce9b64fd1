package cti

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSMSThreadKey(t *testing.T) {
	ada := Party{Number: "+12025550142"}
	alice := Party{UserID: "zAlice", Number: "+12025550101", ExtensionType: "user"}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		tz   string
		sms  SMS
		at   string
		want string // CallObject; "" for no thread
	}{
		{"inbound, New York evening is still the day before in UTC terms", "America/New_York",
			SMS{Direction: Inbound, From: ada, To: []Party{alice}}, "2026-03-05T04:30:00Z", "zoom-sms:+12025550142:2026-03-04"},
		{"inbound, just past New York midnight", "America/New_York",
			SMS{Direction: Inbound, From: ada, To: []Party{alice}}, "2026-03-05T05:30:00Z", "zoom-sms:+12025550142:2026-03-05"},
		{"outbound, Tokyo is already tomorrow", "Asia/Tokyo",
			SMS{Direction: Outbound, From: alice, To: []Party{ada}}, "2026-03-04T15:30:00Z", "zoom-sms:+12025550142:2026-03-05"},
		{"outbound, Tokyo just before midnight", "Asia/Tokyo",
			SMS{Direction: Outbound, From: alice, To: []Party{ada}}, "2026-03-04T14:59:59Z", "zoom-sms:+12025550142:2026-03-04"},
		{"no time zone is UTC", "",
			SMS{Direction: Inbound, From: ada, To: []Party{alice}}, "2026-03-05T04:30:00Z", "zoom-sms:+12025550142:2026-03-05"},
		{"unknown time zone is UTC", "Mars/Olympus_Mons",
			SMS{Direction: Inbound, From: ada, To: []Party{alice}}, "2026-03-05T04:30:00Z", "zoom-sms:+12025550142:2026-03-05"},
		{"national format reads as E.164", "UTC",
			SMS{Direction: Inbound, From: Party{Number: "(202) 555-0142"}, To: []Party{{Number: "+12025550101"}}}, "2026-03-04T12:00:00Z", "zoom-sms:+12025550142:2026-03-04"},
		{"a short code keeps its digits", "UTC",
			SMS{Direction: Inbound, From: Party{Number: "72-345"}, To: []Party{alice}}, "2026-03-04T12:00:00Z", "zoom-sms:72345:2026-03-04"},
		{"group by participants", "UTC",
			SMS{Direction: Inbound, SessionID: "S1", From: ada, To: []Party{alice, {Number: "+12025550177"}}}, "2026-03-04T12:00:00Z", "zoom-sms:session:S1:2026-03-04"},
		{"group by message type", "UTC",
			SMS{Direction: Outbound, SessionID: "S2", Type: 3, From: alice, To: []Party{ada}}, "2026-03-04T12:00:00Z", "zoom-sms:session:S2:2026-03-04"},
		{"the agent's own number named without an id is not a participant", "UTC",
			SMS{Direction: Outbound, From: alice, To: []Party{ada, {Number: "+1 202 555 0101"}}}, "2026-03-04T12:00:00Z", "zoom-sms:+12025550142:2026-03-04"},
		{"no other number, no thread", "UTC",
			SMS{Direction: Outbound, From: alice, To: []Party{{}}}, "2026-03-04T12:00:00Z", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th, ok := newSMSThread(Agent{TimeZone: tc.tz}, "zAlice", &tc.sms, at(tc.at))
			got := ""
			if ok {
				got = th.CallObject
			}
			if got != tc.want {
				t.Errorf("thread %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSMSTranscriptIsChronologicalAndDeduplicated(t *testing.T) {
	day := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	th := &smsThread{Zone: "America/New_York"}
	var msgs []smsMessage
	for i := range 8 {
		dir := Inbound
		if i%2 == 1 {
			dir = Outbound
		}
		msgs = append(msgs, smsMessage{ID: fmt.Sprintf("m%d", i), Dir: dir, At: day.Add(time.Duration(i) * time.Minute), Text: fmt.Sprintf("text %d", i)})
	}
	shuffled := append([]smsMessage(nil), msgs...)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, m := range shuffled {
		if !th.add(m) {
			t.Fatalf("%s rejected as a duplicate", m.ID)
		}
	}
	if th.add(msgs[3]) {
		t.Error("a redelivered message was added again")
	}
	got := smsTranscript(th, smsDescriptionMax)
	var want []string
	for i, m := range msgs {
		dir := "Received"
		if i%2 == 1 {
			dir = "Sent"
		}
		want = append(want, fmt.Sprintf("10:%02d %s: %s", i, dir, m.Text))
	}
	if got != strings.Join(want, "\n") {
		t.Errorf("transcript\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestSMSTranscriptLines(t *testing.T) {
	at := time.Date(2026, 3, 4, 15, 7, 0, 0, time.UTC)
	tests := []struct {
		name  string
		m     smsMessage
		group bool
		want  string
	}{
		{"received", smsMessage{Dir: Inbound, At: at, From: "+12025550142", Text: "hi"}, false, "15:07 Received: hi"},
		{"sent", smsMessage{Dir: Outbound, At: at, Text: "hello"}, false, "15:07 Sent: hello"},
		{"group names the sender", smsMessage{Dir: Inbound, At: at, From: "+12025550142", Text: "hi"}, true, "15:07 Received from +12025550142: hi"},
		{"line breaks become spaces", smsMessage{Dir: Inbound, At: at, Text: "one\r\ntwo\nthree\n"}, false, "15:07 Received: one two three"},
		{"picture only", smsMessage{Dir: Inbound, At: at, MMS: true}, false, "15:07 Received: (attachment)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := smsLine(tc.m, time.UTC, tc.group); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

func TestSMSTranscriptKeepsTheNewestWithinTheLimit(t *testing.T) {
	day := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	th := &smsThread{Zone: "UTC"}
	for i := range 100 {
		th.add(smsMessage{ID: fmt.Sprintf("m%03d", i), Dir: Inbound, At: day.Add(time.Duration(i) * time.Second), Text: fmt.Sprintf("message number %03d 😀", i)})
	}
	const limit = 500
	got := smsTranscript(th, limit)
	if n := sfLen(got); n > limit {
		t.Fatalf("%d characters, limit %d", n, limit)
	}
	lines := strings.Split(got, "\n")
	shown := len(lines) - 1
	if want := fmt.Sprintf("(%d earlier messages not shown)", 100-shown); lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if !strings.HasSuffix(got, "message number 099 😀") {
		t.Errorf("the newest message is not last:\n%s", got)
	}
	if shown < 5 {
		t.Errorf("only %d messages shown in %d characters", shown, limit)
	}

	// Messages dropped from storage count too, and stay duplicates.
	th.Cut = []string{"old1", "old2"}
	if th.add(smsMessage{ID: "old1", At: day}) {
		t.Error("a cut message was added again")
	}
	if got := strings.Split(smsTranscript(th, limit), "\n")[0]; got != fmt.Sprintf("(%d earlier messages not shown)", 102-shown) {
		t.Errorf("first line %q", got)
	}

	// One text longer than the field still shows its beginning.
	long := &smsThread{Zone: "UTC"}
	long.add(smsMessage{ID: "x", Dir: Inbound, At: day, Text: strings.Repeat("ab😀", 100)})
	got = smsTranscript(long, 120)
	if n := sfLen(got); n > 120 || !strings.HasPrefix(got, "09:00 Received: ab😀") || !strings.HasSuffix(got, "…") {
		t.Errorf("%d characters: %q", n, got)
	}
}

// The engine with fakes around it: the write path under bursts, races and
// crashes, where the integration tests cannot place a message exactly.

func TestSMSBurstWritesOneTask(t *testing.T) {
	f := newSMSFixture(t)
	var want []string
	var evs []Event
	for i := range 10 {
		dir, from, to := Inbound, ada, []Party{aliceParty}
		if i%3 == 1 {
			dir, from, to = Outbound, aliceParty, []Party{ada}
		}
		at := f.day.Add(time.Duration(i) * time.Minute)
		evs = append(evs, smsEvent(fmt.Sprintf("m%d", i), dir, from, to, at, fmt.Sprintf("text %d", i)))
		want = append(want, fmt.Sprintf("text %d", i))
	}
	evs = append(evs, evs[2], evs[7])
	rand.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	for _, ev := range evs {
		f.handle(ev)
		f.tick(100 * time.Millisecond)
	}
	if n := len(f.outbox.pending()); n != 1 {
		t.Fatalf("%d jobs pending, want 1", n)
	}
	f.runJobs()
	if f.crm.creates != 1 || f.crm.updates != 0 || f.crm.searches != 1 {
		t.Errorf("%d creates, %d updates, %d searches; want 1, 0, 1", f.crm.creates, f.crm.updates, f.crm.searches)
	}
	task := f.crm.only(t)
	if task.WhoID != "003ADA" || task.WhatID != "001ANALYTICAL" || task.Subject != "SMS with Ada Lovelace (+12025550142)" ||
		task.ActivityDate != "2026-03-04" || task.CallObject != "zoom-sms:+12025550142:2026-03-04" || !task.SMS {
		t.Errorf("Task %+v", task)
	}
	assertOrder(t, task.Description, want)
}

func TestSMSMessageDuringTheWriteIsNotLost(t *testing.T) {
	for _, when := range []string{"while writing", "after the marker is cleared"} {
		t.Run(when, func(t *testing.T) {
			f := newSMSFixture(t)
			f.handle(smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "first"))
			f.tick(smsSettle)
			late := smsEvent("m2", Outbound, aliceParty, []Party{ada}, f.day.Add(time.Minute), "second")
			once := sync.OnceFunc(func() { f.handle(late) })
			if when == "while writing" {
				f.crm.onCreate = once
			} else {
				f.kv.afterCAD = func(key string) {
					if strings.HasPrefix(key, "smspending:") {
						once()
					}
				}
			}
			f.runJobs()
			if f.crm.creates != 1 || f.crm.updates != 1 {
				t.Errorf("%d creates, %d updates; want 1 and 1", f.crm.creates, f.crm.updates)
			}
			assertOrder(t, f.crm.only(t).Description, []string{"first", "second"})
		})
	}
}

func TestSMSCrashAfterCreateMakesNoSecondTask(t *testing.T) {
	f := newSMSFixture(t)
	f.handle(smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "hello"))
	f.tick(smsSettle)
	f.crm.failAfterCreate = 1 // Salesforce wrote it; we never heard back
	f.runJobs()
	if f.crm.creates != 1 || f.crm.finds != 1 || f.crm.updates != 1 {
		t.Errorf("%d creates, %d finds, %d updates; want 1, 1, 1", f.crm.creates, f.crm.finds, f.crm.updates)
	}
	assertOrder(t, f.crm.only(t).Description, []string{"hello"})
}

func TestSMSWaitsForSalesforce(t *testing.T) {
	for _, cause := range []error{ErrCRMPaused, ErrSignedOut, errors.New("503 from Salesforce")} {
		t.Run(cause.Error(), func(t *testing.T) {
			f := newSMSFixture(t)
			f.handle(smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "hello"))
			f.tick(smsSettle)
			f.crm.err = cause
			jobs := f.outbox.pending()
			if err := f.e.RunOutboxJob(context.Background(), jobs[0]); !errors.Is(err, cause) {
				t.Fatalf("job returned %v, want %v", err, cause)
			}
			f.crm.err = nil
			f.runJobs() // the queue keeps the job and runs it again
			assertOrder(t, f.crm.only(t).Description, []string{"hello"})
		})
	}
}

func TestSMSGroupThread(t *testing.T) {
	f := newSMSFixture(t)
	stranger := Party{Number: "+12025550199"}
	hedy := Party{Number: "+12025550177"}
	ev := smsEvent("g1", Inbound, stranger, []Party{aliceParty, hedy, ada}, f.day, "hi all")
	ev.SMS.SessionID, ev.SMS.Type = "S1", 3
	f.handle(ev)
	f.tick(smsSettle)
	f.runJobs()
	task := f.crm.only(t)
	// The stranger matches nothing; Hedy is the first Contact or Lead.
	if task.WhoID != "00QHEDY" || task.WhatID != "" || task.Subject != "Group SMS (4 people)" || task.CallObject != "zoom-sms:session:S1:2026-03-04" {
		t.Errorf("Task %+v", task)
	}
	assertOrder(t, task.Description, []string{"Received from +12025550199: hi all"})
}

func TestSMSNotLogged(t *testing.T) {
	tests := []struct {
		name  string
		ev    func(f *fixture) Event
		noSMS bool
	}{
		{"unlinked zoom user", func(f *fixture) Event {
			ev := smsEvent("m1", Inbound, ada, []Party{{UserID: "zBob", Number: "+12025550102"}}, f.day, "hi")
			ev.UserID = "zBob"
			return ev
		}, false},
		{"failed send", func(f *fixture) Event {
			ev := smsEvent("m1", Outbound, aliceParty, []Party{ada}, f.day, "hi")
			ev.SMS.Failed = "carrier rejected"
			return ev
		}, false},
		{"auto save off", func(f *fixture) Event {
			return smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "hi")
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSMSFixture(t)
			if tc.noSMS {
				f.settings(func(s *Settings) { s.AutoSaveSMS = false })
			}
			f.handle(tc.ev(f))
			if n := len(f.outbox.pending()); n != 0 || f.kv.len() != 0 {
				t.Errorf("%d jobs and %d keys stored", n, f.kv.len())
			}
		})
	}
}

// assertOrder checks that the transcript has the texts, in this order.
func assertOrder(t *testing.T, transcript string, texts []string) {
	t.Helper()
	rest := transcript
	for _, s := range texts {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in\n%s", s, transcript)
		}
		rest = rest[i+len(s):]
	}
	if n := strings.Count(transcript, "\n") + 1; n != len(texts) {
		t.Errorf("%d lines, want %d:\n%s", n, len(texts), transcript)
	}
}

func smsEvent(id string, dir Direction, from Party, to []Party, at time.Time, text string) Event {
	return Event{ID: "zoom:" + id, Kind: KindSMS, UserID: "zAlice", At: at,
		SMS: &SMS{MessageID: id, Direction: dir, From: from, To: to, OwnerID: "zAlice", Text: text, Type: 1, At: at}}
}
