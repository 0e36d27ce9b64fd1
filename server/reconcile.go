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

// ReconcileSummary is what one reconcile run did. Every call seen is
// counted once: already logged, logged now, waiting for its agent's
// wrap-up (Auto Save Call Logs off: not logged, and not lost either),
// ignored (internal, as the settings say) or failed.
type ReconcileSummary struct {
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	Agents         int       `json:"agents"`
	Seen           int       `json:"seen"`
	AlreadyLogged  int       `json:"already_logged"`
	LoggedNow      int       `json:"logged_now"`
	UnsavedWrapUps int       `json:"unsaved_wrapups"`
	Ignored        int       `json:"ignored"`
	Failed         int       `json:"failed"`
	Errors         []string  `json:"errors,omitempty"`
}

// ReconcileProgress is one agent's part of a run, told as it ends.
type ReconcileProgress struct {
	Agent          string `json:"agent"` // the Salesforce username
	Done           int    `json:"done"`  // agents done, this one included
	Total          int    `json:"total"`
	Seen           int    `json:"seen"`
	AlreadyLogged  int    `json:"already_logged"`
	LoggedNow      int    `json:"logged_now"`
	UnsavedWrapUps int    `json:"unsaved_wrapups"`
	Ignored        int    `json:"ignored"`
	Failed         int    `json:"failed"`
}

func (p ReconcileProgress) String() string {
	return fmt.Sprintf("%s: %d calls, %d already logged, %d logged now, %d unsaved wrap-ups, %d ignored, %d failed",
		p.Agent, p.Seen, p.AlreadyLogged, p.LoggedNow, p.UnsavedWrapUps, p.Ignored, p.Failed)
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
	return s.reconcile(ctx, "", from, to, func(p ReconcileProgress) {
		if progress != nil && p.Done > 0 {
			progress(p.String())
		}
	})
}

// reconcile is Reconcile for the agents of org ("": of every org).
func (s *Server) reconcile(ctx context.Context, org string, from, to time.Time, progress func(ReconcileProgress)) (ReconcileSummary, error) {
	sum := ReconcileSummary{From: from, To: to}
	if !from.Before(to) {
		return sum, errors.New("reconcile: from must be before to")
	}
	if from.Before(s.now().Add(-historyReach)) {
		return sum, errors.New("reconcile: Zoom keeps call history for six months; pick a later start")
	}
	agents, err := s.linkedAgents(ctx, org)
	if err != nil {
		return sum, err
	}
	sum.Agents = len(agents)
	progress(ReconcileProgress{Total: len(agents)}) // started, with how many agents to go
	for i, a := range agents {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		before := sum
		s.reconcileAgent(ctx, a, from, to, &sum)
		progress(ReconcileProgress{Agent: a.Username, Done: i + 1, Total: len(agents),
			Seen: sum.Seen - before.Seen, AlreadyLogged: sum.AlreadyLogged - before.AlreadyLogged,
			LoggedNow: sum.LoggedNow - before.LoggedNow, UnsavedWrapUps: sum.UnsavedWrapUps - before.UnsavedWrapUps,
			Ignored: sum.Ignored - before.Ignored, Failed: sum.Failed - before.Failed})
	}
	s.log.Info("reconcile finished", "org_id", org, "from", from, "to", to, "agents", sum.Agents, "seen", sum.Seen,
		"already_logged", sum.AlreadyLogged, "logged_now", sum.LoggedNow, "unsaved_wrapups", sum.UnsavedWrapUps,
		"ignored", sum.Ignored, "failed", sum.Failed)
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
			case out == cti.WrapUpQueued, out == cti.WrapUpWaiting:
				sum.UnsavedWrapUps++
			case out == cti.Ignored:
				sum.Ignored++
			default:
				sum.AlreadyLogged++
			}
		}
	}
}

