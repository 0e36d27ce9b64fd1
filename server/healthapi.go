package server

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// The admin health API, for the admin page's charts (issue 12 item 3). An
// admin sees their own org only: the org comes from their session, never
// from the request. Poll it every flush_seconds (5 s): the store gets
// each instance's figures that often.
//
// GET /api/admin/health?range=hour|day (default hour)
//
//	{"org_id": "00D…", "range": "hour", "step_seconds": 60, "flush_seconds": 5,
//	 "times": ["2026-12-05T10:01:00Z", …],            // bucket starts, oldest first (60, or 96 of 15 minutes)
//	 "series": {                                       // one value per time
//	   "webhooks_received": [0, 3, …],                 // Zoom events taken for the org's agents
//	   "webhooks_duplicate": […],                      // redeliveries answered "duplicate"
//	   "webhooks_ignored": […],                        // signed events of a type zoomcti does not act on
//	   "pops": […], "pop_p50_ms": [null, 41.2, …], "pop_p99_ms": […],  // null: no pop in the bucket
//	   "tasks_written": […],                           // Tasks created in Salesforce
//	   "tasks_set_aside": […],                         // Salesforce writes that can never succeed
//	   "tasks_waiting": […],                           // writes waiting: the org paused or the agent signed out (most in the bucket)
//	   "outbox_depth": […],                            // writes not done yet, waiting included (most in the bucket)
//	   "sf_api_used": [null, 1200, …], "sf_api_limit": […],  // as Salesforce last reported in the bucket
//	   "zoom_rate_limited": […]},                      // 429s Zoom gave the org's agents' requests
//	 "totals": {"webhooks_received": 41, …, "pop_p50_ms": 40.1, "pop_p99_ms": 88.0},
//	 "deployment": {"webhooks_rejected": […]}}        // every org's: refused before any org could be named
//
// GET /api/admin/agents
//
//	{"org_id": "00D…", "agents": [{"user_id": "005…", "name": "…", "username": "…", "admin": false,
//	  "zoom_linked": true, "zoom_reauth": "", "salesforce_signin_required": "",
//	  "signed_in": "…", "last_call": "…" | null}]}
//
// It lists the org's agents from the store's keys (a SCAN on Redis): poll
// it every minute or so, not every few seconds.
//
// POST /api/admin/reconcile {"from": RFC 3339, "to": RFC 3339} streams JSON
// lines as it goes: one when it starts ("done": 0, with the number of
// agents), one per agent of the org as it is done, then the summary:
//
//	{"progress": {"agent": "", "done": 0, "total": 4, …zeros}}
//	{"progress": {"agent": "…", "done": 1, "total": 4, "seen": 6, "already_logged": 4,
//	              "logged_now": 1, "unsaved_wrapups": 1, "ignored": 0, "failed": 0}}
//	{"summary": {"from": …, "to": …, "agents": 4, "seen": 20, "already_logged": 15, "logged_now": 2,
//	             "unsaved_wrapups": 3, "ignored": 0, "failed": 0, "errors": […]}}   or   {"error": "…"}
//
// unsaved_wrapups are calls waiting for their agent's wrap-up (Auto Save
// Call Logs off): not logged, and not lost. 409 while another admin's
// reconcile of the org runs; closing the request stops the run after the
// agent in progress.

// healthRange is one view's buckets.
type healthRange struct {
	name  string
	step  time.Duration
	count int
	key   func(org string, at time.Time) string
}

var healthRanges = map[string]healthRange{
	"hour": {"hour", healthMinute, 60, healthMinuteKey},
	"day":  {"day", healthQuarter, 96, healthQuarterKey},
}

// counterSeries are the bucket fields shown as they are.
var counterSeries = []string{hfReceived, hfDuplicate, hfIgnored, hfPops, hfTasksWritten, hfTasksAside, hfZoomLimited}

// healthView is GET /api/admin/health's answer.
type healthView struct {
	OrgID        string             `json:"org_id"`
	Range        string             `json:"range"`
	StepSeconds  int                `json:"step_seconds"`
	FlushSeconds int                `json:"flush_seconds"`
	Times        []time.Time        `json:"times"`
	Series       map[string]any     `json:"series"`
	Totals       map[string]any     `json:"totals"`
	Deployment   map[string][]int64 `json:"deployment"`
}

