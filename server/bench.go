package server

// This file is `zoomcti bench`: a whole zoomcti serving real HTTP on
// loopback, with an emulated org (sfsim) and an emulated Zoom (zoomsim)
// beside it, N agents signed in and linked with a softphone connected over
// a real websocket each, and M inbound calls a second played at it as signed
// webhooks. It measures what an operator sizes a machine by.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
)

// BenchConfig describes one load run. Zero fields take the defaults shown.
type BenchConfig struct {
	Agents    int           // signed-in agents, each with a softphone connected (1000)
	Rate      float64       // inbound calls started per second (50)
	Duration  time.Duration // how long calls are started (30s)
	SFLatency time.Duration // added to every Salesforce data-API request (50ms; negative: none)
	// RedisURL, when set, keeps the server's state in that Redis under a
	// fresh key prefix (deleted afterwards) instead of an embedded store
	// in a temporary directory.
	RedisURL string
	Ring     time.Duration // ringing → answered (2s)
	Talk     time.Duration // answered → ended (5s)
	Wrap     time.Duration // ended → call history event, after which the agent takes calls again (1s)
	Contacts int           // Contacts seeded in the org; 9 calls in 10 come from one of them (200)
	// DrainTimeout bounds the wait, after the last event, for every queue
	// to empty and every Task to be written (2m).
	DrainTimeout time.Duration
	// Log receives the server's warnings and errors; they are counted in
	// the report either way.
	Log *slog.Logger
	// Progress, when set, gets a line as each phase starts.
	Progress io.Writer
	// CPUProfile, when set, receives a CPU profile of the load phase (calls
	// and drain).
	CPUProfile io.Writer
}

// Call numbers: agents' Zoom direct numbers, seeded Contacts, and callers
// that match no record.
const (
	benchMaxAgents    = 10000
	benchMaxContacts  = 10000
	benchUnknownShare = 0.1
	benchZoomAckLimit = 3 * time.Second // Zoom retries a delivery not answered in 3 s
)

// Validate fills in the defaults and checks the run is possible.
func (c *BenchConfig) Validate() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Agents == 0 {
		c.Agents = 1000
	}
	if c.Rate == 0 {
		c.Rate = 50
	}
	if c.Contacts == 0 {
		c.Contacts = 200
	}
	def(&c.Duration, 30*time.Second)
	def(&c.SFLatency, 50*time.Millisecond)
	def(&c.Ring, 2*time.Second)
	def(&c.Talk, 5*time.Second)
	def(&c.Wrap, time.Second)
	def(&c.DrainTimeout, 2*time.Minute)
	switch {
	case c.Agents < 1 || c.Agents > benchMaxAgents:
		return fmt.Errorf("agents: must be between 1 and %d", benchMaxAgents)
	case c.Rate < 0 || math.IsNaN(c.Rate) || c.Rate > 10000:
		return errors.New("rate: must be a positive number of calls per second (at most 10000)")
	case c.Duration < 0 || c.Ring < 0 || c.Talk < 0 || c.Wrap < 0 || c.DrainTimeout < 0:
		return errors.New("durations must be positive")
	case c.Contacts < 1 || c.Contacts > benchMaxContacts:
		return fmt.Errorf("contacts: must be between 1 and %d", benchMaxContacts)
	}
	// One call at a time per agent, as at a real desk: the agents must be
	// enough for the calls in progress at once, with some slack.
	if busy := int(math.Ceil(c.Rate * (c.Ring + c.Talk + c.Wrap).Seconds() * 1.2)); busy > c.Agents {
		return fmt.Errorf("%d agents cannot take %.4g calls/s of %s each (about %d are busy at once): add agents, or shorten ring/talk/wrap",
			c.Agents, c.Rate, c.Ring+c.Talk+c.Wrap, busy)
	}
	return nil
}

// Latencies summarize a set of durations.
type Latencies struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

func summarize(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(math.Ceil(p*float64(len(d))))-1)] }
	return Latencies{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: d[len(d)-1]}
}

// BenchReport is what a run measured.
type BenchReport struct {
	Config    BenchConfig
	Store     string        // "embedded (bbolt)" or "redis"
	Setup     time.Duration // agents created, linked, signed in and connected
	Load      time.Duration // first call started → last event sent
	Drain     time.Duration // last event sent → queues empty and every Task written
	Drained   bool
	CPUCores  float64 // average cores busy during load and drain (the whole process: server, emulators and clients)
	Connected int     // softphones the server held when the calls started

	Calls       int // calls started
	Ended       int // calls whose ended or call history event was acknowledged: each must have one Task
	Popped      int // calls whose pop reached the agent's softphone
	LatePops    int // pops that came after the call was answered: the agent picked up before the record opened
	PopKinds    map[string]int
	LoggedPush  int // "logged" messages (Task written) that reached the softphone
	Tasks       int // Tasks in the org for the run's calls
	TaskDupes   int // extra Tasks for a call that already had one
	AgentWaits  int // calls that waited for an idle agent
	Webhooks    int // deliveries sent
	WebhookErrs int // deliveries not answered 2xx
	LateAcks    int // deliveries answered after Zoom's 3 s (Zoom would retry them)

	Ack       Latencies // POST /webhooks/zoom → 200, every delivery
	Pop       Latencies // phone.callee_ringing POST sent → the pop on the agent's websocket
	TaskPush  Latencies // phone.callee_ended POST sent → "logged" on the agent's websocket
	PeakQueue struct{ Events, Outbox int }

	APIRequests int            // Salesforce data-API requests counted by the org during the calls
	APIByKind   map[string]int // the same by request kind (search, create, query, ...)
	// APITime is how long the org took to answer, by request kind: the
	// configured latency plus the emulator's own work.
	APITime map[string]Latencies
	// APIConns counts the TCP connections the server opened to the org.
	APIConns int
	// StoreOps is what the server asked of its store during the calls.
	StoreOps StoreOps

	// Memory of the connected softphones, measured after GC with every
	// softphone connected and no call yet. The clients run in the same
	// process; heap is split between server and clients by allocation site.
	HeapPerAgent       float64 // server side, bytes per connected agent
	ClientHeapPerAgent float64 // the bench's websocket clients, bytes per agent
	StackPerAgent      float64 // goroutine stacks, server and client together, bytes per agent
	GoroutinesPerAgent float64 // server side
	RSSPerAgent        float64 // whole process (Go's mapped memory) growth, bytes per agent

	ServerCounters map[string]int64 // the server's /api/stats counters
	LogCounts      map[string]int   // server warnings and errors by message
	Errors         []string         // the first few problems, one line each
	ErrorCount     int
}

