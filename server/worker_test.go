package server

import (
	"context"
	"testing"
	"time"
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
