package zoomsim_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// newRedeliverer is a Redeliverer on a fake clock delivering to a receiver
// that checks every delivery's signature (newReceiver).
func newRedeliverer(t *testing.T, stamp zoomsim.RetryStamp) (*zoomsim.Redeliverer, *receiver, *fakeClock) {
	t.Helper()
	clock := newClock()
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, clock.Now)
	s := &zoomsim.Sender{URL: rc.URL, Secret: zoomsim.DefaultWebhookSecret, Clock: clock.Now}
	return zoomsim.NewRedeliverer(s, stamp), rc, clock
}

// TestRedelivererFollowsZoomsSchedule: an event never acknowledged is sent
// at 0, +5, +25 and +85 minutes (reference/zoom.md §1.6), and never again.
func TestRedelivererFollowsZoomsSchedule(t *testing.T) {
	ctx := context.Background()
	r, rc, clock := newRedeliverer(t, zoomsim.FreshStamp)
	rc.setStatus(http.StatusServiceUnavailable)
	start := clock.Now()
	if a := r.Deliver(ctx, []byte(`{"event":"phone.callee_ringing"}`)); a.Err == nil || a.Retry != 0 {
		t.Fatalf("first attempt: %+v, want an unacknowledged attempt 0", a)
	}
	var sent []time.Duration
	// Minute by minute for six hours: only the schedule's minutes send.
	for range 6 * 60 {
		clock.Advance(time.Minute)
		for _, a := range r.RetryDue(ctx) {
			if a.Err == nil {
				t.Fatalf("retry %d acknowledged by an endpoint answering 503", a.Retry)
			}
			sent = append(sent, a.At.Sub(start))
		}
	}
	want := []time.Duration{5 * time.Minute, 25 * time.Minute, 85 * time.Minute}
	if len(sent) != len(want) {
		t.Fatalf("retries at %v, want %v", sent, want)
	}
	for i := range want {
		if sent[i] != want[i] {
			t.Fatalf("retries at %v, want %v", sent, want)
		}
	}
	if n := len(rc.received()); n != 4 {
		t.Fatalf("endpoint got %d deliveries, want 4 (the first and three retries)", n)
	}
	if r.Pending() != 0 {
		t.Fatalf("%d events still pending after the third retry", r.Pending())
	}
}

// TestRedelivererOnAShorterSchedule: Delays keeps Zoom's three retries on
// another schedule (zoomcti faults reads Zoom's minutes as seconds).
func TestRedelivererOnAShorterSchedule(t *testing.T) {
	ctx := context.Background()
	r, rc, clock := newRedeliverer(t, zoomsim.FreshStamp)
	r.Delays = []time.Duration{5 * time.Second, 20 * time.Second, 60 * time.Second}
	rc.setStatus(http.StatusBadGateway)
	start := clock.Now()
	r.Deliver(ctx, []byte(`{"event":"phone.callee_ringing"}`))
	var sent []time.Duration
	for range 120 {
		clock.Advance(time.Second)
		for _, a := range r.RetryDue(ctx) {
			sent = append(sent, a.At.Sub(start))
		}
	}
	want := []time.Duration{5 * time.Second, 25 * time.Second, 85 * time.Second}
	if len(sent) != len(want) || sent[0] != want[0] || sent[1] != want[1] || sent[2] != want[2] {
		t.Fatalf("retries at %v, want %v", sent, want)
	}
	if r.Pending() != 0 || len(rc.received()) != 4 {
		t.Fatalf("%d pending, %d deliveries; want 0 and 4", r.Pending(), len(rc.received()))
	}
	// No delays: no retries at all.
	r.Delays = []time.Duration{}
	r.Deliver(ctx, []byte(`{"event":"phone.callee_answered"}`))
	if r.Pending() != 0 {
		t.Fatal("an event is pending with an empty schedule")
	}
}

// TestRedelivererStopsOnceAcknowledged: a retry that gets a 2xx is the last.
func TestRedelivererStopsOnceAcknowledged(t *testing.T) {
	ctx := context.Background()
	r, rc, clock := newRedeliverer(t, zoomsim.FreshStamp)
	rc.setStatus(http.StatusInternalServerError)
	r.Deliver(ctx, []byte(`{"event":"phone.callee_ended"}`))
	clock.Advance(4*time.Minute + 59*time.Second)
	if got := r.RetryDue(ctx); len(got) != 0 {
		t.Fatalf("%d retries before +5 min", len(got))
	}
	rc.setStatus(http.StatusNoContent)
	clock.Advance(time.Second)
	got := r.RetryDue(ctx)
	if len(got) != 1 || got[0].Err != nil || got[0].Retry != 1 {
		t.Fatalf("retry at +5 min: %+v, want retry 1 acknowledged", got)
	}
	clock.Advance(3 * time.Hour)
	if got := r.RetryDue(ctx); len(got) != 0 || r.Pending() != 0 {
		t.Fatalf("%d retries (%d pending) after an acknowledged one", len(got), r.Pending())
	}
	if n := len(rc.received()); n != 2 {
		t.Fatalf("endpoint got %d deliveries, want 2", n)
	}
	// An acknowledged first attempt is never retried.
	r.Deliver(ctx, []byte(`{"event":"phone.callee_answered"}`))
	clock.Advance(2 * time.Hour)
	if got := r.RetryDue(ctx); len(got) != 0 || r.Pending() != 0 {
		t.Fatalf("an acknowledged event was retried: %+v", got)
	}
}

// TestRedelivererStampsRetries: a retry carries the time it is sent, or
// the first attempt's timestamp, and is correctly signed for the one it
// carries (the receiver checks) with the same tracking id.
func TestRedelivererStampsRetries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stamp zoomsim.RetryStamp
	}{{"fresh", zoomsim.FreshStamp}, {"original", zoomsim.OriginalStamp}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r, rc, clock := newRedeliverer(t, tc.stamp)
			rc.setStatus(http.StatusBadGateway)
			first := r.Deliver(ctx, []byte(`{"event":"phone.caller_ended"}`))
			for _, d := range zoomsim.RetryDelays() {
				clock.Advance(d)
				got := r.RetryDue(ctx)
				if len(got) != 1 {
					t.Fatalf("%d retries after %v", len(got), d)
				}
				want := first.Timestamp
				if tc.stamp == zoomsim.FreshStamp {
					want = strconv.FormatInt(clock.Now().Unix(), 10)
				}
				if got[0].Timestamp != want {
					t.Fatalf("retry %d carries %s, want %s", got[0].Retry, got[0].Timestamp, want)
				}
			}
			for i := range 4 {
				req := rc.request(i)
				if req.Header.Get(zoom.HeaderTrackingID) != rc.request(0).Header.Get(zoom.HeaderTrackingID) {
					t.Fatalf("delivery %d has another tracking id", i)
				}
			}
		})
	}
}
