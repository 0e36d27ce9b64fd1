package zoomsim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

const customer = "+12025550142"

func decodeAll(t *testing.T, bodies [][]byte) []cti.Event {
	t.Helper()
	var out []cti.Event
	var lastTS int64
	for i, b := range bodies {
		if !json.Valid(b) || strings.ContainsAny(string(b), "\n\t") {
			t.Fatalf("body %d is not compact JSON: %s", i, b)
		}
		var env struct {
			EventTS int64 `json:"event_ts"`
		}
		_ = json.Unmarshal(b, &env)
		if env.EventTS <= lastTS {
			t.Errorf("event_ts not increasing at body %d: %d after %d", i, env.EventTS, lastTS)
		}
		lastTS = env.EventTS
		ev, err := zoom.Decode(b)
		if err != nil {
			t.Fatalf("Decode body %d: %v\n%s", i, err, b)
		}
		out = append(out, ev)
	}
	return out
}

func kinds(evs []cti.Event) []cti.EventKind {
	var k []cti.EventKind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

func types(evs []cti.Event) []string {
	var k []string
	for _, e := range evs {
		k = append(k, e.Type)
	}
	return k
}

func TestScenarios(t *testing.T) {
	z := zoomsim.New(zoomsim.Options{})
	start := time.Date(2025, 3, 4, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		build     func() ([][]byte, error)
		types     []string
		kinds     []cti.EventKind
		userID    string
		direction cti.Direction
		other     string
		check     func(t *testing.T, evs []cti.Event)
	}{
		{
			name: "inbound via queue",
			build: func() ([][]byte, error) {
				return z.Inbound(zoomsim.CallSpec{From: customer, To: "alice@example.com", Start: start, Talk: 4 * time.Minute, Queue: zoomsim.SalesQueue()})
			},
			types:  []string{"phone.callee_ringing", "phone.callee_answered", "phone.callee_ended", "phone.callee_call_history_completed"},
			kinds:  []cti.EventKind{cti.KindRinging, cti.KindAnswered, cti.KindEnded, cti.KindCallRecord},
			userID: zoomsim.AliceID, direction: cti.Inbound, other: customer,
			check: func(t *testing.T, evs []cti.Event) {
				for _, e := range evs {
					if !e.Queue.IsQueue() || e.Queue.Name != "Sales Queue" {
						t.Errorf("%s queue = %+v", e.Type, e.Queue)
					}
				}
				r := evs[3].Records[0]
				if r.DurationSeconds != 240 || r.Result != "answered" || !r.Start.Equal(start) || r.Callee.Email != "alice@example.com" {
					t.Errorf("record %+v", r)
				}
				if evs[2].Result != "Call connected" || !evs[2].Ended.Equal(start.Add(6*time.Second+4*time.Minute)) {
					t.Errorf("ended %+v", evs[2])
				}
			},
		},
		{
			name: "outbound",
			build: func() ([][]byte, error) {
				return z.Outbound(zoomsim.CallSpec{CallID: "7400000000000000009", From: "1001", To: "+12025550177", Start: start})
			},
			types:  []string{"phone.caller_ringing", "phone.caller_connected", "phone.caller_ended", "phone.caller_call_history_completed"},
			kinds:  []cti.EventKind{cti.KindRinging, cti.KindAnswered, cti.KindEnded, cti.KindCallRecord},
			userID: zoomsim.AliceID, direction: cti.Outbound, other: "+12025550177",
			check: func(t *testing.T, evs []cti.Event) {
				if evs[0].CallID != "7400000000000000009" || evs[3].Records[0].DurationSeconds != 90 || evs[0].Queue != nil {
					t.Errorf("call %q record %+v", evs[0].CallID, evs[3].Records[0])
				}
				if evs[1].Answered.IsZero() {
					t.Error("caller_connected without connected_start_time")
				}
			},
		},
		{
			name: "missed",
			build: func() ([][]byte, error) {
				return z.Missed(zoomsim.CallSpec{From: "+12025550177", To: zoomsim.BobID, Start: start})
			},
			types:  []string{"phone.callee_ringing", "phone.callee_missed", "phone.callee_call_history_completed"},
			kinds:  []cti.EventKind{cti.KindRinging, cti.KindMissed, cti.KindCallRecord},
			userID: zoomsim.BobID, direction: cti.Inbound, other: "+12025550177",
			check: func(t *testing.T, evs []cti.Event) {
				r := evs[2].Records[0]
				if evs[1].Result != "No Answer" || r.Result != "no_answer" || r.DurationSeconds != 0 || !r.Answer.IsZero() {
					t.Errorf("missed %q record %+v", evs[1].Result, r)
				}
			},
		},
		{
			name: "internal",
			build: func() ([][]byte, error) {
				return z.Inbound(zoomsim.CallSpec{From: "bob@example.com", To: zoomsim.AliceID, Start: start})
			},
			types:  []string{"phone.callee_ringing", "phone.callee_answered", "phone.callee_ended", "phone.callee_call_history_completed"},
			kinds:  []cti.EventKind{cti.KindRinging, cti.KindAnswered, cti.KindEnded, cti.KindCallRecord},
			userID: zoomsim.AliceID, direction: cti.Internal, other: "1002",
			check: func(t *testing.T, evs []cti.Event) {
				if evs[0].Caller.UserID != zoomsim.BobID || evs[0].Callee.Number != "1001" {
					t.Errorf("internal parties %+v %+v", evs[0].Caller, evs[0].Callee)
				}
				if !evs[3].Records[0].Internal {
					t.Error("history record not internal")
				}
			},
		},
		{
			name: "sms sent",
			build: func() ([][]byte, error) {
				return z.SMS(zoomsim.SMSSpec{From: zoomsim.AliceID, To: customer, Text: "hello", At: start})
			},
			types: []string{"phone.sms_sent"}, kinds: []cti.EventKind{cti.KindSMS},
			userID: zoomsim.AliceID, direction: cti.Outbound,
			check: func(t *testing.T, evs []cti.Event) {
				s := evs[0].SMS
				if s.Text != "hello" || s.From.Number != "+12025550101" || s.To[0].Number != customer || !s.At.Equal(start) || s.MessageID == "" {
					t.Errorf("sms %+v", s)
				}
			},
		},
		{
			name: "sms received",
			build: func() ([][]byte, error) {
				return z.SMS(zoomsim.SMSSpec{From: customer, To: "alice@example.com", Text: "hi back"})
			},
			types: []string{"phone.sms_received"}, kinds: []cti.EventKind{cti.KindSMS},
			userID: zoomsim.AliceID, direction: cti.Inbound,
			check: func(t *testing.T, evs []cti.Event) {
				s := evs[0].SMS
				if s.From.Number != customer || s.To[0].UserID != zoomsim.AliceID {
					t.Errorf("sms %+v", s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bodies, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			evs := decodeAll(t, bodies)
			if got := types(evs); !slices.Equal(got, tt.types) {
				t.Errorf("types %v, want %v", got, tt.types)
			}
			if got := kinds(evs); !slices.Equal(got, tt.kinds) {
				t.Errorf("kinds %v, want %v", got, tt.kinds)
			}
			for _, e := range evs {
				if e.UserID != tt.userID || e.Direction != tt.direction || e.AccountID != zoomsim.AccountID {
					t.Errorf("%s: user %q direction %q account %q", e.Type, e.UserID, e.Direction, e.AccountID)
				}
				if e.IsCall() || e.Kind == cti.KindCallRecord {
					if e.CallID != evs[0].CallID || len(e.CallID) != 19 {
						t.Errorf("%s: call id %q", e.Type, e.CallID)
					}
					if got := e.Other().Number; got != tt.other {
						t.Errorf("%s: other party %q, want %q", e.Type, got, tt.other)
					}
				}
			}
			tt.check(t, evs)
		})
	}
}

func TestScenarioErrors(t *testing.T) {
	z := zoomsim.New(zoomsim.Options{})
	if _, err := z.Inbound(zoomsim.CallSpec{From: customer, To: "+12025550999"}); err == nil {
		t.Error("inbound call to a non-user accepted")
	}
	if _, err := z.Outbound(zoomsim.CallSpec{From: customer, To: "1001"}); err == nil {
		t.Error("outbound call from a non-user accepted")
	}
	if _, err := z.SMS(zoomsim.SMSSpec{From: customer, To: "+12025550999"}); err == nil {
		t.Error("SMS between two outsiders accepted")
	}
}

// keyPaths lists every object key path of a JSON document (arrays
// flattened), e.g. payload.object.callee.user_id.
func keyPaths(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				out = append(out, prefix+k)
				walk(prefix+k+".", c)
			}
		case []any:
			for _, c := range x {
				walk(prefix, c)
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return slices.Compact(out)
}

// TestScenariosMatchFixtures checks that every field the emulator sends
// also appears in the shared fixture of the same event, so the emulator
// never invents field names Zoom does not use.
func TestScenariosMatchFixtures(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "zoom")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures folder: %v", err)
	}
	z := zoomsim.New(zoomsim.Options{})
	var bodies [][]byte
	for _, build := range []func() ([][]byte, error){
		func() ([][]byte, error) {
			return z.Inbound(zoomsim.CallSpec{From: customer, FromName: "EXAMPLE CUSTOMER", To: zoomsim.AliceID, Queue: zoomsim.SalesQueue()})
		},
		func() ([][]byte, error) { return z.Outbound(zoomsim.CallSpec{From: zoomsim.AliceID, To: customer}) },
		func() ([][]byte, error) { return z.Missed(zoomsim.CallSpec{From: customer, To: zoomsim.BobID}) },
		func() ([][]byte, error) {
			return z.SMS(zoomsim.SMSSpec{From: zoomsim.AliceID, To: customer, Text: "x"})
		},
		func() ([][]byte, error) {
			return z.SMS(zoomsim.SMSSpec{From: customer, To: zoomsim.AliceID, Text: "y"})
		},
	} {
		b, err := build()
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b...)
	}
	for _, b := range bodies {
		var env struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(b, &env)
		fixture, err := os.ReadFile(filepath.Join(dir, env.Event+".json"))
		if err != nil {
			t.Errorf("%s: no fixture to compare with: %v", env.Event, err)
			continue
		}
		known := keyPaths(t, fixture)
		for _, p := range keyPaths(t, b) {
			if !slices.Contains(known, p) {
				t.Errorf("%s: field %s is not in the fixture", env.Event, p)
			}
		}
	}
}

// An outside caller's caller-id name is on the live events that carry
// names, as in Zoom's callee_ringing sample.
func TestInboundCarriesTheCallerIDName(t *testing.T) {
	z := zoomsim.New(zoomsim.Options{})
	bodies, err := z.Inbound(zoomsim.CallSpec{From: customer, FromName: "EXAMPLE CUSTOMER", To: zoomsim.AliceID})
	if err != nil {
		t.Fatal(err)
	}
	var ringing struct {
		Event   string `json:"event"`
		Payload struct {
			Object struct {
				Caller struct {
					Name        string `json:"name"`
					PhoneNumber string `json:"phone_number"`
				} `json:"caller"`
			} `json:"object"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(bodies[0], &ringing); err != nil {
		t.Fatal(err)
	}
	if c := ringing.Payload.Object.Caller; ringing.Event != "phone.callee_ringing" || c.Name != "EXAMPLE CUSTOMER" || c.PhoneNumber != customer {
		t.Errorf("%s caller = %+v, want EXAMPLE CUSTOMER at %s", ringing.Event, c, customer)
	}
}
