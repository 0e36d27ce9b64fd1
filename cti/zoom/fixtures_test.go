package zoom

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// fixturesDir is the shared fixtures folder, relative to this package.
var fixturesDir = filepath.Join("..", "..", "..", "shared", "fixtures", "zoom")

const (
	alice   = "FAKEuserAlice00000001"
	bob     = "FAKEuserBob0000000002"
	carol   = "FAKEuserCarol00000003"
	account = "FAKEacct0000000000001"
	inCall  = "7400000000000000001"
	outCall = "7400000000000000002"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixtureCase is what a user of the decoded event would notice for one
// fixture file.
type fixtureCase struct {
	kind      cti.EventKind
	callID    string
	userID    string
	direction cti.Direction
	check     func(t *testing.T, ev cti.Event)
}

var salesQueue = &cti.Routing{Name: "Sales Queue", ExtensionNumber: "2001", ExtensionType: "callQueue"}

// inboundLive checks what every live event of the inbound fixture call shares.
func inboundLive(t *testing.T, ev cti.Event) {
	t.Helper()
	if ev.Caller.Number != "+12025550142" || ev.Caller.IsUser() {
		t.Errorf("caller = %+v", ev.Caller)
	}
	if ev.Callee.UserID != alice || ev.Callee.ExtensionNumber != "1001" || ev.Callee.Number != "+12025550101" {
		t.Errorf("callee = %+v", ev.Callee)
	}
	if got := ev.Other().Number; got != "+12025550142" {
		t.Errorf("Other().Number = %q", got)
	}
}

func queueIs(t *testing.T, got, want *cti.Routing) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && *got != *want) {
		t.Errorf("queue = %+v, want %+v", got, want)
	}
}

