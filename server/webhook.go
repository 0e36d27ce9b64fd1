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
)

const (
	maxWebhookBody = 1 << 20 // 1 MiB: Zoom's largest events are a few KiB
	eventQueue     = "events"
	// ringQueue holds ringing events: they are claimed first, because a
	// screen pop is only useful before the agent picks up.
	ringQueue = "events.ring"
	dedupeTTL = 72 * time.Hour // longer than Zoom's last retry (+85 min) and then some
)

// queuedEvent is what the intake stores: the raw body, so that the event is
// decoded again by the worker with whatever the decoder knows then.
type queuedEvent struct {
	Body     json.RawMessage `json:"body"`
	Received time.Time       `json:"received"`
}

// handleZoomWebhook answers POST /webhooks/zoom. It verifies the signature
// over the raw body, answers the URL validation challenge, drops
// redeliveries, stores the event durably and only then says 200 — all of it
// well within Zoom's 3 seconds, since processing happens in the workers.
func (s *Server) handleZoomWebhook(w http.ResponseWriter, r *http.Request) {
	// Everything that can be refused without the body is refused before
	// a byte of it is read: an unsigned request costs us no memory.
	if r.ContentLength > maxWebhookBody {
		s.metrics.add(counterWebhookTooLarge, 1)
		w.Header().Set("Connection", "close")
		s.writeError(w, r, errorf(KindTooLarge, "request body larger than 1 MiB", nil))
		return
	}
	ts := r.Header.Get("x-zm-request-timestamp")
	if err := zoom.CheckTimestamp(ts, s.now(), s.cfg.WebhookWindow); err != nil {
		s.metrics.add(counterWebhookSignature, 1)
		w.Header().Set("Connection", "close")
		s.writeError(w, r, errorf(KindUnauthorized, "missing or stale x-zm-request-timestamp", err))
		return
	}
	sig := r.Header.Get("x-zm-signature")
	if !wellFormedSignature(sig) {
		s.metrics.add(counterWebhookSignature, 1)
		w.Header().Set("Connection", "close")
		s.writeError(w, r, errorf(KindUnauthorized, "missing or malformed x-zm-signature", nil))
		return
	}
	// A fresh timestamp and a well-formed signature cost an attacker
	// nothing, so the body still waits for room in the global budget.
	release, ok := s.reserveBody(w, r, maxWebhookBody)
	if !ok {
		return
	}
	defer release()
	body, err := readBody(http.MaxBytesReader(w, r.Body, maxWebhookBody), r.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.metrics.add(counterWebhookTooLarge, 1)
			s.writeError(w, r, errorf(KindTooLarge, "request body larger than 1 MiB", nil))
			return
		}
		s.writeError(w, r, errorf(KindInvalid, "cannot read request body", err))
		return
	}
	if !zoom.Verify(s.cfg.ZoomWebhookSecret, ts, body, sig) {
		s.metrics.add(counterWebhookSignature, 1)
		s.writeError(w, r, errorf(KindUnauthorized, "invalid x-zm-signature", nil))
		return
	}

	// The challenge is signed too: answering an unsigned one would hand out
	// HMACs of arbitrary strings under our secret.
	var probe struct {
		Event   string `json:"event"`
		Payload struct {
			PlainToken string `json:"plainToken"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		s.metrics.add(counterWebhookMalformed, 1)
		s.writeError(w, r, errorf(KindInvalid, "malformed JSON", err))
		return
	}
	if probe.Event == "endpoint.url_validation" {
		if probe.Payload.PlainToken == "" {
			s.writeError(w, r, errorf(KindInvalid, "payload.plainToken missing", nil))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{
			"plainToken":     probe.Payload.PlainToken,
			"encryptedToken": zoom.EncryptedToken(s.cfg.ZoomWebhookSecret, probe.Payload.PlainToken),
		})
		return
	}

	ev, err := zoom.Decode(body)
	if err != nil {
		s.metrics.add(counterWebhookMalformed, 1)
		s.writeError(w, r, errorf(KindInvalid, "malformed Zoom event", err))
		return
	}
	if ev.Kind == cti.KindUnknown {
		s.metrics.add(webhookUnknownCounter(ev.Type), 1)
		s.log.Info("unknown zoom event acknowledged", "event", ev.Type)
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		return
	}
	dup, err := s.accept(r.Context(), ev, body)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "cannot store the event; retry later", err))
		return
	}
	if dup {
		s.metrics.add(counterWebhookDuplicate, 1)
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate"})
		return
	}
	s.metrics.add(counterWebhookAccepted, 1)
	s.nudge(eventQueue)
	s.nudge(ringQueue)
	writeJSON(w, http.StatusOK, map[string]string{"status": "received"})
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

// accept stores ev durably once. It reports dup for a redelivery.
func (s *Server) accept(ctx context.Context, ev cti.Event, body []byte) (dup bool, err error) {
	// The request's context may be cancelled by a client that gives up;
	// the store write must still complete, or fail as a whole.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	payload, _ := json.Marshal(queuedEvent{Body: body, Received: s.now()})
	queue := eventQueue
	if ev.Kind == cti.KindRinging {
		queue = ringQueue
	}
	// Hashed, so no Zoom user id stays in the store's key names after an
	// agent disconnects. The mark and the job are one atomic write: were
	// they two, a crash between them would leave a mark without its event,
	// and Zoom's retry would be taken for a duplicate and dropped. An
	// event's id names its type, so a redelivery goes to the same queue and
	// meets its mark there.
	key := "seen:" + hashKey(ev.ID)
	_, fresh, err := s.store.EnqueueOnce(ctx, queue, key, dedupeTTL, payload)
	if err != nil {
		return false, err
	}
	return !fresh, nil
}

// processEvent is the worker side of the events queue.
func (s *Server) processEvent(ctx context.Context, payload []byte) error {
	var q queuedEvent
	if err := json.Unmarshal(payload, &q); err != nil {
		return errors.Join(cti.ErrBadJob, err)
	}
	ev, err := zoom.Decode(q.Body)
	if err != nil {
		return errors.Join(cti.ErrBadJob, err)
	}
	switch ev.Kind {
	case cti.KindDeauthorize, cti.KindUserDeleted, cti.KindUserUpdated, cti.KindPresence:
		return s.handleUserEvent(ctx, ev)
	}
	return s.engine.Handle(ctx, ev)
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