// Err says why the run does not count as a success: a problem while
// running, a call without its pop, or Tasks that do not match the calls.
func (r *BenchReport) Err() error {
	var errs []string
	if r.ErrorCount > 0 {
		errs = append(errs, fmt.Sprintf("%d errors", r.ErrorCount))
	}
	if !r.Drained {
		errs = append(errs, "queues did not drain")
	}
	if r.Popped != r.Calls {
		errs = append(errs, fmt.Sprintf("%d of %d calls popped", r.Popped, r.Calls))
	}
	if r.Tasks != r.Ended || r.TaskDupes > 0 {
		errs = append(errs, fmt.Sprintf("%d Tasks (%d duplicates) for %d finished calls", r.Tasks, r.TaskDupes, r.Ended))
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("bench: " + strings.Join(errs, "; "))
}

// String prints the report as a table.
func (r *BenchReport) String() string {
	var b strings.Builder
	c := r.Config
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	lat := func(name string, l Latencies) {
		p("  %-26s %9s %9s %9s %9s   (%d)", name, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), l.N)
	}
	kib := func(v float64) string { return fmt.Sprintf("%.1f KiB", v/1024) }
	p("zoomcti bench: %d agents, %.4g calls/s for %s, Salesforce latency %s, store %s, GOMAXPROCS %d",
		c.Agents, c.Rate, c.Duration, max(c.SFLatency, 0), r.Store, runtime.GOMAXPROCS(0))
	p("  calls: ring %s, talk %s, wrap %s; %d Contacts, %.0f%% of callers unknown", c.Ring, c.Talk, c.Wrap, c.Contacts, benchUnknownShare*100)
	p("")
	p("  setup %s · load %s · drain %s · CPU %.2f cores busy (process: server + emulators + clients)",
		r.Setup.Round(time.Millisecond), r.Load.Round(time.Millisecond), r.Drain.Round(time.Millisecond), r.CPUCores)
	p("")
	p("  %-26s %9s %9s %9s %9s", "latency", "p50", "p95", "p99", "max")
	lat("webhook acknowledgement", r.Ack)
	lat("webhook → screen pop", r.Pop)
	lat("hang-up → Task on screen", r.TaskPush)
	p("")
	p("  calls started             %d (%.1f/s)%s", r.Calls, float64(r.Calls)/max(c.Duration.Seconds(), 1e-9), waits(r.AgentWaits))
	p("  screen pops               %d of %d%s; %d came after the agent answered (ring %s)", r.Popped, r.Calls, kinds(r.PopKinds), r.LatePops, c.Ring)
	p("  webhooks                  %d sent, %d failed, %d answered after 3 s", r.Webhooks, r.WebhookErrs, r.LateAcks)
	p("  Tasks written             %d for %d finished calls (%d duplicates)  %s", r.Tasks, r.Ended, r.TaskDupes, check(r.Tasks == r.Ended && r.TaskDupes == 0))
	p("  Task pushes to softphone  %d", r.LoggedPush)
	p("  peak queue depth          events %d, outbox %d", r.PeakQueue.Events, r.PeakQueue.Outbox)
	perCall := 0.0
	if r.Calls > 0 {
		perCall = float64(r.APIRequests) / float64(r.Calls)
	}
	p("  Salesforce API requests   %d, %.2f per call%s, over %d new connections", r.APIRequests, perCall, kinds(r.APIByKind), r.APIConns)
	for _, k := range sortedByCount(r.APIByKind) {
		if l, ok := r.APITime[k]; ok {
			lat("  org answer: "+k, l)
		}
	}
	if calls := max(r.Calls, 1); len(r.StoreOps.Count) > 0 {
		so := r.StoreOps
		p("  store operations per call %.1f writes, %.1f reads; a write took %.2f ms on average (waiting for the store included)",
			float64(so.Writes)/float64(calls), float64(so.Count["Get"])/float64(calls),
			float64(so.WriteTime)/float64(max(so.Writes, 1))/float64(time.Millisecond))
		var parts []string
		for _, k := range sortedByCount(so.Count) {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(so.Count[k])/float64(calls)))
		}
		p("    %s", strings.Join(parts, ", "))
	}
	p("")
	p("  memory per connected agent (%d softphones, after GC, before the first call):", r.Connected)
	p("    server heap             %s   (websocket, buffers, hub entry; allocation sites on the server side)", kib(r.HeapPerAgent))
	p("    server goroutines       %.2f", r.GoroutinesPerAgent)
	p("    goroutine stacks        %s   (server and bench client together)", kib(r.StackPerAgent))
	p("    bench client heap       %s   (the in-process websocket clients; not the server's)", kib(r.ClientHeapPerAgent))
	p("    process memory from Go  %s   (all of the above and runtime overhead)", kib(r.RSSPerAgent))
	if len(r.LogCounts) > 0 {
		p("")
		p("  server log (warnings and errors):")
		for _, k := range sortedByCount(r.LogCounts) {
			p("    %6d × %s", r.LogCounts[k], k)
		}
	}
	if interesting := benchCounters(r.ServerCounters); interesting != "" {
		p("  server counters:%s", interesting)
	}
	if r.ErrorCount > 0 {
		p("")
		p("  %d errors; the first:", r.ErrorCount)
		for _, e := range r.Errors {
			p("    %s", e)
		}
	}
	p("")
	if err := r.Err(); err != nil {
		p("  FAILED: %v", err)
	} else {
		p("  OK: every call popped, one Task per call")
	}
	if r.Popped > 0 && r.LatePops*100 > r.Popped {
		p("  BEHIND: %.0f%% of pops came after the agent answered; the event queue peaked at %d", 100*float64(r.LatePops)/float64(r.Popped), r.PeakQueue.Events)
	}
	return b.String()
}

