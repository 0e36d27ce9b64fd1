package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// healthOf is GET /api/admin/health as the page reads it.
type healthOf struct {
	OrgID        string                `json:"org_id"`
	StepSeconds  int                   `json:"step_seconds"`
	FlushSeconds int                   `json:"flush_seconds"`
	Times        []time.Time           `json:"times"`
	Series       map[string][]*float64 `json:"series"`
	Totals       map[string]*float64   `json:"totals"`
	Deployment   map[string][]int64    `json:"deployment"`
}

func (h healthOf) total(name string) float64 {
	if v := h.Totals[name]; v != nil {
		return *v
	}
	return 0
}

// anySet reports whether series name has a value in some bucket.
func (h healthOf) anySet(name string) bool {
	for _, v := range h.Series[name] {
		if v != nil && *v != 0 {
			return true
		}
	}
	return false
}

func (e *env) health(token, rng string) healthOf {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/admin/health?range="+rng, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /api/admin/health: status %d", resp.StatusCode)
	}
	var h healthOf
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		e.t.Fatal(err)
	}
	return h
}

// agentsOf is GET /api/admin/agents.
func (e *env) agentsOf(token string) []agentRow {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/admin/agents", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Agents []agentRow }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		e.t.Fatalf("GET /api/admin/agents: status %d", resp.StatusCode)
	}
	return out.Agents
}

// otherOrgAdmin signs in an admin of another org, orgID, who has no
// agents linked and no calls.
func (e *env) otherOrgAdmin(orgID string) string {
	e.t.Helper()
	rec := agentRecord{Agent: cti.Agent{OrgID: orgID, UserID: "005B0000000000B", Name: "Bea Other", Username: "bea@other.example"},
		InstanceURL: e.sfURL, Admin: true, AdminChecked: e.s.now()}
	if err := e.s.SaveAgent(context.Background(), rec, nil); err != nil {
		e.t.Fatal(err)
	}
	token, err := e.s.newSession(context.Background(), rec.Agent)
	if err != nil {
		e.t.Fatal(err)
	}
	return token
}

// sendUnsigned posts a webhook with a wrong signature (401).
func (e *env) sendUnsigned(body []byte) {
	e.t.Helper()
	req := signedRequest(body, time.Now(), "not-the-secret-not-the-secret")
	w := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		e.t.Fatalf("unsigned webhook: status %d, want 401", w.Code)
	}
}

// playInbound sends an answered inbound call's webhooks and returns them.
func (e *env) playInbound(callID string) [][]byte {
	e.t.Helper()
	bodies, err := sim().Inbound(simSpec(callID))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	return bodies
}

