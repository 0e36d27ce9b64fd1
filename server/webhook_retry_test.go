package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// shiftClock is real time moved forward by the test: the server's
// timestamp check and zoomsim's Redeliverer share it, so Zoom's retries
// 85 minutes later take no time at all.
type shiftClock struct{ off atomic.Int64 }

func (c *shiftClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *shiftClock) Advance(d time.Duration) { c.off.Add(int64(d)) }
func (c *shiftClock) advanceTo(start time.Time, d time.Duration) {
	c.Advance(start.Add(d).Sub(c.Now()))
}

// flakyFront stands before the server's webhook route and fails the first
// failures attempts at each body: with lose false the server never sees
// them (a 503 from a proxy, a connection cut); with lose true the server
// takes the event but its answer is lost and Zoom sees a 503 (an answer
// later than 3 s looks the same to Zoom).
type flakyFront struct {
	h        http.Handler
	failures int
	lose     bool
	mu       sync.Mutex
	seen     map[[32]byte]int
}

func (f *flakyFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r.Body, r.ContentLength)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	k := sha256.Sum256(body)
	f.mu.Lock()
	f.seen[k]++
	fail := f.seen[k] <= f.failures
	f.mu.Unlock()
	if !fail {
		f.h.ServeHTTP(w, r)
		return
	}
	if f.lose {
		f.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	http.Error(w, "unavailable", http.StatusServiceUnavailable)
}

// retryEnv is a running server with workers whose webhook route sits
// behind a flakyFront, and a Redeliverer delivering to it on a shifted
// clock.
func retryEnv(t *testing.T, stamp zoomsim.RetryStamp, failures int, lose bool) (*env, *zoomsim.Redeliverer, *shiftClock) {
	t.Helper()
	clock := &shiftClock{}
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) { s.now = clock.Now })
	front := httptest.NewServer(&flakyFront{h: e.s.Handler(), failures: failures, lose: lose, seen: map[[32]byte]int{}})
	t.Cleanup(front.Close)
	snd := &zoomsim.Sender{URL: front.URL + "/webhooks/zoom", Secret: testSecret, Client: http.DefaultClient, Clock: clock.Now}
	return e, zoomsim.NewRedeliverer(snd, stamp), clock
}

func answerStatus(a zoomsim.Attempt) string {
	var v struct{ Status string }
	if a.Delivery != nil {
		_ = json.Unmarshal(a.Delivery.Body, &v)
	}
	return v.Status
}

// TestWebhookTakesZoomsRetries: every event of a call fails its first
// attempts; Zoom's retry, whether it carries a fresh timestamp or the
// first attempt's (whether Zoom re-signs is UNCONFIRMED), even 85 minutes
// old, is taken, stored once, and the call is logged once. When the server
// had taken the event and only its answer was lost, the retry is answered
// "duplicate" and nothing is stored twice.
func TestWebhookTakesZoomsRetries(t *testing.T) {
	tests := []struct {
		name     string
		stamp    zoomsim.RetryStamp
		failures int  // attempts at each event that fail
		lose     bool // the server took the failed attempts
		want     string
	}{
		{"fresh timestamp, retry at +5 min", zoomsim.FreshStamp, 1, false, "received"},
		{"original timestamp, retry at +5 min", zoomsim.OriginalStamp, 1, false, "received"},
		{"original timestamp, retry at +85 min", zoomsim.OriginalStamp, 3, false, "received"},
		{"fresh timestamp, answer lost, retry at +5 min", zoomsim.FreshStamp, 1, true, "duplicate"},
		{"original timestamp, answer lost, retry at +85 min", zoomsim.OriginalStamp, 3, true, "duplicate"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e, r, clock := retryEnv(t, tc.stamp, tc.failures, tc.lose)
			callID := fmt.Sprintf("79100000000000000%02d", i)
			bodies, err := sim().Inbound(simSpec(callID))
			if err != nil {
				t.Fatal(err)
			}
			start := clock.Now()
			for _, b := range bodies {
				if a := r.Deliver(ctx, b); a.Err == nil {
					t.Fatalf("first attempt acknowledged through a failing front")
				}
			}
			var last []zoomsim.Attempt
			for _, at := range []time.Duration{5 * time.Minute, 25 * time.Minute, 85 * time.Minute}[:tc.failures] {
				// A second later: the call's deliveries took some real time.
				clock.advanceTo(start, at+time.Second)
				last = r.RetryDue(ctx)
				if len(last) != len(bodies) {
					t.Fatalf("+%v: %d retries, want %d", at, len(last), len(bodies))
				}
			}
			for _, a := range last {
				if a.Err != nil || answerStatus(a) != tc.want {
					t.Fatalf("retry %d (timestamp %s, %v after the first attempt): %v %q, want 200 %q",
						a.Retry, a.Timestamp, a.At.Sub(start), a.Err, answerStatus(a), tc.want)
				}
			}
			if r.Pending() != 0 {
				t.Fatalf("%d events still pending after an acknowledged retry", r.Pending())
			}
			e.drain()
			if n := len(e.tasks(callID)); n != 1 {
				t.Fatalf("%d Tasks for the call, want 1", n)
			}
			if got := acceptedWebhooks(e.s); got != len(bodies) {
				t.Fatalf("%d events accepted, want %d (each once)", got, len(bodies))
			}
		})
	}
}

// TestWebhookRefusesADeliveryOlderThanZoomsLastRetry: a correctly signed
// delivery whose timestamp is 91 minutes old is refused (401) and nothing
// is stored, while one 85 minutes old is taken.
func TestWebhookRefusesADeliveryOlderThanZoomsLastRetry(t *testing.T) {
	ctx := context.Background()
	e, _, clock := retryEnv(t, zoomsim.OriginalStamp, 0, false)
	start := clock.Now()
	// A Sender whose clock stopped at start stamps every delivery with it.
	old := &zoomsim.Sender{URL: e.url + "/webhooks/zoom", Secret: testSecret, Client: http.DefaultClient, Clock: func() time.Time { return start }}
	bodies, err := sim().Inbound(simSpec("7910000000000000091"))
	if err != nil {
		t.Fatal(err)
	}
	clock.advanceTo(start, 91*time.Minute)
	d, err := old.Send(ctx, bodies[0])
	if err == nil || d == nil || d.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a delivery stamped 91 minutes ago: %+v, %v; want 401", d, err)
	}
	if n, _ := e.s.eventBacklog(ctx); n != 0 {
		t.Fatalf("%d events stored after a refused delivery", n)
	}
	clock.advanceTo(start, 85*time.Minute)
	if d, err := old.Send(ctx, bodies[0]); err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("a delivery stamped 85 minutes ago: %+v, %v; want 200", d, err)
	}
}
