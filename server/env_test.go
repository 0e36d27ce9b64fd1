package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
)

// env is a running server with workers, an emulated org behind it and the
// org's demo user signed in and linked to Alice's Zoom account. No browser.
type env struct {
	t     *testing.T
	s     *Server
	st    store.Store
	org   *sfsim.Org
	sfURL string
	url   string // the server's base URL
}

func newEnv(t *testing.T) *env {
	t.Helper()
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	t.Cleanup(sf.Close)
	s, st := newTestServer(t, func(c *Config) { c.SFLoginURL = sf.URL })
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.linkDemoAgent(ctx, org, sf.URL); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		s.Wait()
	})
	return &env{t: t, s: s, st: st, org: org, sfURL: sf.URL, url: hs.URL}
}

func (e *env) send(body []byte) {
	e.t.Helper()
	snd := &zoomsim.Sender{URL: e.url + "/webhooks/zoom", Secret: testSecret, Client: http.DefaultClient}
	d, err := snd.Send(context.Background(), body)
	if err != nil || d.StatusCode != http.StatusOK {
		e.t.Fatalf("send: %v err %v", d, err)
	}
}

func (e *env) drain() {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ev, _ := e.st.Len(ctx, eventQueue)
		ob, _ := e.st.Len(ctx, cti.OutboxQueue)
		if ev == 0 && ob == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatal("queues did not drain")
}

func (e *env) tasks(callID string) []map[string]any {
	var out []map[string]any
	for _, r := range e.org.Records("Task") {
		if r["CallObject"] == callID {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) contact(phone string) string {
	e.t.Helper()
	for _, r := range e.org.Records("Contact") {
		if r["Phone"] == phone {
			return r["Id"].(string)
		}
	}
	e.t.Fatalf("no Contact with Phone %s", phone)
	return ""
}

// session signs the linked demo agent in and returns a softphone token.
func (e *env) session() string {
	e.t.Helper()
	tok, err := e.s.newSession(context.Background(), *e.s.demoAgent)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// dial opens the softphone websocket as the page would (same origin).
func (e *env) dial(origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws", h)
}

// readMsg reads the next JSON message of type typ, skipping others.
func readMsg(t *testing.T, ws *websocket.Conn, typ string, within time.Duration) map[string]any {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(within))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("bad message %s", b)
		}
		if m["type"] == typ {
			return m
		}
	}
}

// sim builds Zoom event sequences; it knows the fixtures' users.
func sim() *zoomsim.Zoom { return zoomsim.New(zoomsim.Options{}) }

// simSpec is an answered inbound call from Ada Lovelace to the demo agent.
func simSpec(callID string) zoomsim.CallSpec {
	return zoomsim.CallSpec{CallID: callID, From: "+12025550142", To: DemoZoomUserID, Talk: 30 * time.Second}
}
