package server

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Every console tab of the agent runs a softphone that hears a call's pop;
// each asks the server, and exactly one of them, the first, may pop it,
// also when they ask at once and when one asks again after a reload.
func TestOneSoftphoneOfTheAgentClaimsACallsPop(t *testing.T) {
	e := newEnv(t)
	token := e.session()
	tabs := []*websocket.Conn{e.dialAs(token), e.dialAs(token), e.dialAs(token)}
	const callID = "7400000000000000941"
	for _, ws := range tabs {
		if err := ws.WriteJSON(map[string]string{"type": "pop", "call_id": callID}); err != nil {
			t.Fatal(err)
		}
	}
	granted := 0
	for _, ws := range tabs {
		m := readMsg(t, ws, "pop_claimed", 5*time.Second)
		if m["call_id"] != callID {
			t.Fatalf("answer %v is for another call", m)
		}
		if m["granted"] == true {
			granted++
		}
	}
	if granted != 1 {
		t.Fatalf("%d of 3 tabs may pop the call, want 1", granted)
	}

	// A reloaded tab asks again: still taken. Another call is its own.
	again := e.dialAs(token)
	for _, tc := range []struct {
		call string
		want bool
	}{{callID, false}, {"7400000000000000942", true}, {"", false}} {
		if err := again.WriteJSON(map[string]string{"type": "pop", "call_id": tc.call}); err != nil {
			t.Fatal(err)
		}
		if m := readMsg(t, again, "pop_claimed", 5*time.Second); m["granted"] != tc.want {
			t.Errorf("claim of call %q: %v, want granted %v", tc.call, m, tc.want)
		}
	}
}
