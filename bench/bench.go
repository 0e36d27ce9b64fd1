// Package bench is `zoomcti bench`, `zoomcti faults` and `zoomcti hostile`:
// tools that load a real zoomcti on loopback and print what an operator
// sizes a machine by, or what survives when its processes die (faults.go).
// The load run puts an emulated org (sfsim) and an emulated Zoom (zoomsim)
// beside the server, N agents signed in and linked with a softphone
// connected over a real websocket each, and plays M inbound calls a second
// at it as signed webhooks; the intake run compares the webhook intake with
// a bare handler that only checks signatures. It lives apart from package
// server, which it uses only through its exported API, so that `zoomcti
// serve` does not carry the emulators.
package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server"
	"github.com/zoomcti/zoomcti/server/store"
	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
)

// Config describes one load run. Zero fields take the defaults shown.
type Config struct {
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
	// Workers is the server's ZOOMCTI_WORKERS (0: its default).
	Workers int
	// DrainTimeout bounds the wait, after the last event, for every queue
	// to empty and every Task to be written (2m).
	DrainTimeout time.Duration
	// Log receives the server's warnings and errors; they are counted in
	// the report either way.
	Log *slog.Logger
	// Progress, when set, gets a line as each phase starts.
	Progress io.Writer
	// SoftphoneCommand, when set, runs the softphones in a child process
	// started with this command (`zoomcti bench softphones`, which calls
	// RunSoftphones); see softphones.go. Without it they run in this
	// process, which then needs two open files per agent.
	SoftphoneCommand []string
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
func (c *Config) Validate() error {
	c.Agents = cmp.Or(c.Agents, 1000)
	c.Rate = cmp.Or(c.Rate, 50)
	c.Contacts = cmp.Or(c.Contacts, 200)
	c.Duration = cmp.Or(c.Duration, 30*time.Second)
	c.SFLatency = cmp.Or(c.SFLatency, 50*time.Millisecond)
	c.Ring = cmp.Or(c.Ring, 2*time.Second)
	c.Talk = cmp.Or(c.Talk, 5*time.Second)
	c.Wrap = cmp.Or(c.Wrap, time.Second)
	c.DrainTimeout = cmp.Or(c.DrainTimeout, 2*time.Minute)
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

// Run runs one load test as cfg says and reports what it measured.
// Everything it starts listens on 127.0.0.1 and stops before it returns.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	files := 2 * cfg.Agents // both ends of every softphone's socket
	if len(cfg.SoftphoneCommand) > 0 {
		files = cfg.Agents
	}
	if err := raiseFileLimit(uint64(files + 2048)); err != nil {
		return nil, fmt.Errorf("bench: %d agents: %w", cfg.Agents, err)
	}
	// Everything the run starts is the bench's, except what start hands
	// to the server and the emulators (see cpu.go).
	onSide(ctx, sideBench, func(ctx context.Context) { rep, err = run(ctx, cfg) })
	return rep, err
}

func run(ctx context.Context, cfg Config) (*Report, error) {
	b := &rig{cfg: cfg, calls: map[string]*benchCall{}, logs: &benchLog{mu: new(sync.Mutex), counts: map[string]int{}}}
	if cfg.Log != nil {
		b.logs.next = cfg.Log.Handler()
	}
	rep := &Report{Config: cfg, PopKinds: map[string]int{}}
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
	rep.Store, rep.Workers = b.storeName, b.workers

	var prof cpuProfile
	if err := prof.start(); err != nil {
		return nil, err
	}
	cpu0, wall0, steal := processCPU(), time.Now(), startSteal()
	b.org.SetLatency(max(cfg.SFLatency, 0))
	api0, kinds0, ops0, conns0 := b.org.APIRequests(), b.api.snapshot(), b.counted.snapshot(), b.api.conns.Load()
	b.api.latencies() // setup's requests are not the calls'
	stopSampling := b.sampleQueues(ctx, rep)
	b.progress("calls: %.4g/s for %s", cfg.Rate, cfg.Duration)
	rep.Load = b.play(ctx)
	b.progress("draining the queues")
	rep.Drain, rep.Drained = b.drain(ctx)
	stopSampling()
	rep.CPUCores = (processCPU() - cpu0) / time.Since(wall0).Seconds()
	rep.Steal = steal.share()
	split, err := prof.stop(cfg.CPUProfile)
	if err != nil {
		return nil, err
	}
	rep.CPU = split
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

// rig is one run: the rig (server, emulators, store) and what the calls
// measured.
type rig struct {
	cfg       Config
	logs      *benchLog
	storeName string

	srv     *server.Server
	st      store.Store    // the store itself; the bench's own reads go here
	counted *countingStore // the store as the server sees it
	org     *sfsim.Org
	zoom    *zoomsim.Zoom
	api     *apiCounter
	url     string // the server's base URL
	workers int    // the server's workers of each kind
	sfURL   string // the org's base URL, which is also its instance URL
	sender  *zoomsim.Sender
	agents  []*benchAgent
	// softphones is the child process that holds the softphones, when
	// Config.SoftphoneCommand is set.
	softphones *softphoneProc
	numbers    []string // the seeded Contacts' numbers, E.164

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

	// zoomRetries, when set, delivers the calls' webhooks as Zoom does,
	// retrying those not acknowledged (zoomcti faults); unacked counts the
	// first attempts it had to retry, by what went wrong.
	zoomRetries *zoomsim.Redeliverer
	unacked     map[string]int
}

func (b *rig) progress(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, "bench: "+format+"\n", args...)
	}
}

