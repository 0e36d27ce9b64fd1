package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// On shutdown an instance stops listening, then tells its softphones it is
// going away (1001), which the page answers by reconnecting: through the
// proxy, to another instance, since this one refuses connections already.
func TestShutdownSendsSoftphonesElsewhere(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	s, _ := newTestServer(t, func(c *Config) { c.SFLoginURL = sf.URL })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.linkDemoAgent(ctx, org, sf.URL); err != nil {
		t.Fatal(err)
	}
	tok, err := s.newSession(ctx, *s.demoAgent)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Origin": {testOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": tok}); err != nil {
		t.Fatal(err)
	}
	readMsg(t, ws, "hello", 10*time.Second)

	cancel()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err = ws.ReadMessage()
		if err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("on shutdown the softphone got %v, want close %d (going away)", err, websocket.CloseGoingAway)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the instance still takes connections after sending its softphones away")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// While it shuts down an instance is not ready, and a softphone that still
// reaches it (over a proxy's kept-alive connection) is refused, to try again
// elsewhere.
func TestShuttingDownInstanceTakesNoSoftphones(t *testing.T) {
	s, _ := newTestServer(t, nil)
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	s.draining.Store(true)
	resp, err := http.Get(hs.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while shutting down: %d, want 503", resp.StatusCode)
	}
	_, resp, err = websocket.DefaultDialer.Dial("ws"+hs.URL[len("http"):]+"/ws", http.Header{"Origin": {testOrigin}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("websocket while shutting down: %v (response %v), want 503", err, resp)
	}
}
