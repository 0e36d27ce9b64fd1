package bench

// This file is `zoomcti bench intake`: what our webhook intake costs next
// to the least any intake must do.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/server"
	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
)

// IntakeConfig describes one intake run. Zero fields take the defaults shown.
type IntakeConfig struct {
	Senders  int           // concurrent senders against each target (32)
	Duration time.Duration // how long each target is sent to (10s)
	// RedisURL, when set, keeps the server's state in that Redis under a
	// fresh key prefix (deleted afterwards) instead of an embedded store
	// in a temporary directory.
	RedisURL string
	// Rounds is how many times both targets are measured, one after the
	// other (1). A machine whose speed changes under a run moves one
	// round's ratio by a tenth or more; rounds interleave the targets so
	// that both meet the same machine, and the report takes the median.
	Rounds int
	// Floor also measures, in each round after the bare handler, the bare
	// handler storing each delivery the plainest durable ways the same
	// kind of store allows (intake_floor.go): what any durable intake
	// pays, before zoomcti's decoding, queue job and batching. On local
	// disk these are two: an append-only journal, the least any intake
	// that keeps events on disk pays, and bbolt's own group commit.
	Floor    bool
	Progress io.Writer
	// CPUProfile, when set, receives a CPU profile of the zoomcti phase
	// alone (go tool pprof), of the first round.
	CPUProfile io.Writer
}

// IntakeResult is what one target answered.
type IntakeResult struct {
	Accepted int           // 200s
	Failed   int           // anything else, or no answer
	Took     time.Duration // from the first send to the last answer
	Ack      Latencies     // send → answer, accepted deliveries
	CPU      time.Duration // CPU time the whole process spent meanwhile (senders included)
	Steal    float64       // share of the machine's CPU time its host took meanwhile (steal.go); -1 unknown
	// StoreCPU is the CPU time the store's own server (redis-server) spent
	// meanwhile; 0 with the embedded store, whose work is the process's.
	StoreCPU time.Duration
}

// PerSecond is the accepted deliveries a second.
func (r IntakeResult) PerSecond() float64 {
	if r.Took <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Took.Seconds()
}

// IntakeReport compares a bare handler that only checks the signature and
// the timestamp with POST /webhooks/zoom of a real server.
type IntakeReport struct {
	Config IntakeConfig
	Store  string
	// Bare and Server are the round whose ratio is the median (the only
	// round, by default).
	Bare   IntakeResult
	Server IntakeResult
	Floors []IntakeResult // with Config.Floor, one per floor
	// FloorNames say how each floor stored a delivery.
	FloorNames []string
	Rounds     []IntakeRound // every round, in the order run
	Median     int           // the index in Rounds of Bare and Server's round
}

// IntakeRound is one measurement of every target, one after the other
// (Floors are none without IntakeConfig.Floor).
type IntakeRound struct {
	Bare   IntakeResult
	Floors []IntakeResult
	Server IntakeResult
}

// Ratio is zoomcti's deliveries a second over the bare handler's (the
// share issue 9 asks to be at least 0.5); 0 when the bare handler took none.
func (r IntakeRound) Ratio() float64 {
	if r.Bare.PerSecond() <= 0 {
		return 0
	}
	return r.Server.PerSecond() / r.Bare.PerSecond()
}

// pickMedian sets Bare, Server and Median from the round whose ratio is
// the median (the lower middle of an even count).
func (r *IntakeReport) pickMedian() {
	if len(r.Rounds) == 0 {
		return
	}
	order := make([]int, len(r.Rounds))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(r.Rounds[a].Ratio(), r.Rounds[b].Ratio()) })
	r.Median = order[(len(order)-1)/2]
	r.Bare, r.Floors, r.Server = r.Rounds[r.Median].Bare, r.Rounds[r.Median].Floors, r.Rounds[r.Median].Server
}

// RunIntake sends signed phone.callee_ringing deliveries, each a different
// call, first to the bare handler and then to the server, for cfg.Duration
// each with cfg.Senders senders over kept-alive loopback connections.
func RunIntake(ctx context.Context, cfg IntakeConfig) (*IntakeReport, error) {
	if cfg.Senders == 0 {
		cfg.Senders = 32
	}
	if cfg.Duration == 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Rounds == 0 {
		cfg.Rounds = 1
	}
	if cfg.Senders < 1 || cfg.Senders > 4096 || cfg.Duration < 0 || cfg.Rounds < 1 || cfg.Rounds > 100 {
		return nil, errors.New("intake: senders must be 1 to 4096, rounds 1 to 100 and the duration positive")
	}
	rep := &IntakeReport{Config: cfg}
	secret := benchKey()[:22]
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench intake: "+format+"\n", args...)
		}
	}
	for i := range cfg.Rounds {
		if cfg.Rounds > 1 {
			progress("round %d of %d", i+1, cfg.Rounds)
		}
		profile := cfg.CPUProfile
		if i > 0 {
			profile = nil
		}
		round, store, floors, err := intakeRound(ctx, cfg, secret, profile, progress)
		if err != nil {
			return nil, err
		}
		rep.Store, rep.FloorNames = store, floors
		rep.Rounds = append(rep.Rounds, round)
		if ctx.Err() != nil {
			break
		}
	}
	rep.pickMedian()
	return rep, ctx.Err()
}

