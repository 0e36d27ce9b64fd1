package zoom

import (
	"bytes"
	"encoding/json"
	"errors"
	jsonv2 "github.com/go-json-experiment/json"
	"os"
	"path/filepath"
	"reflect"
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
		// The one-pass decoder of live events must read a body exactly as
		// the general one does. (Not for repeated keys: a struct merges a
		// repeated object where a RawMessage keeps the last; Zoom signs
		// no such body.)
		if fast, ok := decodeLiveFast(body); ok && !hasRepeatedKey(body) {
			slow, _, err := decodeGeneric(body)
			if err != nil {
				t.Fatalf("one-pass decode took a body the general decoder refuses (%v)", err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("one-pass decode\n%+v\ngeneral decode\n%+v", fast, slow)
			}
		}
	})
}

func TestDecodeLiveFastMatchesGeneral(t *testing.T) {
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, e := range entries {
		body, err := os.ReadFile(filepath.Join(fixturesDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := decodeLiveFast(body)
		_, _, isLive := liveEvent(strings.TrimSuffix(e.Name(), ".json"))
		if ok != isLive {
			t.Errorf("%s: one-pass decode took it %v, want %v", e.Name(), ok, isLive)
		}
		if !ok {
			continue
		}
		live++
		slow, _, err := decodeGeneric(body)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: one-pass decode\n%+v\ngeneral decode\n%+v", e.Name(), fast, slow)
		}
	}
	if live < 5 {
		t.Fatalf("only %d live-call fixtures in %s", live, fixturesDir)
	}
}

// hasRepeatedKey reports whether any object in body (valid JSON or not)
// names a key twice.
func hasRepeatedKey(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return true
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		if top != nil && top.object {
			top.key = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// FuzzFlexString checks the fast path of flexString against encoding/json:
// a JSON string reads as the string json.Unmarshal gives.
func FuzzFlexString(f *testing.F) {
	for _, s := range []string{`"plain"`, `"+1 (202) 555-0142"`, `"tab\tescaped"`, `"é ü"`, "\"bad \xff byte\"", `"\u00e9"`, `""`, `"a\\b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		if json.Unmarshal(b, &want) != nil {
			return
		}
		var got flexString
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("flexString refused %q: %v", b, err)
		}
		if string(got) != want {
			t.Fatalf("flexString read %q as %q, json as %q", b, got, want)
		}
	})
}

// FuzzFlexStreaming checks the streaming decoder's reading of flexString and
// flexInt (the live events' one-pass decode) against encoding/json's: what
// both take, they read alike.
func FuzzFlexStreaming(f *testing.F) {
	for _, s := range []string{`"plain"`, `1001`, `-1.5e3`, `null`, `"1001"`, "\"bad \xff byte\"", `"\u00e9"`, `true`, `{}`, `1e400`, `"12.9"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v1s, v2s flexString
		e1, e2 := json.Unmarshal(b, &v1s), jsonv2.Unmarshal(b, &v2s, liveOptions)
		if e1 == nil && e2 == nil && v1s != v2s {
			t.Fatalf("flexString: %q reads %q through encoding/json, %q streaming", b, v1s, v2s)
		}
		var v1i, v2i flexInt
		e1, e2 = json.Unmarshal(b, &v1i), jsonv2.Unmarshal(b, &v2i, liveOptions)
		if e1 == nil && e2 == nil && v1i != v2i {
			t.Fatalf("flexInt: %q reads %+v through encoding/json, %+v streaming", b, v1i, v2i)
		}
	})
}
