package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The scenario suite plays the call shapes of the fixtures — a queue call,
// an internal call, a missed call, a voicemail, hold, a transfer, an
// outbound call — under every combination of the settings that change what
// is logged, and checks the exact Tasks in the org and the exact pops on
// the agents' websockets. Every combination is played twice: in order, and
// shuffled with duplicates; both must give the same Tasks.

const bobZoom = "FAKEuserBob0000000002"

// taskSig is what a scenario expects of one Task.
type taskSig struct {
	Owner    string // "alice" or "bob"
	CallType string
	Subject  string // prefix
	Who      string // "ada", "hedy", "grace", or ""
	Duration int
}

func (s taskSig) String() string {
	return fmt.Sprintf("%s %s %q who=%s %ds", s.Owner, s.CallType, s.Subject, s.Who, s.Duration)
}

// scenario is one call (or a few) as Zoom would deliver it.
type scenario struct {
	name   string
	bodies func(z *zoomsim.Zoom, callID string) [][]byte
	// tasks expects the Tasks for the settings.
	tasks func(set cti.Settings) []taskSig
	// pops expects the record each agent's softphone pops ("" = none).
	pops func(set cti.Settings) map[string]string
	// wrapups expects how many calls wait for a wrap-up, per agent.
	wrapups func(set cti.Settings) map[string]int
}

func must(b [][]byte, err error) [][]byte {
	if err != nil {
		panic(err)
	}
	return b
}

// liveEvent builds a live-call event body shaped like the fixtures.
func liveEvent(event, callID, userID string, object map[string]any) []byte {
	object["call_id"] = callID
	b, _ := json.Marshal(map[string]any{"event": event, "event_ts": time.Now().UnixMilli(),
		"payload": map[string]any{"account_id": zoomsim.AccountID, "object": object}})
	return b
}

func aliceParty() map[string]any {
	return map[string]any{"extension_type": "user", "user_id": DemoZoomUserID, "phone_number": "+12025550101", "extension_number": 1001}
}

func pstn(number string) map[string]any {
	return map[string]any{"extension_type": "pstn", "phone_number": number, "connection_type": "pstn_off_net"}
}

func insertAt(bodies [][]byte, i int, more ...[]byte) [][]byte {
	return slices.Concat(bodies[:i:i], more, bodies[i:])
}