// fail records a problem: the run does not count as a success.
func (b *rig) fail(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failLocked(format, args...)
}

// start listens on three loopback ports and starts zoomcti (configured as
// `zoomcti serve` would be, with its defaults), the org and Zoom.
func (b *rig) start(ctx context.Context) error {
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
	b.sfURL = sfURL
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
	if b.cfg.Workers > 0 {
		env["ZOOMCTI_WORKERS"] = strconv.Itoa(b.cfg.Workers)
	}
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return fmt.Errorf("bench: %w", err)
	}
	// Opened on the server's side: the store's own goroutines (the
	// embedded store's committer, Redis's subscriptions) are the server's.
	var (
		st   store.Store
		name string
	)
	onSide(ctx, sideServer, func(ctx context.Context) { st, name, err = b.openStore(ctx, &cfg) })
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	b.st, b.storeName = st, name
	b.cleanups = append(b.cleanups, func() { st.Close() })
	b.counted = &countingStore{Store: st}
	srv, err := server.New(cfg, server.Deps{Store: b.counted, Logger: slog.New(b.logs)})
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	b.srv = srv
	b.workers = cfg.Workers
	// Plenty of API budget: the run measures zoomcti, not the org's limit.
	b.org = sfsim.New(sfsim.Options{ClientID: cfg.SFClientID, ClientSecret: cfg.SFClientSecret, DailyLimit: math.MaxInt32})
	b.zoom = zoomsim.New(zoomsim.Options{WebhookSecret: secret, WebhookURL: b.url + "/webhooks/zoom"})
	b.api = &apiCounter{n: map[string]int{}, took: map[string][]time.Duration{}}
	b.sims = []*http.Server{
		{Handler: b.api.wrap(b.org), ReadHeaderTimeout: 10 * time.Second, ConnState: b.api.connState},
		{Handler: b.zoom, ReadHeaderTimeout: 10 * time.Second},
	}
	onSide(ctx, sideEmulators, func(context.Context) {
		go b.sims[0].Serve(lns[1])
		go b.sims[1].Serve(lns[2])
	})
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	b.stop, b.served = stop, make(chan error, 1)
	onSide(srvCtx, sideServer, func(srvCtx context.Context) {
		go func() { b.served <- srv.Serve(srvCtx, lns[0]) }()
	})

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
func (b *rig) openStore(ctx context.Context, cfg *server.Config) (store.Store, string, error) {
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
	st, err := server.OpenStore(ctx, *cfg)
	if err != nil {
		return nil, "", err
	}
	return st, "embedded (bbolt)", nil
}

func deleteRedisPrefix(url, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = redisstore.DeletePrefix(ctx, url, prefix)
}

