package bench

// zoomcti faults: instances that die under load. Three `zoomcti serve`
// processes (the binary as built, without -race) share a redis-server with
// an append-only file, behind nginx from the distribution (round-robin,
// the websocket settings of deploy/nginx.conf). The emulated org and Zoom
// run in this process, as do the softphones (one websocket each, through
// nginx, reconnecting as the page does) and Zoom's webhook deliveries
// (through nginx, retried as Zoom retries an unacknowledged one, on Zoom's
// schedule with minutes read as seconds). Mid-load, one fault: an instance
// SIGKILLed, Redis SIGKILLed and started again, or each instance restarted
// in turn with SIGTERM. Then every call must have been popped on its
// agent's softphone and logged as exactly one Task.

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server"
)

// Scenario is the fault a run injects.
type Scenario string

const (
	// ScenarioKill SIGKILLs one instance mid-load and leaves it dead: its
	// softphones reconnect to the others, the webhooks in flight to it are
	// retried by Zoom, its claimed jobs are taken over when their leases
	// run out.
	ScenarioKill Scenario = "kill"
	// ScenarioRedisRestart SIGKILLs redis-server mid-load and starts it
	// again on the same append-only file.
	ScenarioRedisRestart Scenario = "redis-restart"
	// ScenarioRolling restarts every instance in turn, as a deployment
	// does: SIGTERM, wait for it to exit, start it, wait until it is ready.
	ScenarioRolling Scenario = "rolling"
)

// Scenarios lists every scenario, in the order `--scenario all` runs them.
func Scenarios() []Scenario { return []Scenario{ScenarioKill, ScenarioRedisRestart, ScenarioRolling} }

// FaultConfig describes one fault run. Zero fields take the defaults shown.
type FaultConfig struct {
	Scenario Scenario
	Rate     float64       // inbound calls started per second (50)
	Duration time.Duration // how long calls are started (30s)
	// FaultAt is when the fault starts, counted from the first call
	// (Duration/3).
	FaultAt time.Duration
	// Agents is how many agents are signed in (0: enough for the rate,
	// half as many again as are on a call at once).
	Agents    int
	Instances int // zoomcti processes behind the proxy (3)
	// Binary is the zoomcti program the instances run (required). Build it
	// without -race: two cores cannot carry three race-instrumented
	// instances at this load.
	Binary string
	// RedisServer and Nginx are the programs to run (found in PATH or the
	// system directories by default).
	RedisServer, Nginx string
	// AppendFsync is redis-server's appendfsync: "always" (the default, what
	// the guide recommends) or "everysec".
	AppendFsync string
	// RedisDown keeps redis-server down this long before it is started
	// again (redis-restart; 0: at once). A call that rang while it was down
	// may miss its pop (its webhooks wait for Zoom's retry) and is not
	// counted against the run; every other call must pop, and every call
	// must have its Task.
	RedisDown time.Duration
	// RedisCluster runs the instances on a three-master Redis Cluster
	// (redisCluster) instead of one redis-server; redis-restart then
	// crashes and restarts every node.
	RedisCluster bool
	SFLatency    time.Duration // added to every Salesforce data-API request (50ms; negative: none)
	Ring         time.Duration // ringing → answered (2s)
	Talk         time.Duration // answered → ended (5s)
	Wrap         time.Duration // ended → call history event (1s)
	Contacts     int           // Contacts seeded in the org (200)
	// RetryDelays is Zoom's retry schedule for a webhook not acknowledged
	// (default 5s, 20s, 60s: Zoom's +5, +25, +85 minutes read as seconds).
	RetryDelays []time.Duration
	// DrainTimeout bounds the wait, after the last call, for every retry,
	// every queue and every Task (3m: a job an instance died holding waits
	// for its lease, 30 s, or 2 minutes when it was claimed from the queue).
	DrainTimeout time.Duration
	// Dir receives the processes' files and logs ("": a temporary directory,
	// removed after a run that passed).
	Dir      string
	Progress io.Writer
}

