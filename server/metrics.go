package server

import (
	"maps"
	"net/http"
	"sync"
)

// metrics are this instance's counters (webhooks accepted, duplicates,
// unknown event types, retried jobs), shown at GET /api/stats.
type metrics struct {
	mu sync.Mutex
	n  map[string]int64
}

func (m *metrics) add(name string, d int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int64{}
	}
	m.n[name] += d
}

func (m *metrics) snapshot() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.n)
}

// handleStats answers GET /api/stats with this instance's counters, for
// operators (ZOOMCTI_OPS_TOKEN) and admins.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	if !s.isOperator(r) {
		if _, ok := s.requireAdmin(w, r); !ok {
			return
		}
	}
	c := s.metrics.snapshot()
	if c == nil {
		c = map[string]int64{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"counters": c})
}
