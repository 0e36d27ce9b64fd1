package bench

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The softphones and calls zoomcti bench drives.

type memSnapshot struct {
	heap, stack, sys uint64
	goroutines       int
}

func takeMemory() memSnapshot {
	for range 3 {
		runtime.GC() // the profile lags the heap by up to two cycles
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSnapshot{heap: ms.HeapAlloc, stack: ms.StackInuse, sys: ms.Sys - ms.HeapReleased, goroutines: runtime.NumGoroutine()}
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
		if strings.Contains(fn, "bench.(*benchAgent)") || strings.Contains(fn, "bench.RunSoftphones") || strings.Contains(fn, "websocket.(*Dialer)") || strings.Contains(fn, "net.(*Dialer)") {
			return true
		}
		if !more {
			return false
		}
	}
}

// dial opens the agent's softphone as the page does: same origin, the
// session token as the first message, then "hello".
// sink is told what the softphones receive: the rig itself, or, when the
// softphones run in a child process, that process's report to the rig.
type sink interface {
	popped(a *benchAgent, callID, kind string, at time.Time)
	logged(a *benchAgent, callID string, at time.Time)
	unexpected(a *benchAgent, msgType string)
	fail(format string, args ...any)
}

func (a *benchAgent) dial(ctx context.Context, d *websocket.Dialer, wsURL, origin string, b sink) error {
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
func (a *benchAgent) read(b sink) {
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
			b.unexpected(a, m.Type)
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

func (b *rig) unexpected(a *benchAgent, msgType string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.other == nil {
		b.other = map[string]int{}
	}
	b.other[msgType]++
}

func (b *rig) popped(a *benchAgent, callID, kind string, at time.Time) {
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

func (b *rig) logged(a *benchAgent, callID string, at time.Time) {
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
func (b *rig) failLocked(format string, args ...any) {
	b.errCount++
	if len(b.errs) < 10 {
		b.errs = append(b.errs, fmt.Sprintf(format, args...))
	}
}

// play starts calls at the configured rate for the configured time and
// returns once every call has sent its last event.
func (b *rig) play(ctx context.Context) time.Duration {
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
func (b *rig) call(ctx context.Context, a *benchAgent) {
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
func (b *rig) deliver(ctx context.Context, body []byte) bool {
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
func (b *rig) drain(ctx context.Context) (time.Duration, bool) {
	start := time.Now()
	deadline := start.Add(b.cfg.DrainTimeout)
	for {
		g, err := b.srv.Gauges(ctx)
		if err == nil && g.Events == 0 && g.Outbox == 0 && b.tasks() >= b.ended() {
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

func (b *rig) ended() int {
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

func (b *rig) pushesPending() bool {
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
func (b *rig) tasks() int {
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
func (b *rig) sampleQueues(ctx context.Context, rep *Report) func() {
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
			if g, err := b.srv.Gauges(ctx); err == nil {
				rep.PeakQueue.Events = max(rep.PeakQueue.Events, g.Events)
				rep.PeakQueue.Outbox = max(rep.PeakQueue.Outbox, g.Outbox)
			}
		}
	}()
	return func() { close(done); <-stopped }
}
