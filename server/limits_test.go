package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zoomcti/zoomcti/cti"
)

func TestRateLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	a := netip.MustParsePrefix("192.0.2.1/32")
	b := netip.MustParsePrefix("192.0.2.2/32")
	type step struct {
		key  netip.Prefix
		at   time.Duration // after t0
		want bool
	}
	tests := []struct {
		name   string
		perMin int
		steps  []step
	}{
		{"a burst of the rate passes, the next is refused", 3, []step{{a, 0, true}, {a, 0, true}, {a, 0, true}, {a, 0, false}}},
		{"one token comes back after a minute over the rate", 3, []step{{a, 0, true}, {a, 0, true}, {a, 0, true}, {a, 19 * time.Second, false}, {a, 20 * time.Second, true}, {a, 20 * time.Second, false}}},
		{"addresses have their own buckets", 1, []step{{a, 0, true}, {a, 0, false}, {b, 0, true}, {b, 0, false}}},
		{"an idle bucket refills to the rate, no more", 2, []step{{a, 0, true}, {a, time.Hour, true}, {a, time.Hour, true}, {a, time.Hour, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newRateLimiter(tc.perMin, 100)
			for i, st := range tc.steps {
				ok, retry := l.allow(st.key, t0.Add(st.at))
				if ok != st.want {
					t.Fatalf("step %d (%s at +%s): allowed %v, want %v", i, st.key, st.at, ok, st.want)
				}
				if !ok && retry <= 0 {
					t.Errorf("step %d: refused with no Retry-After", i)
				}
			}
		})
	}
}

func TestRateLimiterMemoryIsBounded(t *testing.T) {
	tests := []struct {
		name string
		gap  time.Duration // between two new addresses
	}{
		{"addresses faster than buckets refill", time.Millisecond},
		{"addresses slower than buckets refill", 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const maxClients = 50
			l := newRateLimiter(10, maxClients)
			now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
			for i := range 10 * maxClients {
				now = now.Add(tc.gap)
				key := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 32)
				if ok, _ := l.allow(key, now); !ok {
					t.Fatalf("a new address was refused")
				}
				if len(l.buckets) > maxClients {
					t.Fatalf("after %d addresses the limiter holds %d buckets, want at most %d", i+1, len(l.buckets), maxClients)
				}
			}
		})
	}
}

