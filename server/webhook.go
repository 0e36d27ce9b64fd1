package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/server/store"
)

const (
	maxWebhookBody = 1 << 20 // 1 MiB: Zoom's largest events are a few KiB
	eventQueue     = "events"
	// ringQueue holds ringing events: they are claimed first, because a
	// screen pop is only useful before the agent picks up.
	ringQueue = "events.ring"
	// dedupeTTL is how long an event taken stays a duplicate. It must
	// outlast the timestamp window (Config.WebhookWindow, 90 minutes by
	// default): a correctly signed delivery is accepted up to 90 minutes
	// after its x-zm-request-timestamp, whether it is Zoom's retry carrying
	// the first attempt's timestamp or a replay of a captured request, and
	// either way, if it was taken before, its mark is still there and it is
	// answered "duplicate", not processed again.
	dedupeTTL = 72 * time.Hour
)

// queuedEvent is what the intake stores: the event as decoded (once) from
// the webhook. Body is the raw webhook of jobs queued by earlier versions,
// decoded again when they are claimed.
type queuedEvent struct {
	Event    *cti.Event      `json:"event,omitempty"`
	Body     json.RawMessage `json:"body,omitempty"`
	Received time.Time       `json:"received"`
}

// decodeQueuedAt returns the event a queued job holds and when its webhook
// arrived.
func decodeQueuedAt(payload []byte) (cti.Event, time.Time, error) {
	var q queuedEvent
	if err := json.Unmarshal(payload, &q); err != nil {
		return cti.Event{}, time.Time{}, errors.Join(cti.ErrBadJob, err)
	}
	if q.Event != nil {
		return *q.Event, q.Received, nil
	}
	ev, err := zoom.Decode(q.Body)
	if err != nil {
		return cti.Event{}, time.Time{}, errors.Join(cti.ErrBadJob, err)
	}
	return ev, q.Received, nil
}