func scenarios() []scenario {
	auto := func(set cti.Settings, sigs ...taskSig) []taskSig {
		if !set.AutoSaveCallLogs {
			return nil
		}
		return sigs
	}
	wrap := func(set cti.Settings, alice, bob int) map[string]int {
		if set.AutoSaveCallLogs {
			return map[string]int{}
		}
		return map[string]int{"alice": alice, "bob": bob}
	}
	return []scenario{{
		name: "queue call answered by alice, bob only rang",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			a := must(z.Inbound(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: DemoZoomUserID, Talk: 40 * time.Second, Queue: zoomsim.SalesQueue()}))
			b := must(z.Missed(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: bobZoom, Ring: 6 * time.Second, Queue: zoomsim.SalesQueue()}))
			return [][]byte{a[0], b[0], a[1], b[1], a[2], b[2], a[3]}
		},
		tasks: func(set cti.Settings) []taskSig {
			return auto(set, taskSig{"alice", "Inbound", "Call from +12025550142", "ada", 40})
		},
		pops:    func(cti.Settings) map[string]string { return map[string]string{"alice": "ada", "bob": "ada"} },
		wrapups: func(set cti.Settings) map[string]int { return wrap(set, 1, 0) },
	}, {
		name: "queue call nobody answered",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			a := must(z.Missed(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: DemoZoomUserID, Ring: 20 * time.Second, Queue: zoomsim.SalesQueue()}))
			b := must(z.Missed(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: bobZoom, Ring: 20 * time.Second, Queue: zoomsim.SalesQueue()}))
			return [][]byte{a[0], b[0], a[1], b[1], a[2], b[2]}
		},
		tasks: func(set cti.Settings) []taskSig {
			if set.LogQueueCallsToAnsweringMember {
				return nil
			}
			// One Task for the queue call: whichever member's leg settled
			// first, so only its shape is fixed.
			return auto(set, taskSig{"*", "Inbound", "Missed call from +12025550142", "ada", 0})
		},
		pops: func(cti.Settings) map[string]string { return map[string]string{"alice": "ada", "bob": "ada"} },
		wrapups: func(set cti.Settings) map[string]int {
			if set.LogQueueCallsToAnsweringMember || set.AutoSaveCallLogs {
				return map[string]int{}
			}
			return map[string]int{"*": 1}
		},
	}, {
		name: "internal call from alice to bob",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			a := must(z.Outbound(zoomsim.CallSpec{CallID: id, From: DemoZoomUserID, To: bobZoom, Talk: 15 * time.Second}))
			b := must(z.Inbound(zoomsim.CallSpec{CallID: id, From: DemoZoomUserID, To: bobZoom, Talk: 15 * time.Second}))
			return [][]byte{a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]}
		},
		tasks: func(set cti.Settings) []taskSig {
			if set.IgnoreInternalCalls {
				return nil
			}
			return auto(set,
				taskSig{"alice", "Internal", "Internal call with 1002", "", 15},
				taskSig{"bob", "Internal", "Internal call with 1001", "", 15})
		},
		pops: func(cti.Settings) map[string]string { return map[string]string{"alice": "", "bob": ""} },
		wrapups: func(set cti.Settings) map[string]int {
			if set.IgnoreInternalCalls {
				return map[string]int{}
			}
			return wrap(set, 1, 1)
		},
	}, {
		name: "missed call",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			return must(z.Missed(zoomsim.CallSpec{CallID: id, From: "+12025550177", To: DemoZoomUserID}))
		},
		tasks: func(set cti.Settings) []taskSig {
			return auto(set, taskSig{"alice", "Inbound", "Missed call from +12025550177", "hedy", 0})
		},
		pops:    func(cti.Settings) map[string]string { return map[string]string{"alice": "hedy"} },
		wrapups: func(set cti.Settings) map[string]int { return wrap(set, 1, 0) },
	}, {
		name: "voicemail",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			b := must(z.Missed(zoomsim.CallSpec{CallID: id, From: "+12025550123", To: DemoZoomUserID}))
			vm, _ := json.Marshal(map[string]any{"event": "phone.voicemail_received", "event_ts": time.Now().UnixMilli(),
				"payload": map[string]any{"account_id": zoomsim.AccountID, "object": map[string]any{
					"id": "vm-" + id, "date_time": time.Now().UTC().Format(time.RFC3339), "duration": 12,
					"download_url":  "https://zoom.us/v2/phone/voice_mails/download/vm-" + id,
					"caller_number": "+12025550123", "caller_number_type": 2, "callee_user_id": DemoZoomUserID,
					"callee_number": "1001", "callee_number_type": 1, "callee_extension_type": "user", "callee_id": DemoZoomUserID,
					"call_id": id}}})
			return append(b, vm)
		},
		tasks: func(set cti.Settings) []taskSig {
			return auto(set, taskSig{"alice", "Inbound", "Voicemail from +12025550123", "grace", 0})
		},
		pops:    func(cti.Settings) map[string]string { return map[string]string{"alice": "grace"} },
		wrapups: func(set cti.Settings) map[string]int { return wrap(set, 1, 0) },
	}, {
		name: "call put on hold",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			b := must(z.Inbound(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: DemoZoomUserID, Talk: 75 * time.Second}))
			hold := liveEvent("phone.callee_hold", id, DemoZoomUserID, map[string]any{"callee": aliceParty(), "caller": pstn("+12025550142"), "date_time": time.Now().UTC().Format(time.RFC3339)})
			unhold := liveEvent("phone.callee_unhold", id, DemoZoomUserID, map[string]any{"callee": aliceParty(), "caller": pstn("+12025550142"), "date_time": time.Now().UTC().Format(time.RFC3339)})
			return insertAt(b, 2, hold, unhold)
		},
		tasks: func(set cti.Settings) []taskSig {
			return auto(set, taskSig{"alice", "Inbound", "Call from +12025550142", "ada", 75})
		},
		pops:    func(cti.Settings) map[string]string { return map[string]string{"alice": "ada"} },
		wrapups: func(set cti.Settings) map[string]int { return wrap(set, 1, 0) },
	}, {
		name: "blind transfer from alice to bob",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			a := must(z.Inbound(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: DemoZoomUserID, Talk: 20 * time.Second}))
			transfer := liveEvent("phone.blind_transfer_initiated", id, DemoZoomUserID, map[string]any{
				"transfer_phone_number": "1002", "failure_reason": "", "date_time": time.Now().UTC().Format(time.RFC3339),
				"owner": map[string]any{"type": "user", "id": DemoZoomUserID, "name": "Alice Example", "extension_number": 1001}})
			b := must(z.Inbound(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: bobZoom, Talk: 50 * time.Second}))
			return [][]byte{a[0], a[1], transfer, a[2], b[0], b[1], b[2], a[3], b[3]}
		},
		tasks: func(set cti.Settings) []taskSig {
			return auto(set,
				taskSig{"alice", "Inbound", "Call from +12025550142", "ada", 20},
				taskSig{"bob", "Inbound", "Call from +12025550142", "ada", 50})
		},
		pops:    func(cti.Settings) map[string]string { return map[string]string{"alice": "ada", "bob": "ada"} },
		wrapups: func(set cti.Settings) map[string]int { return wrap(set, 1, 1) },
	}, {
		name: "outbound call",
		bodies: func(z *zoomsim.Zoom, id string) [][]byte {
			return must(z.Outbound(zoomsim.CallSpec{CallID: id, From: DemoZoomUserID, To: "+12025550177", Talk: 33 * time.Second}))
		},
		tasks: func(set cti.Settings) []taskSig {
			return auto(set, taskSig{"alice", "Outbound", "Call to +12025550177", "hedy", 33})
		},
		pops:    func(cti.Settings) map[string]string { return map[string]string{"alice": "hedy"} },
		wrapups: func(set cti.Settings) map[string]int { return wrap(set, 1, 0) },
	}}
}

