// Package server is zoomcti's HTTP surface and wiring: the Zoom webhook
// intake, the softphone page and its websocket, sessions, the call center
// definition, health checks, and the workers that feed the cti engine from
// the durable queues.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
)

// Deps are the server's collaborators; tests and the demo pass their own.
type Deps struct {
	Store      store.Store
	Clock      func() time.Time
	Logger     *slog.Logger
	HTTPClient *http.Client // for Salesforce and Zoom calls
}

// Server is one zoomcti instance.
type Server struct {
	cfg    Config
	store  store.Store
	now    func() time.Time
	log    *slog.Logger
	http   *http.Client
	tokens tokenVault // agents' OAuth tokens, sealed
	// orgs are the connected Salesforce orgs and their apps.
	orgs   *sfOrgs
	engine *cti.Engine
	hub    *hub
	crm    *crm
	zoom   *zoomAccess

	metrics *metrics
	// sfHTTP and zoomHTTP are http with their requests timed as
	// Salesforce's and Zoom's (zoomcti_upstream_request_duration_seconds).
	sfHTTP, zoomHTTP *http.Client
	// health counts the admin health figures between flushes (health.go);
	// healthEvery is how often they are flushed to the store.
	health      *healthRecorder
	healthEvery time.Duration
	// crashed skips the last flush when the workers stop, as a process
	// killed with -9 would (tests of what survives a crash).
	crashed atomic.Bool
	wake    wakers
	jobs    *dispatcher
	intakes intakes // ringing events' intake writes in flight
	// runCtx is Start's context, for the jobs this instance runs at once.
	runCtx    atomic.Pointer[context.Context]
	demoAgent *cti.Agent     // the signed-in agent of `zoomcti demo`
	demoAdmin *cti.Agent     // its admin, whom the demo's admin page signs in as
	wg        sync.WaitGroup // background workers
	// waitDelay is how long a job waits when the org is paused or the
	// agent must sign in again, before it is tried again.
	waitDelay time.Duration
	// poll is how often an idle worker of a queue looks for jobs it was
	// not nudged about: retries coming due, jobs other instances enqueued.
	poll func(queue string) time.Duration
	// evidence is what doctor shows where no API can check.
	evidence evidence
	// cache is store's reads of settings, agents and Zoom links.
	cache *readCache
	// wsWriteBuffers are shared by every websocket's writes.
	wsWriteBuffers sync.Pool
	// warming bounds the agents warmed at once for softphones that
	// connect (warmAgent).
	warming    chan struct{}
	warmingNow atomic.Int64 // agents whose link, record and describes are being read, or wait to be

	// draining is set when Serve begins to shut down: not ready, no new
	// softphones.
	draining atomic.Bool

	bodies          byteBudget    // bytes of request bodies being read (ZOOMCTI_BODY_BUDGET_MB)
	bodyReadTimeout time.Duration // how long a budgeted body read may take
	limiter         *rateLimiter  // per client address, for the unauthenticated routes that write
	// authWait overrides wsAuthWait (nanoseconds, when not 0), so tests of
	// the auth timeout need not wait ten seconds.
	authWait atomic.Int64
}

