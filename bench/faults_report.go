package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/redis"
)

// FaultReport is what a fault run saw.
type FaultReport struct {
	Config   FaultConfig
	Store    string // what the instances shared
	Dir      string // the processes' logs
	Timeline []FaultEvent
	Load     time.Duration // first call started → last first attempt sent
	Drain    time.Duration // → nothing left to retry, queues empty, every Task written
	Drained  bool

	Calls int // calls started
	// Popped counts the calls whose pop reached the agent's softphone,
	// PoppedBeforeAnswer those whose pop came before the answered webhook
	// was sent, PoppedResent those whose pop was missed and came with the
	// call in progress the server sends again: to a softphone that
	// reconnected, to every softphone of an instance whose push channel
	// lost messages, or with the call's answer.
	Popped, PoppedBeforeAnswer, PoppedResent int
	NotPopped                                []string // the first few calls never popped, with when they rang
	// NotPoppedInOutage counts the calls never popped that rang while
	// Redis was down (FaultConfig.RedisDown), which the run allows.
	NotPoppedInOutage int
	Pop               Latencies
	// LongestGap is the longest time, from the first pop until the last
	// call rang, in which no softphone got a pop; GapFrom is when it began
	// (from the first call).
	LongestGap, GapFrom time.Duration

	Tasks     int // calls with a Task
	TaskDupes int // extra Tasks for a call that had one
	Missing   int // calls without a Task
	// TaskLag is the hang-up (the ended webhook's first attempt) → the
	// Task's CreatedDate in the org, by call.
	TaskLag Latencies

	Webhooks int            // first attempts
	Unacked  map[string]int // first attempts not acknowledged, by what went wrong
	// Retries Zoom sent, acknowledged, and events it gave up on after its
	// third retry.
	Retries, RetriesAcked, GaveUp int
	Reconnects, Reconnected       int // softphone reconnections; softphones that reconnected

	// After a kill: the admin page's pops of the last hour, asked of the
	// killed instance started again, against the pops the softphones got;
	// HealthMayLose is how many of those came in the killed instance's last
	// flush interval before the SIGKILL, which its figures may lack.
	HealthChecked             bool
	HealthPops, HealthMayLose int

	InstanceLog map[string]int // the instances' warnings and errors by message
	ProxyErrors map[string]int // nginx's upstream errors by kind
	Errors      []string
	ErrorCount  int
}