func fixtureCases() map[string]fixtureCase {
	return map[string]fixtureCase{
		"app_deauthorized.json": {cti.KindDeauthorize, "", alice, "", func(t *testing.T, ev cti.Event) {
			if ev.ClientID != "FAKEclientId00000001" || ev.User == nil || ev.User.ID != alice {
				t.Errorf("client %q user %+v", ev.ClientID, ev.User)
			}
		}},
		"endpoint.url_validation.json": {cti.KindUnknown, "", "", "", func(t *testing.T, ev cti.Event) {
			if ev.ID != "zoom:endpoint.url_validation:1741000300000:FAKEplainToken-000001" {
				t.Errorf("ID = %q", ev.ID)
			}
		}},
		"phone.callee_ringing.json": {cti.KindRinging, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			inboundLive(t, ev)
			queueIs(t, ev.Queue, salesQueue)
			if !ev.Ringing.Equal(ts("2025-03-04T16:00:00Z")) || ev.Caller.Name != "EXAMPLE CUSTOMER" {
				t.Errorf("ringing %v caller %+v", ev.Ringing, ev.Caller)
			}
			if ev.ID != "zoom:phone.callee_ringing:1741104000300:"+inCall+":"+alice {
				t.Errorf("ID = %q", ev.ID)
			}
		}},
		"phone.callee_answered.json": {cti.KindAnswered, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			inboundLive(t, ev)
			queueIs(t, ev.Queue, salesQueue)
			if !ev.Answered.Equal(ts("2025-03-04T16:00:06Z")) {
				t.Errorf("answered %v", ev.Answered)
			}
		}},
		"phone.callee_hold.json": {cti.KindHold, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			inboundLive(t, ev)
			if !ev.At.Equal(ts("2025-03-04T16:01:00Z")) {
				t.Errorf("At = %v, want the hold's date_time", ev.At)
			}
		}},
		"phone.callee_unhold.json": {cti.KindUnhold, inCall, alice, cti.Inbound, inboundLive},
		"phone.callee_mute.json":   {cti.KindMute, inCall, alice, cti.Inbound, inboundLive},
		"phone.callee_ended.json": {cti.KindEnded, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			inboundLive(t, ev)
			queueIs(t, ev.Queue, salesQueue)
			if ev.Result != "Call connected" || !ev.Ended.Equal(ts("2025-03-04T16:04:05Z")) {
				t.Errorf("result %q ended %v", ev.Result, ev.Ended)
			}
		}},
		"phone.callee_missed.json": {cti.KindMissed, "7400000000000000003", bob, cti.Inbound, func(t *testing.T, ev cti.Event) {
			if ev.Result != "No Answer" || ev.Queue != nil || ev.Other().Number != "+12025550177" {
				t.Errorf("result %q queue %+v other %+v", ev.Result, ev.Queue, ev.Other())
			}
		}},
		"phone.callee_rejected.json": {cti.KindRejected, "7400000000000000004", alice, cti.Internal, func(t *testing.T, ev cti.Event) {
			if ev.Result != "Rejected" || ev.Caller.UserID != bob || ev.Caller.Number != "1002" || ev.Caller.ExtensionNumber != "1002" {
				t.Errorf("result %q caller %+v", ev.Result, ev.Caller)
			}
			if ev.Other().UserID != bob {
				t.Errorf("Other() = %+v, want Bob", ev.Other())
			}
		}},
		"phone.caller_ringing.json": {cti.KindRinging, outCall, alice, cti.Outbound, outboundLive},
		"phone.caller_connected.json": {cti.KindAnswered, outCall, alice, cti.Outbound, func(t *testing.T, ev cti.Event) {
			outboundLive(t, ev)
			if !ev.Answered.Equal(ts("2025-03-04T15:20:09Z")) {
				t.Errorf("answered %v (connected_start_time)", ev.Answered)
			}
		}},
		"phone.caller_ended.json": {cti.KindEnded, outCall, alice, cti.Outbound, func(t *testing.T, ev cti.Event) {
			outboundLive(t, ev)
			if ev.Result != "Call connected" || !ev.Ended.Equal(ts("2025-03-04T15:23:15Z")) {
				t.Errorf("result %q ended %v", ev.Result, ev.Ended)
			}
		}},
		"phone.callee_call_history_completed.json": {cti.KindCallRecord, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			r := oneRecord(t, ev)
			if r.ID != "20250304-00000000-fake-4000-8000-000000000011" || r.DurationSeconds != 239 || r.Result != "answered" {
				t.Errorf("record %+v", r)
			}
			queueIs(t, r.Queue, salesQueue)
			queueIs(t, ev.Queue, salesQueue)
			inboundRecord(t, r)
		}},
		"phone.callee_call_element_completed.json": {cti.KindCallRecord, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			r := oneRecord(t, ev)
			if r.ID != "20250304-00000000-fake-4000-8000-000000000031" || r.DurationSeconds != 239 || r.RecordingID == "" {
				t.Errorf("record %+v", r)
			}
			inboundRecord(t, r)
		}},
		"phone.callee_call_log_completed.json": {cti.KindCallRecord, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			r := oneRecord(t, ev)
			if r.ID != "00000000-fake-4000-8000-000000000001" || r.DurationSeconds != 239 || r.Result != "Call connected" {
				t.Errorf("record %+v", r)
			}
			queueIs(t, r.Queue, &cti.Routing{Name: "Sales Queue", ExtensionNumber: "2001", ExtensionType: "callQueue", Number: "+12025550100"})
			inboundRecord(t, r)
		}},
		"phone.caller_call_history_completed.json": {cti.KindCallRecord, outCall, alice, cti.Outbound, func(t *testing.T, ev cti.Event) {
			r := oneRecord(t, ev)
			if r.DurationSeconds != 186 || r.Direction != cti.Outbound || r.Internal || r.Queue != nil {
				t.Errorf("record %+v", r)
			}
			outboundRecord(t, r)
		}},
		"phone.caller_call_log_completed.json": {cti.KindCallRecord, outCall, alice, cti.Outbound, func(t *testing.T, ev cti.Event) {
			r := oneRecord(t, ev)
			if r.DurationSeconds != 186 || r.Internal || r.Caller.ExtensionNumber != "1001" {
				t.Errorf("record %+v", r)
			}
			outboundRecord(t, r)
		}},
		"phone.recording_completed.json": {cti.KindRecording, inCall, alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			rec := ev.Recording
			if rec == nil || rec.ID != "FAKErecording000000000000000001" || rec.DurationSeconds != 209 ||
				rec.CallID != inCall || !strings.HasPrefix(rec.DownloadURL, "https://") || !rec.At.Equal(ts("2025-03-04T16:00:30Z")) {
				t.Fatalf("recording %+v", rec)
			}
			if ev.ID != "zoom:phone.recording_completed:1741104400200:FAKErecording000000000000000001" {
				t.Errorf("ID = %q", ev.ID)
			}
			if ev.Caller.Number != "+12025550142" || ev.Callee.UserID != alice {
				t.Errorf("caller %+v callee %+v", ev.Caller, ev.Callee)
			}
		}},
		"phone.voicemail_received.json": {cti.KindVoicemail, "7400000000000000003", "", cti.Inbound, func(t *testing.T, ev cti.Event) {
			vm := ev.Voicemail
			if vm == nil || vm.ID != "FAKEvoicemail00000000000000001" || vm.DurationSeconds != 22 || vm.CallID != "7400000000000000003" {
				t.Fatalf("voicemail %+v", vm)
			}
			if vm.Caller.Number != "+12025550177" || vm.Callee.ExtensionType != "callQueue" || vm.Callee.ExtensionNumber != "2001" {
				t.Errorf("caller %+v callee %+v", vm.Caller, vm.Callee)
			}
			queueIs(t, ev.Queue, &cti.Routing{Name: "Sales Queue", ExtensionNumber: "2001", ExtensionType: "callQueue", Number: "+12025550100"})
		}},
		"phone.sms_sent.json": {cti.KindSMS, "", alice, cti.Outbound, func(t *testing.T, ev cti.Event) {
			s := ev.SMS
			if s == nil || s.MessageID != "00000000-fake-4000-8000-0000000000a1" || s.Direction != cti.Outbound ||
				s.From.UserID != alice || len(s.To) != 1 || s.To[0].Number != "+12025550142" || s.Type != 1 ||
				s.OwnerID != alice || !strings.HasPrefix(s.Text, "Hi, this is Alice") || s.Failed != "" {
				t.Fatalf("sms %+v", s)
			}
			if ev.ID != "zoom:phone.sms_sent:1741108000100:00000000-fake-4000-8000-0000000000a1" {
				t.Errorf("ID = %q", ev.ID)
			}
		}},
		"phone.sms_received.json": {cti.KindSMS, "", alice, cti.Inbound, func(t *testing.T, ev cti.Event) {
			s := ev.SMS
			if s == nil || s.Direction != cti.Inbound || s.From.Number != "+12025550142" || s.From.IsUser() ||
				len(s.To) != 1 || s.To[0].UserID != alice || s.SessionID != "fakesession0000000000000000000001" ||
				!s.At.Equal(ts("2025-03-04T17:08:40Z")) {
				t.Fatalf("sms %+v", s)
			}
		}},
		"user.created.json": {cti.KindUserCreated, "", carol, "", func(t *testing.T, ev cti.Event) {
			if u := ev.User; u == nil || *u != (cti.UserChange{ID: carol, Email: "carol@example.com", Name: "Carol Example"}) {
				t.Errorf("user %+v", ev.User)
			}
		}},
		"user.updated.json": {cti.KindUserUpdated, "", carol, "", func(t *testing.T, ev cti.Event) {
			// Only dept and phone changed: no email, so no old email either.
			if u := ev.User; u == nil || u.ID != carol || u.Email != "" || u.OldEmail != "" {
				t.Errorf("user %+v", ev.User)
			}
		}},
		"user.deleted.json": {cti.KindUserDeleted, "", carol, "", func(t *testing.T, ev cti.Event) {
			if u := ev.User; u == nil || u.Email != "carol@example.com" || u.Name != "Carol Example" {
				t.Errorf("user %+v", ev.User)
			}
		}},
		"user.presence_status_updated.json": {cti.KindPresence, "", alice, "", func(t *testing.T, ev cti.Event) {
			if ev.Presence != "On_Phone_Call" || ev.User == nil || ev.User.Email != "alice@example.com" || !ev.At.Equal(ts("2025-03-04T16:00:00Z")) {
				t.Errorf("presence %q user %+v at %v", ev.Presence, ev.User, ev.At)
			}
		}},
	}
}

