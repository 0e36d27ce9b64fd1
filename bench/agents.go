package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
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

// sink is told what the softphones receive: the rig itself, or, when the
// softphones run in a child process, that process's report to the rig.
type sink interface {
	// popped: a pop for callID reached a's softphone; resent says it came
	// with the active call a reconnecting softphone is sent again.
	popped(a *benchAgent, callID, kind string, resent bool, at time.Time)
	// card: a message about callID without a pop reached a's softphone.
	card(a *benchAgent, callID string)
	logged(a *benchAgent, callID string, at time.Time)
	unexpected(a *benchAgent, msgType string)
	fail(format string, args ...any)
}

// dial opens the agent's softphone as the page does (see open) and starts
// its reader.
func (a *benchAgent) dial(ctx context.Context, d *websocket.Dialer, wsURL, origin string, b sink) error {
	ws, err := a.open(ctx, d, wsURL, origin)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.ws, a.done, a.quit = ws, make(chan struct{}), make(chan struct{})
	a.mu.Unlock()
	go a.read(b, ws)
	return nil
}

// open connects as the page does: same origin, the session token as the
// first message, then "hello".
func (a *benchAgent) open(ctx context.Context, d *websocket.Dialer, wsURL, origin string) (*websocket.Conn, error) {
	ws, _, err := d.DialContext(ctx, wsURL, http.Header{"Origin": {origin}})
	if err != nil {
		return nil, err
	}
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": a.token}); err != nil {
		ws.Close()
		return nil, err
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hello struct{ Type string }
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		ws.Close()
		return nil, fmt.Errorf("agent %d: no hello (%q): %w", a.i, hello.Type, err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	return ws, nil
}

// read is the softphone: it notes when each call's pop and Task arrive.
func (a *benchAgent) read(b sink, ws *websocket.Conn) {
	defer close(a.done)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if a.closed.Load() {
				return
			}
			if a.redial == nil {
				b.fail("agent %d: softphone disconnected: %v", a.i, err)
				return
			}
			if ws = a.reconnect(b, err); ws == nil {
				return
			}
			continue
		}
		at := time.Now()
		var m struct {
			Type   string
			Call   *struct{ ID string }
			Pop    *struct{ Kind string }
			Resent bool
			CallID string `json:"call_id"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			b.fail("agent %d: bad message: %v", a.i, err)
			continue
		}
		switch {
		case m.Type == "call" && m.Call != nil:
			if m.Pop != nil {
				b.popped(a, m.Call.ID, m.Pop.Kind, m.Resent, at)
			} else {
				b.card(a, m.Call.ID)
			}
		case m.Type == "logged":
			b.logged(a, m.CallID, at)
		default:
			b.unexpected(a, m.Type)
		}
	}
}

// Close codes after which the page does not reconnect (server/ws.go).
const (
	closeSignedOut = 4401 // the page shows Sign in
	closeTooMany   = 4408 // the page asks to be reloaded
)

// reconnect is the page's onclose (static/softphone.js): unless the server
// signed the agent out, connect again after 0.5 s doubling up to 30 s, each
// wait jittered to 50–100%, until it works or the bench closes the
// softphone. It returns the new socket, or nil when there is none.
func (a *benchAgent) reconnect(b sink, cause error) *websocket.Conn {
	if code := closeCode(cause); code == closeSignedOut || code == closeTooMany {
		b.fail("agent %d: the server closed the softphone with %d: the page would not reconnect", a.i, code)
		return nil
	}
	for retry := 0; ; retry++ {
		wait := min(30*time.Second, 500*time.Millisecond<<min(retry, 6))
		t := time.NewTimer(time.Duration(float64(wait) * (0.5 + mrand.Float64()/2)))
		select {
		case <-a.quit:
			t.Stop()
			return nil
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		ws, err := a.redial(ctx)
		cancel()
		if code := closeCode(err); code == closeSignedOut || code == closeTooMany {
			b.fail("agent %d: reconnecting, the server closed the softphone with %d: the page would not reconnect", a.i, code)
			return nil
		}
		if err != nil {
			continue
		}
		a.mu.Lock()
		if a.closed.Load() {
			a.mu.Unlock()
			ws.Close()
			return nil
		}
		a.ws = ws
		a.mu.Unlock()
		a.reconnects.Add(1)
		return ws
	}
}

// closeCode is the close code err carries (0: none).
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func (a *benchAgent) close() {
	a.mu.Lock()
	ws := a.ws
	a.mu.Unlock()
	if ws == nil || !a.closed.CompareAndSwap(false, true) {
		return
	}
	close(a.quit)
	a.mu.Lock()
	ws = a.ws
	a.mu.Unlock()
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = ws.Close()
	<-a.done
}

// benchCall is one call of the run.
type benchCall struct {
	agent             *benchAgent
	ringSent, endSent time.Time
	answerSent        time.Time
	popAt, loggedAt   time.Time
	popKind           string
	pops, logs        int
	ended             bool // the server took its ended or call history event
	resynced          bool // popped by the active call resent to a reconnecting softphone
	pushed            int  // pops that came as the pop's own push (not resent)
	cards             int  // messages about the call without a pop (counted by in-process softphones only)
}

func (b *rig) unexpected(a *benchAgent, msgType string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.other == nil {
		b.other = map[string]int{}
	}
	b.other[msgType]++
}

func (b *rig) popped(a *benchAgent, callID, kind string, resent bool, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls[callID]
	switch {
	case c == nil:
		b.failLocked("agent %d: pop for unknown call %s", a.i, callID)
	case c.agent != a:
		b.failLocked("call %s for agent %d popped on agent %d's softphone", callID, c.agent.i, a.i)
	default:
		// The page pops a call once, by its id, whichever message brings
		// it first: a resent active call (a reconnect, or lost pushes
		// made up for) may come before or after the pop's own push.
		if c.pops == 0 {
			c.popAt, c.popKind = at, kind
			c.resynced = resent // the pop's push was missed; the resend brought it
		}
		c.pops++
		// The server decides a pop once: two pushes that are not resends
		// are two pops.
		if !resent {
			if c.pushed++; c.pushed > 1 {
				b.failLocked("call %s popped %d times", callID, c.pushed)
			}
		}
	}
}

func (b *rig) card(a *benchAgent, callID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.calls[callID]; c != nil && c.agent == a {
		c.cards++
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
		case 1:
			c.answerSent = sent
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
// With b.zoomRetries an event the server did not acknowledge is Zoom's to
// retry, and only counted here.
func (b *rig) deliver(ctx context.Context, body []byte) bool {
	t0 := time.Now()
	var (
		d   *zoomsim.Delivery
		err error
	)
	if b.zoomRetries != nil {
		a := b.zoomRetries.Deliver(ctx, body)
		d, err = a.Delivery, a.Err
	} else {
		d, err = b.sender.Send(ctx, body)
	}
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
		if b.zoomRetries != nil {
			b.noteUnacknowledged(d, err)
			return false
		}
		b.fail("webhook: %v (status %d)", err, status)
	}
	return err == nil
}

// noteUnacknowledged counts a delivery Zoom will retry by what went wrong.
func (b *rig) noteUnacknowledged(d *zoomsim.Delivery, err error) {
	why := "no answer: " + errorKind(err)
	if d != nil {
		why = fmt.Sprintf("status %d", d.StatusCode)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unacked == nil {
		b.unacked = map[string]int{}
	}
	b.unacked[why]++
}

// errorKind names a failed request's cause in a word or two.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout (3 s)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	}
	return "connection error"
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
