package server

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// connsOf is how many sockets of agentKey the hub holds.
func connsOf(s *Server, agentKey string) int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return len(s.hub.conns[agentKey])
}

// A socket that never authenticates is closed once the auth wait is over.
func TestWebsocketAuthTimeoutCloses(t *testing.T) {
	e := newEnv(t)
	e.s.authWait.Store(int64(100 * time.Millisecond))
	ws, _, err := e.dial(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if code := closedWith(t, ws, 5*time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want %d", code, websocket.ClosePolicyViolation)
	}
}

// A message over wsReadLimit closes the socket; one just under it is served.
func TestWebsocketReadLimitCloses(t *testing.T) {
	e := newEnv(t)
	ws := e.dialAs(e.session())
	pad := func(n int) string {
		return `{"type":"ping","pad":"` + strings.Repeat("a", n-len(`{"type":"ping","pad":""}`)) + `"}`
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(pad(wsReadLimit))); err != nil {
		t.Fatal(err)
	}
	readMsg(t, ws, "pong", 5*time.Second)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(pad(wsReadLimit+1))); err != nil {
		t.Fatal(err)
	}
	if code := closedWith(t, ws, 5*time.Second); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
}

// Thousands of small messages neither grow the server's heap nor block the
// hub: afterwards a push still reaches the socket (or the socket was closed).
func TestWebsocketFloodIsBounded(t *testing.T) {
	e := newEnv(t)
	ws := e.dialAs(e.session())
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	msgs := []string{`{"type":"ping"}`, `{"type":"nope"}`, `{}`, `{"type":"dial","number":"+12025550142"}`}
	for i := range 5000 {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msgs[i%len(msgs)])); err != nil {
			return // closed by the server: allowed
		}
	}
	key := e.s.demoAgent.Key()
	if err := e.s.hub.Notify(context.Background(), key, map[string]string{"type": "after_flood"}); err != nil {
		t.Fatal(err)
	}
	// The server may drop the socket instead (its pongs filled the send
	// buffer of a client that was not reading): allowed, so long as the
	// hub lets go of it. Only waiting in vain is a failure.
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("no after_flood within 10 s, and the socket is still open")
		}
		if err != nil {
			waitFor(t, 5*time.Second, func() bool { return connsOf(e.s, key) == 0 }, "the hub to let go of the dropped socket")
			return
		}
		if strings.Contains(string(b), `"after_flood"`) {
			break
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 16<<20 {
		t.Fatalf("heap grew by %d MB over the flood", grown>>20)
	}
	if n := connsOf(e.s, key); n != 1 {
		t.Fatalf("hub holds %d sockets of the agent, want 1", n)
	}
}

// A softphone that never reads is dropped; pushes to it and to another agent
// never block, and the other agent still gets its own.
func TestWebsocketSlowReaderIsDropped(t *testing.T) {
	slow(t)
	e := newEnv(t)
	slowKey := e.s.demoAgent.Key()
	e.dialAs(e.session()) // never read again
	fast := e.dialAs(e.adminSession())
	fastKey := e.org.OrgID() + ":" + e.org.AdminUser().ID

	big := strings.Repeat("x", 64<<10)
	done := make(chan error, 1)
	go func() {
		for range 4 * wsSendBuffer {
			if err := e.s.hub.Notify(context.Background(), slowKey, map[string]string{"type": "big", "pad": big}); err != nil {
				done <- err
				return
			}
		}
		done <- e.s.hub.Notify(context.Background(), fastKey, map[string]string{"type": "for_fast"})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Notify blocked on a slow softphone")
	}
	readMsg(t, fast, "for_fast", 10*time.Second)
	waitFor(t, 20*time.Second, func() bool { return connsOf(e.s, slowKey) == 0 }, "slow softphone dropped")
	if n := connsOf(e.s, fastKey); n != 1 {
		t.Fatalf("the other agent has %d sockets, want 1", n)
	}
}

// A token whose session was signed out cannot open a socket.
func TestWebsocketSignedOutTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	token := e.session()
	e.signOut(token)
	ws, _, err := e.dial(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		t.Fatal(err)
	}
	if code := closedWith(t, ws, 5*time.Second); code != closeAuthFail {
		t.Fatalf("close code %d, want %d", code, closeAuthFail)
	}
}
