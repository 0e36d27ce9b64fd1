package server

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
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
	go func() { s.claimLoop(ctx, eventQueue); s.Wait(); close(done) }()
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

// hourlyPolls makes the claim loops of queues look for work only every
// hour: what is done in a test then was done without waiting for a poll.
func hourlyPolls(queues ...string) func(*Server) {
	return func(s *Server) {
		s.poll = func(q string) time.Duration {
			if slices.Contains(queues, q) {
				return time.Hour
			}
			return pollInterval
		}
	}
}

// claimCounter counts the jobs claimed from its store.
type claimCounter struct {
	store.Store
	n atomic.Int64
}

func (c *claimCounter) Claim(ctx context.Context, queue string, lease time.Duration) (*store.Job, error) {
	job, err := c.Store.Claim(ctx, queue, lease)
	if job != nil {
		c.n.Add(1)
	}
	return job, err
}

// A call's events and its Task are run by the instance that took the
// webhooks, at once: no claim loop has to find them, and none claims one.
func TestCallIsHandledWithoutWaitingForAClaim(t *testing.T) {
	claims := &claimCounter{}
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		claims.Store = s.store
		s.store = claims
	})
	e.playCall("7700000000000000041")
	if n := len(e.tasks("7700000000000000041")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
	if n := claims.n.Load(); n != 0 {
		t.Fatalf("%d jobs claimed by a claim loop, want none", n)
	}
}

// A Task handed to the outbox for anyone to claim (a saved wrap-up) is
// written at once: the enqueue wakes this instance's claim loop, which here
// would otherwise look for work only every hour.
func TestOutboxJobWakesTheWorkers(t *testing.T) {
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), hourlyPolls(cti.OutboxQueue))
	e.setSettings(func(s *cti.Settings) { s.AutoSaveCallLogs = false })
	token := e.session()
	e.playCall("7700000000000000042")
	if status, out := e.api(http.MethodPost, "/api/calllogs/7700000000000000042", token, map[string]any{"notes": "called back"}); status != http.StatusAccepted {
		t.Fatalf("save: %d %v", status, out)
	}
	e.drain()
	if n := len(e.tasks("7700000000000000042")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
}
