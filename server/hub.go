package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/server/store"
)

// pushChannel carries softphone messages between instances: whichever
// instance processes an event publishes, and the one that holds the
// agent's websocket delivers.
const pushChannel = "push"

type pushEnvelope struct {
	Agent   string          `json:"agent"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Close   int             `json:"close,omitempty"` // close the agent's sockets with this code
}

// wsMaxPerAgent caps one agent's open softphones on an instance: every
// console tab loads its own, and past the cap the oldest is closed, never
// the newest (that is the tab the agent is looking at).
const wsMaxPerAgent = 10

// hub holds this instance's softphone connections by agent.
type hub struct {
	ps  store.PubSub
	log *slog.Logger

	mu    sync.Mutex
	conns map[string]map[*wsConn]struct{}
	sub   store.Subscription
	seq   uint64 // orders connections, oldest first
}

func newHub(ps store.PubSub, log *slog.Logger) *hub {
	return &hub{ps: ps, log: log, conns: map[string]map[*wsConn]struct{}{}}
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
			var env pushEnvelope
			if err := json.Unmarshal(m.Payload, &env); err != nil {
				h.log.Warn("hub: bad push message", "err", err)
				continue
			}
			if env.Close != 0 {
				h.closeLocal(env.Agent, env.Close)
				continue
			}
			h.deliver(env.Agent, env.Payload)
		}
	}()
	return nil
}

// Notify implements cti.Notifier. It never blocks on a slow softphone.
func (h *hub) Notify(ctx context.Context, agentKey string, msg any) error {
	payload, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(pushEnvelope{Agent: agentKey, Payload: payload})
	return h.ps.Publish(ctx, pushChannel, b)
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