// handleZoomWebhook answers POST /webhooks/zoom. It verifies the signature
// over the raw body, answers the URL validation challenge, drops
// redeliveries, stores the event durably and only then says 200 — all of it
// well within Zoom's 3 seconds, since processing happens in the workers.
func (s *Server) handleZoomWebhook(w http.ResponseWriter, r *http.Request) {
	// Everything that can be refused without the body is refused before
	// a byte of it is read: an unsigned request costs us no memory.
	arrived := s.now()
	rejected := func(result string) {
		s.metrics.webhook(result, cti.KindUnknown)
		s.health.add(deploymentOrg, hfRejected, 1)
	}
	if r.ContentLength > maxWebhookBody {
		rejected(whRejectedTooLarge)
		w.Header().Set("Connection", "close")
		s.writeError(w, r, errorf(KindTooLarge, "request body larger than 1 MiB", nil))
		return
	}
	ts := r.Header.Get("x-zm-request-timestamp")
	// Up to 90 minutes old (Zoom's last retry may carry the first
	// attempt's timestamp, +85 min), a few minutes ahead for clock skew.
	if err := zoom.CheckTimestamp(ts, s.now(), s.cfg.WebhookWindow, min(s.cfg.WebhookWindow, zoom.MaxClockSkew)); err != nil {
		rejected(whRejectedTimestamp)
		w.Header().Set("Connection", "close")
		s.writeError(w, r, errorf(KindUnauthorized, "missing or stale x-zm-request-timestamp", err))
		return
	}
	sig := r.Header.Get("x-zm-signature")
	if !wellFormedSignature(sig) {
		rejected(whRejectedSignature)
		w.Header().Set("Connection", "close")
		s.writeError(w, r, errorf(KindUnauthorized, "missing or malformed x-zm-signature", nil))
		return
	}
	// A fresh timestamp and a well-formed signature cost an attacker
	// nothing, so the body still waits for room in the global budget.
	release, ok := s.reserveBody(w, r, maxWebhookBody)
	if !ok {
		rejected(whRejectedBusy)
		return
	}
	defer release()
	body, err := readBody(http.MaxBytesReader(w, r.Body, maxWebhookBody), r.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			rejected(whRejectedTooLarge)
			s.writeError(w, r, errorf(KindTooLarge, "request body larger than 1 MiB", nil))
			return
		}
		s.writeError(w, r, errorf(KindInvalid, "cannot read request body", err))
		return
	}
	if !zoom.Verify(s.cfg.ZoomWebhookSecret, ts, body, sig) {
		rejected(whRejectedSignature)
		s.writeError(w, r, errorf(KindUnauthorized, "invalid x-zm-signature", nil))
		return
	}

	// One parse of the body serves the challenge, the checks and the job.
	ev, plainToken, err := zoom.DecodeWebhook(body)
	if err != nil {
		rejected(whRejectedMalformed)
		s.writeError(w, r, errorf(KindInvalid, "malformed Zoom event", err))
		return
	}
	// The challenge is signed too: answering an unsigned one would hand out
	// HMACs of arbitrary strings under our secret.
	if ev.Type == zoom.EventURLValidation {
		if plainToken == "" {
			s.writeError(w, r, errorf(KindInvalid, "payload.plainToken missing", nil))
			return
		}
		s.metrics.webhook(whValidation, cti.KindUnknown)
		writeJSON(w, http.StatusOK, zoom.Validate(s.cfg.ZoomWebhookSecret, plainToken))
		return
	}
	if ev.Kind == cti.KindUnknown {
		s.metrics.webhook(whIgnored, ev.Kind)
		s.health.webhook(ev.UserID, hfIgnored, true)
		s.log.Info("unknown zoom event acknowledged", "event", ev.Type)
		writeWebhookStatus(w, webhookIgnored)
		return
	}
	job, err := s.accept(r.Context(), ev, arrived)
	if errors.Is(err, store.ErrDuplicate) {
		s.metrics.webhook(whDuplicate, ev.Kind)
		s.health.webhook(ev.UserID, hfDuplicate, false)
		s.log.Debug("zoom event is a duplicate", "event", ev.Type, "call_id", ev.CallID)
		writeWebhookStatus(w, webhookDuplicate)
		return
	}
	if err != nil {
		s.metrics.webhook(whUnavailable, ev.Kind)
		s.writeError(w, r, errorf(KindUnavailable, "cannot store the event; retry later", err))
		return
	}
	s.metrics.webhook(whAccepted, ev.Kind)
	s.health.webhook(ev.UserID, hfReceived, false)
	// The call id follows the event to its Task: "call logged" carries it too.
	s.log.Debug("zoom event accepted", "event", ev.Type, "call_id", ev.CallID, "queue", job.queue, "job", job.job.ID)
	writeWebhookStatus(w, webhookReceived)
	switch {
	case job.early:
		// Running already, since before the write.
	case job.run:
		// Stored and claimed by this instance: run it now, not after a
		// claim loop's poll. Zoom has its answer already.
		s.wg.Go(func() { s.runJob(withArrival(*job.ctx, arrived), job.queue, job.job, &ev) })
	default:
		s.nudge(job.queue)
	}
}

// The intake's answers, encoded once: Zoom reads only the status code, and
// an operator replaying a delivery by hand reads this.
var (
	webhookReceived  = []byte(`{"status":"received"}` + "\n")
	webhookDuplicate = []byte(`{"status":"duplicate"}` + "\n")
	webhookIgnored   = []byte(`{"status":"ignored"}` + "\n")
)