// orgHealth reads org's buckets for range r, ending with the current one.
func (s *Server) orgHealth(ctx context.Context, org string, r healthRange) (*healthView, error) {
	last := s.now().Truncate(r.step)
	times := make([]time.Time, r.count)
	keys := make([]string, 0, 2*r.count)
	for i := range r.count {
		times[i] = last.Add(-time.Duration(r.count-1-i) * r.step).UTC()
		keys = append(keys, r.key(org, times[i]))
	}
	for _, t := range times {
		keys = append(keys, r.key(deploymentOrg, t))
	}
	sets, err := s.store.Counts(ctx, keys...)
	if err != nil {
		return nil, err
	}
	mine, deployment := sets[:r.count], sets[r.count:]
	v := &healthView{OrgID: org, Range: r.name, StepSeconds: int(r.step / time.Second), FlushSeconds: int(s.healthEvery / time.Second),
		Times: times, Series: map[string]any{}, Totals: map[string]any{}, Deployment: map[string][]int64{}}
	for _, f := range counterSeries {
		col, total := make([]int64, r.count), int64(0)
		for i, b := range mine {
			col[i] = b[f]
			total += b[f]
		}
		v.Series[f], v.Totals[f] = col, total
	}
	gauge := func(name, prefix string) {
		col := make([]int64, r.count)
		for i, b := range mine {
			col[i] = sumPrefixed(b, prefix)
		}
		v.Series[name] = col
	}
	gauge("tasks_waiting", hfTasksWaiting)
	gauge("outbox_depth", hfOutbox)
	for _, f := range []string{hfSFUsed, hfSFLimit} {
		col := make([]*int64, r.count)
		for i, b := range mine {
			if n, ok := b[f]; ok {
				col[i] = &n
			}
		}
		v.Series[f] = col
	}
	p50, p99 := make([]*float64, r.count), make([]*float64, r.count)
	all := make([]int64, len(popBuckets)+1)
	for i, b := range mine {
		h := popHistogram(b)
		for j := range all {
			all[j] += h[j]
		}
		p50[i], p99[i] = popQuantile(h, 0.5), popQuantile(h, 0.99)
	}
	v.Series["pop_p50_ms"], v.Series["pop_p99_ms"] = p50, p99
	v.Totals["pop_p50_ms"], v.Totals["pop_p99_ms"] = popQuantile(all, 0.5), popQuantile(all, 0.99)
	rejected := make([]int64, r.count)
	for i, b := range deployment {
		rejected[i] = b[hfRejected]
	}
	v.Deployment[hfRejected] = rejected
	return v, nil
}

// sumPrefixed adds the fields of b whose names start with prefix: a
// gauge's value from every instance.
func sumPrefixed(b map[string]int64, prefix string) int64 {
	var n int64
	for f, v := range b {
		if strings.HasPrefix(f, prefix) {
			n += v
		}
	}
	return n
}

// popHistogram is a bucket's pop counts per bound of popBuckets (+Inf last).
func popHistogram(b map[string]int64) []int64 {
	h := make([]int64, len(popBuckets)+1)
	for i := range h {
		h[i] = b[hfPopBucket+strconv.Itoa(i)]
	}
	return h
}

// popQuantile estimates the q-quantile of a pop histogram in milliseconds,
// interpolating within the bucket it falls in (as Prometheus's
// histogram_quantile does); nil when there is no pop. Past the last bound
// it answers the last bound.
func popQuantile(h []int64, q float64) *float64 {
	var total int64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return nil
	}
	rank := q * float64(total)
	var cum float64
	for i, n := range h {
		if n == 0 || cum+float64(n) < rank {
			cum += float64(n)
			continue
		}
		if i == len(popBuckets) {
			ms := popBuckets[len(popBuckets)-1] * 1000
			return &ms
		}
		lower := 0.0
		if i > 0 {
			lower = popBuckets[i-1]
		}
		ms := (lower + (popBuckets[i]-lower)*(rank-cum)/float64(n)) * 1000
		ms = math.Round(ms*10) / 10
		return &ms
	}
	ms := popBuckets[len(popBuckets)-1] * 1000
	return &ms
}

