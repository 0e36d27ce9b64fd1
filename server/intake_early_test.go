package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// A ringing event is looked up while its intake write is on its way; when
// that write fails (Zoom is answered 503), the early run commits nothing and
// pops nothing, and Zoom's retry pops the call once.
func TestRingingRunBeforeItsWriteCommitsOnlyIfTheWriteDid(t *testing.T) {
	var f *faultStore
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		f = &faultStore{Store: s.store} // the intake's store; the engine keeps its own
		s.store = f
	})
	ws := e.connectSoftphone()
	bodies, err := sim().Inbound(simSpec("7700000000000000051"))
	if err != nil {
		t.Fatal(err)
	}
	ringing := bodies[0]
	snd := &zoomsim.Sender{URL: e.url + "/webhooks/zoom", Secret: testSecret, Client: http.DefaultClient}

	f.failEnqueue.Store(true)
	d, err := snd.Send(context.Background(), ringing)
	if d == nil || d.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("delivery whose write fails: %+v, %v; want 503", d, err)
	}
	e.waitIdle()
	if m, err := e.s.engine.ActiveCall(context.Background(), *e.s.demoAgent); err != nil || m != nil {
		t.Fatalf("after a failed intake the call is stored: %+v, %v", m, err)
	}

	f.failEnqueue.Store(false)
	e.send(ringing) // Zoom's retry
	m := readMsg(t, ws, "call", 10*time.Second)
	if m["pop"] == nil {
		t.Fatalf("the retry's message has no pop: %v", m)
	}
	e.waitIdle()
	for _, b := range bodies[1:] {
		e.send(b)
	}
	e.drain()
	if n := len(e.tasks("7700000000000000051")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for the Task's message: %v", err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["type"] == "logged" {
			break
		}
		if m["pop"] != nil && m["resent"] != true {
			t.Fatalf("a second pop: %v", m)
		}
	}
}

// waitIdle waits until this instance holds no job.
func (e *env) waitIdle() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.s.jobs.inflight) > 0 {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d jobs still in hand", len(e.s.jobs.inflight))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
