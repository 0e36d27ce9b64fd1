package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

const testOrigin = "http://zoomcti.test" // newTestServer's public URL

func TestWebsocketRefusesForeignOrigins(t *testing.T) {
	e := newEnv(t)
	for _, origin := range []string{"", "https://evil.example", "http://zoomcti.test.evil.example"} {
		_, resp, err := e.dial(origin)
		if err == nil {
			t.Fatalf("origin %q: connected", origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: response %v, want 403", origin, resp)
		}
	}
}

func TestWebsocketNeedsAValidToken(t *testing.T) {
	e := newEnv(t)
	ws, _, err := e.dial(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": "forged"}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, closeAuthFail) {
		t.Fatalf("forged token: got %v, want close %d", err, closeAuthFail)
	}
}

func TestWebsocketDeliversToTheAgentAndResendsTheActiveCall(t *testing.T) {
	e := newEnv(t)
	token := e.session()
	connect := func() *websocket.Conn { return e.dialAs(token) }
	ws := connect()
	ada := e.contact("+12025550142")
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: "7400000000000000501", From: "+12025550142", To: DemoZoomUserID})
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0]) // ringing
	m := readMsg(t, ws, "call", 10*time.Second)
	pop, _ := m["pop"].(map[string]any)
	if pop == nil || pop["kind"] != "record" || pop["record_id"] != ada {
		t.Fatalf("pop = %v, want record %s", m["pop"], ada)
	}

	// A softphone that reconnects mid-call gets the call again.
	ws.Close()
	again := connect()
	m = readMsg(t, again, "call", 5*time.Second)
	call, _ := m["call"].(map[string]any)
	if call["id"] != "7400000000000000501" || m["resent"] != true {
		t.Fatalf("after reconnect got %v, want the active call resent", m)
	}

	// Another agent's call never reaches this softphone.
	other, err := sim().Inbound(zoomsim.CallSpec{CallID: "7400000000000000502", From: "+12025550142", To: "FAKEuserBob0000000002"})
	if err != nil {
		t.Fatal(err)
	}
	e.send(other[0])
	e.drain()
	_ = again.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, b, err := again.ReadMessage(); err == nil {
		t.Fatalf("got another agent's message: %s", b)
	}
}
