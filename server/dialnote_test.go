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
