package server

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// The admin's health series: per org, what the integration did minute by
// minute (webhooks, pops and their latency, Tasks, the outbox, Salesforce
// API usage, Zoom rate limits), for the admin page's charts over the last
// hour and the last day.
//
// Each instance counts in memory and flushes every healthFlushEvery with
// store.Counters: the figures are added to (never read and rewritten), so
// every instance's counts add up in a bucket shared on Redis, and what was
// flushed is on disk (or in Redis) when an instance dies, kill -9
// included. What a crash loses is what was counted since the last flush:
// at most healthFlushEvery of this instance's figures. A clean shutdown
// flushes last (Server.Wait).
//
// Two buckets per org and time: a minute (the hour view, kept a little
// over an hour) and a quarter hour (the day view, kept a little over a
// day), both written by the same flush. Counters add; gauges (the
// outbox's depth, the Tasks waiting, the API usage) keep the largest value
// seen in the bucket, and the outbox's are kept per instance (a field
// "outbox@<instance>") and summed when read, since each instance sees
// only the jobs it holds.

const (
	healthFlushEvery  = 5 * time.Second
	healthMinute      = time.Minute
	healthQuarter     = 15 * time.Minute
	healthMinuteKeep  = time.Hour + 10*time.Minute
	healthQuarterKeep = 24*time.Hour + 30*time.Minute
	healthLastCallTTL = 90 * 24 * time.Hour
)

// Bounds on what an instance holds between flushes. Everything counted
// comes from signed webhooks or from the store's own agents, so these are
// far above a real deployment's; past one, figures are dropped (and
// counted in zoomcti_health_counts_dropped_total), never the server.
const (
	maxHealthSlots     = 10_000  // (org, minute) pairs
	maxHealthZoomUsers = 50_000  // Zoom users whose org is not known yet, and the memo of known ones
	maxHealthOutbox    = 200_000 // outbox jobs tracked
	maxHealthLastCalls = 200_000 // agents with a call since the last flush
	// maxHealthLookups bounds the store reads a flush makes to name the org
	// of a webhook's Zoom user the engine has not looked up itself.
	maxHealthLookups = 1_000
)

// deploymentOrg holds the figures no org can be named for: deliveries
// refused before their body could be trusted. There is one Zoom app (one
// webhook secret) per deployment, so they concern every org alike.
const deploymentOrg = "-"

// The fields of a bucket.
const (
	hfReceived     = "webhooks_received"
	hfDuplicate    = "webhooks_duplicate"
	hfIgnored      = "webhooks_ignored"
	hfRejected     = "webhooks_rejected" // deploymentOrg only
	hfPops         = "pops"
	hfPopSumMS     = "pop_ms_sum"
	hfPopBucket    = "pop_b" // + index into popBuckets; len(popBuckets) is +Inf
	hfTasksWritten = "tasks_written"
	hfTasksAside   = "tasks_set_aside"
	hfTasksWaiting = "tasks_waiting@" // + instance: gauge
	hfOutbox       = "outbox@"        // + instance: gauge
	hfSFUsed       = "sf_api_used"    // gauge
	hfSFLimit      = "sf_api_limit"   // gauge
	hfZoomLimited  = "zoom_rate_limited"
)

type healthSlot struct {
	org    string
	minute int64 // Unix minutes
}

type zoomSlot struct {
	user   string
	minute int64
}

type healthTally struct {
	add map[string]int64
	max map[string]int64
}

func (t *healthTally) addN(field string, n int64) {
	if t.add == nil {
		t.add = map[string]int64{}
	}
	t.add[field] += n
}

func (t *healthTally) raise(field string, v int64) {
	if t.max == nil {
		t.max = map[string]int64{}
	}
	if cur, ok := t.max[field]; !ok || v > cur {
		t.max[field] = v
	}
}

func (t *healthTally) merge(o *healthTally) {
	for f, n := range o.add {
		t.addN(f, n)
	}
	for f, v := range o.max {
		t.raise(f, v)
	}
}

// outboxState is what an instance last saw of one outbox job.
type outboxState struct {
	org     string
	waiting bool      // the org is paused or the agent must sign in again
	until   time.Time // past this, another instance may hold it: forget it
}

// healthRecorder counts an instance's figures between flushes.
type healthRecorder struct {
	inst    string // this instance, in gauge field names
	now     func() time.Time
	log     *slog.Logger
	dropped func(reason string, n int)

	mu       sync.Mutex
	slots    map[healthSlot]*healthTally
	zoom     map[zoomSlot]*healthTally // webhooks by Zoom user, their org looked up at the flush
	lastCall map[[2]string]int64       // (org, user) → Unix seconds
	outbox   map[string]outboxState    // by job id
	// orgOf remembers the org of the Zoom users the engine looked up, so
	// the flush seldom reads the store to name a webhook's org.
	orgOf map[string]string
}

