package cti

import (
	"context"
	"encoding/json"
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
		ev    func(f *smsFixture) Event
		noSMS bool
	}{
		{"unlinked zoom user", func(f *smsFixture) Event {
			ev := smsEvent("m1", Inbound, ada, []Party{{UserID: "zBob", Number: "+12025550102"}}, f.day, "hi")
			ev.UserID = "zBob"
			return ev
		}, false},
		{"failed send", func(f *smsFixture) Event {
			ev := smsEvent("m1", Outbound, aliceParty, []Party{ada}, f.day, "hi")
			ev.SMS.Failed = "carrier rejected"
			return ev
		}, false},
		{"auto save off", func(f *smsFixture) Event {
			return smsEvent("m1", Inbound, ada, []Party{aliceParty}, f.day, "hi")
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSMSFixture(t)
			if tc.noSMS {
				f.e.cfg.Settings = func(context.Context, string) (Settings, error) {
					s := DefaultSettings()
					s.AutoSaveSMS = false
					return s, nil
				}
			}
			f.handle(tc.ev(f))
			if n := len(f.outbox.pending()); n != 0 || len(f.kv.m) != 0 {
				t.Errorf("%d jobs and %d keys stored", n, len(f.kv.m))
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

var (
	ada        = Party{Number: "+12025550142"}
	aliceParty = Party{UserID: "zAlice", Number: "+12025550101", ExtensionType: "user"}
)

func smsEvent(id string, dir Direction, from Party, to []Party, at time.Time, text string) Event {
	return Event{ID: "zoom:" + id, Kind: KindSMS, UserID: "zAlice", At: at,
		SMS: &SMS{MessageID: id, Direction: dir, From: from, To: to, OwnerID: "zAlice", Text: text, Type: 1, At: at}}
}

// smsFixture is an engine over in-memory fakes with a clock the test moves.
type smsFixture struct {
	t      *testing.T
	e      *Engine
	kv     *memKV
	crm    *fakeCRM
	outbox *memOutbox
	mu     sync.Mutex
	now    time.Time
	day    time.Time // 10:00 in New York on 2026-03-04
}

func newSMSFixture(t *testing.T) *smsFixture {
	f := &smsFixture{t: t, outbox: &memOutbox{}}
	f.kv = &memKV{m: map[string][]byte{}, outbox: f.outbox}
	f.day = time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	f.now = f.day
	f.crm = &fakeCRM{tasks: map[string]Task{}, byNumber: map[string][]Match{
		"+12025550142": {{ID: "003ADA", Type: "Contact", Name: "Ada Lovelace", AccountID: "001ANALYTICAL"}},
		"+12025550177": {{ID: "00QHEDY", Type: "Lead", Name: "Hedy Lamarr"}},
	}}
	alice := &Agent{OrgID: "00DORG", UserID: "005ALICE", ZoomUserID: "zAlice", TimeZone: "America/New_York"}
	f.e = NewEngine(EngineConfig{
		Directory: dirFunc(func(id string) *Agent {
			if id == "zAlice" {
				return alice
			}
			return nil
		}),
		CRM: f.crm, KV: f.kv, Outbox: f.outbox, NotFound: errMissing,
		Clock: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
	})
	return f
}

func (f *smsFixture) tick(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *smsFixture) handle(ev Event) {
	f.t.Helper()
	for {
		err := f.e.Handle(context.Background(), ev)
		if errors.Is(err, ErrBusy) {
			continue
		}
		if err != nil {
			f.t.Fatal(err)
		}
		return
	}
}

// runJobs plays the outbox: deferred jobs run again once the clock has
// moved on, busy and failed ones at once.
func (f *smsFixture) runJobs() {
	f.t.Helper()
	for range 100 {
		job, ok := f.outbox.pop()
		if !ok {
			return
		}
		err := f.e.RunOutboxJob(context.Background(), job)
		var d *DeferError
		switch {
		case err == nil:
			continue
		case errors.As(err, &d):
			f.tick(d.After)
		}
		f.outbox.push(job)
	}
	f.t.Fatal("the outbox never emptied")
}

var errMissing = errors.New("missing")

type dirFunc func(string) *Agent

func (d dirFunc) AgentByZoomUser(_ context.Context, id string) (*Agent, error) { return d(id), nil }

// memKV is the KV without expiry; afterCAD lets a test act right after a
// marker is cleared.
type memKV struct {
	mu       sync.Mutex
	m        map[string][]byte
	afterCAD func(key string)
	// outbox receives the jobs a transaction enqueues.
	outbox *memOutbox
}

// errConflict is memKV's failed expectation.
var errConflict = errors.New("conflict")

func (k *memKV) Apply(_ context.Context, txn Txn) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range txn.Expect {
		cur, ok := k.m[c.Key]
		if ok != (c.Value != nil) || ok && string(cur) != string(c.Value) {
			return nil, errConflict
		}
	}
	for _, p := range txn.Set {
		if _, ok := k.m[p.Key]; ok && p.IfAbsent {
			continue
		}
		k.m[p.Key] = p.Value
	}
	for _, key := range txn.Delete {
		delete(k.m, key)
	}
	var ids []string
	for i, j := range txn.Enqueue {
		k.outbox.push(j.Payload)
		ids = append(ids, fmt.Sprint("job", i))
	}
	return ids, nil
}

func (k *memKV) Get(_ context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return nil, errMissing
	}
	return v, nil
}

func (k *memKV) Set(_ context.Context, key string, v []byte, _ time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = v
	return nil
}

func (k *memKV) SetNX(_ context.Context, key string, v []byte, _ time.Duration) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[key]; ok {
		return false, nil
	}
	k.m[key] = v
	return true, nil
}

func (k *memKV) CompareAndDelete(_ context.Context, key string, v []byte) (bool, error) {
	k.mu.Lock()
	cur, ok := k.m[key]
	deleted := ok && string(cur) == string(v)
	if deleted {
		delete(k.m, key)
	}
	after := k.afterCAD
	k.mu.Unlock()
	if deleted && after != nil {
		after(key)
	}
	return deleted, nil
}

func (k *memKV) Delete(_ context.Context, keys ...string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range keys {
		delete(k.m, key)
	}
	return nil
}

func (k *memKV) Keys(_ context.Context, prefix string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key := range k.m {
		if strings.HasPrefix(key, prefix) {
			out = append(out, key)
		}
	}
	return out, nil
}

type memOutbox struct {
	mu   sync.Mutex
	jobs [][]byte
}

func (o *memOutbox) Enqueue(_ context.Context, _ string, payload []byte) (string, error) {
	o.push(payload)
	return "", nil
}

func (o *memOutbox) push(p []byte) { o.mu.Lock(); o.jobs = append(o.jobs, p); o.mu.Unlock() }

func (o *memOutbox) pop() ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.jobs) == 0 {
		return nil, false
	}
	p := o.jobs[0]
	o.jobs = o.jobs[1:]
	return p, true
}