// intakeRound measures the bare handler, then with cfg.Floor each floor (a
// store of its own), then a zoomcti of its own (a fresh store: no round
// sends to the queues another filled).
func intakeRound(ctx context.Context, cfg IntakeConfig, secret string, profile io.Writer, progress func(string, ...any)) (round IntakeRound, storeName string, floorNames []string, err error) {
	progress("bare handler (signature and timestamp only), %d senders for %s", cfg.Senders, cfg.Duration)
	bare, err := serveLoopback(bareIntake(secret))
	if err != nil {
		return round, "", nil, err
	}
	round.Bare = sendFor(ctx, bare.url, secret, cfg)
	bare.close()
	if cfg.Floor {
		for _, open := range floorsFor(cfg.RedisURL) {
			st, err := open(ctx)
			if err != nil {
				return round, "", nil, err
			}
			floorNames = append(floorNames, st.name)
			progress("bare handler and a plain durable write (%s), %d senders for %s", st.name, cfg.Senders, cfg.Duration)
			floor, err := serveLoopback(floorIntake(secret, st))
			if err != nil {
				st.close()
				return round, "", nil, err
			}
			res, err := sendCounting(ctx, floor.url, secret, cfg, nil)
			floor.close()
			st.close()
			if err != nil {
				return round, "", nil, err
			}
			round.Floors = append(round.Floors, res)
		}
	}

	srv, err := intakeServer(ctx, secret, cfg.RedisURL)
	if err != nil {
		return round, "", nil, err
	}
	defer srv.close()
	progress("POST /webhooks/zoom of zoomcti (store %s), %d senders for %s", srv.storeName, cfg.Senders, cfg.Duration)
	if round.Server, err = sendCounting(ctx, srv.url, secret, cfg, profile); err != nil {
		return round, "", nil, err
	}
	return round, srv.storeName, floorNames, nil
}

// sendCounting is sendFor with the CPU redis-server spent meanwhile
// (cfg.RedisURL) and, when profile is set, a CPU profile of the sending.
func sendCounting(ctx context.Context, url, secret string, cfg IntakeConfig, profile io.Writer) (IntakeResult, error) {
	var redis0 time.Duration
	if cfg.RedisURL != "" {
		var err error
		if redis0, err = redisstore.ServerCPU(ctx, cfg.RedisURL); err != nil {
			return IntakeResult{}, fmt.Errorf("intake: %w", err)
		}
	}
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return IntakeResult{}, fmt.Errorf("intake: cpu profile: %w", err)
		}
	}
	res := sendFor(ctx, url, secret, cfg)
	if profile != nil {
		pprof.StopCPUProfile()
	}
	if cfg.RedisURL != "" {
		redis1, err := redisstore.ServerCPU(ctx, cfg.RedisURL)
		if err != nil {
			return res, fmt.Errorf("intake: %w", err)
		}
		res.StoreCPU = redis1 - redis0
	}
	return res, nil
}

