package server

import (
	"context"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// A queued event that can never be decoded is set aside as dead and acked,
// not retried forever behind the good ones.
func TestWorkerSetsAsideAMalformedJob(t *testing.T) {
	s, st := newTestServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	bg := context.Background()
	tests := []struct {
		name    string
		payload string
	}{
		{"not JSON", `not json`},
		{"a body that is no Zoom event", `{"body":{"payload":[]},"received":"2026-03-04T15:00:00Z"}`},
	}
	ids := map[string]string{}
	for _, tc := range tests {
		id, err := st.Enqueue(bg, eventQueue, []byte(tc.payload))
		if err != nil {
			t.Fatal(err)
		}
		ids[tc.name] = id
	}
	done := make(chan struct{})
	go func() { s.runQueue(ctx, eventQueue, s.processEvent); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := st.Len(bg, eventQueue)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d malformed jobs still queued: retried instead of set aside", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := st.Get(bg, "dead:"+eventQueue+":"+ids[tc.name])
			if err != nil || string(b) != tc.payload {
				t.Errorf("dead letter %q (err %v), want the payload", b, err)
			}
		})
	}
}

// A Task the engine hands to the outbox is written at once: the enqueue
// wakes this instance's outbox workers, which here would otherwise look for
// work only every hour.
func TestOutboxJobWakesTheWorkers(t *testing.T) {
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		s.poll = func(q string) time.Duration {
			if q == cti.OutboxQueue {
				return time.Hour
			}
			return pollInterval
		}
	})
	e.playCall("7700000000000000042")
	if n := len(e.tasks("7700000000000000042")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
}
