package server

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/zoomcti/zoomcti/cti"
)

// metrics are one server's Prometheus series, in a registry of its own
// (tests run many servers in one process; nothing is registered
// globally). Operators scrape them at GET /metrics with ZOOMCTI_OPS_TOKEN,
// or without it on ZOOMCTI_METRICS_ADDR.
//
// Every label takes its values from a fixed list below, never from input:
// an OAuth error code, a Zoom event type or an org id as a label value
// would let anyone (or any customer) grow the series without bound. Input
// is mapped onto the list first, anything else becoming "other", and every
// combination is created at start, so the number of series never changes
// while the server runs (TestMetricsSeriesStayBounded in package bench
// plays hostile input to prove it). Per-org figures are the admin health
// series (health.go), kept in the store, not labels.
type metrics struct {
	reg *prometheus.Registry

	webhooks       *prometheus.CounterVec   // result, kind
	popLatency     prometheus.Histogram     // webhook received → pop pushed
	upstream       *prometheus.HistogramVec // service, outcome
	storeOps       *prometheus.HistogramVec // op
	storeErrors    *prometheus.CounterVec   // op
	wsOpened       prometheus.Counter
	tokenRefreshes *prometheus.CounterVec // service, outcome
	jobs           *prometheus.CounterVec // queue, outcome
	oauthRefusals  *prometheus.CounterVec // flow, error
	refused        *prometheus.CounterVec // reason
	sfPauses       prometheus.Counter
	phoneCacheHits prometheus.Counter
	zoomMismatches prometheus.Counter
	// jobsAckedApart counts jobs acknowledged after their step rather than
	// in it, being queued outside their agent's hash slot (enginekv.go).
	jobsAckedApart prometheus.Counter
	healthDropped  *prometheus.CounterVec // reason
	outboxAge      ageWindow
}

// The results a webhook delivery ends with (zoomcti_webhooks_total's result).
const (
	whAccepted          = "accepted"
	whDuplicate         = "duplicate"
	whIgnored           = "ignored"        // signed, of a type zoomcti does not act on
	whValidation        = "url_validation" // Zoom's endpoint check, answered
	whRejectedTimestamp = "rejected_timestamp"
	whRejectedSignature = "rejected_signature"
	whRejectedTooLarge  = "rejected_too_large"
	whRejectedMalformed = "rejected_malformed"
	whRejectedBusy      = "rejected_busy" // the body budget was spent: 503
	whUnavailable       = "unavailable"   // the store failed: 503, Zoom retries
)

var webhookResults = []string{whAccepted, whDuplicate, whIgnored, whValidation, whRejectedTimestamp,
	whRejectedSignature, whRejectedTooLarge, whRejectedMalformed, whRejectedBusy, whUnavailable}

// labelOther stands for every value not in a label's list.
const labelOther = "other"

// webhookKinds are the event kinds zoomcti knows (the kind label); an
// unknown type, and a delivery refused before its body is read, count as
// "other".
var webhookKinds = []string{
	string(cti.KindRinging), string(cti.KindAnswered), string(cti.KindHold), string(cti.KindUnhold),
	string(cti.KindMute), string(cti.KindUnmute), string(cti.KindMissed), string(cti.KindRejected),
	string(cti.KindEnded), string(cti.KindCallRecord), string(cti.KindRecording), string(cti.KindVoicemail),
	string(cti.KindSMS), string(cti.KindUserCreated), string(cti.KindUserUpdated), string(cti.KindUserDeleted),
	string(cti.KindPresence), string(cti.KindDeauthorize), labelOther,
}

// webhookKind is k's label value.
func webhookKind(k cti.EventKind) string { return oneOf(webhookKinds, string(k)) }

// oneOf is v when list holds it, else "other": the lookup never keeps v.
func oneOf(list []string, v string) string {
	if slices.Contains(list, v) {
		return v
	}
	return labelOther
}

// Upstream services and how a request to one ended.
const (
	upSalesforce = "salesforce"
	upZoom       = "zoom"
)

var (
	upstreamServices = []string{upSalesforce, upZoom}
	upstreamOutcomes = []string{"ok", "unauthorized", "rate_limited", "client_error", "server_error", "error"}
)

// upstreamOutcome names how a request ended: its status class, or "error"
// when no answer came.
func upstreamOutcome(resp *http.Response, err error) string {
	switch {
	case err != nil || resp == nil:
		return "error"
	case resp.StatusCode == http.StatusTooManyRequests:
		return "rate_limited"
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "unauthorized"
	case resp.StatusCode >= 500:
		return "server_error"
	case resp.StatusCode >= 400:
		return "client_error"
	}
	return "ok"
}

// refreshOutcomes are how a token refresh ended: a new token, the grant
// refused for good (the agent must sign in or authorize again), or a
// failure worth retrying.
var refreshOutcomes = []string{"ok", "refused", "error"}

// Job outcomes, by queue.
const (
	jobDone    = "done"
	jobDead    = "dead"    // set aside: it can never succeed
	jobWaiting = "waiting" // the org is paused or the agent must sign in again
	jobRetried = "retried" // failed; tried again after a backoff
)

