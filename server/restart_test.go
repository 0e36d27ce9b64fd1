package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// An event the server acknowledged is not lost when the server stops before
// processing it: the embedded store keeps it, and the next run logs the call.
func TestAcknowledgedEventsSurviveARestart(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	path := filepath.Join(t.TempDir(), "zoomcti.db")
	cfg := testConfig(t, func(c *Config) { c.StorePath, c.SFLoginURL = path, sf.URL })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *Server {
		st, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, Deps{Store: st, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// First run: the agent signs in; Zoom delivers a whole call; the server
	// acknowledges every event but its workers never run.
	s := open()
	if err := s.linkDemoAgent(context.Background(), org, sf.URL); err != nil {
		t.Fatal(err)
	}
	const callID = "7400000000000000601"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: "+12025550142", To: DemoZoomUserID, Talk: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	for _, b := range bodies {
		snd := &zoomsim.Sender{URL: hs.URL + "/webhooks/zoom", Secret: testSecret}
		if d, err := snd.Send(context.Background(), b); err != nil || d.StatusCode != 200 {
			t.Fatalf("send: %v %v", d, err)
		}
	}
	hs.Close()
	s.store.Close()

	// Second run, same file: the workers catch up and log the call once.
	s = open()
	defer s.store.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); s.Wait() }()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, st: s.store, org: org}
	e.drain()
	if n := len(e.tasks(callID)); n != 1 {
		t.Fatalf("%d Tasks after the restart, want 1", n)
	}
}