// New builds a server over cfg (already validated) and deps.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil {
		return nil, errors.New("server: no store")
	}
	s := &Server{cfg: cfg, store: deps.Store, now: deps.Clock, log: deps.Logger, http: deps.HTTPClient, waitDelay: time.Minute}
	s.poll = func(string) time.Duration { return pollInterval }
	s.warming = make(chan struct{}, warmAtOnce)
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.metrics = newMetrics()
	s.health = newHealthRecorder(s.now, s.log, func(reason string, n int) {
		s.metrics.healthDropped.WithLabelValues(reason).Add(float64(n))
	})
	s.healthEvery = healthFlushEvery
	// Timed below the read cache: a read it answers is no store operation.
	s.cache = newReadCache(newTimedStore(deps.Store, s.metrics), s.now, s.log)
	s.store = s.cache
	if s.http == nil {
		// Every agent's calls go to a handful of Salesforce and Zoom
		// hosts: keep enough connections open to them.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		s.http = &http.Client{Timeout: 20 * time.Second, Transport: t}
	}
	sl, err := newSealer(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.tokens = tokenVault{kv: s.store, sealer: sl}
	sfHTTP, zoomHTTP := upstreamClient(s.http, upSalesforce, s.metrics), upstreamClient(s.http, upZoom, s.metrics)
	s.sfHTTP, s.zoomHTTP = sfHTTP, zoomHTTP
	s.bodies.max = cfg.BodyBudget
	if s.bodies.max <= 0 {
		s.bodies.max = defaultBodyBudgetMB << 20
	}
	rate := cfg.RateLimit
	if rate <= 0 {
		rate = defaultRateLimit
	}
	s.limiter = newRateLimiter(rate, maxRateLimitedClients)
	s.hub = newHub(s.store, s.log, s.activeCall)
	s.jobs = newDispatcher(cfg.Workers)
	orgList := cfg.SFOrgs
	if len(orgList) == 0 {
		orgList = []SFOrg{{Name: "default", LoginURL: cfg.SFLoginURL, ClientID: cfg.SFClientID, ClientSecret: cfg.SFClientSecret, anyOrigin: true}}
	}
	s.orgs = newSFOrgs(orgList, cfg.PublicURL+"/oauth/salesforce/callback")
	settings := func(ctx context.Context, orgID string) (cti.Settings, error) {
		return loadSettings(ctx, s.store, orgID, cfg.DefaultCountry)
	}
	s.crm = newCRM(crmConfig{
		kv: s.store,
		tokens: sfTokenConfig{
			kv: s.store, vault: s.tokens, oauth: s.agentOAuth, http: sfHTTP, metrics: s.metrics,
			signedOut: s.signedOut, refreshed: s.adminStale,
		},
		apiVersion: cfg.SFAPIVersion,
		http:       sfHTTP,
		settings:   settings,
		signedOut:  s.signedOut,
		metrics:    s.metrics,
		health:     s.health,
		now:        s.now,
		log:        s.log,
	})
	s.zoom = &zoomAccess{
		kv:          s.store,
		vault:       s.tokens,
		oauth:       zoom.OAuthConfig(cfg.ZoomClientID, cfg.ZoomClientSecret, cfg.ZoomOAuthURL, cfg.PublicURL+"/oauth/zoom/callback"),
		apiURL:      cfg.ZoomAPIURL,
		http:        zoomHTTP,
		now:         s.now,
		metrics:     s.metrics,
		rateLimited: func(orgID string) { s.health.add(orgID, hfZoomLimited, 1) },
		needsReauth: s.zoomNeedsReauth,
		log:         s.log,
		problem:     s.noteZoomProblem,
	}
	s.engine = cti.NewEngine(cti.EngineConfig{
		Directory:   s,
		CRM:         s.crm,
		Notifier:    healthNotifier{s.hub, s},
		KV:          engineKV{s.store, s.nudge, &s.intakes, func() { s.metrics.jobsAckedApart.Inc() }},
		Outbox:      outbox{s},
		NotFound:    store.ErrNotFound,
		Conflict:    store.ErrConflict,
		Inline:      s.offerInline,
		Settings:    settings,
		QueueSettle: cfg.QueueSettle,
		Clock:       s.now,
		Logger:      s.log,
	})
	s.registerServerGauges()
	return s, nil
}

