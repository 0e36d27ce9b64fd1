package server

import (
	"context"
	"testing"
	"time"
)

// The softphone dials through the embed once the server noted the record
// clicked from, and dials the number as the org's phone rules read it.
func TestDialIsNotedBeforeTheSoftphoneDials(t *testing.T) {
	e := newEnv(t)
	ws := e.dialAs(e.session())
	if err := ws.WriteJSON(map[string]string{"type": "dial", "number": "(202) 555-0142", "record_id": "003000000000001AAA", "object_type": "Contact"}); err != nil {
		t.Fatal(err)
	}
	m := readMsg(t, ws, "dial_noted", 5*time.Second)
	if m["number"] != "(202) 555-0142" || m["e164"] != "+12025550142" {
		t.Errorf("dial_noted = %v, want the number as clicked and +12025550142", m)
	}
	if keys, _ := e.st.Keys(context.Background(), "dial:"); len(keys) != 1 {
		t.Errorf("dial notes on the server when the softphone is told to dial: %v", keys)
	}
}

// While the agent is asked to confirm a click to dial, the softphone shows
// the number the call would dial (+ and country code), and nothing is
// noted: a call the agent then makes some other way is not taken for it.
func TestDialPreviewNotesNothing(t *testing.T) {
	e := newEnv(t)
	ws := e.dialAs(e.session())
	for _, tc := range []struct{ number, want string }{
		{"(202) 555-0142", "+12025550142"},
		{"+44 20 7946 0018", "+442079460018"},
		{"not a number", ""},
	} {
		if err := ws.WriteJSON(map[string]string{"type": "dial_preview", "number": tc.number}); err != nil {
			t.Fatal(err)
		}
		if m := readMsg(t, ws, "dial_preview", 5*time.Second); m["number"] != tc.number || m["e164"] != tc.want {
			t.Errorf("dial_preview of %q = %v, want %q", tc.number, m, tc.want)
		}
	}
	if keys, _ := e.st.Keys(context.Background(), "dial:"); len(keys) != 0 {
		t.Errorf("dial notes after previews only: %v", keys)
	}
}
