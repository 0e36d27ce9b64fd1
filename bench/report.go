package bench

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strings"
	"time"
)

// The report zoomcti bench prints.

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

// Report is what a run measured.
type Report struct {
	Config    Config
	Store     string        // "embedded (bbolt)" or "redis"
	Workers   int           // the server's workers of each kind (ZOOMCTI_WORKERS)
	Setup     time.Duration // agents created, linked, signed in and connected
	Load      time.Duration // first call started → last event sent
	Drain     time.Duration // last event sent → queues empty and every Task written
	Drained   bool
	CPUCores  float64  // average cores busy during load and drain (the whole process: server, emulators and clients)
	Steal     float64  // share of the machine's CPU time its host took during load and drain (steal.go); -1 unknown
	CPU       CPUSplit // CPU time sampled during load and drain, by side
	Connected int      // softphones the server held when the calls started

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
	// SoftphonesApart says the softphones ran in a child process: the
	// stacks and the process memory above are the server's alone, and the
	// client figures are the child's.
	SoftphonesApart     bool
	ClientStackPerAgent float64 // the child's goroutine stacks, bytes per softphone

	ServerCounters map[string]int64 // the server's counters (GET /metrics) that are not zero
	LogCounts      map[string]int   // server warnings and errors by message
	Errors         []string         // the first few problems, one line each
	ErrorCount     int
}

// Err says why the run does not count as a success: a problem while
// running, a call without its pop, or Tasks that do not match the calls.
func (r *Report) Err() error {
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
func (r *Report) String() string {
	var b strings.Builder
	c := r.Config
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	lat := func(name string, l Latencies) {
		p("  %-26s %9s %9s %9s %9s   (%d)", name, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), l.N)
	}
	kib := func(v float64) string { return fmt.Sprintf("%.1f KiB", v/1024) }
	p("zoomcti bench: %d agents, %.4g calls/s for %s, Salesforce latency %s, store %s, %d jobs per org at once, GOMAXPROCS %d",
		c.Agents, c.Rate, c.Duration, max(c.SFLatency, 0), r.Store, r.Workers, runtime.GOMAXPROCS(0))
	p("  calls: ring %s, talk %s, wrap %s; %d Contacts, %.0f%% of callers unknown", c.Ring, c.Talk, c.Wrap, c.Contacts, benchUnknownShare*100)
	p("")
	process := "server + emulators + clients"
	if r.SoftphonesApart {
		process = "server + emulators + webhook senders"
	}
	p("  setup %s · load %s · drain %s · CPU %.2f cores busy (process: %s)",
		r.Setup.Round(time.Millisecond), r.Load.Round(time.Millisecond), r.Drain.Round(time.Millisecond), r.CPUCores, process)
	taken, warning := stealNote(r.Steal)
	if taken != "" {
		p("  %s", taken)
	}
	if warning != "" {
		p("  %s", warning)
	}
	if tot := r.CPU.Total(); tot > 0 {
		share := func(d time.Duration) string {
			return fmt.Sprintf("%.1f s (%.0f%%)", d.Seconds(), 100*float64(d)/float64(tot))
		}
		clients := "bench clients"
		if r.SoftphonesApart {
			clients = "webhook senders (softphones in their own process, not counted)"
		}
		p("  CPU by side (pprof labels) server %s · emulators %s · %s %s · Go runtime, unlabelled %s",
			share(r.CPU.Server), share(r.CPU.Emulators), clients, share(r.CPU.Bench), share(r.CPU.Unlabelled))
		p("  server CPU per call        %.2f ms   (zoomcti's goroutines only: not the emulators, the softphones, the GC's background workers or Redis itself)",
			float64(r.CPU.Server)/float64(max(r.Calls, 1))/float64(time.Millisecond))
	}
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
			float64(so.Writes)/float64(calls), float64(so.Reads)/float64(calls),
			float64(so.WriteTime)/float64(max(so.Writes, 1))/float64(time.Millisecond))
		var parts []string
		for _, k := range sortedByCount(so.Count) {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(so.Count[k])/float64(calls)))
		}
		p("    %s", strings.Join(parts, ", "))
	}
	p("")
	p("  memory per connected agent (%d softphones, after GC, their describes read, before the first call):", r.Connected)
	if r.SoftphonesApart {
		p("    server heap             %s   (websocket, buffers, hub entry, Salesforce client and describes: the heap the server's process gained)", kib(r.HeapPerAgent))
	} else {
		p("    server heap             %s   (websocket, buffers, hub entry, Salesforce client and describes; allocation sites on the server side)", kib(r.HeapPerAgent))
	}
	p("    server goroutines       %.2f", r.GoroutinesPerAgent)
	if r.SoftphonesApart {
		p("    server stacks           %s", kib(r.StackPerAgent))
		p("    server memory from Go   %s   (heap, stacks and runtime overhead of the server's process)", kib(r.RSSPerAgent))
		p("    softphone heap, stacks  %s, %s   (in their own process, not the server's)", kib(r.ClientHeapPerAgent), kib(r.ClientStackPerAgent))
	} else {
		p("    goroutine stacks        %s   (server and bench client together)", kib(r.StackPerAgent))
		p("    bench client heap       %s   (the in-process websocket clients; not the server's)", kib(r.ClientHeapPerAgent))
		p("    process memory from Go  %s   (all of the above and runtime overhead)", kib(r.RSSPerAgent))
	}
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
		if !routineCounter(k) {
			parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "zoomcti_"), v))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// routineCounter reports whether the server counter named k (a series of
// GET /metrics) counts what a healthy run does anyway.
func routineCounter(k string) bool {
	for _, r := range []string{`result="accepted"`, `outcome="done"`, `token_refreshes_total{outcome="ok"`,
		"zoomcti_websocket_connections_opened_total", "zoomcti_phone_lookup_cache_hits_total"} {
		if strings.Contains(k, r) {
			return true
		}
	}
	return false
}

// collect fills the report from what the calls recorded.
func (b *rig) collect(rep *Report) {
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
	rep.ServerCounters = b.srv.Counters()
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