// Err says why the run does not count as a success.
func (r *FaultReport) Err() error {
	var errs []string
	if r.ErrorCount > 0 {
		errs = append(errs, fmt.Sprintf("%d errors", r.ErrorCount))
	}
	if !r.Drained {
		errs = append(errs, "did not drain")
	}
	if r.Calls == 0 {
		errs = append(errs, "no calls")
	}
	if r.Popped+r.NotPoppedInOutage != r.Calls {
		errs = append(errs, fmt.Sprintf("%d of %d calls popped", r.Popped, r.Calls))
	}
	if r.Tasks != r.Calls || r.TaskDupes > 0 {
		errs = append(errs, fmt.Sprintf("%d Tasks (%d duplicates, %d calls without one) for %d calls", r.Tasks+r.TaskDupes, r.TaskDupes, r.Missing, r.Calls))
	}
	if r.GaveUp > 0 {
		errs = append(errs, fmt.Sprintf("Zoom gave up on %d events", r.GaveUp))
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("faults " + string(r.Config.Scenario) + ": " + strings.Join(errs, "; "))
}

// String prints the report.
func (r *FaultReport) String() string {
	var b strings.Builder
	c := r.Config
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	secs := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	p("zoomcti faults %s: %d instances (%s) behind nginx, %s; %d agents, %.4g calls/s for %s",
		c.Scenario, c.Instances, filepath.Base(c.Binary), r.Store, c.Agents, c.Rate, c.Duration)
	p("  calls: ring %s, talk %s, wrap %s; Salesforce latency %s; Zoom retries an unacknowledged webhook after %v",
		c.Ring, c.Talk, c.Wrap, max(c.SFLatency, 0), c.RetryDelays)
	if c.RedisDown > 0 {
		p("  Redis stays down %s before it is started again", c.RedisDown)
	}
	p("")
	for _, e := range r.Timeline {
		p("  %7.2fs  %s", e.At.Seconds(), e.What)
	}
	p("")
	p("  calls                      %d", r.Calls)
	p("  popped                     %d of %d  %s", r.Popped, r.Calls, check(r.Popped+r.NotPoppedInOutage == r.Calls))
	if r.NotPoppedInOutage > 0 {
		p("    not popped, rang while Redis was down (allowed)  %d", r.NotPoppedInOutage)
	}
	p("    before the answer        %d", r.PoppedBeforeAnswer)
	p("    resent (resync)          %d   (missed, then sent again: on a reconnect, after lost pushes, or with the answer)", r.PoppedResent)
	if r.Pop.N > 0 {
		p("    webhook → pop            p50 %s, p99 %s, max %s", secs(r.Pop.P50), secs(r.Pop.P99), secs(r.Pop.Max))
	}
	for _, n := range r.NotPopped {
		p("    not popped: %s", n)
	}
	p("  longest gap without pops   %s (from %.2fs)", secs(r.LongestGap), r.GapFrom.Seconds())
	p("  Tasks                      %d for %d calls: %d duplicates, %d missing  %s", r.Tasks+r.TaskDupes, r.Calls, r.TaskDupes, r.Missing,
		check(r.Tasks == r.Calls && r.TaskDupes == 0))
	if r.TaskLag.N > 0 {
		p("    hang-up → Task           p50 %s, p99 %s, max %s", secs(r.TaskLag.P50), secs(r.TaskLag.P99), secs(r.TaskLag.Max))
	}
	unacked := 0
	for _, n := range r.Unacked {
		unacked += n
	}
	p("  webhooks                   %d sent; %d not acknowledged at first%s", r.Webhooks, unacked, kinds(r.Unacked))
	p("  Zoom's retries             %d sent, %d acknowledged, %d events given up", r.Retries, r.RetriesAcked, r.GaveUp)
	p("  softphone reconnects       %d (%d softphones)", r.Reconnects, r.Reconnected)
	if r.HealthChecked {
		p("  admin health, restarted    %d pops in the last hour for %d popped (up to %d may be lost with the killed instance's last %s)  %s",
			r.HealthPops, r.Popped, r.HealthMayLose, healthFlush, check(r.HealthPops >= r.Popped-r.HealthMayLose))
	}
	p("  load %s · drain %s", r.Load.Round(time.Millisecond), r.Drain.Round(time.Millisecond))
	if len(r.ProxyErrors) > 0 {
		p("  nginx upstream errors     %s", strings.TrimPrefix(kinds(r.ProxyErrors), " "))
	}
	if len(r.InstanceLog) > 0 {
		p("  instances' log (warnings and errors):")
		for i, k := range sortedByCount(r.InstanceLog) {
			if i == 8 {
				p("    … %d more kinds", len(r.InstanceLog)-i)
				break
			}
			p("    %6d × %s", r.InstanceLog[k], k)
		}
	}
	if r.ErrorCount > 0 {
		p("  %d errors; the first:", r.ErrorCount)
		for _, e := range r.Errors {
			p("    %s", e)
		}
	}
	if err := r.Err(); err != nil {
		p("  FAILED: %v (logs in %s)", err, r.Dir)
	} else {
		p("  OK: every call popped, one Task per call")
	}
	return b.String()
}

// notPoppedCall says what is known of a call that never popped: when its
// webhooks were sent, what its agent's softphone got, and the call as the
// store holds it, so that a failed run can be traced from its report alone.
func (f *faultRun) notPoppedCall(id string, c *benchCall) string {
	at := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return fmt.Sprintf("%.2fs", t.Sub(f.t0).Seconds())
	}
	f.b.mu.Lock()
	line := fmt.Sprintf("agent %d's call %s, rang at %s, answered at %s, ended at %s; its softphone got %d messages about it without a pop and reconnected %d times in the run",
		c.agent.i, id, at(c.ringSent), at(c.answerSent), at(c.endSent), c.cards, c.agent.reconnects.Load())
	f.b.mu.Unlock()
	return line + "; stored: " + f.storedCall(c.agent.agent, id)
}

// storedCall reads the call's state from the run's Redis.
func (f *faultRun) storedCall(a cti.Agent, id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := redis.Open(ctx, f.redis.URL(), redis.Options{})
	if err != nil {
		return fmt.Sprintf("not read (%v)", err)
	}
	defer st.Close()
	v, err := st.Get(ctx, cti.CallKeyPrefix(a)+id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "nothing"
	case err != nil:
		return fmt.Sprintf("not read (%v)", err)
	}
	var call cti.Call
	if err := json.Unmarshal(v, &call); err != nil {
		return fmt.Sprintf("unreadable (%v)", err)
	}
	return fmt.Sprintf("state %s, popped %t, answered %t, %d matches, lookup failed %q, logged %t",
		call.State, call.Popped, !call.Answered.IsZero(), len(call.Matches), call.LookupFailed, call.Logged)
}