func TestClientKeyGroupsIPv6By64(t *testing.T) {
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"one IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"two IPv6 /64s", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"IPv4 and its mapped form", "192.0.2.1", "::ffff:192.0.2.1", true},
		{"two IPv4 addresses", "192.0.2.1", "192.0.2.2", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := clientKey(netip.MustParseAddr(tc.a)), clientKey(netip.MustParseAddr(tc.b))
			if (ka == kb) != tc.same {
				t.Errorf("clientKey(%s)=%s, clientKey(%s)=%s; same=%v, want %v", tc.a, ka, tc.b, kb, ka == kb, tc.same)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies trusted: the peer, whatever the header says", "198.51.100.9:5000", []string{"203.0.113.1"}, nil, "198.51.100.9"},
		{"untrusted peer spoofing a trusted hop is ignored", "198.51.100.9:5000", []string{"203.0.113.1, 10.0.0.2"}, lb, "198.51.100.9"},
		{"trusted peer: the client it saw", "10.0.0.2:5000", []string{"203.0.113.1"}, lb, "203.0.113.1"},
		{"trusted peer: a spoofed left part is ignored", "10.0.0.2:5000", []string{"1.1.1.1, 203.0.113.1"}, lb, "203.0.113.1"},
		{"two trusted hops: the first address right to left that is not one", "10.0.0.2:5000", []string{"1.1.1.1, 203.0.113.1, 192.0.2.7"}, lb, "203.0.113.1"},
		{"several header lines read as one list", "10.0.0.2:5000", []string{"1.1.1.1", "203.0.113.1, 10.9.9.9"}, lb, "203.0.113.1"},
		{"trusted peer with no header: the peer", "10.0.0.2:5000", nil, lb, "10.0.0.2"},
		{"every hop trusted: the left-most", "10.0.0.2:5000", []string{"10.1.1.1, 192.0.2.7"}, lb, "10.1.1.1"},
		{"an unreadable hop: the last address a trusted proxy gave", "10.0.0.2:5000", []string{"junk, 10.3.3.3"}, lb, "10.3.3.3"},
		{"IPv6 peer and client", "[2001:db8::1]:443", []string{"2001:db8:ffff::5"}, []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")}, "2001:db8:ffff::5"},
		{"IPv4-mapped peer matches an IPv4 range", "[::ffff:10.0.0.2]:5000", []string{"203.0.113.1"}, lb, "203.0.113.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, tc.trusted); got.String() != tc.want {
				t.Errorf("clientAddr = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestUnauthenticatedRoutesAreRateLimited(t *testing.T) {
	tests := []struct {
		name, method, path string
	}{
		{"salesforce start", http.MethodGet, "/oauth/salesforce/start"},
		{"salesforce callback", http.MethodGet, "/oauth/salesforce/callback?state=x"},
		{"zoom start", http.MethodPost, "/oauth/zoom/start"},
		{"zoom callback", http.MethodGet, "/oauth/zoom/callback?state=x"},
		{"salesforce result", http.MethodPost, "/oauth/salesforce/result"},
		{"zoom result", http.MethodPost, "/oauth/zoom/result"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) {
				c.RateLimit = 3
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			})
			h := s.Handler()
			do := func(peer, xff string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{}`))
				r.RemoteAddr = peer
				if xff != "" {
					r.Header.Set("X-Forwarded-For", xff)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}
			for i := range 3 {
				if w := do("198.51.100.1:1000", ""); w.Code == http.StatusTooManyRequests {
					t.Fatalf("request %d refused within the rate", i+1)
				}
			}
			w := do("198.51.100.1:1000", "")
			if w.Code != http.StatusTooManyRequests {
				t.Fatalf("4th request: status %d, want 429", w.Code)
			}
			if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 {
				t.Errorf("Retry-After %q, want a number of seconds", w.Header().Get("Retry-After"))
			}
			// A spoofed header from the same untrusted peer changes nothing.
			if w := do("198.51.100.1:1000", "203.0.113.50"); w.Code != http.StatusTooManyRequests {
				t.Errorf("spoofed X-Forwarded-For from an untrusted peer: status %d, want 429", w.Code)
			}
			// Behind the trusted balancer, each client has its own bucket.
			for i := range 3 {
				if w := do("10.0.0.2:1000", fmt.Sprintf("203.0.113.%d", i+1)); w.Code == http.StatusTooManyRequests {
					t.Errorf("client %d behind the balancer refused for another's requests", i+1)
				}
			}
		})
	}
}

// recordingBody fails the test's expectation when it is read.
type recordingBody struct {
	r    io.Reader
	read bool
}

func (b *recordingBody) Read(p []byte) (int, error) {
	b.read = true
	return b.r.Read(p)
}
func (b *recordingBody) Close() error { return nil }

func TestWebhookRefusesOnHeadersBeforeReadingTheBody(t *testing.T) {
	s, _ := newTestServer(t, nil)
	fresh := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-91*time.Minute).Unix(), 10)
	goodShape := "v0=" + strings.Repeat("ab", 32)
	tests := []struct {
		name       string
		ts, sig    string
		length     int64
		wantStatus int
	}{
		{"stale timestamp", stale, goodShape, 100, http.StatusUnauthorized},
		{"no timestamp", "", goodShape, 100, http.StatusUnauthorized},
		{"no signature", fresh, "", 100, http.StatusUnauthorized},
		{"signature without v0=", fresh, strings.Repeat("ab", 32), 100, http.StatusUnauthorized},
		{"signature too short", fresh, "v0=abcd", 100, http.StatusUnauthorized},
		{"signature not hex", fresh, "v0=" + strings.Repeat("zz", 32), 100, http.StatusUnauthorized},
		{"signature in upper case", fresh, "v0=" + strings.Repeat("AB", 32), 100, http.StatusUnauthorized},
		{"declared body over 1 MiB", fresh, goodShape, maxWebhookBody + 1, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := &recordingBody{r: strings.NewReader(`{"event":"phone.callee_ringing"}`)}
			r := httptest.NewRequest(http.MethodPost, "/webhooks/zoom", nil)
			r.Body, r.ContentLength = body, tc.length
			r.Header.Set("x-zm-request-timestamp", tc.ts)
			r.Header.Set("x-zm-signature", tc.sig)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if body.read {
				t.Errorf("the body was read before the request was refused")
			}
		})
	}
	t.Run("well-formed headers: the body is read", func(t *testing.T) {
		body := &recordingBody{r: strings.NewReader(`{}`)}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/zoom", nil)
		r.Body, r.ContentLength = body, 2
		r.Header.Set("x-zm-request-timestamp", fresh)
		r.Header.Set("x-zm-signature", goodShape)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if !body.read || w.Code != http.StatusUnauthorized {
			t.Errorf("read %v, status %d; want the body read and the signature refused (401)", body.read, w.Code)
		}
	})
}

func TestBodyBudgetExhaustedAnswers503(t *testing.T) {
	tests := []struct {
		name, method, path string
		sign               bool
	}{
		{"webhook", http.MethodPost, "/webhooks/zoom", true},
		{"salesforce result", http.MethodPost, "/oauth/salesforce/result", false},
		{"zoom start", http.MethodPost, "/oauth/zoom/start", false},
		{"zoom result", http.MethodPost, "/oauth/zoom/result", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) { c.BodyBudget = 2 << 20 })
			if !s.bodies.tryAcquire(s.bodies.max) { // everything in flight
				t.Fatal("cannot take the whole budget")
			}
			body := &recordingBody{r: strings.NewReader(`{}`)}
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Body, r.ContentLength = body, 2
			if tc.sign {
				r.Header.Set("x-zm-request-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
				r.Header.Set("x-zm-signature", "v0="+strings.Repeat("ab", 32))
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
				t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
			}
			if body.read {
				t.Errorf("the body was read with no room in the budget")
			}
			s.bodies.release(s.bodies.max)
			if s.bodies.used != 0 {
				t.Errorf("budget in use after the request: %d bytes", s.bodies.used)
			}
		})
	}
}

// Whatever comes in, the metrics' labels take their values from fixed
// lists: no input makes a new series.
func TestMetricLabelsComeFromAFixedSet(t *testing.T) {
	huge := strings.Repeat("x", 500_000)
	tests := []struct {
		name  string
		count func(s *Server, i int)
		want  func(s *Server) prometheus.Counter
	}{
		{"sign-in error, known code", func(s *Server, i int) { s.metrics.oauthRefused(flowSignin, "access_denied") },
			func(s *Server) prometheus.Counter {
				return s.metrics.oauthRefusals.WithLabelValues(flowSignin, "access_denied")
			}},
		{"sign-in error, huge value", func(s *Server, i int) { s.metrics.oauthRefused(flowSignin, strconv.Itoa(i)+huge) },
			func(s *Server) prometheus.Counter {
				return s.metrics.oauthRefusals.WithLabelValues(flowSignin, labelOther)
			}},
		{"zoom link error, odd value", func(s *Server, i int) { s.metrics.oauthRefused(flowZoomLink, "x"+strconv.Itoa(i)) },
			func(s *Server) prometheus.Counter {
				return s.metrics.oauthRefusals.WithLabelValues(flowZoomLink, labelOther)
			}},
		{"unknown zoom event kind", func(s *Server, i int) { s.metrics.webhook(whIgnored, cti.EventKind("phone.made_up_"+strconv.Itoa(i))) },
			func(s *Server) prometheus.Counter { return s.metrics.webhooks.WithLabelValues(whIgnored, labelOther) }},
		{"known event kind", func(s *Server, i int) { s.metrics.webhook(whAccepted, cti.KindRinging) },
			func(s *Server) prometheus.Counter {
				return s.metrics.webhooks.WithLabelValues(whAccepted, string(cti.KindRinging))
			}},
		{"job queue", func(s *Server, i int) { s.metrics.job(eventQueue, jobDead) },
			func(s *Server) prometheus.Counter { return s.metrics.jobs.WithLabelValues(eventQueue, jobDead) }},
		{"unknown queue", func(s *Server, i int) { s.metrics.job("q"+strconv.Itoa(i), jobDead) },
			func(s *Server) prometheus.Counter { return s.metrics.jobs.WithLabelValues(labelOther, jobDead) }},
		{"refresh outcome (a bug) counts as an error", func(s *Server, i int) { s.metrics.tokenRefresh(upZoom, "weird"+strconv.Itoa(i)) },
			func(s *Server) prometheus.Counter {
				return s.metrics.tokenRefreshes.WithLabelValues(upZoom, "error")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, nil)
			before := seriesCount(t, s)
			for i := range 20 {
				tc.count(s, i)
			}
			if got := seriesCount(t, s); got != before {
				t.Errorf("%d series after counting, %d before", got, before)
			}
			if got := testutil.ToFloat64(tc.want(s)); got != 20 {
				t.Errorf("counted %v, want 20", got)
			}
		})
	}
}

func TestSigninCallbackErrorCountsAKnownName(t *testing.T) {
	s, _ := newTestServer(t, nil)
	h := s.Handler()
	before := seriesCount(t, s)
	for i := range 5 {
		// Straight to the handler: the route's query bound would refuse
		// a value this long before it got here.
		state, cookies := startSignin(t, h)
		r := httptest.NewRequest(http.MethodGet, "/oauth/salesforce/callback?state="+state+"&error="+strconv.Itoa(i)+strings.Repeat("x", 100_000), nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		s.handleSigninCallback(httptest.NewRecorder(), r)
	}
	if got := seriesCount(t, s); got != before {
		t.Errorf("%d series after the callbacks, %d before", got, before)
	}
	if got := testutil.ToFloat64(s.metrics.oauthRefusals.WithLabelValues(flowSignin, labelOther)); got != 5 {
		t.Errorf("sign-in refusals counted as other: %v, want 5", got)
	}
}

// startSignin starts a sign-in and returns the state its redirect carries
// and the cookies that bind the browser to it.
func startSignin(t *testing.T, h http.Handler) (string, []*http.Cookie) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/oauth/salesforce/start", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	loc, err := w.Result().Location()
	if err != nil || loc.Query().Get("state") == "" {
		t.Fatalf("start: status %d, no state in the redirect", w.Code)
	}
	return loc.Query().Get("state"), w.Result().Cookies()
}

func TestUnauthenticatedRoutesBoundTheirQuery(t *testing.T) {
	long := strings.Repeat("x", maxUnauthenticatedQuery)
	tests := []struct {
		name, method, path string
	}{
		{"salesforce start", http.MethodGet, "/oauth/salesforce/start?x="},
		{"salesforce callback", http.MethodGet, "/oauth/salesforce/callback?state=s&error="},
		{"zoom start", http.MethodPost, "/oauth/zoom/start?ticket="},
		{"zoom callback", http.MethodGet, "/oauth/zoom/callback?state=s&error="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, nil)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, httptest.NewRequest(tc.method, tc.path+long, nil))
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", w.Code)
			}
		})
	}
}

// TestSlowWebhookBodyGivesBackItsBudget: a body that stops arriving is cut
// off after the read timeout and its share of the budget comes back.
func TestSlowWebhookBodyGivesBackItsBudget(t *testing.T) {
	s, _ := newTestServer(t, nil)
	s.bodyReadTimeout = 300 * time.Millisecond
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /webhooks/zoom HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nx-zm-request-timestamp: %d\r\nx-zm-signature: v0=%s\r\n\r\n{\"ev",
		time.Now().Unix(), strings.Repeat("ab", 32))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400 (cannot read the body)", resp.StatusCode)
	}
	waitFor(t, 5*time.Second, func() bool {
		s.bodies.mu.Lock()
		defer s.bodies.mu.Unlock()
		return s.bodies.used == 0
	}, "the budget to come back")
}

// waitFor waits until cond holds, failing the test after d.
func waitFor(t testing.TB, d time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLimitSettingsFromEnv(t *testing.T) {
	key := testKeyB64
	tests := []struct {
		name      string
		set       map[string]string
		wantErr   string // the variable named, "" = valid
		proxies   string
		budget    int64
		rateLimit int
	}{
		{"defaults", nil, "", "[]", 32 << 20, 300},
		{"proxies as addresses and ranges", map[string]string{"ZOOMCTI_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,2001:db8::/32"}, "", "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]", 32 << 20, 300},
		{"a range written with host bits", map[string]string{"ZOOMCTI_TRUSTED_PROXIES": "10.1.2.3/8"}, "", "[10.0.0.0/8]", 32 << 20, 300},
		{"a proxy that is not an address", map[string]string{"ZOOMCTI_TRUSTED_PROXIES": "lb.internal"}, "ZOOMCTI_TRUSTED_PROXIES", "", 0, 0},
		{"budget and rate set", map[string]string{"ZOOMCTI_BODY_BUDGET_MB": "64", "ZOOMCTI_RATE_LIMIT": "1200"}, "", "[]", 64 << 20, 1200},
		{"budget too small for one webhook", map[string]string{"ZOOMCTI_BODY_BUDGET_MB": "1"}, "ZOOMCTI_BODY_BUDGET_MB", "", 0, 0},
		{"budget not a number", map[string]string{"ZOOMCTI_BODY_BUDGET_MB": "32MB"}, "ZOOMCTI_BODY_BUDGET_MB", "", 0, 0},
		{"rate zero", map[string]string{"ZOOMCTI_RATE_LIMIT": "0"}, "ZOOMCTI_RATE_LIMIT", "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "a-long-enough-webhook-secret", "ZOOMCTI_ENCRYPTION_KEY": key}
			for k, v := range tc.set {
				m[k] = v
			}
			c, err := ConfigFromEnv(envOf(m))
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(c.TrustedProxies); got != tc.proxies {
				t.Errorf("TrustedProxies = %s, want %s", got, tc.proxies)
			}
			if c.BodyBudget != tc.budget || c.RateLimit != tc.rateLimit {
				t.Errorf("BodyBudget %d, RateLimit %d; want %d, %d", c.BodyBudget, c.RateLimit, tc.budget, tc.rateLimit)
			}
		})
	}
}