// collector records what a softphone is told.
type collector struct {
	mu   sync.Mutex
	pops map[string][]string // call id → record ids popped
	msgs int
	err  error // why reading stopped
	// barrier is the last test barrier received (see pushBarrier).
	barrier int
	arrived chan struct{} // signalled on each barrier
}

const testBarrier = "test.barrier"

// pushBarrier sends each agent's softphone a barrier through the same path
// as the engine's pushes (the hub's channel, the connection's writer) and
// waits until it arrives: every push made before it has arrived too. Call
// it after drain, which waits for the jobs that push.
func pushBarrier(t *testing.T, e *env, phones map[cti.Agent]*collector) {
	t.Helper()
	for a, c := range phones {
		c.mu.Lock()
		n := c.barrier + 1
		c.mu.Unlock()
		if err := e.s.hub.Notify(context.Background(), a.Key(), map[string]any{"type": testBarrier, "barrier": n}); err != nil {
			t.Fatal(err)
		}
		timeout := time.After(10 * time.Second)
		for {
			c.mu.Lock()
			got, err := c.barrier, c.err
			c.mu.Unlock()
			if got >= n {
				break
			}
			if err != nil {
				t.Fatalf("softphone of %s stopped reading: %v", a.UserID, err)
			}
			select {
			case <-c.arrived:
			case <-timeout:
				t.Fatalf("barrier %d never reached %s's softphone", n, a.UserID)
			}
		}
	}
}

func collect(ws *websocket.Conn) *collector {
	c := &collector{pops: map[string][]string{}, arrived: make(chan struct{}, 1)}
	_ = ws.SetReadDeadline(time.Time{}) // readMsg left one
	go func() {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			var m struct {
				Type    string `json:"type"`
				Barrier int    `json:"barrier"`
				Call    *struct {
					ID string `json:"id"`
				} `json:"call"`
				Pop *struct {
					Kind     string `json:"kind"`
					RecordID string `json:"record_id"`
				} `json:"pop"`
				Resent bool `json:"resent"`
			}
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			c.mu.Lock()
			c.msgs++
			if m.Type == testBarrier {
				c.barrier = m.Barrier
				select {
				case c.arrived <- struct{}{}:
				default:
				}
			}
			// The server's pop decisions: a pop sent again (resent, as
			// the answer's push does) is skipped by a softphone that made it.
			if m.Type == "call" && m.Pop != nil && !m.Resent && m.Call != nil {
				c.pops[m.Call.ID] = append(c.pops[m.Call.ID], m.Pop.Kind+":"+m.Pop.RecordID)
			}
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) popsFor(callID string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.pops[callID])
}

