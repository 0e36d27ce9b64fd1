package server

import (
	"github.com/zoomcti/zoomcti/cti"

	"net/http"
	"sync"
)

// counter names one of this instance's counters. Names come only from the
// constants below: a name built from request input (an OAuth error code, a
// Zoom event type) would let anyone grow the counter map without bound, so
// input is mapped onto this fixed set first (see oauthErrorCounter,
// webhookUnknownCounter, jobCounter).
type counter string

const (
	counterOther counter = "other" // a name not in the set below (a bug, never input)

	counterWebhookAccepted        counter = "webhook_accepted"
	counterWebhookDuplicate       counter = "webhook_duplicate"
	counterWebhookTooLarge        counter = "webhook_rejected_too_large"
	counterWebhookSignature       counter = "webhook_rejected_signature"
	counterWebhookMalformed       counter = "webhook_rejected_malformed"
	counterWebhookUnknownOther    counter = "webhook_unknown:other"
	counterBodyBudgetExhausted    counter = "body_budget_exhausted"
	counterRateLimited            counter = "rate_limited"
	counterWSConnections          counter = "ws_connections"
	counterSalesforceLimitPauses  counter = "salesforce_limit_pauses"
	counterPhoneCacheHits         counter = "phone_cache_hits"
	counterSalesforceTokenRefresh counter = "salesforce_token_refreshes"
	counterZoomTokenRefresh       counter = "zoom_token_refreshes"
	counterZoomLinkMismatch       counter = "zoom_link_mismatch"
	counterSigninRefusedOther     counter = "signin_refused:other"
	counterZoomLinkRefusedOther   counter = "zoom_link_refused:other"
	counterJobsDeadOther          counter = "jobs_dead:other"
	counterJobsWaitingOther       counter = "jobs_waiting:other"
	counterJobsRetriedOther       counter = "jobs_retried:other"
	// counterJobsAckedApart counts jobs acknowledged after their step rather
	// than in it, being queued outside their agent's hash slot (enginekv.go).
	counterJobsAckedApart counter = "jobs_acked_apart"
)

// oauthErrors are the error codes of RFC 6749 §4.1.2.1 that Salesforce and
// Zoom send back to a callback; any other value counts as "other".
var oauthErrors = []string{
	"access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
	"invalid_scope", "server_error", "temporarily_unavailable",
}

// zoomIgnoredEvents are Zoom event types zoomcti acknowledges without
// acting on them but still counts by name; others count as "other".
var zoomIgnoredEvents = []string{
	"phone.device_registration", "phone.callee_call_log_completed", "phone.caller_call_log_completed",
	"phone.voicemail_received", "phone.recording_completed", "phone.callee_rejected",
	"phone.caller_connected", "phone.callee_hold", "phone.callee_unhold", "phone.caller_hold", "phone.caller_unhold",
}

// jobQueues are the queues whose job outcomes are counted by name.
var jobQueues = []string{eventQueue, ringQueue, cti.OutboxQueue}

// knownCounters is the whole set of names add accepts, built once.
var knownCounters = func() map[counter]bool {
	k := map[counter]bool{}
	for _, c := range []counter{
		counterOther, counterWebhookAccepted, counterWebhookDuplicate, counterWebhookTooLarge,
		counterWebhookSignature, counterWebhookMalformed, counterWebhookUnknownOther,
		counterBodyBudgetExhausted, counterRateLimited, counterWSConnections,
		counterSalesforceLimitPauses, counterPhoneCacheHits, counterSalesforceTokenRefresh,
		counterZoomTokenRefresh, counterZoomLinkMismatch, counterSigninRefusedOther,
		counterZoomLinkRefusedOther, counterJobsDeadOther, counterJobsWaitingOther, counterJobsRetriedOther,
		counterJobsAckedApart,
	} {
		k[c] = true
	}
	for _, e := range oauthErrors {
		k[counter("signin_refused:"+e)] = true
		k[counter("zoom_link_refused:"+e)] = true
	}
	for _, t := range zoomIgnoredEvents {
		k[counter("webhook_unknown:"+t)] = true
	}
	for _, q := range jobQueues {
		for _, p := range []string{"jobs_dead:", "jobs_waiting:", "jobs_retried:"} {
			k[counter(p+q)] = true
		}
	}
	return k
}()

// pick names the counter prefix+v when that is a known counter, else
// prefix+"other": the lookup never keeps v.
func pick(prefix, v string) counter {
	if c := counter(prefix + v); knownCounters[c] {
		return c
	}
	return counter(prefix + "other")
}

// oauthErrorCounter counts an OAuth callback's error parameter.
func oauthErrorCounter(prefix, code string) counter {
	if len(code) > 64 {
		return counter(prefix + "other")
	}
	return pick(prefix, code)
}

// webhookUnknownCounter counts an acknowledged but unhandled Zoom event.
func webhookUnknownCounter(eventType string) counter {
	if len(eventType) > 64 {
		return counterWebhookUnknownOther
	}
	return pick("webhook_unknown:", eventType)
}

// jobCounter counts a job outcome (jobs_dead:, jobs_waiting:, jobs_retried:) by queue.
func jobCounter(prefix, queue string) counter { return pick(prefix, queue) }

// metrics are this instance's counters (webhooks accepted, duplicates,
// unknown event types, retried jobs), shown at GET /api/stats. The map
// holds at most len(knownCounters) entries.
type metrics struct {
	mu sync.Mutex
	n  map[counter]int64
}

func (m *metrics) add(name counter, d int64) {
	if !knownCounters[name] {
		name = counterOther
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[counter]int64{}
	}
	m.n[name] += d
}

func (m *metrics) snapshot() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		return nil
	}
	out := make(map[string]int64, len(m.n))
	for k, v := range m.n {
		out[string(k)] = v
	}
	return out
}

// handleStats answers GET /api/stats with this instance's counters, for
// operators (ZOOMCTI_OPS_TOKEN) and admins.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	if !s.isOperator(r) {
		if _, ok := s.requireAdmin(w, r); !ok {
			return
		}
	}
	c := s.metrics.snapshot()
	if c == nil {
		c = map[string]int64{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"counters": c})
}
