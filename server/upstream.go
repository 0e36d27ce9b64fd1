package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// timedTransport times the requests of one upstream service (Salesforce or
// Zoom) by outcome, until the answer's headers.
type timedTransport struct {
	base     http.RoundTripper
	outcomes map[string]prometheus.Observer
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	t.outcomes[upstreamOutcome(resp, err)].Observe(time.Since(start).Seconds())
	return resp, err
}

// upstreamClient is base with its requests timed as service's.
func upstreamClient(base *http.Client, service string, m *metrics) *http.Client {
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	t := &timedTransport{base: rt, outcomes: map[string]prometheus.Observer{}}
	for _, o := range upstreamOutcomes {
		t.outcomes[o] = m.upstream.WithLabelValues(service, o)
	}
	c := *base
	c.Transport = t
	return &c
}

// rateLimitNoter tells onLimit about every 429 a request gets: Zoom's
// rate-limit hits, counted for the admin of the org whose agent made it.
type rateLimitNoter struct {
	base    http.RoundTripper
	onLimit func()
}

func (n rateLimitNoter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := n.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		n.onLimit()
	}
	return resp, err
}