// report collects what the run saw.
func (f *faultRun) report(load, drain time.Duration, drained bool) *FaultReport {
	b := f.b
	rep := &FaultReport{Config: f.cfg, Store: f.redis.String(), Dir: f.dir, Load: load, Drain: drain, Drained: drained}
	perCall, created := map[string]int{}, map[string]time.Time{}
	for _, r := range b.org.Records("Task") {
		if id, _ := r["CallObject"].(string); id != "" {
			perCall[id]++
			if at, err := time.Parse("2006-01-02T15:04:05.000-0700", fmt.Sprint(r["CreatedDate"])); err == nil && (created[id].IsZero() || at.Before(created[id])) {
				created[id] = at
			}
		}
	}
	for _, a := range b.agents {
		if n := int(a.reconnects.Load()); n > 0 {
			rep.Reconnects += n
			rep.Reconnected++
		}
	}
	b.mu.Lock()
	var pops, popLat, taskLag []time.Duration
	var lastRing time.Duration
	var notPopped []*benchCall
	callIDs := map[*benchCall]string{}
	for id, c := range b.calls {
		callIDs[c] = id
		rep.Calls++
		lastRing = max(lastRing, c.ringSent.Sub(f.t0))
		if c.pops > 0 {
			rep.Popped++
			pops = append(pops, c.popAt.Sub(f.t0))
			popLat = append(popLat, c.popAt.Sub(c.ringSent))
			if !c.answerSent.IsZero() && c.popAt.Before(c.answerSent) {
				rep.PoppedBeforeAnswer++
			}
			if c.resynced {
				rep.PoppedResent++
			}
		} else if at := c.ringSent.Sub(f.t0); f.cfg.RedisDown > 0 && at >= f.outage[0]-f.cfg.Ring && at <= f.outage[1] {
			rep.NotPoppedInOutage++
		} else {
			notPopped = append(notPopped, c)
		}
		switch n := perCall[id]; {
		case n == 0:
			rep.Missing++
		default:
			rep.Tasks++
			rep.TaskDupes += n - 1
			if at := created[id]; !at.IsZero() && !c.endSent.IsZero() {
				taskLag = append(taskLag, at.Sub(c.endSent))
			}
		}
		delete(perCall, id)
	}
	for id := range perCall {
		b.failLocked("Task for a call the run never made: %s", id)
	}
	for typ, n := range b.other {
		b.failLocked("%d unexpected %q messages on softphones", n, typ)
	}
	rep.Webhooks, rep.Unacked = b.webhooks, b.unacked
	b.mu.Unlock()

	slices.SortFunc(notPopped, func(x, y *benchCall) int { return x.ringSent.Compare(y.ringSent) })
	for _, c := range notPopped[:min(len(notPopped), 5)] {
		rep.NotPopped = append(rep.NotPopped, f.notPoppedCall(callIDs[c], c))
	}
	if f.health.checked {
		rep.HealthChecked, rep.HealthPops = true, f.health.pops
		for _, at := range pops {
			if at <= f.killedAt && at > f.killedAt-healthFlush {
				rep.HealthMayLose++
			}
		}
		if rep.HealthPops < rep.Popped-rep.HealthMayLose {
			b.fail("the admin's health after the kill and restart counts %d pops, want at least %d (%d popped, up to %d lost with the killed instance)",
				rep.HealthPops, rep.Popped-rep.HealthMayLose, rep.Popped, rep.HealthMayLose)
		}
	}
	rep.Pop = summarize(popLat)
	rep.TaskLag = summarize(taskLag)
	rep.LongestGap, rep.GapFrom = longestGap(pops, lastRing)

	f.mu.Lock()
	rep.Timeline = slices.Clone(f.timeline)
	rep.Retries, rep.RetriesAcked, rep.GaveUp = f.retried.sent, f.retried.acked, f.retried.gaveUp
	problems := slices.Clone(f.failures)
	f.mu.Unlock()
	for _, p := range problems {
		b.fail("%s", p)
	}

	var logs []string
	for _, in := range f.instances {
		logs = append(logs, filepath.Join(f.dir, in.name()+".log"))
	}
	rep.InstanceLog = logCounts(logs)
	rep.ProxyErrors = f.proxy.upstreamErrors()
	b.mu.Lock()
	rep.Errors, rep.ErrorCount = slices.Clone(b.errs), b.errCount
	b.mu.Unlock()
	return rep
}

// longestGap is the longest stretch without a pop between the first pop
// and end, given the pops' times; it returns the gap and its start.
func longestGap(pops []time.Duration, end time.Duration) (gap, from time.Duration) {
	if len(pops) == 0 {
		return end, 0
	}
	slices.Sort(pops)
	prev := pops[0]
	for _, t := range append(pops[1:], end) {
		if t > end {
			t = end
		}
		if t-prev > gap {
			gap, from = t-prev, prev
		}
		prev = max(prev, t)
	}
	return gap, from
}
