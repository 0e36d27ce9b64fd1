package server

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// evidence remembers, per org, when zoomcti last saw something no API can
// confirm: a phone.callee_ringing for one of its agents (Zoom's event
// subscriptions work), a softphone connecting (the utility bar item
// exists). zoomcti doctor shows it as evidence. Each fact is written to the
// store at most once a minute, so that every instance's doctor sees it and
// the hot path pays nothing measurable.
type evidence struct {
	mu      sync.Mutex
	written map[string]time.Time // key → when last written
}

const (
	evidenceEvery = time.Minute
	evidenceTTL   = 30 * 24 * time.Hour
)

// Facts the doctor reads.
const (
	factRinging   = "phone.callee_ringing"
	factSoftphone = "softphone connected"
	factEmbed     = "smart embed answered"
)

// note records that fact happened for orgID at t.
func (s *Server) noteEvidence(ctx context.Context, orgID, fact string) {
	key := evidenceKey(orgID, fact)
	now := s.now()
	s.evidence.mu.Lock()
	if s.evidence.written == nil {
		s.evidence.written = map[string]time.Time{}
	}
	if last, ok := s.evidence.written[key]; ok && now.Sub(last) < evidenceEvery {
		s.evidence.mu.Unlock()
		return
	}
	s.evidence.written[key] = now
	s.evidence.mu.Unlock()
	b, _ := json.Marshal(now.UTC())
	if err := s.store.Set(context.WithoutCancel(ctx), key, b, evidenceTTL); err != nil {
		s.log.Warn("cannot record evidence for zoomcti doctor", "org_id", orgID, "fact", fact, "err", err)
	}
}

// lastEvidence is when fact was last recorded for orgID (zero: never, or
// more than 30 days ago).
func (s *Server) lastEvidence(ctx context.Context, orgID, fact string) time.Time {
	var t time.Time
	_, _ = getJSON(ctx, s.store, evidenceKey(orgID, fact), &t)
	return t
}
