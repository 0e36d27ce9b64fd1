package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server"
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
	srv := httptest.NewServer(hostileTestServer(t, budget>>20).Handler())
	t.Cleanup(srv.Close)

	// A bound for a hang, not a measure: under -race on a loaded 2-core
	// machine the attack alone takes over a minute.
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
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

// hostileTestServer is a zoomcti with its production settings, dummy
// secrets and a body budget of budgetMB, without its workers.
func hostileTestServer(t *testing.T, budgetMB int, extra ...string) *server.Server {
	t.Helper()
	env := map[string]string{
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "hostile-test-webhook-secret",
		"ZOOMCTI_ENCRYPTION_KEY":      benchKey(),
		"ZOOMCTI_SF_CLIENT_ID":        "hostile-client-id",
		"ZOOMCTI_SF_CLIENT_SECRET":    "hostile-client-secret",
		"ZOOMCTI_STORE_PATH":          filepath.Join(t.TempDir(), "hostile.db"),
		"ZOOMCTI_BODY_BUDGET_MB":      strconv.Itoa(budgetMB),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	st, err := server.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := server.New(cfg, server.Deps{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seriesOf scrapes GET /metrics with the operator token and returns each
// series' value by its name and labels.
func seriesOf(t *testing.T, url, token string) map[string]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

// TestMetricsSeriesStayBounded plays issue 12's check: thousands of
// correctly signed webhooks of made-up event types (each from a new user
// of a new account) and sign-in callbacks with hostile error values leave
// GET /metrics with exactly the series it had before; they are counted
// under "other".
func TestMetricsSeriesStayBounded(t *testing.T) {
	const token, secret = "hostile-test-operator-token", "hostile-test-webhook-secret"
	s := hostileTestServer(t, 32, "ZOOMCTI_OPS_TOKEN", token)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	events, callbacks := 2000, 1000
	if testing.Short() {
		events, callbacks = 500, 250
	}
	before := seriesOf(t, srv.URL, token)
	for _, want := range []string{
		`zoomcti_webhooks_total{kind="other",result="ignored"}`,
		`zoomcti_oauth_refusals_total{error="other",flow="salesforce_signin"}`,
		`zoomcti_pop_latency_seconds_count`,
		`zoomcti_upstream_request_duration_seconds_count{outcome="ok",service="salesforce"}`,
		`zoomcti_store_operation_duration_seconds_count{op="apply"}`,
		`zoomcti_queue_depth{queue="outbox"}`,
		`zoomcti_outbox_oldest_age_seconds`,
		`zoomcti_websocket_connections`,
		`zoomcti_token_refreshes_total{outcome="ok",service="zoom"}`,
	} {
		if _, ok := before[want]; !ok {
			t.Errorf("no series %s", want)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	res, err := Hostile(ctx, HostileOptions{BaseURL: srv.URL, Callbacks: callbacks, ErrorSize: 4096,
		Events: events, WebhookSecret: secret, Sources: 250})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events[http.StatusOK] != events || res.Callbacks[http.StatusOK] != callbacks {
		t.Fatalf("answers: events %v, callbacks %v; want all 200", res.Events, res.Callbacks)
	}
	after := seriesOf(t, srv.URL, token)
	if len(after) != len(before) {
		var added []string
		for k := range after {
			if _, ok := before[k]; !ok && len(added) < 5 {
				added = append(added, k[:min(len(k), 120)])
			}
		}
		t.Errorf("%d series after the attack, %d before; new ones: %q", len(after), len(before), added)
	}
	if got := after[`zoomcti_webhooks_total{kind="other",result="ignored"}`]; got != strconv.Itoa(events) {
		t.Errorf("made-up events counted as other: %s, want %d", got, events)
	}
	if got := after[`zoomcti_oauth_refusals_total{error="other",flow="salesforce_signin"}`]; got != strconv.Itoa(callbacks) {
		t.Errorf("hostile sign-in errors counted as other: %s, want %d", got, callbacks)
	}
}