// close stops everything start started, in reverse.
func (b *rig) close() {
	for _, a := range b.agents {
		a.close()
	}
	if b.softphones != nil {
		b.softphones.stop()
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
	i     int
	agent cti.Agent
	token string // the softphone's session

	mu     sync.Mutex      // guards ws, which a reconnect replaces
	ws     *websocket.Conn // the softphone's socket
	done   chan struct{}   // closed when the reader stops
	quit   chan struct{}   // closed by close: a reconnect in progress gives up
	closed atomic.Bool

	// redial, when set, makes the softphone do what the page does when its
	// socket drops (an instance going away): connect again, through the
	// load balancer, after a jittered back-off, and take the active call
	// the server resends. Without it a drop fails the run.
	redial     func(context.Context) (*websocket.Conn, error)
	reconnects atomic.Int64
}

// addAgents creates every agent as the sign-in and the Zoom authorization
// would: a Salesforce user with its tokens, a Zoom user with its grant, the
// link between them, and a softphone session.
func (b *rig) addAgents(ctx context.Context) error {
	b.progress("creating %d agents", b.cfg.Agents)
	sfURL := b.sfURL
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
		za, zr, exp := b.zoom.IssueToken(a.agent.ZoomUserID)
		err := b.srv.Enroll(ctx, server.Enrollment{Agent: a.agent, InstanceURL: sfURL, Salesforce: tok,
			Zoom: &oauth2.Token{AccessToken: za, RefreshToken: zr, Expiry: exp}})
		if err != nil {
			return err
		}
		a.token, err = b.srv.NewSession(ctx, a.agent)
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
func (b *rig) seedContacts() {
	// (A grouping no one types, such as "2025 56…", is found by no search
	// form, as in a real org; the normalised-number field finds it.)
	formats := []string{"+1202556%04d", "(202) 556-%04d", "202-556-%04d", "202.556.%04d", "+1 202 556 %04d"}
	b.numbers = make([]string, b.cfg.Contacts)
	for j := range b.numbers {
		b.numbers[j] = fmt.Sprintf("+1202556%04d", j)
		b.org.Insert("Contact", map[string]any{"FirstName": "Caller", "LastName": fmt.Sprintf("%04d", j),
			"Phone": fmt.Sprintf(formats[j%len(formats)], j)})
	}
	// They are the org's existing records: in the search index already.
	b.org.CatchUpIndex()
}

// connect opens every softphone and measures what they cost the server.
func (b *rig) connect(ctx context.Context, rep *Report) error {
	b.progress("connecting %d softphones", len(b.agents))
	before := takeMemory()
	// With the softphones in this process, every allocation is recorded
	// while they connect, so that the heap they hold can be split between
	// server and clients exactly; in a child process (the default) the
	// heap this process gained is the server's.
	inline := len(b.cfg.SoftphoneCommand) == 0
	var prof0 []runtime.MemProfileRecord
	if inline {
		rate := runtime.MemProfileRate
		runtime.MemProfileRate = 1
		defer func() { runtime.MemProfileRate = rate }()
		prof0 = memProfile()
	}
	wsURL := "ws" + strings.TrimPrefix(b.url, "http") + "/ws"
	readers := 0 // the bench's reader goroutines, one per softphone in this process
	var childHeap, childStack float64
	if len(b.cfg.SoftphoneCommand) > 0 {
		var err error
		if childHeap, childStack, err = b.startSoftphones(ctx, wsURL); err != nil {
			return err
		}
	} else {
		d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
		err := forEach(ctx, b.agents, 16, func(ctx context.Context, a *benchAgent) error {
			return a.dial(ctx, d, wsURL, b.url, b)
		})
		if err != nil {
			return fmt.Errorf("bench: connect softphones: %w", err)
		}
		readers = len(b.agents)
	}
	// A connected softphone has its agent's describes read (the fields
	// they see) ahead of their first call: the calls start, and the
	// memory is measured, once they have been.
	g, err := b.srv.Gauges(ctx)
	for ; err == nil && g.Warming > 0; g, err = b.srv.Gauges(ctx) {
		if !sleepUntil(ctx, time.Now().Add(20*time.Millisecond)) {
			return ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	after := takeMemory()
	server, client := int64(after.heap)-int64(before.heap), int64(0)
	if inline {
		server, client = heapBySide(prof0, memProfile())
	}
	n := float64(len(b.agents))
	rep.Connected = g.Softphones
	rep.HeapPerAgent = float64(server) / n
	rep.ClientHeapPerAgent = float64(client) / n
	rep.StackPerAgent = float64(after.stack-before.stack) / n
	rep.RSSPerAgent = float64(after.sys-before.sys) / n
	rep.GoroutinesPerAgent = float64(after.goroutines-before.goroutines-readers) / n
	if readers == 0 {
		rep.SoftphonesApart = true
		rep.ClientHeapPerAgent, rep.ClientStackPerAgent = childHeap, childStack
	}
	return nil
}
