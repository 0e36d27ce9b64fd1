package zoom

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/cti"
)

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty", ""},
		{"not json", "hello"},
		{"truncated", `{"event":"phone.callee_ringing","payload":{`},
		{"array", `[1,2]`},
		{"no event", `{"event_ts":1,"payload":{}}`},
		{"empty event", `{"event":"","payload":{}}`},
		{"event not a string", `{"event":7}`},
		{"payload not an object", `{"event":"phone.callee_ringing","payload":"x"}`},
		{"object not an object", `{"event":"phone.callee_ringing","event_ts":1,"payload":{"object":[1]}}`},
		{"call_logs not a list", `{"event":"phone.callee_call_history_completed","payload":{"object":{"call_logs":{}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestDecodeTolerant(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, ev cti.Event)
	}{
		{"unknown event", `{"event":"phone.callee_parked","event_ts":5,"payload":{"account_id":"A","object":{"call_id":"42"}}}`,
			func(t *testing.T, ev cti.Event) {
				if ev.Kind != cti.KindUnknown || ev.ID != "zoom:phone.callee_parked:5:42" || ev.AccountID != "A" {
					t.Errorf("%+v", ev)
				}
			}},
		{"unknown event without payload", `{"event":"meeting.started"}`,
			func(t *testing.T, ev cti.Event) {
				if ev.Kind != cti.KindUnknown || ev.ID != "zoom:meeting.started::" {
					t.Errorf("%+v", ev)
				}
			}},
		{"string extension number and call id as number", `{"event":"phone.callee_ringing","event_ts":1,"payload":{"object":{"call_id":123,"callee":{"user_id":"u","extension_number":"1001"},"caller":{"extension_type":"pstn","phone_number":"+1","extension_number":12092592844}}}}`,
			func(t *testing.T, ev cti.Event) {
				if ev.CallID != "123" || ev.Callee.ExtensionNumber != "1001" || ev.Caller.ExtensionNumber != "12092592844" || ev.Direction != cti.Inbound {
					t.Errorf("%+v", ev)
				}
			}},
		{"bad time kept as zero", `{"event":"phone.callee_ringing","event_ts":1,"payload":{"object":{"call_id":"1","ringing_start_time":"yesterday"}}}`,
			func(t *testing.T, ev cti.Event) {
				if !ev.Ringing.IsZero() || ev.Kind != cti.KindRinging {
					t.Errorf("%+v", ev)
				}
			}},
		{"presence with date-time", `{"event":"user.presence_status_updated","payload":{"object":{"id":"u","presence_status":"Away","date-time":"2025-03-04T16:00:00.123Z"}}}`,
			func(t *testing.T, ev cti.Event) {
				if ev.Presence != "Away" || !ev.At.Equal(ts("2025-03-04T16:00:00.123Z")) {
					t.Errorf("%+v", ev)
				}
			}},
		{"email change", `{"event":"user.updated","payload":{"object":{"id":"u","email":"new@example.com"},"old_object":{"id":"u","email":"old@example.com"}}}`,
			func(t *testing.T, ev cti.Event) {
				if ev.User.Email != "new@example.com" || ev.User.OldEmail != "old@example.com" {
					t.Errorf("%+v", ev.User)
				}
			}},
		{"internal history, duration from span", `{"event":"phone.caller_call_history_completed","event_ts":9,"payload":{"object":{"user_id":"b","call_logs":[{"call_id":"7","connect_type":"internal","direction":"outbound","caller_ext_number":"1002","caller_ext_type":"user","callee_ext_number":"1001","callee_ext_type":"user","start_time":"2025-03-04T18:00:00Z","end_time":"2025-03-04T18:01:30Z"}]}}}`,
			func(t *testing.T, ev cti.Event) {
				r := ev.Records[0]
				if ev.Direction != cti.Internal || !r.Internal || r.DurationSeconds != 90 || r.Caller.UserID != "b" || r.Callee.Number != "1001" {
					t.Errorf("%+v", ev)
				}
			}},
		{"missed history keeps zero talk time", `{"event":"phone.callee_call_history_completed","payload":{"object":{"user_id":"a","call_logs":[{"call_id":"7","direction":"inbound","result":"no_answer","talk_time":0,"start_time":"2025-03-04T18:00:00Z","end_time":"2025-03-04T18:00:30Z","operator_ext_type":"call_queue","operator_name":"Q","operator_ext_number":"2001"}]}}}`,
			func(t *testing.T, ev cti.Event) {
				r := ev.Records[0]
				if r.DurationSeconds != 0 || r.Result != "no_answer" || !ev.Queue.IsQueue() || ev.Queue.Name != "Q" {
					t.Errorf("%+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.check(t, ev)
		})
	}
}

func FuzzDecode(f *testing.F) {
	if entries, err := os.ReadDir(fixturesDir); err == nil {
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join(fixturesDir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(vectorABody))
	f.Add([]byte(`{"event":"phone.callee_ringing","payload":{"object":{"callee":{"extension_number":1e400}}}}`))
	f.Add([]byte(`{"event":"phone.recording_completed","payload":{"object":{"recordings":[null]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if ev.Source != Source || ev.Type == "" || ev.Kind == "" || !strings.HasPrefix(ev.ID, "zoom:") {
			t.Fatalf("decoded event lacks its identity: %+v", ev)
		}
	})
}