func waits(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d waited for an idle agent", n)
}

func check(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedByCount(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sortedByCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	return keys
}

// benchCounters lists the server counters that say something went
// sideways (retries, drops, limits); the routine ones are in the table.
func benchCounters(c map[string]int64) string {
	var parts []string
	for k, v := range c {
		if k != "webhook_accepted" && k != "ws_connections" && k != "phone_cache_hits" {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// RunBench runs one load test as cfg says and reports what it measured.
// Everything it starts listens on 127.0.0.1 and stops before it returns.
func RunBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, calls: map[string]*benchCall{}, logs: &benchLog{mu: new(sync.Mutex), counts: map[string]int{}}}
	if cfg.Log != nil {
		b.logs.next = cfg.Log.Handler()
	}
	rep := &BenchReport{Config: cfg, PopKinds: map[string]int{}}
	setupStart := time.Now()
	if err := b.start(ctx); err != nil {
		b.close()
		return nil, err
	}
	defer b.close()
	if err := b.addAgents(ctx); err != nil {
		return nil, err
	}
	b.seedContacts()
	if err := b.connect(ctx, rep); err != nil {
		return nil, err
	}
	rep.Setup = time.Since(setupStart)
	rep.Store = b.storeName

	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			return nil, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	cpu0, wall0 := busyCPU(), time.Now()
	b.org.SetLatency(max(cfg.SFLatency, 0))
	api0, kinds0, ops0, conns0 := b.org.APIRequests(), b.api.snapshot(), b.counted.snapshot(), b.api.conns.Load()
	b.api.latencies() // setup's requests are not the calls'
	stopSampling := b.sampleQueues(ctx, rep)
	b.progress("calls: %.4g/s for %s", cfg.Rate, cfg.Duration)
	rep.Load = b.play(ctx)
	b.progress("draining the queues")
	rep.Drain, rep.Drained = b.drain(ctx)
	stopSampling()
	rep.CPUCores = (busyCPU() - cpu0) / time.Since(wall0).Seconds()
	if cfg.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	rep.StoreOps = b.counted.since(ops0)
	rep.APIRequests = b.org.APIRequests() - api0
	rep.APITime = b.api.latencies()
	rep.APIConns = int(b.api.conns.Load() - conns0)
	rep.APIByKind = map[string]int{}
	for k, v := range b.api.snapshot() {
		if d := v - kinds0[k]; d > 0 {
			rep.APIByKind[k] = d
		}
	}
	b.collect(rep)
	return rep, nil
}

// bench is one run: the rig (server, emulators, store) and what the calls
// measured.
type bench struct {
	cfg       BenchConfig
	logs      *benchLog
	storeName string

	srv     *Server
	st      store.Store    // the store itself; the bench's own reads go here
	counted *countingStore // the store as the server sees it
	org     *sfsim.Org
	zoom    *zoomsim.Zoom
	api     *apiCounter
	url     string // the server's base URL
	sender  *zoomsim.Sender
	agents  []*benchAgent
	numbers []string // the seeded Contacts' numbers, E.164

	stop     context.CancelFunc // stops the server
	served   chan error
	sims     []*http.Server
	cleanups []func()

	callSeq atomic.Int64

	mu       sync.Mutex
	calls    map[string]*benchCall
	acks     []time.Duration
	errCount int
	errs     []string
	webhooks int
	failed   int
	late     int
	waits    int
	other    map[string]int // unexpected softphone message types
}

func (b *bench) progress(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, "bench: "+format+"\n", args...)
	}
}

// fail records a problem: the run does not count as a success.
func (b *bench) fail(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failLocked(format, args...)
}