func outboundLive(t *testing.T, ev cti.Event) {
	t.Helper()
	if ev.Caller.UserID != alice || ev.Callee.Number != "+12025550177" || ev.Other().Number != "+12025550177" {
		t.Errorf("caller %+v callee %+v", ev.Caller, ev.Callee)
	}
	if !ev.Ringing.Equal(ts("2025-03-04T15:20:00Z")) {
		t.Errorf("ringing %v", ev.Ringing)
	}
}

func oneRecord(t *testing.T, ev cti.Event) cti.CallRecord {
	t.Helper()
	if len(ev.Records) != 1 {
		t.Fatalf("records = %d, want 1", len(ev.Records))
	}
	return ev.Records[0]
}

func inboundRecord(t *testing.T, r cti.CallRecord) {
	t.Helper()
	if r.CallID != inCall || r.UserID != alice || r.Direction != cti.Inbound || r.Internal {
		t.Errorf("record %+v", r)
	}
	if r.Caller.Number != "+12025550142" || r.Caller.IsUser() || r.Callee.UserID != alice || r.Callee.Number != "+12025550101" {
		t.Errorf("caller %+v callee %+v", r.Caller, r.Callee)
	}
	if !r.Start.Equal(ts("2025-03-04T16:00:00Z")) || !r.Answer.Equal(ts("2025-03-04T16:00:06Z")) || !r.End.Equal(ts("2025-03-04T16:04:05Z")) {
		t.Errorf("times %v %v %v", r.Start, r.Answer, r.End)
	}
}