// handleAdminHealth answers GET /api/admin/health?range=hour|day: the
// admin's own org's series.
func (s *Server) handleAdminHealth(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("range")
	if name == "" {
		name = "hour"
	}
	rng, ok := healthRanges[name]
	if !ok {
		s.writeError(w, r, errorf(KindInvalid, "range must be hour or day", nil))
		return
	}
	v, err := s.orgHealth(r.Context(), a.OrgID, rng)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "store unavailable", err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// agentRow is one line of the admin's agents table.
type agentRow struct {
	UserID         string     `json:"user_id"`
	Name           string     `json:"name,omitempty"`
	Username       string     `json:"username,omitempty"`
	Admin          bool       `json:"admin"`
	ZoomLinked     bool       `json:"zoom_linked"`
	ZoomReauth     string     `json:"zoom_reauth"`                // why the agent must authorize Zoom again, or ""
	SigninRequired string     `json:"salesforce_signin_required"` // why they must sign in to Salesforce again, or ""
	SignedIn       time.Time  `json:"signed_in,omitzero"`
	LastCall       *time.Time `json:"last_call"`
}

// handleAdminAgents answers GET /api/admin/agents: the org's agents.
func (s *Server) handleAdminAgents(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	rows, err := s.orgAgents(r.Context(), a.OrgID)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "store unavailable", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"org_id": a.OrgID, "agents": rows})
}

// orgAgents lists org's agents, by name.
func (s *Server) orgAgents(ctx context.Context, org string) ([]agentRow, error) {
	keys, err := s.store.Keys(ctx, agentKey(org, ""))
	if err != nil {
		return nil, err
	}
	calls, err := s.store.Counts(ctx, healthLastCallKey(org))
	if err != nil {
		return nil, err
	}
	rows := []agentRow{}
	for _, k := range keys {
		var rec agentRecord
		if ok, err := getJSON(ctx, s.store, k, &rec); err != nil {
			return nil, err
		} else if !ok || rec.OrgID != org {
			continue
		}
		row := agentRow{UserID: rec.UserID, Name: rec.Name, Username: rec.Username, Admin: rec.Admin,
			ZoomLinked: rec.ZoomUserID != "", ZoomReauth: rec.ZoomReauth, SigninRequired: rec.SignInRequired, SignedIn: rec.SignedIn}
		if at, ok := calls[0][rec.UserID]; ok {
			t := time.Unix(at, 0).UTC()
			row.LastCall = &t
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(x, y agentRow) int {
		return strings.Compare(strings.ToLower(x.Name+"\x00"+x.Username), strings.ToLower(y.Name+"\x00"+y.Username))
	})
	return rows, nil
}

// lastHourTotals is what the softphone's health card shows of the org's
// last hour.
func (s *Server) lastHourTotals(ctx context.Context, org string) (map[string]int64, error) {
	v, err := s.orgHealth(ctx, org, healthRanges["hour"])
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, f := range counterSeries {
		out[f], _ = v.Totals[f].(int64)
	}
	return out, nil
}

// healthNotifier is the engine's notifier as the health figures see it:
// each call message notes the agent's last call, and each pop its latency
// from the webhook's arrival (carried in the job's context).
type healthNotifier struct {
	cti.Notifier
	s *Server
}

func (n healthNotifier) Notify(ctx context.Context, agentKey string, msg any) error {
	err := n.Notifier.Notify(ctx, agentKey, msg)
	m, ok := msg.(cti.Message)
	if !ok || m.Type != "call" || m.Call == nil {
		return err
	}
	org, user := orgOfAgentKey(agentKey)
	n.s.health.call(org, user)
	if m.Pop == nil || m.Resent || err != nil {
		return err
	}
	if at, ok := arrivedAt(ctx); ok {
		d := n.s.now().Sub(at)
		n.s.metrics.popLatency.Observe(d.Seconds())
		n.s.health.pop(org, d)
	} else {
		n.s.health.popUntimed(org)
	}
	return err
}

// arrivedKey carries a webhook's arrival time along its job's context.
type arrivedKey struct{}

func withArrival(ctx context.Context, at time.Time) context.Context {
	if at.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, arrivedKey{}, at)
}

func arrivedAt(ctx context.Context) (time.Time, bool) {
	at, ok := ctx.Value(arrivedKey{}).(time.Time)
	return at, ok
}