// linkedAgents lists the agents of org ("": of every org) with a Zoom
// link, in a stable order.
func (s *Server) linkedAgents(ctx context.Context, org string) ([]agentRecord, error) {
	if org != "" {
		return s.orgLinkedAgents(ctx, org)
	}
	keys, err := s.store.Keys(ctx, zoomLinkPrefix)
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	var out []agentRecord
	for _, k := range keys {
		ag, err := s.AgentByZoomUser(ctx, strings.TrimPrefix(k, zoomLinkPrefix))
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
	in, ok := s.reconcileRange(w, r)
	if !ok {
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

// reconcileRange reads a reconcile request's {from, to}, for the operator's
// and the admin's routes alike, or answers 400 saying what is wrong.
func (s *Server) reconcileRange(w http.ResponseWriter, r *http.Request) (in struct{ From, To time.Time }, ok bool) {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		s.writeError(w, r, errorf(KindInvalid, `body must be {"from": RFC 3339 time, "to": RFC 3339 time}`, err))
		return in, false
	}
	switch {
	case !in.From.Before(in.To):
		s.writeError(w, r, errorf(KindInvalid, "from must be before to", nil))
		return in, false
	case in.From.Before(s.now().Add(-historyReach)):
		s.writeError(w, r, errorf(KindInvalid, "Zoom keeps call history for six months; pick a later start", nil))
		return in, false
	}
	return in, true
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

// orgLinkedAgents lists org's agents whose Zoom link is theirs and whose
// Salesforce access works, in a stable order.
func (s *Server) orgLinkedAgents(ctx context.Context, org string) ([]agentRecord, error) {
	keys, err := s.store.Keys(ctx, agentKey(org, ""))
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	var out []agentRecord
	for _, k := range keys {
		var rec agentRecord
		if ok, err := getJSON(ctx, s.store, k, &rec); err != nil {
			return nil, err
		} else if !ok || rec.OrgID != org || rec.ZoomUserID == "" || rec.SignInRequired != "" {
			continue
		}
		linked, err := s.AgentByZoomUser(ctx, rec.ZoomUserID)
		if err != nil {
			return nil, err
		}
		if linked != nil && linked.Key() == rec.Key() {
			out = append(out, rec)
		}
	}
	return out, nil
}

// adminReconcileLock bounds an admin-started reconcile of one org: at most
// one at a time, and the lock runs out on its own should the instance die.
const adminReconcileLock = 30 * time.Minute

// handleAdminReconcile answers POST /api/admin/reconcile {from, to} for an
// admin: a reconcile of their own org's agents, streamed as JSON lines of
// ReconcileProgress (one per agent) and then {"summary": …}. Closing the
// request stops it after the agent in progress. 409 while another admin's
// run for the org goes on.
func (s *Server) handleAdminReconcile(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	in, ok := s.reconcileRange(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	lock := []byte(randomToken())
	got, err := s.store.SetNX(ctx, reconcileLockKey(a.OrgID), lock, adminReconcileLock)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "store unavailable", err))
		return
	}
	if !got {
		s.writeError(w, r, errorf(KindConflict, "a reconcile of this org is running already; wait for it to finish", nil))
		return
	}
	defer func() {
		if _, err := s.store.CompareAndDelete(context.WithoutCancel(ctx), reconcileLockKey(a.OrgID), lock); err != nil {
			s.log.Warn("cannot release the org's reconcile lock; it runs out by itself", "org_id", a.OrgID, "err", err)
		}
	}()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	s.log.Info("reconcile started by an admin", "org_id", a.OrgID, "user_id", a.UserID, "from", in.From, "to", in.To)
	sum, err := s.reconcile(ctx, a.OrgID, in.From, in.To, func(p ReconcileProgress) {
		_ = enc.Encode(map[string]any{"progress": p})
		_ = rc.Flush()
	})
	if err != nil {
		_ = enc.Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = enc.Encode(map[string]any{"summary": sum})
}