// Validate fills in the defaults and checks the run is possible.
func (c *FaultConfig) Validate() error {
	if !slices.Contains(Scenarios(), c.Scenario) {
		return fmt.Errorf("scenario: %q is not one of %v", c.Scenario, Scenarios())
	}
	if c.Binary == "" {
		return fmt.Errorf("no zoomcti binary to run")
	}
	c.Rate = cmp.Or(c.Rate, 50)
	c.Instances = cmp.Or(c.Instances, 3)
	c.Contacts = cmp.Or(c.Contacts, 200)
	c.AppendFsync = cmp.Or(c.AppendFsync, "always")
	c.Duration = cmp.Or(c.Duration, 30*time.Second)
	c.FaultAt = cmp.Or(c.FaultAt, c.Duration/3)
	c.SFLatency = cmp.Or(c.SFLatency, 50*time.Millisecond)
	c.Ring = cmp.Or(c.Ring, 2*time.Second)
	c.Talk = cmp.Or(c.Talk, 5*time.Second)
	c.Wrap = cmp.Or(c.Wrap, time.Second)
	c.DrainTimeout = cmp.Or(c.DrainTimeout, 3*time.Minute)
	if c.RetryDelays == nil {
		c.RetryDelays = []time.Duration{5 * time.Second, 20 * time.Second, 60 * time.Second}
	}
	if c.Agents == 0 {
		c.Agents = int(math.Ceil(c.Rate * (c.Ring + c.Talk + c.Wrap).Seconds() * 1.5))
	}
	switch {
	case c.Rate <= 0 || math.IsNaN(c.Rate) || c.Rate > 1000:
		return fmt.Errorf("rate: must be between 0 and 1000 calls per second")
	case c.Instances < 2 || c.Instances > 9:
		return fmt.Errorf("instances: must be between 2 and 9 (a fault needs another instance to take over)")
	case c.AppendFsync != "always" && c.AppendFsync != "everysec":
		return fmt.Errorf("appendfsync: must be always or everysec")
	case c.RedisDown < 0 || c.RedisDown > 0 && c.Scenario != ScenarioRedisRestart:
		return fmt.Errorf("redis-down: only for the redis-restart scenario, and not negative")
	case c.FaultAt < 0 || c.FaultAt >= c.Duration:
		return fmt.Errorf("the fault must start within the calls (at %s of %s)", c.FaultAt, c.Duration)
	}
	b := Config{Agents: c.Agents, Rate: c.Rate, Duration: c.Duration, SFLatency: c.SFLatency,
		Ring: c.Ring, Talk: c.Talk, Wrap: c.Wrap, Contacts: c.Contacts}
	return b.Validate()
}

// RunFault runs one scenario as cfg says and reports what happened.
func RunFault(ctx context.Context, cfg FaultConfig) (*FaultReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Both ends of every softphone are not in this process (nginx holds
	// the other), but the org's and Zoom's connections are.
	if err := raiseFileLimit(uint64(cfg.Agents + 4096)); err != nil {
		return nil, fmt.Errorf("faults: %d agents: %w", cfg.Agents, err)
	}
	f := &faultRun{cfg: cfg}
	defer f.close()
	if err := f.start(ctx); err != nil {
		return nil, err
	}
	rep, err := f.run(ctx)
	if err == nil && rep.Err() == nil && cfg.Dir == "" {
		f.removeDir = true
	}
	return rep, err
}

// faultRun is one fault run: the bench's rig (org, Zoom, agents, calls)
// with the processes around it.
type faultRun struct {
	cfg       FaultConfig
	b         *rig
	dir       string
	removeDir bool

	redis     redisRig
	instances []*instance
	proxy     *nginxProxy
	setup     *server.Server // an instance never started: it enrolls agents and reads queue lengths
	sims      []*http.Server

	mu       sync.Mutex
	t0       time.Time // the first call
	timeline []FaultEvent
	outage   [2]time.Duration // redis-restart: killed, answering again
	killed   *instance        // kill: the instance SIGKILLed
	killedAt time.Duration    // kill: when, from the first call
	health   struct {         // kill: the admin's health after the restart
		checked bool
		pops    int
		err     error
	}
	failures []string
	retried  struct{ sent, acked, gaveUp int } // Zoom's retries
}

// FaultEvent is one step of the fault, at its time from the first call.
type FaultEvent struct {
	At   time.Duration
	What string
}

func (f *faultRun) progress(format string, args ...any) {
	if f.cfg.Progress != nil {
		fmt.Fprintf(f.cfg.Progress, "faults: "+format+"\n", args...)
	}
}

// note adds a step to the timeline.
func (f *faultRun) note(format string, args ...any) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := time.Since(f.t0)
	f.timeline = append(f.timeline, FaultEvent{At: at, What: fmt.Sprintf(format, args...)})
	f.progress("%6.2fs %s", at.Seconds(), f.timeline[len(f.timeline)-1].What)
	return at
}

// problem records something that makes the run fail.
func (f *faultRun) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