// linkAgent links a second agent: the org's admin user, as Zoom's Bob.
func (e *env) linkBob() cti.Agent {
	e.t.Helper()
	u := e.org.AdminUser()
	access, refresh := e.org.IssueToken(u.ID)
	a := cti.Agent{OrgID: e.org.OrgID(), UserID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name, ZoomUserID: bobZoom, TimeZone: "America/Chicago"}
	tok := (&oauth2.Token{AccessToken: access, RefreshToken: refresh}).WithExtra(map[string]any{"instance_url": e.sfURL})
	ctx := context.Background()
	if err := e.s.SaveAgent(ctx, agentRecord{Agent: a, InstanceURL: e.sfURL}, tok); err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.LinkZoom(ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) softphoneFor(a cti.Agent) *websocket.Conn {
	e.t.Helper()
	token, err := e.s.newSession(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.dialAs(token)
}

func TestScenarioSuite(t *testing.T) {
	for combo := range 16 {
		set := cti.DefaultSettings()
		set.AutoSaveCallLogs = combo&1 != 0
		set.LogQueueCallsToAnsweringMember = combo&2 != 0
		set.IgnoreInternalCalls = combo&4 != 0
		set.AutoSaveSMS = combo&8 != 0
		name := fmt.Sprintf("autosave=%v queue_rule=%v ignore_internal=%v auto_sms=%v",
			set.AutoSaveCallLogs, set.LogQueueCallsToAnsweringMember, set.IgnoreInternalCalls, set.AutoSaveSMS)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runCombination(t, set)
		})
	}
}

func runCombination(t *testing.T, set cti.Settings) {
	e := newEnv(t)
	e.setSettings(func(s *cti.Settings) { *s = set })
	bob := e.linkBob()
	alice := *e.s.demoAgent
	owners := map[string]string{alice.UserID: "alice", bob.UserID: "bob"}
	whos := map[string]string{
		e.contact("+12025550142"):                    "ada",
		recordID(e, "Lead", "LastName", "Lamarr"):    "hedy",
		recordID(e, "Contact", "LastName", "Hopper"): "grace",
	}
	phones := map[string]*collector{"alice": collect(e.softphoneFor(alice)), "bob": collect(e.softphoneFor(bob))}
	z := e.zoom
	checkSMSBurst(t, e, set)

	for i, sc := range scenarios() {
		for _, shuffled := range []bool{false, true} {
			callID := fmt.Sprintf("78%02d%d00000000000%04d", i, map[bool]int{false: 0, true: 1}[shuffled], rand.IntN(10000))
			bodies := sc.bodies(z, callID)
			if shuffled {
				var d [][]byte
				for _, b := range bodies {
					for range 1 + rand.IntN(2) {
						d = append(d, b)
					}
				}
				rand.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
				bodies = d
			}
			for _, b := range bodies {
				e.send(b)
				if !shuffled {
					// In order means one after the other, as a call's
					// events are seconds apart: each is handled before
					// the next arrives.
					e.drain()
				}
			}
			e.drain()
			label := fmt.Sprintf("%s (shuffled=%v)", sc.name, shuffled)

			// Tasks.
			var got []taskSig
			for _, r := range e.tasks(callID) {
				sig := taskSig{Owner: owners[r["OwnerId"].(string)], Who: whos[fmt.Sprint(r["WhoId"])]}
				sig.CallType, _ = r["CallType"].(string)
				sig.Subject, _ = r["Subject"].(string)
				sig.Duration = int(toFloat(r["CallDurationInSeconds"]))
				got = append(got, sig)
			}
			want := sc.tasks(set)
			if !sameTasks(got, want) {
				t.Errorf("%s: Tasks\n got  %v\n want %v", label, got, want)
			}
			// Wrap-ups waiting.
			wantWraps := sc.wrapups(set)
			totalWraps := 0
			for who, a := range map[string]cti.Agent{"alice": alice, "bob": bob} {
				list, err := e.s.engine.WrapUps(context.Background(), a)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, w := range list {
					if w.Call.ID == callID {
						n++
					}
				}
				totalWraps += n
				if _, any := wantWraps["*"]; !any && n != wantWraps[who] {
					t.Errorf("%s: %s has %d wrap-ups waiting, want %d", label, who, n, wantWraps[who])
				}
			}
			if w, any := wantWraps["*"]; any && totalWraps != w {
				t.Errorf("%s: %d wrap-ups waiting in all, want %d", label, totalWraps, w)
			}
			// Pops: once per call per agent, the right record, or none.
			pushBarrier(t, e, map[cti.Agent]*collector{alice: phones["alice"], bob: phones["bob"]})
			for who, rec := range sc.pops(set) {
				if set.IgnoreInternalCalls && strings.HasPrefix(sc.name, "internal") {
					rec = ""
				}
				pops := phones[who].popsFor(callID)
				switch {
				case rec == "" && len(pops) != 0:
					t.Errorf("%s: %s popped %v, want no pop", label, who, pops)
				case shuffled && len(pops) == 0:
					// The hang-up may come first: a call already over
					// is not popped.
				case rec != "" && (len(pops) != 1 || !strings.HasSuffix(pops[0], ":"+keyFor(whos, rec))):
					t.Errorf("%s: %s popped %v, want one pop of %s (softphone: %d messages, %v)", label, who, pops, rec, phones[who].msgs, phones[who].err)
				}
			}
		}
	}
}

