package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

func mustSubscribe(t *testing.T, s store.Store, channels ...string) store.Subscription {
	t.Helper()
	sub, err := s.Subscribe(ctxFor(t), channels...)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", channels, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func mustPublish(t *testing.T, s store.Store, channel, payload string) {
	t.Helper()
	if err := s.Publish(ctxFor(t), channel, []byte(payload)); err != nil {
		t.Fatalf("Publish(%q): %v", channel, err)
	}
}

func wantMessage(t *testing.T, sub store.Subscription, channel, payload string) {
	t.Helper()
	select {
	case m, ok := <-sub.C():
		if !ok {
			t.Fatalf("subscription closed, want %s on %s", payload, channel)
		}
		if m.Channel != channel || string(m.Payload) != payload {
			t.Fatalf("got %q on %q, want %q on %q", m.Payload, m.Channel, payload, channel)
		}
	case <-time.After(wait):
		t.Fatalf("no message within %v, want %q on %q", wait, payload, channel)
	}
}

// wantClosed drains sub until its channel is closed.
func wantClosed(t *testing.T, sub store.Subscription) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-sub.C():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("subscription channel still open %v after Close", wait)
		}
	}
}

func testPubSub(t *testing.T, s store.Store, _ func(time.Duration)) {
	a := mustSubscribe(t, s, "agent:1", "agent:2")
	b := mustSubscribe(t, s, "agent:2")

	// b is not subscribed to agent:1, so the first thing it sees is the
	// second message; per-publisher order is kept.
	mustPublish(t, s, "agent:1", "ring")
	mustPublish(t, s, "agent:2", "pop")
	wantMessage(t, a, "agent:1", "ring")
	wantMessage(t, a, "agent:2", "pop")
	wantMessage(t, b, "agent:2", "pop")

	// A channel nobody listens to is fine.
	mustPublish(t, s, "agent:3", "nobody")

	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantClosed(t, a)
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Closing one subscription leaves the other working.
	mustPublish(t, s, "agent:2", "still here")
	wantMessage(t, b, "agent:2", "still here")
}

func testPubSubSlowSubscriber(t *testing.T, s store.Store, _ func(time.Duration)) {
	stuck := mustSubscribe(t, s, "flood")
	live := mustSubscribe(t, s, "live")
	// Far more than any buffer: if Publish waited on the reader, this would
	// never finish.
	for i := range 2000 {
		mustPublish(t, s, "flood", fmt.Sprint(i))
	}
	mustPublish(t, s, "live", "ok")
	wantMessage(t, live, "live", "ok")
	// The stuck reader got the start of the flood, in order.
	wantMessage(t, stuck, "flood", "0")
	wantMessage(t, stuck, "flood", "1")
}

func testCloseEndsSubscriptions(t *testing.T, s store.Store, _ func(time.Duration)) {
	sub := mustSubscribe(t, s, "agent:1")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantClosed(t, sub)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