// start starts the emulators, Redis, the instances and nginx, enrolls the
// agents and connects their softphones.
func (f *faultRun) start(ctx context.Context) error {
	cfg := f.cfg
	f.dir = cfg.Dir
	if f.dir == "" {
		d, err := os.MkdirTemp("", "zoomcti-faults-")
		if err != nil {
			return err
		}
		f.dir = d
	} else if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	redisBin, err := findProgram(orDefault(cfg.RedisServer, "redis-server"))
	if err != nil {
		return err
	}
	nginxBin, err := findProgram(orDefault(cfg.Nginx, "nginx"))
	if err != nil {
		return err
	}
	f.b = &rig{
		cfg: Config{Agents: cfg.Agents, Rate: cfg.Rate, Duration: cfg.Duration, SFLatency: cfg.SFLatency,
			Ring: cfg.Ring, Talk: cfg.Talk, Wrap: cfg.Wrap, Contacts: cfg.Contacts, Progress: cfg.Progress},
		calls: map[string]*benchCall{},
		logs:  &benchLog{mu: new(sync.Mutex), counts: map[string]int{}},
	}
	b := f.b

	// The emulators, in this process.
	var lns [2]net.Listener
	for i := range lns {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
	}
	sfURL, zoomURL := "http://"+lns[0].Addr().String(), "http://"+lns[1].Addr().String()
	b.sfURL = sfURL
	secret := rand.Text()
	b.org = sfsim.New(sfsim.Options{ClientID: "sfsim-client-id", ClientSecret: "sfsim-client-secret", DailyLimit: math.MaxInt32})
	b.zoom = zoomsim.New(zoomsim.Options{WebhookSecret: secret})
	f.sims = []*http.Server{
		{Handler: b.org, ReadHeaderTimeout: 10 * time.Second},
		{Handler: b.zoom, ReadHeaderTimeout: 10 * time.Second},
	}
	for i, s := range f.sims {
		go s.Serve(lns[i])
	}

	// Redis.
	if cfg.RedisCluster {
		if f.redis, err = newRedisCluster(redisBin, f.dir, cfg.AppendFsync); err != nil {
			return err
		}
	} else {
		port, err := freePort()
		if err != nil {
			return err
		}
		f.redis = &redisServer{bin: redisBin, dir: f.dir, port: port, fsync: cfg.AppendFsync}
	}
	f.progress("starting %s in %s", f.redis, f.dir)
	if err := f.redis.Start(ctx); err != nil {
		return fmt.Errorf("faults: %w", err)
	}

	// The instances' configuration: what `zoomcti serve` reads.
	proxyPort, err := freePort()
	if err != nil {
		return err
	}
	f.proxy = &nginxProxy{bin: nginxBin, dir: f.dir, port: proxyPort}
	env := map[string]string{
		"ZOOMCTI_PUBLIC_URL":          f.proxy.url(),
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": secret,
		"ZOOMCTI_ZOOM_CLIENT_ID":      zoomsim.DefaultClientID,
		"ZOOMCTI_ZOOM_CLIENT_SECRET":  zoomsim.DefaultClientSecret,
		"ZOOMCTI_ZOOM_OAUTH_URL":      zoomURL,
		"ZOOMCTI_ZOOM_API_URL":        zoomURL,
		"ZOOMCTI_SF_CLIENT_ID":        "sfsim-client-id",
		"ZOOMCTI_SF_CLIENT_SECRET":    "sfsim-client-secret",
		"ZOOMCTI_SF_LOGIN_URL":        sfURL,
		"ZOOMCTI_REDIS_URL":           f.redis.URL(),
		"ZOOMCTI_ENCRYPTION_KEY":      benchKey(),
		"ZOOMCTI_TRUSTED_PROXIES":     "127.0.0.1",
		// Reconcile would write the Task of a call whose events were lost:
		// the runs must show that none was.
		"ZOOMCTI_RECONCILE_EVERY": "0",
		"ZOOMCTI_LOG_LEVEL":       "warn",
	}

	// The agents, enrolled by an instance that is never started, as the
	// sign-in and the Zoom authorization would leave them in Redis.
	scfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		err = scfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	st, err := server.OpenStore(ctx, scfg)
	if err != nil {
		return err
	}
	b.cleanups = append(b.cleanups, func() { st.Close() })
	if f.setup, err = server.New(scfg, server.Deps{Store: st, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		return err
	}
	b.srv = f.setup
	if err := b.addAgents(ctx); err != nil {
		return err
	}
	b.seedContacts()

	// The instances, then the proxy in front of them.
	base := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "ZOOMCTI_") })
	var upstreams []string
	for n := 1; n <= cfg.Instances; n++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		in := &instance{n: n, addr: "127.0.0.1:" + strconv.Itoa(port), argv: []string{cfg.Binary, "serve"}, dir: f.dir}
		in.env = append(slices.Clone(base), "ZOOMCTI_ADDR="+in.addr)
		for k, v := range env {
			in.env = append(in.env, k+"="+v)
		}
		f.instances = append(f.instances, in)
		upstreams = append(upstreams, in.addr)
	}
	f.progress("starting %d instances of %s", cfg.Instances, cfg.Binary)
	for _, in := range f.instances {
		if err := in.start(ctx); err != nil {
			return fmt.Errorf("faults: %w", err)
		}
	}
	f.progress("starting nginx on %s", f.proxy.url())
	if err := f.proxy.start(ctx, upstreams); err != nil {
		return fmt.Errorf("faults: %w", err)
	}

	// Zoom delivers through the proxy, with its 3 s deadline for an answer
	// and its retries.
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	b.cleanups = append(b.cleanups, tr.CloseIdleConnections)
	b.sender = &zoomsim.Sender{URL: f.proxy.url() + "/webhooks/zoom", Secret: secret, ClientID: zoomsim.DefaultClientID,
		Client: &http.Client{Transport: tr, Timeout: 3 * time.Second}}
	b.zoomRetries = &zoomsim.Redeliverer{Sender: b.sender, Delays: cfg.RetryDelays}

	// The softphones, through the proxy, reconnecting as the page does.
	f.progress("connecting %d softphones through nginx", len(b.agents))
	wsURL := "ws" + strings.TrimPrefix(f.proxy.url(), "http") + "/ws"
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	for _, a := range b.agents {
		a.redial = func(ctx context.Context) (*websocket.Conn, error) { return a.open(ctx, d, wsURL, f.proxy.url()) }
	}
	return forEach(ctx, b.agents, 16, func(ctx context.Context, a *benchAgent) error {
		return a.dial(ctx, d, wsURL, f.proxy.url(), b)
	})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// run plays the calls, injects the fault, drains and reports.
