package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zoomcti/zoomcti/cti"
)

// seriesCount is how many series s's registry holds.
func seriesCount(t testing.TB, s *Server) int {
	t.Helper()
	families, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		n += len(f.GetMetric())
	}
	return n
}

// acceptedWebhooks is how many deliveries s took, of every kind.
func acceptedWebhooks(s *Server) int {
	n := 0.0
	for _, k := range webhookKinds {
		n += testutil.ToFloat64(s.metrics.webhooks.WithLabelValues(whAccepted, k))
	}
	return int(n)
}

// scrape GETs url with token (none when "") and returns the status and body.
func scrape(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The series issue 12 asks for, as a scrape shows them.
var wantSeries = []string{
	`zoomcti_webhooks_total{kind="call.ringing",result="accepted"}`,
	`zoomcti_webhooks_total{kind="other",result="rejected_signature"}`,
	`zoomcti_pop_latency_seconds_bucket{le="0.1"}`,
	`zoomcti_upstream_request_duration_seconds_bucket{outcome="ok",service="salesforce",le="0.1"}`,
	`zoomcti_upstream_request_duration_seconds_bucket{outcome="rate_limited",service="zoom",le="0.1"}`,
	`zoomcti_store_operation_duration_seconds_bucket{op="apply",le="0.001"}`,
	`zoomcti_queue_depth{queue="outbox"}`,
	`zoomcti_outbox_oldest_age_seconds`,
	`zoomcti_websocket_connections`,
	`zoomcti_websocket_connections_opened_total`,
	`zoomcti_token_refreshes_total{outcome="ok",service="salesforce"}`,
	`zoomcti_token_refreshes_total{outcome="refused",service="zoom"}`,
	`zoomcti_jobs_total{outcome="done",queue="outbox"}`,
	`zoomcti_oauth_refusals_total{error="other",flow="salesforce_signin"}`,
	`go_goroutines`,
}

// GET /metrics answers operators only; ZOOMCTI_METRICS_ADDR's handler
// needs no token; the hand-rolled /api/stats is gone.
func TestMetricsAnswerOperatorsOnly(t *testing.T) {
	s, _ := newTestServer(t, nil)
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for _, token := range []string{"", "wrong-token-wrong-token"} {
		if status, body := scrape(t, hs.URL+"/metrics", token); status != http.StatusUnauthorized || strings.Contains(body, "zoomcti_") {
			t.Errorf("token %q: status %d, want 401 and no series", token, status)
		}
	}
	status, body := scrape(t, hs.URL+"/metrics", testOpsToken)
	if status != http.StatusOK {
		t.Fatalf("operator: status %d", status)
	}
	for _, want := range wantSeries {
		if !strings.Contains(body, "\n"+want+" ") {
			t.Errorf("no series %s", want)
		}
	}
	if status, _ := scrape(t, hs.URL+"/api/stats", testOpsToken); status != http.StatusNotFound {
		t.Errorf("/api/stats: status %d, want 404", status)
	}
	ms := httptest.NewServer(s.MetricsHandler())
	defer ms.Close()
	if status, body := scrape(t, ms.URL+"/metrics", ""); status != http.StatusOK || !strings.Contains(body, "zoomcti_webhooks_total") {
		t.Errorf("metrics address: status %d", status)
	}
}

// A call played through the webhooks shows in the series: the deliveries
// by kind, one pop and its latency, Salesforce's requests, store
// operations, the Task's job, the softphone's websocket.
func TestMetricsFollowACall(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	const callID = "7400000000000001901"
	bodies, err := sim().Inbound(simSpec(callID))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	readMsg(t, ws, "logged", 15*time.Second)
	e.drain()
	m := e.s.metrics
	if got := testutil.ToFloat64(m.webhooks.WithLabelValues(whAccepted, string(cti.KindRinging))); got != 1 {
		t.Errorf("ringing deliveries accepted %v, want 1", got)
	}
	if got := acceptedWebhooks(e.s); got != len(bodies) {
		t.Errorf("%d deliveries accepted, want %d", got, len(bodies))
	}
	if got := testutil.CollectAndCount(m.popLatency); got != 1 {
		t.Fatalf("pop latency series %d", got)
	}
	if pops := histogramCount(t, e.s, "zoomcti_pop_latency_seconds"); pops != 1 {
		t.Errorf("%d pops timed, want 1", pops)
	}
	if n := histogramCount(t, e.s, "zoomcti_upstream_request_duration_seconds", "service", "salesforce", "outcome", "ok"); n < 2 {
		t.Errorf("%d Salesforce requests timed, want the search and the Task at least", n)
	}
	if n := histogramCount(t, e.s, "zoomcti_store_operation_duration_seconds", "op", "apply"); n < uint64(len(bodies)) {
		t.Errorf("%d store applies timed, want at least %d", n, len(bodies))
	}
	if got := testutil.ToFloat64(m.jobs.WithLabelValues(cti.OutboxQueue, jobDone)); got != 1 {
		t.Errorf("outbox jobs done %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.wsOpened); got != 1 {
		t.Errorf("websockets opened %v, want 1", got)
	}
	status, body := scrape(t, e.url+"/metrics", testOpsToken)
	if status != http.StatusOK || !strings.Contains(body, "\nzoomcti_websocket_connections 1\n") || !strings.Contains(body, "\nzoomcti_queue_depth{queue=\"outbox\"} 0\n") {
		t.Errorf("scrape: status %d; want one websocket and an empty outbox", status)
	}
}

// histogramCount is the observations of the histogram series name with the
// labels given as name, value pairs.
func histogramCount(t testing.TB, s *Server, name string, labels ...string) uint64 {
	t.Helper()
	families, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metric
				}
			}
			return m.GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no series %s %v", name, labels)
	return 0
}