func newHealthRecorder(now func() time.Time, log *slog.Logger, dropped func(string, int)) *healthRecorder {
	return &healthRecorder{
		inst: randomToken()[:8], now: now, log: log, dropped: dropped,
		slots: map[healthSlot]*healthTally{}, zoom: map[zoomSlot]*healthTally{},
		lastCall: map[[2]string]int64{}, outbox: map[string]outboxState{}, orgOf: map[string]string{},
	}
}

// slot is the tally of org's current minute, or nil past the bound.
// Called with mu held.
func (h *healthRecorder) slot(org string, at time.Time) *healthTally {
	k := healthSlot{org, at.Unix() / 60}
	t := h.slots[k]
	if t == nil {
		if len(h.slots) >= maxHealthSlots {
			h.dropped("bound", 1)
			return nil
		}
		t = &healthTally{}
		h.slots[k] = t
	}
	return t
}

// add counts n of field for org now.
func (h *healthRecorder) add(org, field string, n int64) {
	if org == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.slot(org, h.now()); t != nil {
		t.addN(field, n)
	}
}

// raise records v as a value of gauge field for org now.
func (h *healthRecorder) raise(org, field string, v int64) {
	if org == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.slot(org, h.now()); t != nil {
		t.raise(field, v)
	}
}

// webhook counts a signed delivery for the org of zoomUser (Zoom's user
// id in the event): at once when the engine looked that user up lately,
// else at the next flush (unless known says only a known user's count).
// An event naming no user, or a user linked to no agent, is no org's.
func (h *healthRecorder) webhook(zoomUser, field string, known bool) {
	if zoomUser == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if org, ok := h.orgOf[zoomUser]; ok {
		if t := h.slot(org, now); org != "" && t != nil {
			t.addN(field, 1)
		}
		return
	}
	if known {
		return
	}
	k := zoomSlot{zoomUser, now.Unix() / 60}
	t := h.zoom[k]
	if t == nil {
		if len(h.zoom) >= maxHealthZoomUsers {
			h.dropped("bound", 1)
			return
		}
		t = &healthTally{}
		h.zoom[k] = t
	}
	t.addN(field, 1)
}

// learn remembers that zoomUser belongs to org ("": to no org).
func (h *healthRecorder) learn(zoomUser, org string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.orgOf[zoomUser]; ok && cur == org {
		return
	}
	if len(h.orgOf) >= maxHealthZoomUsers {
		clear(h.orgOf) // a memo: it fills again from the engine's lookups
	}
	h.orgOf[zoomUser] = org
}

// pop counts a screen pop for org that took d from the webhook's arrival.
func (h *healthRecorder) pop(org string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.slot(org, h.now())
	if t == nil {
		return
	}
	t.addN(hfPops, 1)
	t.addN(hfPopSumMS, d.Milliseconds())
	t.addN(hfPopBucket+strconv.Itoa(popBucket(d)), 1)
}

// popUntimed counts a screen pop for org whose webhook's arrival this
// instance did not see (a pop that waited for Salesforce, pushed by the
// lookup job): it counts as a pop, not in the latency.
func (h *healthRecorder) popUntimed(org string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.slot(org, h.now()); t != nil {
		t.addN(hfPops, 1)
	}
}

// popBucket is the index of the first bound of popBuckets d fits under
// (len(popBuckets): over the last).
func popBucket(d time.Duration) int {
	s := d.Seconds()
	for i, b := range popBuckets {
		if s <= b {
			return i
		}
	}
	return len(popBuckets)
}

// call notes that an agent's call was seen now.
func (h *healthRecorder) call(org, user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := [2]string{org, user}
	if _, ok := h.lastCall[k]; !ok && len(h.lastCall) >= maxHealthLastCalls {
		h.dropped("bound", 1)
		return
	}
	h.lastCall[k] = h.now().Unix()
}

// outboxHeld notes that this instance holds outbox job id of org until
// until (running it, or having put it back to wait), waiting when the org
// is paused or the agent must sign in again.
func (h *healthRecorder) outboxHeld(id, org string, waiting bool, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.outbox[id]; !ok && len(h.outbox) >= maxHealthOutbox {
		h.dropped("bound", 1)
		return
	}
	h.outbox[id] = outboxState{org: org, waiting: waiting, until: until}
}