// An admin sees their own org's health: its webhooks, pops, Tasks, API
// usage and agents; an admin of another org on the same server sees none
// of it, an agent none at all.
func TestAdminHealthShowsTheAdminsOwnOrgOnly(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	bodies := e.playInbound("7400000000000001911")
	e.send(bodies[0]) // Zoom's redelivery: a duplicate
	readMsg(t, ws, "logged", 15*time.Second)
	e.drain()
	e.sendUnsigned(bodies[0])
	e.s.flushHealth(context.Background())

	mine := e.health(e.adminSession(), "hour")
	if mine.OrgID != e.org.OrgID() || mine.StepSeconds != 60 || len(mine.Times) != 60 || mine.FlushSeconds != 5 {
		t.Fatalf("hour view: org %s, step %d, %d buckets, flush %d", mine.OrgID, mine.StepSeconds, len(mine.Times), mine.FlushSeconds)
	}
	for name, want := range map[string]float64{
		hfReceived: float64(len(bodies)), hfDuplicate: 1, hfPops: 1, hfTasksWritten: 1, hfTasksAside: 0,
	} {
		if got := mine.total(name); got != want {
			t.Errorf("%s over the hour: %v, want %v", name, got, want)
		}
	}
	if p50 := mine.Totals["pop_p50_ms"]; p50 == nil || *p50 <= 0 {
		t.Errorf("pop p50 %v, want a latency", p50)
	}
	if !mine.anySet("pop_p99_ms") || !mine.anySet(hfSFUsed) || !mine.anySet(hfSFLimit) {
		t.Errorf("no pop latency or Salesforce API usage in the series: %v", mine.Series)
	}
	if day := e.health(e.adminSession(), "day"); len(day.Times) != 96 || day.StepSeconds != 900 || day.total(hfReceived) != float64(len(bodies)) {
		t.Errorf("day view: %d buckets of %d s, %v received", len(day.Times), day.StepSeconds, day.total(hfReceived))
	}
	agents := e.agentsOf(e.adminSession())
	var alice *agentRow
	for i := range agents {
		if agents[i].UserID == e.s.demoAgent.UserID {
			alice = &agents[i]
		}
	}
	if alice == nil || !alice.ZoomLinked || alice.LastCall == nil || alice.ZoomReauth != "" || alice.SigninRequired != "" {
		t.Errorf("the demo agent in the agents table: %+v", alice)
	}

	theirs := e.otherOrgAdmin("00DB00000000OtB")
	other := e.health(theirs, "hour")
	if other.OrgID != "00DB00000000OtB" {
		t.Fatalf("other admin's org %s", other.OrgID)
	}
	for name, col := range other.Series {
		for _, v := range col {
			if v != nil && *v != 0 {
				t.Errorf("the other org's admin sees %s %v", name, *v)
				break
			}
		}
	}
	if rows := e.agentsOf(theirs); len(rows) != 1 || rows[0].UserID != "005B0000000000B" {
		t.Errorf("the other org's admin sees agents %+v", rows)
	}
	// Refused before any org could be named: every admin sees the same.
	var rejected int64
	for _, n := range other.Deployment[hfRejected] {
		rejected += n
	}
	if len(other.Deployment[hfRejected]) != 60 || rejected != 1 {
		t.Errorf("deployment's rejected deliveries: %v, want 1 in 60 buckets", other.Deployment[hfRejected])
	}
	status, out := e.api(http.MethodGet, "/api/admin/status", theirs, nil)
	if counters, _ := out["counters"].(map[string]any); status != http.StatusOK || counters[hfReceived] != 0.0 {
		t.Errorf("the other org's status: %d %v", status, out["counters"])
	}

	for _, path := range []string{"/api/admin/health", "/api/admin/agents"} {
		if status, _ := e.api(http.MethodGet, path, e.session(), nil); status != http.StatusForbidden {
			t.Errorf("an agent's GET %s: status %d, want 403", path, status)
		}
	}
}