// writeWebhookStatus answers 200 with one of the intake's answers, the
// body writeJSON would give it.
func writeWebhookStatus(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// wellFormedSignature reports whether sig looks like Zoom's
// x-zm-signature, v0= and 64 lower-case hex digits, before the body that
// would verify it is read.
func wellFormedSignature(sig string) bool {
	h, ok := strings.CutPrefix(sig, "v0=")
	if !ok || len(h) != 64 {
		return false
	}
	for i := range len(h) {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// readBody reads a body of a declared length into a buffer of exactly that
// size (io.ReadAll would grow one to twice it); an undeclared length is
// read up to the MaxBytesReader's limit.
func readBody(r io.Reader, length int64) ([]byte, error) {
	if length < 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, length)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// accepted is an event the intake stored.
type accepted struct {
	queue string
	job   *store.Job
	// run says the job is claimed by this instance, to run at once under
	// ctx (an inflight slot is held for it).
	run bool
	ctx *context.Context
	// early says a ringing event's run started before its write.
	early bool
}

// accept stores ev durably once, or returns store.ErrDuplicate for a
// redelivery.
func (s *Server) accept(ctx context.Context, ev cti.Event, arrived time.Time) (*accepted, error) {
	// The request's context may be cancelled by a client that gives up;
	// the store write must still complete, or fail as a whole.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	payload, err := encodeQueued(&ev, arrived)
	if err != nil {
		return nil, err
	}
	a := &accepted{queue: eventQueue}
	if ev.Kind == cti.KindRinging {
		a.queue = ringQueue
	}
	// A call event goes to its agent's shard of the queue, so that the
	// engine's step for it acknowledges it in the hash slot of the agent's
	// keys (one script on a Redis Cluster); any other event, or one for a
	// Zoom user linked to nobody, to the default shard.
	shard := a.queue
	if ev.IsCall() && ev.UserID != "" {
		tag, err := s.zoomUserTag(ctx, ev.UserID)
		if err != nil {
			return nil, err
		}
		shard = store.ShardName(a.queue, tag)
	}
	// A running instance with room claims the job as it stores it and runs
	// it at once; otherwise the claim loops take it.
	var lease time.Duration
	if a.ctx = s.runCtx.Load(); a.ctx != nil && s.jobs.reserve() {
		a.run, lease = true, inlineLease
	}
	// Hashed, so no Zoom user id stays in the store's key names after an
	// agent disconnects. The mark and the job are one atomic write: were
	// they two, a crash between them would leave a mark without its event,
	// and Zoom's retry would be taken for a duplicate and dropped. An
	// event's id names its type and its user, so a redelivery goes to the
	// same queue and shard and meets its mark there (unless the user was
	// linked to another agent in between).
	mark := &store.Mark{Queue: shard, Key: seenKey(ev.ID), TTL: dedupeTTL}
	txn := store.Txn{Once: mark, Enqueue: []store.NewJob{{Queue: shard, Payload: payload, Lease: lease}}}
	var early *intake
	if a.run && ev.Kind == cti.KindRinging {
		// The pop's lookup need not wait for this write; its commit does.
		early, a.run, a.early = s.intakes.start(payload), false, true
		s.wg.Go(func() { s.runEarly(withArrival(*a.ctx, arrived), a.queue, ev, early) })
	}
	ids, err := s.store.Apply(ctx, txn)
	if early != nil {
		id := ""
		if err == nil {
			id = ids[0]
		}
		s.intakes.finish(early, id, err)
	}
	if err != nil {
		if a.run {
			s.jobs.release()
		}
		return nil, err
	}
	a.job = &store.Job{ID: ids[0], Payload: payload, Attempts: 1, Enqueued: s.now()}
	return a, nil
}

// processEvent handles one event of job.
func (s *Server) processEvent(ctx context.Context, ev cti.Event, job cti.JobRef) (acked bool, err error) {
	switch ev.Kind {
	case cti.KindDeauthorize, cti.KindUserDeleted, cti.KindUserUpdated, cti.KindPresence:
		return false, s.handleUserEvent(ctx, ev)
	}
	acked, err = s.engine.HandleJob(ctx, ev, job)
	if err == nil && ev.Kind == cti.KindRinging && ev.Direction == cti.Inbound {
		// Zoom's event subscriptions work for this agent's org.
		if a, _ := s.AgentByZoomUser(ctx, ev.UserID); a != nil {
			s.noteEvidence(ctx, a.OrgID, factRinging)
		}
	}
	return acked, err
}

// eventBacklog is how many events wait in the queues, ringing ones included.
func (s *Server) eventBacklog(ctx context.Context) (int, error) {
	n := 0
	for _, q := range []string{ringQueue, eventQueue} {
		m, err := s.store.Len(ctx, q)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}