// Handler lists every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("POST /webhooks/zoom", s.handleZoomWebhook)
	mux.HandleFunc("GET /ws", s.handleWS)
	mux.HandleFunc("GET /softphone", s.handleSoftphone)
	mux.HandleFunc("GET /admin", s.handleAdminPage)
	mux.Handle("GET /static/", s.staticHandler())
	mux.HandleFunc("GET /callcenter.xml", s.handleCallCenter)
	mux.HandleFunc("GET /oauth/salesforce/start", s.unauthenticated(s.handleSigninStart))
	mux.HandleFunc("GET /oauth/salesforce/callback", s.unauthenticated(s.handleSigninCallback))
	mux.HandleFunc("POST /oauth/salesforce/result", s.unauthenticated(s.budgeted(4096, s.handleSigninResult)))
	mux.HandleFunc("POST /api/signout", s.handleSignout)
	mux.HandleFunc("POST /api/zoom/ticket", s.handleZoomTicket)
	mux.HandleFunc("POST /oauth/zoom/start", s.unauthenticated(s.budgeted(4096, s.handleZoomStart)))
	mux.HandleFunc("GET /oauth/zoom/callback", s.unauthenticated(s.handleZoomCallback))
	mux.HandleFunc("POST /oauth/zoom/result", s.unauthenticated(s.budgeted(4096, s.handleZoomResult)))
	mux.HandleFunc("POST /api/zoom/disconnect", s.handleZoomDisconnect)
	mux.HandleFunc("GET /api/me", s.handleMe)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	mux.HandleFunc("GET /api/admin/status", s.handleAdminStatus)
	mux.HandleFunc("GET /api/admin/setup", s.handleSetupGuide)
	mux.HandleFunc("GET /api/admin/health", s.handleAdminHealth)
	mux.HandleFunc("GET /api/admin/agents", s.handleAdminAgents)
	mux.HandleFunc("POST /api/admin/reconcile", s.handleAdminReconcile)
	mux.HandleFunc("POST /api/ops/reconcile", s.handleReconcile)
	mux.HandleFunc("GET /api/ops/doctor", s.handleDoctor)
	mux.HandleFunc("GET /api/settings", s.handleGetSettings)
	mux.HandleFunc("PUT /api/settings", s.handlePutSettings)
	mux.HandleFunc("GET /api/calllogs", s.handleListWrapUps)
	mux.HandleFunc("POST /api/calllogs/{call}", s.handleSaveWrapUp)
	mux.HandleFunc("DELETE /api/calllogs/{call}", s.handleDiscardWrapUp)
	mux.HandleFunc("GET /api/calllogs/{call}", s.handleGetCallLog)
	mux.HandleFunc("PATCH /api/calllogs/{call}", s.handleEditCallLog)
	mux.HandleFunc("GET /api/records", s.handleSearchRecords)
	if s.cfg.Demo {
		mux.HandleFunc("POST /api/demo/session", s.handleDemoSession)
		mux.HandleFunc("POST /api/demo/admin-session", s.handleDemoAdminSession)
	}
	mux.HandleFunc("GET /{$}", s.handleIndex)
	return s.securityHeaders(mux)
}

// Start runs the background workers until ctx is done; Wait waits for them.
func (s *Server) Start(ctx context.Context) error {
	if err := s.StartIntake(ctx); err != nil {
		return err
	}
	s.runCtx.Store(&ctx)
	s.wg.Go(func() { s.runReconcileLoop(ctx) })
	s.wg.Go(func() { s.runHealthFlush(ctx) })
	for _, q := range []string{ringQueue, eventQueue, cti.OutboxQueue} {
		s.wg.Go(func() { s.claimLoop(ctx, q) })
	}
	return nil
}

// StartIntake readies, until ctx is done, what the routes read — the hub's
// subscription and the read cache kept fresh by every instance's
// invalidations — without the workers: webhooks are stored and stay
// queued. Start calls it; `zoomcti bench intake` calls it alone, so that
// it measures the intake as a running instance serves it.
func (s *Server) StartIntake(ctx context.Context) error {
	if err := s.hub.start(ctx); err != nil {
		return err
	}
	if err := s.cache.start(ctx); err != nil {
		return fmt.Errorf("server: read cache: %w", err)
	}
	if err := s.migrateKeys(ctx); err != nil {
		return fmt.Errorf("server: move agent keys to their tagged names: %w", err)
	}
	return nil
}