// start listens on three loopback ports and starts zoomcti (configured as
// `zoomcti serve` would be, with its defaults), the org and Zoom.
func (b *bench) start(ctx context.Context) error {
	var lns [3]net.Listener
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns[:i] {
				l.Close()
			}
			return fmt.Errorf("bench: listen: %w", err)
		}
		lns[i] = ln
	}
	b.url = "http://" + lns[0].Addr().String()
	sfURL, zoomURL := "http://"+lns[1].Addr().String(), "http://"+lns[2].Addr().String()
	secret := rand.Text()
	env := map[string]string{
		"ZOOMCTI_ADDR":                lns[0].Addr().String(),
		"ZOOMCTI_PUBLIC_URL":          b.url,
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": secret,
		"ZOOMCTI_ZOOM_CLIENT_ID":      zoomsim.DefaultClientID,
		"ZOOMCTI_ZOOM_CLIENT_SECRET":  zoomsim.DefaultClientSecret,
		"ZOOMCTI_ZOOM_OAUTH_URL":      zoomURL,
		"ZOOMCTI_ZOOM_API_URL":        zoomURL,
		"ZOOMCTI_SF_CLIENT_ID":        "sfsim-client-id",
		"ZOOMCTI_SF_CLIENT_SECRET":    "sfsim-client-secret",
		"ZOOMCTI_SF_LOGIN_URL":        sfURL,
		"ZOOMCTI_REDIS_URL":           b.cfg.RedisURL,
		"ZOOMCTI_ENCRYPTION_KEY":      benchKey(),
	}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return fmt.Errorf("bench: %w", err)
	}
	st, name, err := b.openStore(ctx, &cfg)
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	b.st, b.storeName = st, name
	b.cleanups = append(b.cleanups, func() { st.Close() })
	b.counted = &countingStore{Store: st}
	srv, err := New(cfg, Deps{Store: b.counted, Logger: slog.New(b.logs)})
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	b.srv = srv
	// Plenty of API budget: the run measures zoomcti, not the org's limit.
	b.org = sfsim.New(sfsim.Options{ClientID: cfg.SFClientID, ClientSecret: cfg.SFClientSecret, DailyLimit: math.MaxInt32})
	b.zoom = zoomsim.New(zoomsim.Options{WebhookSecret: secret, WebhookURL: b.url + "/webhooks/zoom"})
	b.api = &apiCounter{n: map[string]int{}, took: map[string][]time.Duration{}}
	b.sims = []*http.Server{
		{Handler: b.api.wrap(b.org), ReadHeaderTimeout: 10 * time.Second, ConnState: b.api.connState},
		{Handler: b.zoom, ReadHeaderTimeout: 10 * time.Second},
	}
	go b.sims[0].Serve(lns[1])
	go b.sims[1].Serve(lns[2])
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	b.stop, b.served = stop, make(chan error, 1)
	go func() { b.served <- srv.Serve(srvCtx, lns[0]) }()

	// Zoom's side: many deliveries at once over kept-alive connections, with
	// more patience than Zoom's 3 s so that a slow answer is measured.
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     time.Minute,
	}
	b.cleanups = append(b.cleanups, tr.CloseIdleConnections)
	b.sender = &zoomsim.Sender{URL: b.url + "/webhooks/zoom", Secret: secret, ClientID: zoomsim.DefaultClientID,
		Client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	return nil
}

func benchKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// openStore opens a throwaway store: a bbolt file in a temporary directory,
// or the configured Redis under a fresh prefix that is deleted afterwards.
func (b *bench) openStore(ctx context.Context, cfg *Config) (store.Store, string, error) {
	if cfg.RedisURL != "" {
		prefix := "zoomcti-bench-" + strings.ToLower(rand.Text()[:10]) + ":"
		st, err := redisstore.Open(ctx, cfg.RedisURL, redisstore.Options{Prefix: prefix})
		if err != nil {
			return nil, "", fmt.Errorf("bench: --redis: %w", err)
		}
		url := cfg.RedisURL
		b.cleanups = append(b.cleanups, func() { deleteRedisPrefix(url, prefix) })
		return st, "redis", nil
	}
	dir, err := os.MkdirTemp("", "zoomcti-bench-")
	if err != nil {
		return nil, "", fmt.Errorf("bench: %w", err)
	}
	b.cleanups = append(b.cleanups, func() { os.RemoveAll(dir) })
	cfg.StorePath = dir + string(os.PathSeparator) + "bench.db"
	st, err := OpenStore(ctx, *cfg)
	if err != nil {
		return nil, "", err
	}
	return st, "embedded (bbolt)", nil
}

func deleteRedisPrefix(url, prefix string) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return
	}
	c := goredis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			c.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		c.Unlink(ctx, keys...)
	}
}

