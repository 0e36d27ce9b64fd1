package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
)

const (
	wsWriteWait   = 10 * time.Second
	wsPongWait    = 60 * time.Second
	wsPingEvery   = 25 * time.Second
	wsAuthWait    = 10 * time.Second
	wsReadLimit   = 8 << 10 // client messages are small commands
	wsReadBuffer  = 1 << 10 // most of them fit whole
	wsSendBuffer  = 64
	closeAuthFail = 4401 // application close code: sign in again
	closeTryAgain = 1013 // Try Again Later: the store is unavailable; reconnect (elsewhere) after a while
	closeTooMany  = 4408 // application close code: the agent opened too many softphones; this, the oldest, is closed
)

// wsConn is one softphone connection: one writer goroutine owns the socket's
// write side; everyone else hands it messages through a bounded buffer.
type wsConn struct {
	ws    *websocket.Conn
	agent cti.Agent
	token string // the session, checked again on every ping tick
	seq   uint64 // set by the hub: lower is older
	send  chan []byte
	done  chan struct{}
	once  sync.Once
	close chan int // a close code to send before leaving
}

func (c *wsConn) trySend(b []byte) bool {
	select {
	case <-c.done:
		return true
	default:
	}
	select {
	case c.send <- b:
		return true
	default:
		return false
	}
}

func (c *wsConn) kill() { c.once.Do(func() { close(c.done) }) }

// end asks the writer to close the socket with code; the first code wins.
func (c *wsConn) end(code int) {
	select {
	case c.close <- code:
	default:
	}
}

func closeText(code int) string {
	switch code {
	case closeAuthFail:
		return "signed out; sign in again"
	case closeTooMany:
		return "too many softphones open; this one, the oldest, was closed"
	case closeTryAgain:
		return "cannot check the session now; try again"
	}
	return "server shutting down"
}

// originAllowed accepts the server's own origin (the softphone page is ours)
// and the configured extra origins; a websocket from any other page is
// refused before it is upgraded.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false // browsers always send it; anything else is not our page
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	o := u.Scheme + "://" + u.Host
	if pub, err := url.Parse(s.cfg.PublicURL); err == nil && strings.EqualFold(o, pub.Scheme+"://"+pub.Host) {
		return true
	}
	for _, a := range s.cfg.AllowedOrigins {
		if strings.EqualFold(o, strings.TrimRight(a, "/")) {
			return true
		}
	}
	return false
}

// handleWS answers GET /ws. The first message must be {"type":"auth",
// "token":...} within wsAuthWait: a token in the URL would end up in logs.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      s.originAllowed,
		// Share write buffers between connections: a thousand idle
		// softphones should not hold a thousand write buffers. A softphone
		// sends a few small messages, so its read buffer is small too (a
		// longer message is read in pieces, up to wsReadLimit), not the
		// HTTP server's 4 KiB.
		WriteBufferPool: &s.wsWriteBuffers,
		ReadBufferSize:  wsReadBuffer,
	}
	if !s.originAllowed(r) {
		s.writeError(w, r, errorf(KindForbidden, "origin not allowed", nil))
		return
	}
	if s.draining.Load() {
		// Shutting down: a softphone that still reaches this instance (a
		// proxy's kept-alive connection) tries again, and lands elsewhere.
		s.writeError(w, r, errorf(KindUnavailable, "shutting down; reconnect", nil))
		return
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	ws.SetReadLimit(wsReadLimit)
	authWait := wsAuthWait
	if d := time.Duration(s.authWait.Load()); d > 0 {
		authWait = d
	}
	_ = ws.SetReadDeadline(time.Now().Add(authWait))
	var hello struct {
		Type  string `json:"type"`
		Token string `json:"token"`
	}
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "auth" {
		closeWith(ws, websocket.ClosePolicyViolation, "expected auth message")
		return
	}
	rec, err := s.agentRecordForToken(r.Context(), hello.Token)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == KindUnauthorized {
			closeWith(ws, closeAuthFail, "sign in again")
			return
		}
		// The store did not answer (Redis restarting): the session may be
		// fine, so the page must not sign the agent out but try again.
		s.log.Warn("softphone refused: cannot check its session", "err", err)
		closeWith(ws, closeTryAgain, closeText(closeTryAgain))
		return
	}
	agent := &rec.Agent
	c := &wsConn{ws: ws, agent: *agent, token: hello.Token, send: make(chan []byte, wsSendBuffer), done: make(chan struct{}), close: make(chan int, 1)}
	// Warming is counted before the softphone is: whoever sees it
	// connected (Gauges.Softphones) and then Warming at 0 knows the agent's
	// describes were read (the bench and the tests wait so).
	s.warmAgent(*agent)
	s.hub.add(c)
	s.metrics.wsOpened.Inc()
	s.noteEvidence(r.Context(), agent.OrgID, factSoftphone) // the utility bar item exists

	greeting := map[string]any{"type": "hello", "agent": agentView(*rec), "presence": s.presence(r.Context(), *agent)}
	if set, err := s.settings(r.Context(), agent.OrgID); err == nil {
		// The admin's softphone size, applied through Open CTI.
		greeting["softphone"] = map[string]int{"height": set.SoftphoneHeight, "width": set.SoftphoneWidth}
	}
	welcome, _ := json.Marshal(greeting)
	c.trySend(welcome)
	// A softphone that reconnects mid-call gets the call again.
	if b, err := s.activeCall(r.Context(), *agent); err != nil {
		s.log.Warn("cannot load active call", "user_id", agent.UserID, "err", err)
	} else if b != nil {
		c.trySend(b)
	}

	go s.wsReader(c)
	// The handler returns, and the HTTP server lets go of the connection
	// (its goroutine, its stack and a write buffer the socket never uses):
	// the socket lives on in its reader and its writer.
	go func() {
		defer s.hub.remove(c)
		s.wsWriter(c)
	}()
}

