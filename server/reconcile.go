package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
)

// Webhooks can be lost: Zoom retries three times over about an hour and a
// half, then gives up. Reconcile reads each linked agent's call history for
// a date range and writes the Task of every call that has none yet, through
// the same idempotent write as the webhooks, so running both never
// duplicates a log.

// ReconcileSummary is what one reconcile run did.
type ReconcileSummary struct {
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Agents        int       `json:"agents"`
	Seen          int       `json:"seen"`
	AlreadyLogged int       `json:"already_logged"`
	LoggedNow     int       `json:"logged_now"`
	Failed        int       `json:"failed"`
	Errors        []string  `json:"errors,omitempty"`
}

// Zoom's call history accepts at most a month per request, within the last
// six months.
const (
	historyWindow = 30 * 24 * time.Hour
	historyReach  = 183 * 24 * time.Hour
)

// Reconcile logs every call of every linked agent between from and to that
// has no Task yet. progress, when set, hears about each agent.
func (s *Server) Reconcile(ctx context.Context, from, to time.Time, progress func(string)) (ReconcileSummary, error) {
	sum := ReconcileSummary{From: from, To: to}
	if progress == nil {
		progress = func(string) {}
	}
	if !from.Before(to) {
		return sum, errors.New("reconcile: from must be before to")
	}
	if from.Before(s.now().Add(-historyReach)) {
		return sum, errors.New("reconcile: Zoom keeps call history for six months; pick a later start")
	}
	agents, err := s.linkedAgents(ctx)
	if err != nil {
		return sum, err
	}
	sum.Agents = len(agents)
	for _, a := range agents {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		before := sum
		s.reconcileAgent(ctx, a, from, to, &sum)
		progress(fmt.Sprintf("%s: %d calls, %d already logged, %d logged now, %d failed",
			a.Username, sum.Seen-before.Seen, sum.AlreadyLogged-before.AlreadyLogged, sum.LoggedNow-before.LoggedNow, sum.Failed-before.Failed))
	}
	s.log.Info("reconcile finished", "from", from, "to", to, "agents", sum.Agents, "seen", sum.Seen,
		"already_logged", sum.AlreadyLogged, "logged_now", sum.LoggedNow, "failed", sum.Failed)
	return sum, nil
}

func (s *Server) reconcileAgent(ctx context.Context, a agentRecord, from, to time.Time, sum *ReconcileSummary) {
	note := func(what string, err error) {
		sum.Failed++
		msg := fmt.Sprintf("%s: %s: %v", a.Username, what, err)
		if len(sum.Errors) < 20 {
			sum.Errors = append(sum.Errors, msg)
		}
	}
	fail := func(what string, err error) {
		note(what, err)
		s.log.Warn("reconcile", "user_id", a.UserID, "what", what, "err", err)
	}
	zc := s.zoom.client(a.OrgID, a.UserID)
	seen := map[string]bool{}
	for start := from; start.Before(to); start = start.Add(historyWindow) {
		end := start.Add(historyWindow)
		if end.After(to) {
			end = to
		}
		records, err := zc.CallHistory(ctx, a.ZoomUserID, start, end)
		if se, ok := asScopeError(err); ok {
			s.zoomScopeMissing(ctx, a.OrgID, a.UserID, se)
			fail("call history", errors.New(se.Advice()))
			return
		}
		if errors.Is(err, zoom.ErrInvalidClient) {
			// Logged once already (refuseClient); the summary says it
			// for each agent it stopped.
			note("call history", errors.New(zoomClientRefused))
			return
		}
		if err != nil {
			fail("call history", err)
			return
		}
		for _, rec := range records {
			if seen[rec.CallID] || (rec.UserID != "" && rec.UserID != a.ZoomUserID) {
				continue
			}
			seen[rec.CallID] = true
			sum.Seen++
			out, err := s.engine.LogRecord(ctx, a.Agent, rec)
			switch {
			case errors.Is(err, cti.ErrBusy):
				// The webhook path is writing it right now.
				sum.AlreadyLogged++
			case err != nil:
				fail("call "+rec.CallID, err)
			case out == cti.LoggedNow:
				sum.LoggedNow++
			default:
				sum.AlreadyLogged++
			}
		}
	}
}

// linkedAgents lists the agents with a Zoom link, in a stable order.
func (s *Server) linkedAgents(ctx context.Context) ([]agentRecord, error) {
	keys, err := s.store.Keys(ctx, "zoomlink:")
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	var out []agentRecord
	for _, k := range keys {
		ag, err := s.AgentByZoomUser(ctx, strings.TrimPrefix(k, "zoomlink:"))
		if err != nil {
			return nil, err
		}
		if ag == nil {
			continue
		}
		rec, err := s.agent(ctx, ag.OrgID, ag.UserID)
		if err != nil {
			return nil, err
		}
		if rec != nil && rec.ZoomUserID != "" && rec.SignInRequired == "" {
			out = append(out, *rec)
		}
	}
	return out, nil
}

// handleReconcile answers POST /api/ops/reconcile {from, to} for operators
// (Authorization: Bearer ZOOMCTI_OPS_TOKEN). It streams progress as JSON
// lines and ends with {"summary": …}.
func (s *Server) handleReconcile(w http.ResponseWriter, r *http.Request) {
	if !s.isOperator(r) {
		s.writeError(w, r, errorf(KindUnauthorized, "operator token required (ZOOMCTI_OPS_TOKEN)", nil))
		return
	}
	var in struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		s.writeError(w, r, errorf(KindInvalid, `body must be {"from": RFC 3339 time, "to": RFC 3339 time}`, err))
		return
	}
	if !in.From.Before(in.To) {
		s.writeError(w, r, errorf(KindInvalid, "from must be before to", nil))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	sum, err := s.Reconcile(r.Context(), in.From, in.To, func(line string) {
		_ = enc.Encode(map[string]string{"progress": line})
		flush()
	})
	if err != nil {
		_ = enc.Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = enc.Encode(map[string]any{"summary": sum})
}

// isOperator reports whether the request carries ZOOMCTI_OPS_TOKEN.
func (s *Server) isOperator(r *http.Request) bool {
	return s.cfg.OpsToken != "" && subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.cfg.OpsToken)) == 1
}

// runReconcileLoop reconciles the last day every cfg.ReconcileEvery, on one
// instance at a time.
func (s *Server) runReconcileLoop(ctx context.Context) {
	every := s.cfg.ReconcileEvery
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lock := []byte(randomToken())
		ok, err := s.store.SetNX(ctx, "lock:reconcile", lock, every)
		if err != nil || !ok {
			continue // another instance has this round
		}
		now := s.now()
		if _, err := s.Reconcile(ctx, now.Add(-24*time.Hour), now, nil); err != nil && ctx.Err() == nil {
			s.log.Error("scheduled reconcile failed", "err", err)
		}
	}
}