func (f *faultRun) run(ctx context.Context) (*FaultReport, error) {
	b := f.b
	b.org.SetLatency(max(f.cfg.SFLatency, 0))
	stopRetries := f.driveRetries(ctx)
	defer stopRetries()

	f.t0 = time.Now()
	f.progress("calls: %.4g/s for %s, %s at %s", f.cfg.Rate, f.cfg.Duration, f.cfg.Scenario, f.cfg.FaultAt)
	faultDone := make(chan struct{})
	go func() {
		defer close(faultDone)
		if sleepUntil(ctx, f.t0.Add(f.cfg.FaultAt)) {
			f.inject(ctx)
		}
	}()
	load := b.play(ctx)
	<-faultDone
	f.progress("draining: Zoom's retries, the queues, the Tasks")
	drain, drained := f.drain(ctx)
	if f.killed != nil {
		f.healthAfterKill(ctx)
	}
	return f.report(load, drain, drained), ctx.Err()
}

// healthFlush is how often an instance adds its admin health figures to the
// store (the server's healthFlushEvery): a SIGKILL loses at most what the
// killed instance counted since its last flush.
const healthFlush = 5 * time.Second

// healthAfterKill starts the SIGKILLed instance again and asks it, as the
// org's admin, for the admin page's health of the last hour: the figures
// every instance added to the store, the killed one's until its last flush.
func (f *faultRun) healthAfterKill(ctx context.Context) {
	b := f.b
	defer func() {
		if f.health.err != nil {
			f.problem("admin health after the restart: %v", f.health.err)
		}
	}()
	if err := f.killed.start(ctx); err != nil {
		f.health.err = fmt.Errorf("%s did not start again: %w", f.killed.name(), err)
		return
	}
	f.note("%s started again and answers", f.killed.name())
	admin := b.org.AdminUser()
	a := cti.Agent{OrgID: b.org.OrgID(), UserID: admin.ID, Username: admin.Username, Email: admin.Username, Name: admin.Name}
	access, refresh := b.org.IssueToken(admin.ID)
	tok := (&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}).WithExtra(map[string]any{"instance_url": b.sfURL})
	if err := f.setup.Enroll(ctx, server.Enrollment{Agent: a, InstanceURL: b.sfURL, Salesforce: tok, Admin: true}); err != nil {
		f.health.err = err
		return
	}
	token, err := f.setup.NewSession(ctx, a)
	if err != nil {
		f.health.err = err
		return
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+f.killed.addr+"/api/admin/health?range=hour", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.health.err = err
		return
	}
	defer resp.Body.Close()
	var got struct {
		Totals map[string]any `json:"totals"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		f.health.err = fmt.Errorf("GET /api/admin/health: %s (%v)", resp.Status, err)
		return
	}
	n, _ := got.Totals["pops"].(float64)
	f.health.checked, f.health.pops = true, int(n)
}

// driveRetries sends Zoom's retries as they fall due, until stopped.
func (f *faultRun) driveRetries(ctx context.Context) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, a := range f.b.zoomRetries.RetryDue(ctx) {
				f.mu.Lock()
				f.retried.sent++
				switch {
				case a.Err == nil:
					f.retried.acked++
				case a.Retry == len(f.cfg.RetryDelays):
					f.retried.gaveUp++
				}
				f.mu.Unlock()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// inject runs the scenario's fault.
func (f *faultRun) inject(ctx context.Context) {
	switch f.cfg.Scenario {
	case ScenarioKill:
		in := f.instances[len(f.instances)/2]
		pid := in.p.pid()
		in.p.kill()
		f.killed = in
		f.killedAt = f.note("SIGKILL %s (pid %d); it stays down", in.name(), pid)
	case ScenarioRedisRestart:
		pids := f.redis.PIDs()
		f.redis.Crash()
		f.outage[0] = f.note("SIGKILL %s (pid %v)", f.redis.Name(), pids)
		if f.cfg.RedisDown > 0 {
			// The outage the scenario asks for, not a wait for anything.
			sleepUntil(ctx, time.Now().Add(f.cfg.RedisDown))
		}
		if err := f.redis.Start(ctx); err != nil {
			f.problem("%s did not come back: %v", f.redis.Name(), err)
			return
		}
		f.outage[1] = f.note("%s started again and answers (pid %v)", f.redis.Name(), f.redis.PIDs())
	case ScenarioRolling:
		for _, in := range f.instances {
			f.note("SIGTERM %s (pid %d)", in.name(), in.p.pid())
			t := time.Now()
			if err := in.p.term(3 * time.Minute); err != nil {
				f.problem("%s: graceful shutdown: %v", in.name(), err)
			}
			f.note("%s exited after %s", in.name(), time.Since(t).Round(time.Millisecond))
			if err := in.start(ctx); err != nil {
				f.problem("%s did not start again: %v", in.name(), err)
				return
			}
			f.note("%s started again and ready (pid %d)", in.name(), in.p.pid())
		}
	}
}

// drain waits until Zoom has nothing left to retry, the queues are empty
// and every call has its Task.
func (f *faultRun) drain(ctx context.Context) (time.Duration, bool) {
	start := time.Now()
	calls := f.b.callCount()
	said := start
	err := waitUntil(ctx, nil, f.cfg.DrainTimeout, "drain", func(ctx context.Context) bool {
		retries, tasks := f.b.zoomRetries.Pending(), f.b.tasks()
		g, err := f.setup.Gauges(ctx)
		if err == nil && retries == 0 && tasks >= calls && g.Events == 0 && g.Outbox == 0 {
			return true
		}
		if time.Since(said) >= 10*time.Second {
			// A job an instance died holding waits for its lease.
			said = time.Now()
			f.progress("draining for %s: %d events and %d Task writes queued or claimed, %d webhooks for Zoom to retry, %d of %d Tasks",
				time.Since(start).Round(time.Second), g.Events, g.Outbox, retries, tasks, calls)
		}
		return false
	})
	return time.Since(start), err == nil
}

func (b *rig) callCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.calls)
}

// close stops everything start started.
func (f *faultRun) close() {
	if f.b != nil {
		for _, a := range f.b.agents {
			a.close()
		}
	}
	if f.proxy != nil {
		f.proxy.stop()
	}
	for _, in := range f.instances {
		if in.p != nil && in.p.running() {
			_ = in.p.term(30 * time.Second)
		}
	}
	if f.redis != nil {
		f.redis.Stop()
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range f.sims {
		_ = s.Shutdown(shut)
	}
	if f.b != nil {
		if f.b.zoom != nil {
			f.b.zoom.Close()
		}
		for _, c := range slices.Backward(f.b.cleanups) {
			c()
		}
	}
	if f.removeDir {
		os.RemoveAll(f.dir)
	}
}