// The figures a crash (kill -9: no last flush) loses are at most those
// counted since the last flush; what was flushed is on disk. A clean stop
// flushes last and loses nothing.
func TestHealthSurvivesACrash(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	path := filepath.Join(t.TempDir(), "zoomcti.db")
	cfg := testConfig(t, func(c *Config) { c.StorePath, c.SFLoginURL = path, sf.URL })
	// run serves over the file until body returns, then stops: cleanly,
	// or as if killed (the last flush skipped).
	run := func(crash bool, body func(e *env)) {
		t.Helper()
		st, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s, err := New(cfg, Deps{Store: st, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		s.healthEvery = time.Hour // the test flushes when it says so
		ctx, cancel := context.WithCancel(context.Background())
		if err := s.linkDemoAgent(ctx, org, sf.URL); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		body(&env{t: t, s: s, st: st, org: org, sfURL: sf.URL, url: hs.URL})
		hs.Close()
		s.crashed.Store(crash)
		cancel()
		s.Wait()
	}
	var first [][]byte
	run(true, func(e *env) {
		first = e.playInbound("7400000000000001921")
		e.drain()
		e.s.flushHealth(context.Background()) // a periodic flush
		e.send(sim2Ringing(t, "7400000000000001922"))
		// killed: that ringing delivery was counted after the last flush
	})
	run(false, func(e *env) {
		h := e.health(e.adminSession(), "hour")
		if got := h.total(hfReceived); got != float64(len(first)) {
			t.Fatalf("after the crash: %v deliveries, want the %d flushed before it", got, len(first))
		}
		if h.total(hfPops) != 1 || h.total(hfTasksWritten) != 1 {
			t.Errorf("after the crash: pops %v, Tasks %v; want 1 and 1", h.total(hfPops), h.total(hfTasksWritten))
		}
		e.send(sim2Ringing(t, "7400000000000001923"))
		// stopped cleanly: flushed on the way out
	})
	run(false, func(e *env) {
		if got := e.health(e.adminSession(), "hour").total(hfReceived); got != float64(len(first)+1) {
			t.Errorf("after a clean stop: %v deliveries, want %d", got, len(first)+1)
		}
	})
}

// sim2Ringing is the ringing webhook of an inbound call.
func sim2Ringing(t *testing.T, callID string) []byte {
	t.Helper()
	bodies, err := sim().Inbound(simSpec(callID))
	if err != nil {
		t.Fatal(err)
	}
	return bodies[0]
}

// On Redis every instance adds its own figures to the same buckets: an
// admin asking any instance sees the sum.
func TestHealthAddsUpAcrossInstances(t *testing.T) {
	c := newCluster(t, 2)
	a, b := c.env(t, 0), c.env(t, 1)
	x := a.playInbound("7400000000000001931")
	y := b.playInbound("7400000000000001932")
	b.send(x[0]) // a redelivery to the other instance: its duplicate
	a.drain()
	if got := acceptedWebhooks(a.s); got != len(x) {
		t.Fatalf("instance A took %d deliveries, want %d", got, len(x))
	}
	if got := acceptedWebhooks(b.s); got != len(y) {
		t.Fatalf("instance B took %d deliveries, want %d", got, len(y))
	}
	a.s.flushHealth(context.Background())
	b.s.flushHealth(context.Background())
	for i, e := range []*env{a, b} {
		h := e.health(a.adminSession(), "hour")
		if got, want := h.total(hfReceived), float64(len(x)+len(y)); got != want {
			t.Errorf("instance %d answers %v deliveries, want %v from both", i, got, want)
		}
		if h.total(hfDuplicate) != 1 || h.total(hfPops) != 2 || h.total(hfTasksWritten) != 2 {
			t.Errorf("instance %d: duplicates %v, pops %v, Tasks %v; want 1, 2, 2", i,
				h.total(hfDuplicate), h.total(hfPops), h.total(hfTasksWritten))
		}
	}
}

// The outbox's depth and the Tasks waiting show while an org's writes
// wait (here: the agent must sign in again); once written, the instance
// holds none of them any more.
func TestHealthShowsTasksWaiting(t *testing.T) {
	e := newEnv(t)
	a := *e.s.demoAgent
	tok, err := e.s.tokens.loadSF(context.Background(), a.OrgID, a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	e.s.revokeSF(context.Background(), e.s.agentOAuth(context.Background(), a.OrgID, a.UserID), tok.RefreshToken)
	e.org.ExpireAccessTokens()
	const callID = "7400000000000001941"
	e.playInbound(callID)
	e.waitEvents()
	e.waitRetries(2)
	e.s.flushHealth(context.Background())
	h := e.health(e.adminSession(), "hour")
	if got := h.Series["tasks_waiting"]; !h.anySet("tasks_waiting") || !h.anySet("outbox_depth") {
		t.Fatalf("no Task waiting in the series: waiting %v, outbox %v", got, h.Series["outbox_depth"])
	}
	if h.total(hfTasksWritten) != 0 {
		t.Fatalf("%v Tasks written while signed out", h.total(hfTasksWritten))
	}

	access, refresh := e.org.IssueToken(a.UserID)
	e.signIn(access, refresh)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.tasks(callID)) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting call log was not written after signing in again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.drain()
	e.s.health.mu.Lock()
	held := len(e.s.health.outbox)
	e.s.health.mu.Unlock()
	if held != 0 {
		t.Errorf("%d outbox jobs still held after the Task was written", held)
	}
	e.s.flushHealth(context.Background())
	if got := e.health(e.adminSession(), "hour").total(hfTasksWritten); got != 1 {
		t.Errorf("%v Tasks written, want 1", got)
	}
}

// jsonLines reads the JSON log lines l holds.
func jsonLines(t *testing.T, l *lockedBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(l.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// One id follows a call through the logs, from each webhook taken to the
// Task written: the Zoom call id, as call_id.
func TestLogsFollowACallFromWebhookToTask(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	s, st := newTestServer(t, func(c *Config) { c.SFLoginURL = sf.URL })
	var logs lockedBuffer
	s2, err := New(s.cfg, Deps{Store: st, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); s2.Wait() }()
	if err := s2.linkDemoAgent(ctx, org, sf.URL); err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s2.Handler())
	defer hs.Close()
	e := &env{t: t, s: s2, st: st, org: org, sfURL: sf.URL, url: hs.URL}
	const callID = "7400000000000001951"
	bodies := e.playInbound(callID)
	e.drain()

	taken, logged := 0, 0
	for _, l := range jsonLines(t, &logs) {
		switch l["msg"] {
		case "zoom event accepted":
			if l["call_id"] == callID {
				taken++
			}
		case "call logged":
			if l["call_id"] == callID && l["task_id"] != "" && l["org_id"] == org.OrgID() {
				logged++
			}
		}
	}
	if taken != len(bodies) || logged != 1 {
		t.Errorf("call_id %s on %d webhook lines (want %d) and %d Task lines (want 1)", callID, taken, len(bodies), logged)
	}
}

// Zoom's 429s to an agent's requests count for the agent's org (and in
// the metrics, with no org).
func TestHealthCountsZoomRateLimits(t *testing.T) {
	e := newEnv(t)
	e.zoom.Throttle(2, time.Now()) // Retry-After: now, so the client tries again at once
	sum := e.reconcile(time.Now().Add(-time.Hour), time.Now())
	if sum.Agents != 1 || sum.Failed != 0 {
		t.Fatalf("reconcile through the throttle: %+v", sum)
	}
	e.s.flushHealth(context.Background())
	if got := e.health(e.adminSession(), "hour").total(hfZoomLimited); got != 2 {
		t.Errorf("Zoom rate limits for the org: %v, want 2", got)
	}
	if got := histogramCount(t, e.s, "zoomcti_upstream_request_duration_seconds", "service", "zoom", "outcome", "rate_limited"); got != 2 {
		t.Errorf("Zoom requests timed as rate limited: %d, want 2", got)
	}
}

// A pop that waited for Salesforce (the ringing event's lookup failed, the
// lookup job popped once Salesforce answered) counts on the admin's pops
// chart, though not in its latency: this instance never saw that pop's
// webhook arrive.
func TestHealthCountsAPopThatWaitedForSalesforce(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	defer ws.Close()
	// The faults are for the ringing event's lookup, not the describes the
	// connect reads: how many of them those took decided how long the
	// lookup waited.
	e.loadDescribes()
	e.org.InjectFaults(503, 1000) // Salesforce down until the card says so
	e.send(sim2Ringing(t, "7400000000000001931"))
	for {
		m := readMsg(t, ws, "call", 15*time.Second)
		if m["pop"] != nil {
			t.Fatalf("popped while Salesforce was down: %v", m)
		}
		if c, _ := m["call"].(map[string]any); c["lookup"] == "waiting" {
			break
		}
	}
	e.org.InjectFaults(503, 0) // back: the lookup job's next try finds the caller
	for {
		m := readMsg(t, ws, "call", 15*time.Second)
		if m["pop"] != nil {
			break
		}
	}
	e.drain()
	e.s.flushHealth(context.Background())
	if got := e.health(e.adminSession(), "hour").total(hfPops); got != 1 {
		t.Errorf("pops counted %v, want the one that waited for Salesforce", got)
	}
}