// close stops everything start started, in reverse.
func (b *bench) close() {
	for _, a := range b.agents {
		a.close()
	}
	if b.stop != nil {
		b.stop()
		<-b.served
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range b.sims {
		_ = s.Shutdown(shut)
	}
	if b.zoom != nil {
		b.zoom.Close()
	}
	for _, f := range slices.Backward(b.cleanups) {
		f()
	}
}

// benchAgent is one agent: their Salesforce user, Zoom user and softphone.
type benchAgent struct {
	i      int
	agent  cti.Agent
	token  string // the softphone's session
	ws     *websocket.Conn
	done   chan struct{} // closed when the reader stops
	closed atomic.Bool
}

// addAgents creates every agent as the sign-in and the Zoom authorization
// would: a Salesforce user with its tokens, a Zoom user with its grant, the
// link between them, and a softphone session.
func (b *bench) addAgents(ctx context.Context) error {
	b.progress("creating %d agents", b.cfg.Agents)
	sfURL := b.srv.cfg.SFLoginURL // the org's instance URL is where it is served
	b.agents = make([]*benchAgent, b.cfg.Agents)
	for i := range b.agents {
		email := fmt.Sprintf("agent%04d@bench.example.com", i)
		last := fmt.Sprintf("%04d", i)
		id := b.org.Insert("User", map[string]any{"FirstName": "Agent", "LastName": last, "Username": email, "Email": email, "IsActive": true})
		zoomID := fmt.Sprintf("BENCHuser%012d", i)
		b.zoom.AddUser(zoomsim.User{ID: zoomID, Email: email, FirstName: "Agent", LastName: last,
			Extension: fmt.Sprint(20000 + i), Number: fmt.Sprintf("+1303555%04d", i)})
		b.agents[i] = &benchAgent{i: i, agent: cti.Agent{
			OrgID: b.org.OrgID(), UserID: id, Username: email, Email: email, Name: "Agent " + last,
			ZoomUserID: zoomID, ZoomEmail: email, TimeZone: "America/New_York",
		}}
	}
	// The store calls are what a sign-in costs; with Redis they overlap.
	return forEach(ctx, b.agents, 16, func(ctx context.Context, a *benchAgent) error {
		access, refresh := b.org.IssueToken(a.agent.UserID)
		tok := (&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}).
			WithExtra(map[string]any{"instance_url": sfURL})
		if err := b.srv.SaveAgent(ctx, agentRecord{Agent: a.agent, InstanceURL: sfURL, SignedIn: time.Now()}, tok); err != nil {
			return err
		}
		if err := b.srv.LinkZoom(ctx, a.agent); err != nil {
			return err
		}
		za, zr, exp := b.zoom.IssueToken(a.agent.ZoomUserID)
		if err := b.srv.saveZoomToken(ctx, a.agent.OrgID, a.agent.UserID, &oauth2.Token{AccessToken: za, RefreshToken: zr, Expiry: exp}); err != nil {
			return err
		}
		var err error
		a.token, err = b.srv.newSession(ctx, a.agent)
		return err
	})
}

// forEach runs fn on every item, n at a time, and returns the first error.
func forEach[T any](ctx context.Context, items []T, n int, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, it); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// seedContacts fills the org with Contacts whose phones are written the
// ways a real org's are.
func (b *bench) seedContacts() {
	formats := []string{"+1202556%04d", "(202) 556-%04d", "202-556-%04d", "202.556.%04d", "2025 56%04d"}
	b.numbers = make([]string, b.cfg.Contacts)
	for j := range b.numbers {
		b.numbers[j] = fmt.Sprintf("+1202556%04d", j)
		b.org.Insert("Contact", map[string]any{"FirstName": "Caller", "LastName": fmt.Sprintf("%04d", j),
			"Phone": fmt.Sprintf(formats[j%len(formats)], j)})
	}
}

// connect opens every softphone and measures what they cost the server.
func (b *bench) connect(ctx context.Context, rep *BenchReport) error {
	b.progress("connecting %d softphones", len(b.agents))
	before := takeMemory()
	// Every allocation is recorded while the softphones connect, so the
	// heap they hold can be split between server and clients exactly.
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	prof0 := memProfile()
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	wsURL := "ws" + strings.TrimPrefix(b.url, "http") + "/ws"
	err := forEach(ctx, b.agents, 16, func(ctx context.Context, a *benchAgent) error {
		return a.dial(ctx, d, wsURL, b.url, b)
	})
	if err != nil {
		return fmt.Errorf("bench: connect softphones: %w", err)
	}
	after := takeMemory()
	server, client := heapBySide(prof0, memProfile())
	n := float64(len(b.agents))
	rep.Connected = b.srv.hub.count()
	rep.HeapPerAgent = float64(server) / n
	rep.ClientHeapPerAgent = float64(client) / n
	rep.StackPerAgent = float64(after.stack-before.stack) / n
	rep.RSSPerAgent = float64(after.sys-before.sys) / n
	// The bench holds one reader goroutine per softphone.
	rep.GoroutinesPerAgent = float64(after.goroutines-before.goroutines-len(b.agents)) / n
	return nil
}

type memSnapshot struct {
	stack, sys uint64
	goroutines int
}

func takeMemory() memSnapshot {
	for range 3 {
		runtime.GC() // the profile lags the heap by up to two cycles
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSnapshot{stack: ms.StackInuse, sys: ms.Sys - ms.HeapReleased, goroutines: runtime.NumGoroutine()}
}

func memProfile() []runtime.MemProfileRecord {
	n, _ := runtime.MemProfile(nil, true)
	for {
		p := make([]runtime.MemProfileRecord, n+64)
		m, ok := runtime.MemProfile(p, true)
		if ok {
			return p[:m]
		}
		n = m
	}
}

// heapBySide sums the heap that grew between two profiles, split by whether
// the allocation happened in the bench's websocket client (dialing or
// reading as a softphone) or anywhere else, which is the server.
func heapBySide(before, after []runtime.MemProfileRecord) (server, client int64) {
	was := make(map[[32]uintptr]int64, len(before))
	for _, r := range before {
		was[r.Stack0] = r.InUseBytes()
	}
	for _, r := range after {
		d := r.InUseBytes() - was[r.Stack0]
		if d == 0 {
			continue
		}
		if clientSide(r.Stack()) {
			client += d
		} else {
			server += d
		}
	}
	return max(server, 0), max(client, 0)
}

func clientSide(stack []uintptr) bool {
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		fn := f.Function
		if strings.Contains(fn, "server.(*benchAgent)") || strings.Contains(fn, "websocket.(*Dialer)") || strings.Contains(fn, "net.(*Dialer)") {
			return true
		}
		if !more {
			return false
		}
	}
}