// warmAtOnce is how many connected agents' describes are read at a time:
// after a restart every softphone reconnects at once, and their first calls
// can wait for their own describes rather than for a burst of everyone's.
const warmAtOnce = 32

// warmAgent reads, in the background, what an agent's first call would
// otherwise wait for: their Zoom link and record, into the read cache, and
// the describes of the objects their lookup and call logs name (the fields
// they see; see salesforce.LoadFields), so that their first call's pop
// waits for no round trip to the store or to Salesforce for them. A describe already read this hour is
// not read again (on this instance: each keeps its own), so that an agent's
// reconnects and their other console tabs cost nothing. An org that has
// used most of its daily API requests (warmBudget) is spared them: its
// agents' first calls read their own. A failure is left to that first
// lookup, which reads them itself; a token Salesforce no longer takes
// signs the agent out now rather than at their first call.
func (s *Server) warmAgent(a cti.Agent) {
	ctx := s.runCtx.Load()
	if ctx == nil {
		return
	}
	s.warmingNow.Add(1)
	s.wg.Go(func() {
		defer s.warmingNow.Add(-1)
		select {
		case s.warming <- struct{}{}:
		case <-(*ctx).Done():
			return
		}
		defer func() { <-s.warming }()
		wctx, cancel := context.WithTimeout(*ctx, time.Minute)
		defer cancel()
		// What a ringing webhook reads before the pop, kept by the read
		// cache: the Zoom user's link (the intake's queue shard) and the
		// agent's record (the engine's agent).
		if a.ZoomUserID != "" {
			if _, err := s.AgentByZoomUser(wctx, a.ZoomUserID); err != nil && (*ctx).Err() == nil {
				s.log.Debug("cannot read the agent's Zoom link ahead of their first call", "user_id", a.UserID, "err", err)
			}
		}
		if !s.spareRequests(wctx, a.OrgID) {
			return
		}
		if err := s.crm.call(wctx, a, func(cl *salesforce.Client) error { return cl.LoadFields(wctx) }); err != nil && (*ctx).Err() == nil {
			s.log.Debug("cannot read the agent's describes ahead of their first call", "user_id", a.UserID, "err", err)
		}
	})
}

// spareRequests reports whether the org has API requests to spare for work
// that only saves time later (an agent's describes before their first
// call): it has used less than warmBudget of its daily limit as Salesforce
// last reported it, to this instance or, right after a restart, to any
// (the usage the admin's page shows); or nobody has seen it yet.
func (s *Server) spareRequests(ctx context.Context, orgID string) bool {
	used, limit, ok := s.crm.usageSeen(orgID)
	if !ok {
		l, err := s.orgLimits(ctx, orgID)
		if err != nil || l == nil {
			return true
		}
		used, limit = l.Used, l.Limit
	}
	return limit <= 0 || float64(used) < warmBudget*float64(limit)
}

// activeCall is the agent's call in progress as a softphone that may have
// missed its pushes gets it again (marked resent, so the page does not pop
// it twice), or nil when there is none.
func (s *Server) activeCall(ctx context.Context, a cti.Agent) ([]byte, error) {
	m, err := s.engine.ActiveCall(ctx, a)
	if err != nil || m == nil {
		return nil, err
	}
	return json.Marshal(m)
}

