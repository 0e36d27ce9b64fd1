package server

import (
	"encoding/json"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// encodeQueued is the job the intake stores for ev: json.Marshal of
// queuedEvent, byte for byte. A live-call event (most of what Zoom sends)
// is written without reflection when every string in it is plain ASCII
// that JSON carries as it is; anything else goes through json.Marshal.
func encodeQueued(ev *cti.Event, received time.Time) ([]byte, error) {
	if b, ok := appendQueuedLive(make([]byte, 0, 768), ev, received); ok {
		return b, nil
	}
	return json.Marshal(queuedEvent{Event: ev, Received: received})
}

// appendQueuedLive appends what json.Marshal gives for queuedEvent{Event:
// ev, Received: received}, and reports false, leaving the caller to marshal
// it, when ev holds a field of another kind of event, a string that JSON
// escapes, or a time json.Marshal refuses.
func appendQueuedLive(b []byte, ev *cti.Event, received time.Time) ([]byte, bool) {
	if len(ev.Records) > 0 || ev.Recording != nil || ev.Voicemail != nil || ev.SMS != nil || ev.User != nil ||
		ev.Presence != "" || ev.ClientID != "" {
		return b, false
	}
	w := liveWriter{b: b, ok: true}
	w.raw(`{"event":{"id":`)
	w.str(ev.ID)
	w.raw(`,"source":`)
	w.str(ev.Source)
	w.raw(`,"type":`)
	w.str(ev.Type)
	w.raw(`,"kind":`)
	w.str(string(ev.Kind))
	w.raw(`,"account_id":`)
	w.str(ev.AccountID)
	w.raw(`,"at":`)
	w.time(ev.At)
	w.optStr(`,"call_id":`, ev.CallID)
	w.optStr(`,"user_id":`, ev.UserID)
	w.optStr(`,"direction":`, string(ev.Direction))
	w.party(`,"caller":`, ev.Caller)
	w.party(`,"callee":`, ev.Callee)
	if q := ev.Queue; q != nil {
		w.raw(`,"queue":`)
		w.begin()
		w.field("name", q.Name)
		w.field("extension_number", q.ExtensionNumber)
		w.field("extension_type", q.ExtensionType)
		w.field("number", q.Number)
		w.end()
	}
	w.optTime(`,"ringing":`, ev.Ringing)
	w.optTime(`,"answered":`, ev.Answered)
	w.optTime(`,"ended":`, ev.Ended)
	w.optStr(`,"result":`, ev.Result)
	w.raw(`},"received":`)
	w.time(received)
	w.raw(`}`)
	return w.b, w.ok
}

// liveWriter appends JSON, and remembers whether all it was given could be
// written as json.Marshal would without escaping or reflection.
type liveWriter struct {
	b     []byte
	ok    bool
	first bool // no field yet in the object being written
}

func (w *liveWriter) raw(s string) { w.b = append(w.b, s...) }

// str writes s quoted, if json.Marshal would copy every byte of it as it
// is: printable ASCII other than the quote, the backslash and the three it
// escapes for HTML.
func (w *liveWriter) str(s string) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			w.ok = false
			return
		}
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

func (w *liveWriter) optStr(name, s string) {
	if s != "" {
		w.raw(name)
		w.str(s)
	}
}

// time writes t as time.Time's MarshalJSON does, which refuses a year it
// cannot write in four digits.
func (w *liveWriter) time(t time.Time) {
	if y := t.Year(); y < 0 || y > 9999 {
		w.ok = false
		return
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

func (w *liveWriter) optTime(name string, t time.Time) {
	if !t.IsZero() {
		w.raw(name)
		w.time(t)
	}
}

// begin opens an object, whose fields field writes, and end closes it.
func (w *liveWriter) begin() {
	w.b = append(w.b, '{')
	w.first = true
}

func (w *liveWriter) end() { w.b = append(w.b, '}') }

// field writes an omitempty string field of the object being written.
func (w *liveWriter) field(name, s string) {
	if s == "" {
		return
	}
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":`...)
	w.str(s)
}

// party writes an omitzero cti.Party.
func (w *liveWriter) party(name string, p cti.Party) {
	if p == (cti.Party{}) {
		return
	}
	w.raw(name)
	w.begin()
	w.field("user_id", p.UserID)
	w.field("extension_id", p.ExtensionID)
	w.field("extension_type", p.ExtensionType)
	w.field("extension_number", p.ExtensionNumber)
	w.field("name", p.Name)
	w.field("number", p.Number)
	w.field("email", p.Email)
	w.end()
}
