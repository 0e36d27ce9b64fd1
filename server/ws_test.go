package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
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

// downStore is a store whose reads fail while down is set, as Redis's do
// while it restarts.
type downStore struct {
	store.Store
	down atomic.Bool
}

func (d *downStore) Get(ctx context.Context, key string) ([]byte, error) {
	if d.down.Load() {
		return nil, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return d.Store.Get(ctx, key)
}

// A softphone that reconnects while the store does not answer (Redis
// restarting) is told to try again (1013), never to sign in again (4401,
// which the page obeys by forgetting its session): the session may be fine.
func TestWebsocketWhileTheStoreIsDownSaysTryAgain(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	down := &downStore{Store: st}
	s, err := New(testConfig(t, nil), Deps{Store: down, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	tok, err := s.newSession(context.Background(), cti.Agent{OrgID: "00DORG", UserID: "005ALICE"})
	if err != nil {
		t.Fatal(err)
	}
	closeFor := func(token string) error {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", http.Header{"Origin": {testOrigin}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err = ws.ReadMessage()
		return err
	}
	down.down.Store(true)
	if err := closeFor(tok); !websocket.IsCloseError(err, closeTryAgain) {
		t.Fatalf("store down: got %v, want close %d (try again)", err, closeTryAgain)
	}
	down.down.Store(false)
	if err := closeFor("forged"); !websocket.IsCloseError(err, closeAuthFail) {
		t.Fatalf("forged token, store up: got %v, want close %d (sign in)", err, closeAuthFail)
	}
}