// wsReader reads until the peer goes away; it keeps the read deadline
// moving with every pong.
func (s *Server) wsReader(c *wsConn) {
	defer c.kill()
	_ = c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	})
	for {
		var msg struct {
			Type string `json:"type"`
			cti.DialIntent
			CallID string `json:"call_id"` // choose, adopt, pop
			State  string `json:"state"`   // embed
		}
		if err := c.ws.ReadJSON(&msg); err != nil {
			return
		}
		switch msg.Type {
		case "ping":
			b, _ := json.Marshal(map[string]string{"type": "pong"})
			c.trySend(b)
		case "dial":
			// The agent clicked to dial from a record: its call must not
			// pop that record again.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			e164, err := s.engine.NoteDialNumber(ctx, c.agent, msg.DialIntent)
			if err != nil {
				s.log.Warn("cannot note click to dial", "user_id", c.agent.UserID, "err", err)
			}
			cancel()
			// The softphone dials once the note is in, so that even a
			// fast Zoom cannot bring the call before it, and dials the
			// number as the org's phone rules read it (E.164, which
			// zp-make-call wants), when they can.
			b, _ := json.Marshal(map[string]string{"type": "dial_noted", "number": msg.Number, "e164": e164})
			c.trySend(b)
		case "dial_preview":
			// The agent clicked a number and is asked first: the number
			// the call would dial, with nothing noted yet.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			e164, err := s.engine.DialNumber(ctx, c.agent, msg.Number)
			if err != nil {
				s.log.Warn("cannot read a number to dial", "user_id", c.agent.UserID, "err", err)
			}
			cancel()
			b, _ := json.Marshal(map[string]string{"type": "dial_preview", "number": msg.Number, "e164": e164})
			c.trySend(b)
		case "choose":
			// The agent picked one of several matches: the call is logged
			// on it, and every softphone of the agent marks it.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.engine.ChooseMatch(ctx, c.agent, msg.CallID, msg.RecordID); err != nil && !errors.Is(err, cti.ErrNoSuchMatch) {
				s.log.Warn("cannot record the chosen match", "user_id", c.agent.UserID, "call_id", msg.CallID, "err", err)
			}
			cancel()
		case "pop":
			// Every console tab of the agent runs a softphone and hears the
			// call's pop; one asks its console. The tabs cannot settle it
			// among themselves: their shared localStorage is not atomic
			// across the browser's processes, even under a Web Lock.
			b, _ := json.Marshal(map[string]any{"type": "pop_claimed", "call_id": msg.CallID, "granted": s.claimPop(c.agent, msg.CallID)})
			c.trySend(b)
		case "embed":
			// The softphone heard from Zoom's Smart Embed: its approved
			// domains admit this org's console (the doctor's evidence).
			if msg.State == "ready" {
				s.noteEvidence(context.Background(), c.agent.OrgID, factEmbed)
			}
		case "adopt":
			// The agent created a record for a call without a match (the
			// console reported the navigation to it): the call is logged
			// on it. The engine checks it was created during the call.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			number, err := s.engine.AdoptRecord(ctx, c.agent, msg.CallID, msg.RecordID)
			switch {
			case err == nil && number != "":
				s.crm.forgetNumber(ctx, c.agent, number)
			case err != nil && !errors.Is(err, cti.ErrNoSuchMatch):
				s.log.Warn("cannot log the call on the new record", "user_id", c.agent.UserID, "call_id", msg.CallID, "err", err)
			}
			cancel()
		}
	}
}

// popClaimTTL is how long a call's pop stays claimed: past a reload or a
// reconnect, which resend the pop of the call in progress.
const popClaimTTL = 24 * time.Hour

// claimPop says whether this softphone is the agent's first to claim the
// call's pop. When the store cannot say, it pops: twice beats never.
func (s *Server) claimPop(a cti.Agent, callID string) bool {
	if callID == "" || len(callID) > 64 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok, err := s.store.SetNX(ctx, popClaimKey(a, callID), []byte("1"), popClaimTTL)
	if err != nil {
		s.log.Warn("cannot claim a screen pop; this softphone pops", "user_id", a.UserID, "call_id", callID, "err", err)
		return true
	}
	return ok
}

// wsWriter is the connection's only writer.
func (s *Server) wsWriter(c *wsConn) {
	ticker := time.NewTicker(wsPingEvery)
	defer func() {
		ticker.Stop()
		_ = c.ws.Close()
	}()
	for {
		select {
		case b := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				return
			}
		case <-ticker.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				return
			}
			// A safety net under the hub's close message (which a lost
			// pub/sub connection could miss): the session must still hold.
			if !s.sessionHolds(c.token) {
				closeWith(c.ws, closeAuthFail, closeText(closeAuthFail))
				return
			}
		case code := <-c.close:
			// What was queued before the close (why it closes) goes first.
			for flushed := false; !flushed; {
				select {
				case b := <-c.send:
					_ = c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
					if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
						return
					}
				default:
					flushed = true
				}
			}
			closeWith(c.ws, code, closeText(code))
			return
		case <-c.done:
			return
		}
	}
}

// sessionHolds reports whether token is still a session; a store outage
// keeps the socket (the next tick asks again).
func (s *Server) sessionHolds(token string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.agentRecordForToken(ctx, token)
	var e *Error
	return !errors.As(err, &e) || e.Kind != KindUnauthorized
}

func closeWith(ws *websocket.Conn, code int, text string) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	_ = ws.Close()
}