// outboxDone notes that outbox job id left the queue (written or set aside).
func (h *healthRecorder) outboxDone(id string) {
	h.mu.Lock()
	delete(h.outbox, id)
	h.mu.Unlock()
}

// flush writes what was counted since the last flush. resolve names the
// org of a Zoom user ("" for none) when the memo does not.
func (h *healthRecorder) flush(ctx context.Context, st store.Counters, resolve func(ctx context.Context, zoomUser string) string) error {
	h.mu.Lock()
	now := h.now()
	slots, zoom, lastCall := h.slots, h.zoom, h.lastCall
	h.slots, h.zoom, h.lastCall = map[healthSlot]*healthTally{}, map[zoomSlot]*healthTally{}, map[[2]string]int64{}
	outbox, waiting := map[string]int64{}, map[string]int64{}
	for id, o := range h.outbox {
		if now.After(o.until) {
			delete(h.outbox, id)
			continue
		}
		outbox[o.org]++
		if o.waiting {
			waiting[o.org]++
		}
	}
	known := make(map[string]string, len(zoom))
	for k := range zoom {
		if org, ok := h.orgOf[k.user]; ok {
			known[k.user] = org
		}
	}
	h.mu.Unlock()

	lookups := 0
	for k, t := range zoom {
		org, ok := known[k.user]
		if !ok {
			if lookups >= maxHealthLookups {
				h.dropped("bound", 1)
				continue
			}
			lookups++
			org = resolve(ctx, k.user)
			known[k.user] = org
		}
		if org == "" {
			continue
		}
		s := healthSlot{org, k.minute}
		if slots[s] == nil {
			slots[s] = &healthTally{}
		}
		slots[s].merge(t)
	}
	minute := now.Unix() / 60
	for org, n := range outbox {
		s := healthSlot{org, minute}
		if slots[s] == nil {
			slots[s] = &healthTally{}
		}
		slots[s].raise(hfOutbox+h.inst, n)
		if w := waiting[org]; w > 0 {
			slots[s].raise(hfTasksWaiting+h.inst, w)
		}
	}
	var tallies []store.Tally
	for s, t := range slots {
		at := time.Unix(s.minute*60, 0)
		tallies = append(tallies,
			store.Tally{Key: healthMinuteKey(s.org, at), Add: t.add, Max: t.max, TTL: healthMinuteKeep},
			store.Tally{Key: healthQuarterKey(s.org, at), Add: t.add, Max: t.max, TTL: healthQuarterKeep})
	}
	calls := map[string]map[string]int64{}
	for k, at := range lastCall {
		if calls[k[0]] == nil {
			calls[k[0]] = map[string]int64{}
		}
		calls[k[0]][k[1]] = at
	}
	for org, users := range calls {
		tallies = append(tallies, store.Tally{Key: healthLastCallKey(org), Max: users, TTL: healthLastCallTTL})
	}
	if len(tallies) == 0 {
		return nil
	}
	if err := st.Count(ctx, tallies...); err != nil {
		// Not sent again: part of the batch may have landed, and counting
		// it twice would be worse than a gap.
		h.dropped("store", len(tallies))
		return err
	}
	return nil
}

// runHealthFlush flushes every interval until ctx is done, then once more.
func (s *Server) runHealthFlush(ctx context.Context) {
	t := time.NewTicker(s.healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if !s.crashed.Load() {
				final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				s.flushHealth(final)
				cancel()
			}
			return
		case <-t.C:
			s.flushHealth(ctx)
		}
	}
}

func (s *Server) flushHealth(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.health.flush(ctx, s.store, func(ctx context.Context, zoomUser string) string {
		a, err := s.AgentByZoomUser(ctx, zoomUser)
		if err != nil || a == nil {
			return ""
		}
		return a.OrgID
	})
	if err != nil && ctx.Err() == nil {
		s.log.Warn("cannot store the admin health figures; this interval's are lost", "err", err)
	}
}

// healthMinuteKey and healthQuarterKey name org's buckets holding at.
func healthMinuteKey(org string, at time.Time) string {
	return healthBucketKey(org, "m:"+strconv.FormatInt(at.Unix()/60, 10))
}

func healthQuarterKey(org string, at time.Time) string {
	return healthBucketKey(org, "q:"+strconv.FormatInt(at.Unix()/60/15*15, 10))
}

// orgOfAgentKey is the org of a cti.Agent.Key() (org:user).
func orgOfAgentKey(key string) (org, user string) {
	org, user, _ = strings.Cut(key, ":")
	return org, user
}
