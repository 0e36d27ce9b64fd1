package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// heapNow is the live heap after a full collection.
func heapNow(t *testing.T) uint64 {
	t.Helper()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestHostileInputKeepsHeapFlat plays the attack of issue 8: 1,000 OAuth
// callbacks with 500 KB error values, then 300 slow 1 MiB webhook bodies
// with a fresh timestamp, in flight together, from 250 loopback addresses
// so the rate limit does not hide anything. The heap while the bodies are
// in flight stays within the body budget, and afterwards within a few MB of
// where it started.
func TestHostileInputKeepsHeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("sends about 800 MB over loopback")
	}
	const budget = 4 << 20
	s, _ := newTestServer(t, func(c *Config) { c.BodyBudget = budget })
	s.bodyReadTimeout = 5 * time.Second
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	// Warm up what every request needs once (templates, pools, the
	// store's first pages), so that only what the attack keeps is counted.
	if _, err := Hostile(ctx, HostileOptions{BaseURL: srv.URL, Callbacks: 20, ErrorSize: 500_000, Webhooks: 10, WebhookSize: 1 << 20, Sources: 250}); err != nil {
		t.Fatal(err)
	}
	before := heapNow(t)
	var during uint64
	res, err := Hostile(ctx, HostileOptions{
		BaseURL: srv.URL, Callbacks: 1000, ErrorSize: 500_000,
		Webhooks: 300, WebhookSize: 1 << 20, Trickle: 500 * time.Millisecond,
		Sources:  250,
		InFlight: func() { during = heapNow(t) },
	})
	if err != nil {
		t.Fatal(err)
	}
	after := heapNow(t)
	const mb = 1 << 20
	t.Logf("heap before %.1f MB, with the bodies in flight %.1f MB, after %.1f MB; callbacks %v, webhooks %v",
		float64(before)/mb, float64(during)/mb, float64(after)/mb, res.Callbacks, res.Webhooks)

	if res.Callbacks[http.StatusTooManyRequests] > 0 || res.Webhooks[http.StatusTooManyRequests] > 0 {
		t.Errorf("rate limited: the attack must come from enough addresses to reach the handlers")
	}
	for status, n := range res.Callbacks {
		if status <= 0 {
			t.Errorf("%d callbacks could not start a sign-in (status %d)", n, -status)
		}
	}
	if n := res.Webhooks[0]; n > 0 {
		t.Errorf("%d webhooks got no answer", n)
	}
	if during > before+budget+8*mb {
		t.Errorf("heap with the bodies in flight is %.1f MB over the start; want at most the %d MB budget and a few MB",
			float64(during-before)/mb, budget/mb)
	}
	if after > before+3*mb {
		t.Errorf("heap after the attack is %.1f MB over the start; want at most 3 MB", float64(after-before)/mb)
	}
}