// bareIntake is the least a webhook intake must do: read the body and
// check the timestamp and the signature, as the server does, with the same
// functions.
func bareIntake(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := verifiedBody(w, r, secret); !ok {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"received"}`)
	})
}

// verifiedBody reads r's body and checks its timestamp and signature, or
// answers the refusal and reports false.
func verifiedBody(w http.ResponseWriter, r *http.Request, secret string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	ts := r.Header.Get(zoom.HeaderTimestamp)
	if zoom.CheckTimestamp(ts, time.Now(), zoom.MaxWebhookAge, zoom.MaxClockSkew) != nil || !zoom.Verify(secret, ts, body, r.Header.Get(zoom.HeaderSignature)) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// loopback is an HTTP server on 127.0.0.1.
type loopback struct {
	url       string
	storeName string
	hs        *http.Server
	cleanups  []func()
}

func serveLoopback(h http.Handler) (*loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("intake: listen: %w", err)
	}
	l := &loopback{url: "http://" + ln.Addr().String(), hs: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go l.hs.Serve(ln)
	return l, nil
}

func (l *loopback) close() {
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.hs.Shutdown(shut)
	for i := len(l.cleanups) - 1; i >= 0; i-- {
		l.cleanups[i]()
	}
}

// intakeServer is a zoomcti configured as `zoomcti serve` would be, with a
// throwaway store, serving its routes without its workers: what is
// measured is the intake alone (verify, dedupe, durable enqueue, 200), and
// the events stay queued.
func intakeServer(ctx context.Context, secret, redisURL string) (*loopback, error) {
	r := &rig{}
	env := map[string]string{
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": secret,
		"ZOOMCTI_ENCRYPTION_KEY":      benchKey(),
		"ZOOMCTI_REDIS_URL":           redisURL,
		"ZOOMCTI_RECONCILE_EVERY":     "0",
	}
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	st, name, err := r.openStore(ctx, &cfg)
	if err != nil {
		for _, f := range r.cleanups {
			f()
		}
		return nil, err
	}
	cleanups := append([]func(){}, r.cleanups...)
	cleanups = append(cleanups, func() { st.Close() })
	s, err := server.New(cfg, server.Deps{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		// As a running instance serves its intake: the read cache on, and
		// the calls' Zoom user linked to an agent, whose shard of the
		// queue the events go to.
		runCtx, stop := context.WithCancel(ctx)
		cleanups = append(cleanups, stop)
		err = s.StartIntake(runCtx)
		if err == nil {
			err = s.LinkZoom(ctx, cti.Agent{OrgID: "00D000000000001AAA", UserID: "005000000000001AAA", ZoomUserID: zoomsim.AliceID})
		}
	}
	if err == nil {
		var l *loopback
		if l, err = serveLoopback(s.Handler()); err == nil {
			l.storeName, l.cleanups = name, cleanups
			return l, nil
		}
	}
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	return nil, err
}

// intakeSeq numbers the calls of every intake run, so no delivery is a
// redelivery of another.
var intakeSeq atomic.Int64

// sendFor sends from cfg.Senders goroutines until cfg.Duration has passed.
func sendFor(ctx context.Context, url, secret string, cfg IntakeConfig) IntakeResult {
	tmpl, err := zoomsim.New(zoomsim.Options{}).Inbound(zoomsim.CallSpec{CallID: "7400000000000000000", From: "+12025550142", To: zoomsim.AliceID})
	if err != nil {
		return IntakeResult{Failed: 1}
	}
	ring := tmpl[0]
	tr := &http.Transport{MaxIdleConns: cfg.Senders, MaxIdleConnsPerHost: cfg.Senders, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	snd := &zoomsim.Sender{URL: url + "/webhooks/zoom", Secret: secret, ClientID: zoomsim.DefaultClientID,
		Client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	var (
		mu     sync.Mutex
		res    IntakeResult
		acks   []time.Duration
		wg     sync.WaitGroup
		start  = time.Now()
		cpu0   = processCPU()
		steal  = startSteal()
		stopAt = start.Add(cfg.Duration)
	)
	for range cfg.Senders {
		wg.Go(func() {
			var mine []time.Duration
			ok, failed := 0, 0
			for time.Now().Before(stopAt) && ctx.Err() == nil {
				id := fmt.Sprintf("%019d", 7_500_000_000_000_000_000+intakeSeq.Add(1))
				body := bytes.ReplaceAll(ring, []byte("7400000000000000000"), []byte(id))
				t0 := time.Now()
				d, err := snd.Send(ctx, body)
				if err == nil && d.StatusCode == http.StatusOK {
					ok++
					mine = append(mine, time.Since(t0))
				} else {
					failed++
				}
			}
			mu.Lock()
			res.Accepted += ok
			res.Failed += failed
			acks = append(acks, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Took = time.Since(start)
	res.CPU = time.Duration((processCPU() - cpu0) * float64(time.Second))
	res.Steal = steal.share()
	res.Ack = summarize(acks)
	return res
}

// String prints the report as a table.
func (r *IntakeReport) String() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
	p("zoomcti bench intake: %d senders for %s against each, store %s, GOMAXPROCS %d",
		r.Config.Senders, r.Config.Duration, r.Store, runtime.GOMAXPROCS(0))
	p("")
	p("  %-34s %10s %8s %9s %9s %9s %13s", "target", "accepted/s", "failed", "p50", "p99", "max", "CPU/delivery")
	row := func(name string, x IntakeResult) {
		per := 0.0
		if x.Accepted > 0 {
			per = float64(x.CPU) / float64(x.Accepted) / float64(time.Microsecond)
		}
		p("  %-34s %10.0f %8d %9s %9s %9s %10.0f µs", name, x.PerSecond(), x.Failed, ms(x.Ack.P50), ms(x.Ack.P99), ms(x.Ack.Max), per)
	}
	row("bare handler (HMAC + timestamp)", r.Bare)
	for i := range r.floors() {
		row(fmt.Sprintf("bare handler + plain write %d", i+1), r.Floors[i])
	}
	row("zoomcti POST /webhooks/zoom", r.Server)
	p("")
	if r.Server.PerSecond() > 0 {
		p("  ratio bare / zoomcti: %.2f   (zoomcti's intake takes %.0f%% of the deliveries a second the bare handler takes)",
			r.Bare.PerSecond()/r.Server.PerSecond(), 100*r.Server.PerSecond()/max(r.Bare.PerSecond(), 1e-9))
	}
	for i, name := range r.floors() {
		if f := r.Floors[i]; f.PerSecond() > 0 {
			p("  plain durable write %d (%s) leaves the bare handler %.0f%% of its deliveries a second; zoomcti's intake takes %.0f%% of that handler's",
				i+1, name, 100*f.PerSecond()/max(r.Bare.PerSecond(), 1e-9), 100*r.Server.PerSecond()/f.PerSecond())
		}
	}
	if len(r.Rounds) > 1 {
		ratios := make([]string, len(r.Rounds))
		for i, x := range r.Rounds {
			ratios[i] = fmt.Sprintf("%.0f%%", 100*x.Ratio())
		}
		p("  zoomcti's intake takes, round by round: %s of the bare handler's deliveries a second; the table is round %d, the median (%.0f%%)",
			strings.Join(ratios, ", "), r.Median+1, 100*r.Rounds[r.Median].Ratio())
	}
	p("  (CPU/delivery is the whole process, the senders' signing and HTTP included)")
	if per := func(x IntakeResult) float64 {
		if x.Accepted == 0 {
			return 0
		}
		return float64(x.CPU+x.StoreCPU) / float64(x.Accepted) / float64(time.Microsecond)
	}; per(r.Bare) > 0 && per(r.Server) > 0 {
		if r.Server.StoreCPU > 0 {
			floor := ""
			for i := range r.floors() {
				if f := r.Floors[i]; f.StoreCPU > 0 && f.Accepted > 0 {
					floor += fmt.Sprintf("; %.0f for plain durable write %d", float64(f.StoreCPU)/float64(f.Accepted)/float64(time.Microsecond), i+1)
				}
			}
			p("  redis-server: %.0f µs CPU per delivery (its own process, not in the column above)%s",
				float64(r.Server.StoreCPU)/float64(r.Server.Accepted)/float64(time.Microsecond), floor)
		}
		p("  CPU per delivery, every process: bare %.0f µs, zoomcti %.0f µs: with every core busy the ratio could be at most %.2f",
			per(r.Bare), per(r.Server), per(r.Bare)/per(r.Server))
		// Both pay the senders and the HTTP exchange, which is nearly all
		// of the bare handler's cost: what zoomcti costs beyond it is its
		// own work, and a ratio of 0.5 leaves that the bare handler's cost.
		if own := per(r.Server) - per(r.Bare); own > 0 {
			p("  zoomcti's own work (decode, dedupe, durable write, the store's server, the GC it causes): %.0f µs a delivery; a ratio of 0.5 needs it within %.0f",
				own, per(r.Bare))
		}
	}
	for _, x := range []struct {
		name string
		r    IntakeResult
	}{{"bare handler", r.Bare}, {"zoomcti", r.Server}} {
		taken, warning := stealNote(x.r.Steal)
		if taken != "" {
			p("  %s: %s", x.name, taken)
		}
		if warning != "" {
			p("  %s: %s", x.name, warning)
		}
	}
	return b.String()
}

// floors are the names of the floors the report has a result of.
func (r *IntakeReport) floors() []string {
	return r.FloorNames[:min(len(r.FloorNames), len(r.Floors))]
}

// Err says why an intake run does not count: a delivery refused, in any
// round.
func (r *IntakeReport) Err() error {
	rounds := r.Rounds
	if len(rounds) == 0 {
		rounds = []IntakeRound{{Bare: r.Bare, Floors: r.Floors, Server: r.Server}}
	}
	var bare, floor, srv int
	for _, x := range rounds {
		bare += x.Bare.Failed
		for _, f := range x.Floors {
			floor += f.Failed
		}
		srv += x.Server.Failed
	}
	if bare > 0 || floor > 0 || srv > 0 {
		return fmt.Errorf("bench intake: %d deliveries failed on the bare handler, %d on the plain durable writes, %d on zoomcti", bare, floor, srv)
	}
	return nil
}