// dial opens the agent's softphone as the page does: same origin, the
// session token as the first message, then "hello".
func (a *benchAgent) dial(ctx context.Context, d *websocket.Dialer, wsURL, origin string, b *bench) error {
	ws, _, err := d.DialContext(ctx, wsURL, http.Header{"Origin": {origin}})
	if err != nil {
		return err
	}
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": a.token}); err != nil {
		ws.Close()
		return err
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hello struct{ Type string }
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		ws.Close()
		return fmt.Errorf("agent %d: no hello (%q): %v", a.i, hello.Type, err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	a.ws, a.done = ws, make(chan struct{})
	go a.read(b)
	return nil
}

// read is the softphone: it notes when each call's pop and Task arrive.
func (a *benchAgent) read(b *bench) {
	defer close(a.done)
	for {
		_, data, err := a.ws.ReadMessage()
		if err != nil {
			if !a.closed.Load() {
				b.fail("agent %d: softphone disconnected: %v", a.i, err)
			}
			return
		}
		at := time.Now()
		var m struct {
			Type   string
			Call   *struct{ ID string }
			Pop    *struct{ Kind string }
			CallID string `json:"call_id"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			b.fail("agent %d: bad message: %v", a.i, err)
			continue
		}
		switch {
		case m.Type == "call" && m.Call != nil:
			if m.Pop != nil {
				b.popped(a, m.Call.ID, m.Pop.Kind, at)
			}
		case m.Type == "logged":
			b.logged(a, m.CallID, at)
		default:
			b.mu.Lock()
			if b.other == nil {
				b.other = map[string]int{}
			}
			b.other[m.Type]++
			b.mu.Unlock()
		}
	}
}

func (a *benchAgent) close() {
	if a.ws == nil || !a.closed.CompareAndSwap(false, true) {
		return
	}
	_ = a.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = a.ws.Close()
	<-a.done
}

// benchCall is one call of the run.
type benchCall struct {
	agent             *benchAgent
	ringSent, endSent time.Time
	popAt, loggedAt   time.Time
	popKind           string
	pops, logs        int
	ended             bool // the server took its ended or call history event
}

func (b *bench) popped(a *benchAgent, callID, kind string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls[callID]
	switch {
	case c == nil:
		b.failLocked("agent %d: pop for unknown call %s", a.i, callID)
	case c.agent != a:
		b.failLocked("call %s for agent %d popped on agent %d's softphone", callID, c.agent.i, a.i)
	default:
		c.pops++
		if c.pops == 1 {
			c.popAt, c.popKind = at, kind
		} else {
			b.failLocked("call %s popped %d times", callID, c.pops)
		}
	}
}

func (b *bench) logged(a *benchAgent, callID string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls[callID]
	if c == nil || c.agent != a {
		b.failLocked("agent %d: Task pushed for a call not theirs: %s", a.i, callID)
		return
	}
	c.logs++
	if c.logs == 1 {
		c.loggedAt = at
	}
}

// failLocked is fail for a caller that holds b.mu.
func (b *bench) failLocked(format string, args ...any) {
	b.errCount++
	if len(b.errs) < 10 {
		b.errs = append(b.errs, fmt.Sprintf(format, args...))
	}
}

// play starts calls at the configured rate for the configured time and
// returns once every call has sent its last event.
func (b *bench) play(ctx context.Context) time.Duration {
	idle := make(chan *benchAgent, len(b.agents))
	for _, i := range mrand.Perm(len(b.agents)) {
		idle <- b.agents[i]
	}
	interval := time.Duration(float64(time.Second) / b.cfg.Rate)
	start := time.Now()
	var wg sync.WaitGroup
	for n := 0; ; n++ {
		at := start.Add(time.Duration(n) * interval)
		if at.Sub(start) >= b.cfg.Duration || !sleepUntil(ctx, at) {
			break
		}
		var a *benchAgent
		select {
		case a = <-idle:
		default:
			b.mu.Lock()
			b.waits++
			b.mu.Unlock()
			select {
			case a = <-idle:
			case <-ctx.Done():
			}
		}
		if a == nil {
			break
		}
		wg.Go(func() {
			b.call(ctx, a)
			idle <- a
		})
	}
	wg.Wait()
	return time.Since(start)
}

func sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// call plays one answered inbound call to a: ringing, answered after Ring,
// ended after Talk, the call history event after Wrap.
func (b *bench) call(ctx context.Context, a *benchAgent) {
	from := fmt.Sprintf("+1202557%04d", mrand.IntN(10000)) // nobody's number
	if mrand.Float64() >= benchUnknownShare {
		from = b.numbers[mrand.IntN(len(b.numbers))]
	}
	id := fmt.Sprint(7_400_000_000_000_000_000 + b.callSeq.Add(1)) // 19 digits, like Zoom's
	bodies, err := b.zoom.Inbound(zoomsim.CallSpec{CallID: id, From: from, To: a.agent.ZoomUserID, Ring: b.cfg.Ring, Talk: b.cfg.Talk})
	if err != nil {
		b.fail("build call: %v", err)
		return
	}
	c := &benchCall{agent: a}
	b.mu.Lock()
	b.calls[id] = c
	b.mu.Unlock()
	gaps := []time.Duration{0, b.cfg.Ring, b.cfg.Talk, b.cfg.Wrap}
	for i, body := range bodies {
		if i > 0 && !sleepUntil(ctx, time.Now().Add(gaps[min(i, len(gaps)-1)])) {
			return
		}
		sent := time.Now()
		b.mu.Lock()
		switch i {
		case 0:
			c.ringSent = sent
		case 2:
			c.endSent = sent
		}
		b.mu.Unlock()
		ok := b.deliver(ctx, body)
		if i >= 2 && ok {
			b.mu.Lock()
			c.ended = true
			b.mu.Unlock()
		}
	}
}

// deliver sends one signed event and records how long the answer took.
func (b *bench) deliver(ctx context.Context, body []byte) bool {
	t0 := time.Now()
	d, err := b.sender.Send(ctx, body)
	took := time.Since(t0)
	b.mu.Lock()
	b.webhooks++
	if err == nil {
		b.acks = append(b.acks, took)
		if took > benchZoomAckLimit {
			b.late++
		}
	} else {
		b.failed++
	}
	b.mu.Unlock()
	if err != nil {
		status := 0
		if d != nil {
			status = d.StatusCode
		}
		b.fail("webhook: %v (status %d)", err, status)
	}
	return err == nil
}

// drain waits until the server has nothing left to do: both queues empty
// and a Task for every ended call.
func (b *bench) drain(ctx context.Context) (time.Duration, bool) {
	start := time.Now()
	deadline := start.Add(b.cfg.DrainTimeout)
	for {
		ev, err1 := b.srv.eventBacklog(ctx)
		ob, err2 := b.st.Len(ctx, cti.OutboxQueue)
		if err1 == nil && err2 == nil && ev == 0 && ob == 0 && b.tasks() >= b.ended() {
			break
		}
		if time.Now().After(deadline) || !sleepUntil(ctx, time.Now().Add(50*time.Millisecond)) {
			return time.Since(start), false
		}
	}
	took := time.Since(start)
	// The last "logged" pushes are on their way to the softphones.
	for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait) && b.pushesPending(); {
		time.Sleep(20 * time.Millisecond)
	}
	return took, true
}

func (b *bench) ended() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.calls {
		if c.ended {
			n++
		}
	}
	return n
}

func (b *bench) pushesPending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.calls {
		if c.ended && c.logs == 0 {
			return true
		}
	}
	return false
}

// tasks counts the Tasks of the run's calls.
func (b *bench) tasks() int {
	n := 0
	for _, r := range b.org.Records("Task") {
		if id, _ := r["CallObject"].(string); id != "" {
			n++
		}
	}
	return n
}

// sampleQueues notes the deepest the queues get until the returned func is
// called.
func (b *bench) sampleQueues(ctx context.Context, rep *BenchReport) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if n, err := b.srv.eventBacklog(ctx); err == nil {
				rep.PeakQueue.Events = max(rep.PeakQueue.Events, n)
			}
			if n, err := b.st.Len(ctx, cti.OutboxQueue); err == nil {
				rep.PeakQueue.Outbox = max(rep.PeakQueue.Outbox, n)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// collect fills the report from what the calls recorded.
func (b *bench) collect(rep *BenchReport) {
	perCall := map[string]int{}
	for _, r := range b.org.Records("Task") {
		if id, _ := r["CallObject"].(string); id != "" {
			perCall[id]++
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var pops, pushes []time.Duration
	for id, c := range b.calls {
		rep.Calls++
		if c.ended {
			rep.Ended++
		}
		if c.pops > 0 {
			rep.Popped++
			rep.PopKinds[c.popKind]++
			pops = append(pops, c.popAt.Sub(c.ringSent))
			if c.popAt.Sub(c.ringSent) > b.cfg.Ring {
				rep.LatePops++
			}
		}
		if c.logs > 0 {
			rep.LoggedPush++
			pushes = append(pushes, c.loggedAt.Sub(c.endSent))
		}
		if n := perCall[id]; n > 0 {
			rep.Tasks++
			rep.TaskDupes += n - 1
			delete(perCall, id)
		}
	}
	for id := range perCall {
		b.failLocked("Task for a call the bench never made: %s", id)
	}
	for typ, n := range b.other {
		b.failLocked("%d unexpected %q messages on softphones", n, typ)
	}
	rep.Ack = summarize(b.acks)
	rep.Pop = summarize(pops)
	rep.TaskPush = summarize(pushes)
	rep.Webhooks, rep.WebhookErrs, rep.LateAcks, rep.AgentWaits = b.webhooks, b.failed, b.late, b.waits
	rep.ServerCounters = b.srv.metrics.snapshot()
	rep.LogCounts = b.logs.snapshot()
	rep.Errors, rep.ErrorCount = slices.Clone(b.errs), b.errCount
}

// busyCPU is the CPU time the process has spent, by the Go runtime's
// account (user code and GC, idle excluded).
func busyCPU() float64 {
	s := []rtmetrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindFloat64 || s[1].Value.Kind() != rtmetrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64() - s[1].Value.Float64()
}

// apiCounter counts and times the org's requests by kind.
type apiCounter struct {
	conns atomic.Int64 // connections opened to the org

	mu   sync.Mutex
	n    map[string]int
	took map[string][]time.Duration
}

func (c *apiCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, r)
		kind := apiKind(r)
		c.mu.Lock()
		c.n[kind]++
		c.took[kind] = append(c.took[kind], time.Since(t0))
		c.mu.Unlock()
	})
}

func (c *apiCounter) connState(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.conns.Add(1)
	}
}

func apiKind(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/services/oauth2/token"):
		return "token"
	case !strings.HasPrefix(p, "/services/data/"):
		return "other"
	case strings.Contains(p, "/search"):
		return "search"
	case strings.Contains(p, "/query"):
		return "query"
	case strings.Contains(p, "/composite/"):
		return "composite"
	case strings.Contains(p, "/sobjects/") && r.Method == http.MethodPost:
		return "create"
	case strings.Contains(p, "/sobjects/") && r.Method == http.MethodPatch:
		return "update"
	}
	return strings.ToLower(r.Method) + " other"
}

func (c *apiCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// latencies summarizes the answer times of the requests since the last
// call, by kind.
func (c *apiCounter) latencies() map[string]Latencies {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]Latencies{}
	for k, d := range c.took {
		out[k] = summarize(d)
	}
	c.took = map[string][]time.Duration{}
	return out
}

// benchLog counts the server's warnings and errors by message and passes
// them on to next, if any.
type benchLog struct {
	next   slog.Handler
	mu     *sync.Mutex
	counts map[string]int
}

func (h *benchLog) Enabled(ctx context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *benchLog) Handle(ctx context.Context, r slog.Record) error {
	h.lock()
	h.counts[r.Level.String()+" "+r.Message]++
	h.unlock()
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *benchLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithAttrs(as)
	}
	return &c
}

func (h *benchLog) WithGroup(name string) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

func (h *benchLog) lock()   { h.mu.Lock() }
func (h *benchLog) unlock() { h.mu.Unlock() }

func (h *benchLog) snapshot() map[string]int {
	h.lock()
	defer h.unlock()
	out := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}

// countingStore is the server's store as the bench hands it over: every
// call counted and timed by operation, to tell what a call costs the store.
type countingStore struct {
	store.Store
	ops [numStoreOps]struct{ n, ns atomic.Int64 }
}

const (
	opGet = iota
	opSet
	opSetNX
	opCompareAndDelete
	opDelete
	opKeys
	opEnqueue
	opClaim
	opClaimEmpty
	opAck
	opRetry
	opPublish
	numStoreOps
)

var storeOpNames = [numStoreOps]string{"Get", "Set", "SetNX", "CompareAndDelete", "Delete", "Keys", "Enqueue", "Claim", "Claim (empty)", "Ack", "Retry", "Publish"}

// storeOpWrites are the operations that change the store; on the embedded
// store each is a transaction of its own, committed with an fdatasync.
var storeOpWrites = [numStoreOps]bool{opSet: true, opSetNX: true, opCompareAndDelete: true, opDelete: true,
	opEnqueue: true, opClaim: true, opClaimEmpty: true, opAck: true, opRetry: true}

func (s *countingStore) note(op int, t0 time.Time) {
	s.ops[op].n.Add(1)
	s.ops[op].ns.Add(int64(time.Since(t0)))
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	defer s.note(opGet, time.Now())
	return s.Store.Get(ctx, key)
}

func (s *countingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	defer s.note(opSet, time.Now())
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *countingStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	defer s.note(opSetNX, time.Now())
	return s.Store.SetNX(ctx, key, value, ttl)
}

func (s *countingStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	defer s.note(opCompareAndDelete, time.Now())
	return s.Store.CompareAndDelete(ctx, key, value)
}

func (s *countingStore) Delete(ctx context.Context, keys ...string) error {
	defer s.note(opDelete, time.Now())
	return s.Store.Delete(ctx, keys...)
}

func (s *countingStore) Keys(ctx context.Context, prefix string) ([]string, error) {
	defer s.note(opKeys, time.Now())
	return s.Store.Keys(ctx, prefix)
}

func (s *countingStore) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	defer s.note(opEnqueue, time.Now())
	return s.Store.Enqueue(ctx, queue, payload)
}

func (s *countingStore) Claim(ctx context.Context, queue string, lease time.Duration) (*store.Job, error) {
	t0 := time.Now()
	j, err := s.Store.Claim(ctx, queue, lease)
	if j == nil {
		s.note(opClaimEmpty, t0)
	} else {
		s.note(opClaim, t0)
	}
	return j, err
}

func (s *countingStore) Ack(ctx context.Context, queue, id string) error {
	defer s.note(opAck, time.Now())
	return s.Store.Ack(ctx, queue, id)
}

func (s *countingStore) Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error {
	defer s.note(opRetry, time.Now())
	return s.Store.Retry(ctx, queue, id, delay, reason)
}

func (s *countingStore) Publish(ctx context.Context, channel string, payload []byte) error {
	defer s.note(opPublish, time.Now())
	return s.Store.Publish(ctx, channel, payload)
}

// StoreOps is what the server asked of its store during the calls.
type StoreOps struct {
	Count map[string]int           // by operation
	Time  map[string]time.Duration // total time spent, by operation
	// Writes counts the operations that change the store.
	Writes    int
	WriteTime time.Duration
}

type storeOpsSnapshot [numStoreOps][2]int64

func (s *countingStore) snapshot() storeOpsSnapshot {
	var out storeOpsSnapshot
	for i := range s.ops {
		out[i] = [2]int64{s.ops[i].n.Load(), s.ops[i].ns.Load()}
	}
	return out
}

func (s *countingStore) since(before storeOpsSnapshot) StoreOps {
	now := s.snapshot()
	ops := StoreOps{Count: map[string]int{}, Time: map[string]time.Duration{}}
	for i := range now {
		n, ns := int(now[i][0]-before[i][0]), time.Duration(now[i][1]-before[i][1])
		if n == 0 {
			continue
		}
		ops.Count[storeOpNames[i]], ops.Time[storeOpNames[i]] = n, ns
		if storeOpWrites[i] {
			ops.Writes += n
			ops.WriteTime += ns
		}
	}
	return ops
}
