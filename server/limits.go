package server

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file bounds what unauthenticated clients can make the server hold:
// the bytes of request bodies being read (one global budget), and how often
// one client address may call the routes that write to the store.

// bodyReadTimeout is how long a bounded body read may take: a client that
// trickles its body gives its share of the budget back when it runs out.
const bodyReadTimeout = 10 * time.Second

// byteBudget is a weighted semaphore that never queues: a reservation that
// does not fit is refused at once, so waiting requests hold nothing.
type byteBudget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

func (b *byteBudget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

// reserveBody reserves room for r's body (its Content-Length, else limit)
// in the global budget and bounds the read's time. When the budget is
// spent it answers 503 with Retry-After and reports false. The caller
// calls release when it no longer holds the body.
func (s *Server) reserveBody(w http.ResponseWriter, r *http.Request, limit int64) (release func(), ok bool) {
	n := limit
	if r.ContentLength >= 0 && r.ContentLength < limit {
		n = r.ContentLength
	}
	// io.ReadAll's buffer grows past the body's size; one page of slack
	// per request keeps the count honest for small bodies.
	n += 512
	if !s.bodies.tryAcquire(n) {
		s.metrics.refused.WithLabelValues(refusedBodyBudget).Inc()
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "server busy; retry shortly"})
		return nil, false
	}
	timeout := s.bodyReadTimeout
	if timeout <= 0 {
		timeout = bodyReadTimeout
	}
	// Not every ResponseWriter supports deadlines (a test's recorder);
	// the server's ReadTimeout still bounds those.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	return func() { s.bodies.release(n) }, true
}

// budgeted wraps a handler whose body is at most limit bytes so that it
// holds a share of the global body budget while it runs.
func (s *Server) budgeted(limit int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			s.writeError(w, r, errorf(KindTooLarge, "request body too large", nil))
			return
		}
		release, ok := s.reserveBody(w, r, limit)
		if !ok {
			return
		}
		defer release()
		h(w, r)
	}
}

// rateLimiter is a token bucket per client address. It remembers at most
// max addresses: when full it forgets the buckets that have refilled (they
// are the same as new ones), and if that frees too little, arbitrary ones,
// so the limiter itself cannot grow without bound.
type rateLimiter struct {
	mu      sync.Mutex
	perMin  float64 // tokens added per minute, also the bucket's size
	max     int
	buckets map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perMinute, maxClients int) *rateLimiter {
	return &rateLimiter{perMin: float64(perMinute), max: maxClients, buckets: map[netip.Prefix]*bucket{}}
}

// allow takes one token from key's bucket; when there is none it says how
// long until there is.
func (l *rateLimiter) allow(key netip.Prefix, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.perMin, last: now}
		l.buckets[key] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.perMin, b.tokens+d.Minutes()*l.perMin)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.perMin * float64(time.Minute))
}

// evict makes room for at least a tenth of max new addresses.
func (l *rateLimiter) evict(now time.Time) {
	full := time.Minute // an idle bucket is full again after a minute
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	target := l.max - max(1, l.max/10)
	for k := range l.buckets { // map order is random: no client is always the one forgotten
		if len(l.buckets) <= target {
			break
		}
		delete(l.buckets, k)
	}
}

// clientKey is the bucket a client address falls in: the address itself
// for IPv4, its /64 for IPv6 (one subscriber gets a whole /64).
func clientKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// clientAddr is the address of the client behind r. The TCP peer is
// believed unless it is a trusted proxy; then X-Forwarded-For is read from
// the right, each hop appended by the proxy in front of it, and the first
// address that is not a trusted proxy is the client. Anything a client
// writes to the left of that is ignored.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// A hop we cannot read: the last address a trusted proxy
			// vouched for is the best we know.
			return client
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			return client
		}
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxUnauthenticatedQuery bounds the query string of the sign-in routes:
// what Salesforce and Zoom send back (code, state, an error and its
// description) is far shorter, and whatever is echoed into a page or a
// stored outcome stays small.
const maxUnauthenticatedQuery = 8 << 10

// unauthenticated wraps a handler that anyone may call and that writes to
// the store: its query is bounded, and past the per-address rate it
// answers 429 with Retry-After.
func (s *Server) unauthenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.RawQuery) > maxUnauthenticatedQuery {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, errorf(KindTooLarge, "query string too long", nil))
			return
		}
		a := clientAddr(r, s.cfg.TrustedProxies)
		if a.IsValid() {
			if ok, retry := s.limiter.allow(clientKey(a), s.now()); !ok {
				s.metrics.refused.WithLabelValues(refusedRateLimited).Inc()
				w.Header().Set("Retry-After", strconv.Itoa(int(max(1, retry.Round(time.Second)/time.Second))))
				s.writeError(w, r, errorf(KindRateLimited, "too many requests from this address; retry later", nil))
				return
			}
		}
		h(w, r)
	}
}

// maxRateLimitedClients is how many client addresses the limiter
// remembers: about 1 MB of buckets.
const maxRateLimitedClients = 10_000