func outboundRecord(t *testing.T, r cti.CallRecord) {
	t.Helper()
	if r.CallID != outCall || r.UserID != alice || r.Direction != cti.Outbound {
		t.Errorf("record %+v", r)
	}
	if r.Caller.UserID != alice || r.Caller.Number != "+12025550101" || r.Callee.Number != "+12025550177" || r.Callee.IsUser() {
		t.Errorf("caller %+v callee %+v", r.Caller, r.Callee)
	}
	if !r.Start.Equal(ts("2025-03-04T15:20:00Z")) || !r.End.Equal(ts("2025-03-04T15:23:15Z")) {
		t.Errorf("times %v %v", r.Start, r.End)
	}
}

func TestDecodeFixtures(t *testing.T) {
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		t.Fatalf("fixtures folder %s: %v (the shared/ folder must sit beside the checkout)", fixturesDir, err)
	}
	cases := fixtureCases()
	var seen []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		seen = append(seen, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			tc, ok := cases[e.Name()]
			if !ok {
				t.Fatalf("no expectation for fixture %s: add one to fixtureCases", e.Name())
			}
			body, err := os.ReadFile(filepath.Join(fixturesDir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Decode(body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			eventName := strings.TrimSuffix(e.Name(), ".json")
			if ev.Type != eventName || ev.Source != "zoom" || ev.Kind != tc.kind {
				t.Errorf("type %q source %q kind %q, want %q zoom %q", ev.Type, ev.Source, ev.Kind, eventName, tc.kind)
			}
			if ev.CallID != tc.callID || ev.UserID != tc.userID || ev.Direction != tc.direction {
				t.Errorf("call %q user %q direction %q, want %q %q %q", ev.CallID, ev.UserID, ev.Direction, tc.callID, tc.userID, tc.direction)
			}
			if eventName != EventURLValidation && ev.AccountID != account {
				t.Errorf("account %q", ev.AccountID)
			}
			var env struct {
				EventTS json.Number `json:"event_ts"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			if ev.At.IsZero() || !strings.HasPrefix(ev.ID, "zoom:"+eventName+":"+env.EventTS.String()+":") {
				t.Errorf("at %v id %q", ev.At, ev.ID)
			}
			if tc.check != nil {
				tc.check(t, ev)
			}
			// A redelivery (same bytes) dedupes to the same ID.
			again, _ := Decode(body)
			if again.ID != ev.ID {
				t.Errorf("ID not stable: %q vs %q", again.ID, ev.ID)
			}
			// Compact re-serialization (what Zoom actually sends) decodes the same.
			var compact bytes.Buffer
			if err := json.Compact(&compact, body); err != nil {
				t.Fatal(err)
			}
			if c, err := Decode(compact.Bytes()); err != nil || c.ID != ev.ID || c.Kind != ev.Kind {
				t.Errorf("compact body decodes differently: %v %+v", err, c)
			}
		})
	}
	for name := range cases {
		if !slices.Contains(seen, name) {
			t.Errorf("expected fixture %s is missing from %s", name, fixturesDir)
		}
	}
}