func (o *memOutbox) pending() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range o.jobs {
		var j outboxJob
		if json.Unmarshal(p, &j) != nil || j.Kind != "sms" || j.SMS.Agent.ZoomUserID != "" {
			panic("bad sms job " + string(p))
		}
	}
	return append([][]byte(nil), o.jobs...)
}

// fakeCRM keeps Tasks in a map and counts what a real org would bill.
type fakeCRM struct {
	mu                                sync.Mutex
	byNumber                          map[string][]Match
	tasks                             map[string]Task
	searches, creates, updates, finds int
	err                               error // returned by every call while set
	failAfterCreate                   int   // creates that succeed but report an error
	onCreate                          func()
}

func (c *fakeCRM) FindByPhone(_ context.Context, _ Agent, number string) ([]Match, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	c.searches++
	return c.byNumber[number], nil
}

func (c *fakeCRM) CreateTask(_ context.Context, _ Agent, t Task) (string, error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return "", c.err
	}
	c.creates++
	id := fmt.Sprintf("00T%03d", len(c.tasks)+1)
	c.tasks[id] = t
	fail := c.failAfterCreate > 0
	if fail {
		c.failAfterCreate--
	}
	hook := c.onCreate
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	if fail {
		return "", errors.New("timeout reading the response")
	}
	return id, nil
}

func (c *fakeCRM) FindTask(_ context.Context, _ Agent, callObject string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return "", c.err
	}
	c.finds++
	for id, t := range c.tasks {
		if t.CallObject == callObject {
			return id, nil
		}
	}
	return "", nil
}

func (c *fakeCRM) UpdateTask(_ context.Context, _ Agent, id string, t Task) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.updates++
	cur, ok := c.tasks[id]
	if !ok {
		return errors.New("no such Task")
	}
	if t.Subject != "" {
		cur.Subject = t.Subject
	}
	if t.Description != "" {
		cur.Description = t.Description
	}
	c.tasks[id] = cur
	return nil
}

// only returns the one Task there must be.
func (c *fakeCRM) only(t *testing.T) Task {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tasks) != 1 {
		t.Fatalf("%d Tasks, want 1", len(c.tasks))
	}
	for _, task := range c.tasks {
		return task
	}
	return Task{}
}
