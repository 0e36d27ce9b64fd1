package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// pushChannel carries softphone messages between instances: whichever
// instance processes an event delivers to the agent's softphones it holds
// itself, at once, and publishes for the instances that hold the others.
const pushChannel = "push"

type pushEnvelope struct {
	Agent   string          `json:"agent"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Close   int             `json:"close,omitempty"` // close the agent's sockets with this code
	// From is the publishing instance, which delivered to its own
	// softphones before it published (empty: deliver everywhere).
	From string `json:"from,omitempty"`
}

// wsMaxPerAgent caps one agent's open softphones on an instance: every
// console tab loads its own, and past the cap the oldest is closed, never
// the newest (that is the tab the agent is looking at).
const wsMaxPerAgent = 10

// hub holds this instance's softphone connections by agent.
type hub struct {
	ps  store.PubSub
	log *slog.Logger
	// self names this instance in the pushes it publishes.
	self string
	// active is what a softphone that may have missed pushes is sent: the
	// agent's call in progress, marked resent (nil: none).
	active func(ctx context.Context, a cti.Agent) ([]byte, error)

	mu    sync.Mutex
	conns map[string]map[*wsConn]struct{}
	sub   store.Subscription
	seq   uint64 // orders connections, oldest first
	// resyncing says a resync is running; again, that another gap came
	// while it ran.
	resyncing, again bool
}

func newHub(ps store.PubSub, log *slog.Logger, active func(context.Context, cti.Agent) ([]byte, error)) *hub {
	return &hub{ps: ps, log: log, self: randomToken(), active: active, conns: map[string]map[*wsConn]struct{}{}}
}

// start subscribes to the push channel and delivers until ctx is done.
func (h *hub) start(ctx context.Context) error {
	sub, err := h.ps.Subscribe(ctx, pushChannel)
	if err != nil {
		return fmt.Errorf("hub: subscribe: %w", err)
	}
	h.mu.Lock()
	h.sub = sub
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		_ = sub.Close()
	}()
	go func() {
		for m := range sub.C() {
			if m.Gap {
				// Pushes to this instance were lost (Redis restarted, the
				// connection broke): a pop among them would never come.
				h.resync(ctx)
				continue
			}
			var env pushEnvelope
			if err := json.Unmarshal(m.Payload, &env); err != nil {
				h.log.Warn("hub: bad push message", "err", err)
				continue
			}
			if env.Close != 0 {
				h.closeLocal(env.Agent, env.Close)
				continue
			}
			if env.From == h.self {
				continue // delivered here when it was published
			}
			h.deliver(env.Agent, env.Payload)
		}
	}()
	return nil
}

// Notify implements cti.Notifier. The agent's softphones on this instance
// get msg at once, without a round trip through the store; it is then
// published for the other instances. It never blocks on a slow softphone.
func (h *hub) Notify(ctx context.Context, agentKey string, msg any) error {
	payload, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	h.deliver(agentKey, payload)
	b, _ := json.Marshal(pushEnvelope{Agent: agentKey, Payload: payload, From: h.self})
	if err := h.ps.Publish(ctx, pushChannel, b); err != nil {
		return fmt.Errorf("delivered on this instance, not published to the others: %w", err)
	}
	return nil
}

func (h *hub) deliver(agentKey string, payload []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns[agentKey] {
		if !c.trySend(payload) {
			h.log.Warn("softphone too slow; dropping its connection", "user_id", c.agent.UserID)
			c.kill()
		}
	}
}

// add registers c; past wsMaxPerAgent it closes the agent's oldest
// connections.
func (h *hub) add(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.conns[c.agent.Key()]
	if set == nil {
		set = map[*wsConn]struct{}{}
		h.conns[c.agent.Key()] = set
	}
	h.seq++
	c.seq = h.seq
	for len(set) >= wsMaxPerAgent {
		var oldest *wsConn
		for o := range set {
			if oldest == nil || o.seq < oldest.seq {
				oldest = o
			}
		}
		delete(set, oldest)
		oldest.end(closeTooMany)
	}
	set[c] = struct{}{}
}

// closeAgent closes the agent's sockets with code on every instance.
func (h *hub) closeAgent(ctx context.Context, agentKey string, code int) error {
	b, _ := json.Marshal(pushEnvelope{Agent: agentKey, Close: code})
	return h.ps.Publish(ctx, pushChannel, b)
}

func (h *hub) closeLocal(agentKey string, code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns[agentKey] {
		c.end(code)
	}
}

func (h *hub) remove(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.conns[c.agent.Key()]
	delete(set, c)
	if len(set) == 0 {
		delete(h.conns, c.agent.Key())
	}
}

// count is how many softphones this instance holds.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.conns {
		n += len(set)
	}
	return n
}

// closeAll says goodbye to every softphone (on shutdown); they reconnect to
// another instance or when this one is back.
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.conns {
		for c := range set {
			c.end(websocket.CloseGoingAway)
		}
	}
}

// resyncWorkers bounds the store reads of a resync.
const resyncWorkers = 8

// resyncRetries are the waits before a resync reads again the calls it
// could not read: the store that just came back may refuse for a moment
// more (go-redis answers its last dial error for up to a second).
var resyncRetries = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// resync sends every softphone of this instance its agent's call in
// progress again, as a reconnecting softphone gets it: the page pops a call
// it has not popped and ignores one it has. Gaps that come while one runs
// make it run once more.
func (h *hub) resync(ctx context.Context) {
	h.mu.Lock()
	if h.resyncing {
		h.again = true
		h.mu.Unlock()
		return
	}
	h.resyncing = true
	h.mu.Unlock()
	go func() {
		for {
			agents := h.agents()
			sent, failed := h.resyncOnce(ctx, agents)
			for _, wait := range resyncRetries {
				if len(failed) == 0 || sleepCtx(ctx, wait) != nil {
					break
				}
				var n int
				n, failed = h.resyncOnce(ctx, failed)
				sent += n
			}
			h.log.Warn("push channel lost messages; resent the calls in progress", "softphones", sent, "unread", len(failed))
			h.mu.Lock()
			if !h.again || ctx.Err() != nil {
				h.resyncing, h.again = false, false
				h.mu.Unlock()
				return
			}
			h.again = false
			h.mu.Unlock()
		}
	}()
}

// agents lists the agents with a softphone here.
func (h *hub) agents() []cti.Agent {
	h.mu.Lock()
	defer h.mu.Unlock()
	agents := make([]cti.Agent, 0, len(h.conns))
	for _, set := range h.conns {
		for c := range set {
			agents = append(agents, c.agent)
			break
		}
	}
	return agents
}

// resyncOnce resends each agent's call in progress to their softphones
// here; it returns how many softphones it reached and the agents whose
// call it could not read.
func (h *hub) resyncOnce(ctx context.Context, agents []cti.Agent) (sent int, failed []cti.Agent) {
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, resyncWorkers)
	)
	for _, a := range agents {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			b, err := h.active(actx, a)
			n := 0
			if err == nil && b != nil {
				n = h.sendLocal(a.Key(), b)
			}
			mu.Lock()
			defer mu.Unlock()
			sent += n
			if err != nil {
				failed = append(failed, a)
			}
		})
	}
	wg.Wait()
	return sent, failed
}

// sendLocal hands b to the agent's softphones here and returns how many.
func (h *hub) sendLocal(agentKey string, b []byte) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.conns[agentKey] {
		if c.trySend(b) {
			n++
		}
	}
	return n
}