// checkSMSBurst texts back and forth with Ada: one Task for the day with
// Auto Save SMS on, none with it off.
func checkSMSBurst(t *testing.T, e *env, set cti.Settings) {
	start := time.Now().UTC()
	var bodies [][]byte
	for i := range 4 {
		spec := zoomsim.SMSSpec{From: "+12025550142", To: DemoZoomUserID, Text: fmt.Sprintf("message %d", i), At: start.Add(time.Duration(i) * time.Second)}
		if i%2 == 1 {
			spec.From, spec.To = DemoZoomUserID, "+12025550142"
		}
		bodies = append(bodies, must(e.zoom.SMS(spec))...)
	}
	rand.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
	for _, b := range append(bodies, bodies[0]) {
		e.send(b)
	}
	e.drain()
	var got []string
	for _, r := range e.org.Records("Task") {
		if s, _ := r["Subject"].(string); strings.HasPrefix(s, "SMS with") {
			got = append(got, s)
			desc, _ := r["Description"].(string)
			if strings.Index(desc, "message 0") > strings.Index(desc, "message 3") {
				t.Errorf("SMS transcript out of order: %q", desc)
			}
		}
	}
	want := 0
	if set.AutoSaveSMS {
		want = 1
	}
	if len(got) != want {
		t.Errorf("SMS burst: %d Tasks %v, want %d", len(got), got, want)
	}
}

func keyFor(m map[string]string, v string) string {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	return "?"
}

func recordID(e *env, sobject, field, value string) string {
	for _, r := range e.org.Records(sobject) {
		if r[field] == value {
			return r["Id"].(string)
		}
	}
	e.t.Fatalf("no %s with %s %s", sobject, field, value)
	return ""
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	return -1
}

// sameTasks compares Tasks ignoring order; Owner "*" matches anyone and a
// Subject matches by prefix.
func sameTasks(got, want []taskSig) bool {
	if len(got) != len(want) {
		return false
	}
	sort.Slice(got, func(i, j int) bool { return got[i].String() < got[j].String() })
	sort.Slice(want, func(i, j int) bool { return want[i].String() < want[j].String() })
	for i := range got {
		g, w := got[i], want[i]
		if (w.Owner != "*" && g.Owner != w.Owner) || g.CallType != w.CallType || !strings.HasPrefix(g.Subject, w.Subject) ||
			g.Who != w.Who || g.Duration != w.Duration {
			return false
		}
	}
	return true
}