var (
	jobQueues   = []string{ringQueue, eventQueue, cti.OutboxQueue, labelOther}
	jobOutcomes = []string{jobDone, jobDead, jobWaiting, jobRetried}
)

// OAuth flows whose callbacks carry an error parameter.
const (
	flowSignin   = "salesforce_signin"
	flowZoomLink = "zoom_link"
)

// oauthErrors are the error codes of RFC 6749 §4.1.2.1 that Salesforce and
// Zoom send back to a callback; any other value counts as "other".
var oauthErrors = []string{
	"access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
	"invalid_scope", "server_error", "temporarily_unavailable", labelOther,
}

// Why a request was refused before its handler ran.
const (
	refusedBodyBudget  = "body_budget"
	refusedRateLimited = "rate_limited"
)

// popBuckets are the pop latency histogram's bounds, in seconds; the
// admin health series use the same bounds (healthPopBounds).
var popBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_webhooks_total",
		Help: "Zoom webhook deliveries by result and event kind (kind \"other\": an unknown type, or refused before the body was trusted).",
	}, []string{"result", "kind"})
	f(m.webhooks)
	for _, r := range webhookResults {
		for _, k := range webhookKinds {
			m.webhooks.WithLabelValues(r, k)
		}
	}
	m.popLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "zoomcti_pop_latency_seconds",
		Help:    "From a webhook's arrival to its screen pop being pushed to the agent's softphones (its count is the pops).",
		Buckets: popBuckets,
	})
	f(m.popLatency)
	m.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "zoomcti_upstream_request_duration_seconds",
		Help:    "Requests to Salesforce and Zoom (REST and OAuth), until the answer's headers, by outcome.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"service", "outcome"})
	f(m.upstream)
	for _, s := range upstreamServices {
		for _, o := range upstreamOutcomes {
			m.upstream.WithLabelValues(s, o)
		}
	}
	m.storeOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "zoomcti_store_operation_duration_seconds",
		Help:    "Store operations (embedded or Redis) by operation; reads answered from the instance's read cache are not store operations.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"op"})
	f(m.storeOps)
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_store_errors_total",
		Help: "Store operations that failed (not found, conflict and duplicate are answers, not failures).",
	}, []string{"op"})
	f(m.storeErrors)
	for _, op := range storeOpNames {
		m.storeOps.WithLabelValues(op)
		m.storeErrors.WithLabelValues(op)
	}
	m.wsOpened = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zoomcti_websocket_connections_opened_total",
		Help: "Softphone websockets authenticated on this instance.",
	})
	f(m.wsOpened)
	m.tokenRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_token_refreshes_total",
		Help: "Agents' OAuth token refreshes this instance made, by service and outcome (refused: the agent must sign in or authorize again).",
	}, []string{"service", "outcome"})
	f(m.tokenRefreshes)
	for _, s := range upstreamServices {
		for _, o := range refreshOutcomes {
			m.tokenRefreshes.WithLabelValues(s, o)
		}
	}
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_jobs_total",
		Help: "Queued jobs run by this instance, by queue and outcome.",
	}, []string{"queue", "outcome"})
	f(m.jobs)
	for _, q := range jobQueues {
		for _, o := range jobOutcomes {
			m.jobs.WithLabelValues(q, o)
		}
	}
	m.oauthRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_oauth_refusals_total",
		Help: "OAuth callbacks that came back with an error, by flow and RFC 6749 error code (other: any other value).",
	}, []string{"flow", "error"})
	f(m.oauthRefusals)
	for _, fl := range []string{flowSignin, flowZoomLink} {
		for _, e := range oauthErrors {
			m.oauthRefusals.WithLabelValues(fl, e)
		}
	}
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_requests_refused_total",
		Help: "Requests refused before their handler: the body budget spent (503) or a client over its rate limit (429).",
	}, []string{"reason"})
	f(m.refused)
	for _, r := range []string{refusedBodyBudget, refusedRateLimited} {
		m.refused.WithLabelValues(r)
	}
	m.sfPauses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zoomcti_salesforce_limit_pauses_total",
		Help: "Times an org's Salesforce API requests were paused because its daily limit was reached.",
	})
	f(m.sfPauses)
	m.phoneCacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zoomcti_phone_lookup_cache_hits_total",
		Help: "Caller lookups answered from the store's cache instead of Salesforce.",
	})
	f(m.phoneCacheHits)
	m.zoomMismatches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zoomcti_zoom_link_mismatches_total",
		Help: "Zoom links refused because the Zoom email did not match the Salesforce user.",
	})
	f(m.zoomMismatches)
	m.jobsAckedApart = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zoomcti_jobs_acked_apart_total",
		Help: "Jobs acknowledged after their step instead of in it, queued outside their agent's hash slot (linked or relinked since, or queued by an older version); a crash in between runs the event again.",
	})
	f(m.jobsAckedApart)
	m.healthDropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zoomcti_health_counts_dropped_total",
		Help: "Admin health figures this instance could not keep: the store refused a flush, or a bound on what is held in memory was reached.",
	}, []string{"reason"})
	f(m.healthDropped)
	for _, r := range []string{"store", "bound"} {
		m.healthDropped.WithLabelValues(r)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// webhook counts one delivery.
func (m *metrics) webhook(result string, kind cti.EventKind) {
	m.webhooks.WithLabelValues(result, webhookKind(kind)).Inc()
}

// oauthRefused counts an OAuth callback's error parameter.
func (m *metrics) oauthRefused(flow, code string) {
	m.oauthRefusals.WithLabelValues(flow, oneOf(oauthErrors, code)).Inc()
}

// job counts a job's outcome.
func (m *metrics) job(queue, outcome string) {
	m.jobs.WithLabelValues(oneOf(jobQueues, queue), outcome).Inc()
}

// tokenRefresh counts a refresh by how it ended: ok, refused or error.
func (m *metrics) tokenRefresh(service, outcome string) {
	if !slices.Contains(refreshOutcomes, outcome) {
		outcome = "error"
	}
	m.tokenRefreshes.WithLabelValues(service, outcome).Inc()
}

// counters are zoomcti's counter series that are not zero, by name and
// labels (name{label="value",…}), for the bench's report.
func (m *metrics) counters() map[string]int64 {
	out := map[string]int64{}
	families, _ := m.reg.Gather()
	for _, f := range families {
		if f.GetType() != dto.MetricType_COUNTER || !strings.HasPrefix(f.GetName(), "zoomcti_") {
			continue
		}
		for _, c := range f.GetMetric() {
			v := int64(c.GetCounter().GetValue())
			if v == 0 {
				continue
			}
			var labels []string
			for _, l := range c.GetLabel() {
				labels = append(labels, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			out[name] = v
		}
	}
	return out
}

// ageWindow keeps the oldest outbox job an attempt started on, per minute,
// for the last outboxAgeWindow: every job still in the outbox is attempted
// at least that often (a waiting job every minute, a failing one at least
// every maxBackoff), so the largest age seen in the window, across
// instances, is the age of the oldest Task write still waiting, give or
// take the window.
type ageWindow struct {
	mu    sync.Mutex
	slots [outboxAgeMinutes]struct {
		minute int64
		max    time.Duration
	}
}

const outboxAgeMinutes = 5 // = maxBackoff in minutes

func (w *ageWindow) observe(now time.Time, age time.Duration) {
	m := now.Unix() / 60
	w.mu.Lock()
	defer w.mu.Unlock()
	s := &w.slots[m%outboxAgeMinutes]
	if s.minute != m {
		s.minute, s.max = m, 0
	}
	s.max = max(s.max, age)
}

func (w *ageWindow) seconds(now time.Time) float64 {
	m := now.Unix() / 60
	w.mu.Lock()
	defer w.mu.Unlock()
	var top time.Duration
	for _, s := range w.slots {
		if s.minute > m-outboxAgeMinutes {
			top = max(top, s.max)
		}
	}
	return top.Seconds()
}

// registerServerGauges adds the series read from s when scraped: the
// websockets it holds, the queues' depths (every instance's jobs, from the
// store) and the outbox's age.
func (s *Server) registerServerGauges() {
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zoomcti_websocket_connections",
			Help: "Softphone websockets connected to this instance now.",
		}, func() float64 { return float64(s.hub.count()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zoomcti_outbox_oldest_age_seconds",
			Help: "Age of the oldest Salesforce write (outbox job) this instance attempted in the last 5 minutes; every waiting write is attempted that often by some instance, so the maximum across instances is the oldest write's age.",
		}, func() float64 { return s.metrics.outboxAge.seconds(s.now()) }),
		queueDepths{s},
	)
}

// queueDepths reads the queues' lengths from the store when scraped.
type queueDepths struct{ s *Server }

var queueDepthDesc = prometheus.NewDesc("zoomcti_queue_depth",
	"Jobs in a queue now, every instance's (events.ring: ringing events; events: other Zoom events; outbox: Salesforce writes). NaN when the store did not answer.",
	[]string{"queue"}, nil)

func (q queueDepths) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

func (q queueDepths) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range []string{ringQueue, eventQueue, cti.OutboxQueue} {
		v := math.NaN()
		if n, err := q.s.store.Len(ctx, name); err == nil {
			v = float64(n)
		}
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, v, name)
	}
}

// handleMetrics answers GET /metrics on the main address: the operator
// token is required (Prometheus sends it with authorization.credentials).
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if !s.isOperator(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="zoomcti metrics"`)
		s.writeError(w, r, errorf(KindUnauthorized, "operator token required (ZOOMCTI_OPS_TOKEN), or scrape ZOOMCTI_METRICS_ADDR", nil))
		return
	}
	s.metricsHandler().ServeHTTP(w, r)
}

// MetricsHandler serves the metrics without asking for a token: what
// ZOOMCTI_METRICS_ADDR listens with, for a network only Prometheus reaches.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler())
	return mux
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: slogPromLogger{s}, MaxRequestsInFlight: 4})
}

// slogPromLogger lets promhttp report a failed gather in the server's log.
type slogPromLogger struct{ s *Server }

func (l slogPromLogger) Println(v ...any) { l.s.log.Warn("metrics", "err", v) }