// migrateKeys moves the agent keys of a store an earlier version wrote
// (without hash tags) to their tagged names, once per store: the first
// start of this version finds them, every later start finds the mark.
func (s *Server) migrateKeys(ctx context.Context) error {
	_, err := s.store.Get(ctx, keysMigratedKey)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	n, err := s.engine.MigrateKeys(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("agent keys moved to their hash-tagged names", "keys", n)
	}
	return s.store.Set(ctx, keysMigratedKey, []byte(s.now().UTC().Format(time.RFC3339)), 0)
}

// Wait blocks until the workers started by Start have stopped.
func (s *Server) Wait() { s.wg.Wait(); s.crm.cached() }

// handleHealthz answers GET /healthz: the process is alive.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers GET /readyz: the store is reachable, and the
// instance is not shutting down.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("store not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// handleIndex answers GET /: a pointer to what lives here.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "zoomcti: Zoom Phone for Salesforce.\n\nSoftphone (Open CTI adapter URL): %s/softphone\nCall center definition: %s/callcenter.xml\nZoom webhooks: %s/webhooks/zoom\n",
		s.cfg.PublicURL, s.cfg.PublicURL, s.cfg.PublicURL)
}

// OpenStore opens the store the configuration names: Redis when
// ZOOMCTI_REDIS_URL is set, else the embedded file.
func OpenStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.RedisURL != "" {
		st, err := redisstore.Open(ctx, cfg.RedisURL, redisstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("ZOOMCTI_REDIS_URL: %w", err)
		}
		return st, nil
	}
	st, err := bolt.Open(cfg.StorePath, bolt.Options{})
	if err != nil {
		return nil, fmt.Errorf("ZOOMCTI_STORE_PATH: %w", err)
	}
	return st, nil
}

// Serve listens on cfg.Addr and serves until ctx is done, then shuts down
// gracefully: the listener closes first, so that a proxy sends what comes
// next to another instance; then the websockets are closed with "going
// away", so that softphones reconnect there (and get their call in
// progress again); in-flight webhooks finish (they are stored before they
// are answered); the workers stop between jobs, a job claimed but not
// started is handed back to the queue at once (not after its lease), and a
// job running finishes and is settled.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ln = &onceCloseListener{Listener: ln}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	if err := s.Start(workCtx); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String(), "public_url", s.cfg.PublicURL)
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			_ = srv.Close()
			stopWork()
			s.Wait()
			return fmt.Errorf("ZOOMCTI_METRICS_ADDR: %w", err)
		}
		msrv := &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
		go func() { errc <- msrv.Serve(mln) }()
		defer msrv.Close()
		s.log.Info("serving metrics without a token", "addr", mln.Addr().String())
	}

	select {
	case err := <-errc:
		_ = srv.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s.draining.Store(true)
	// Closed before the softphones are told: a softphone that reconnects
	// at once must find another instance, not this one.
	_ = ln.Close()
	s.hub.closeAll()
	err := srv.Shutdown(shutCtx)
	stopWork()
	s.Wait()
	return err
}

// onceCloseListener lets Serve close the listener before http.Server's
// Shutdown does, which closes it again.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// Run is what `zoomcti serve` does: open the store, build the server and
// serve until ctx is done.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := New(cfg, Deps{Store: st, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ZOOMCTI_ADDR: %w", err)
	}
	return s.Serve(ctx, ln)
}

// outbox is the engine's view of the outbox queue: a job enqueued here
// wakes this instance's idle outbox workers at once.
type outbox struct{ s *Server }

func (o outbox) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	id, err := o.s.store.Enqueue(ctx, queue, payload)
	if err == nil {
		o.s.nudge(queue)
	}
	return id, err
}
