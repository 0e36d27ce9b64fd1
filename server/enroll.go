package server

// What tools outside this package may do to a server besides serving HTTP:
// `zoomcti demo` (package demo) and `zoomcti bench` (package bench) have no
// browser to click through the sign-in and Zoom popups, so they enroll
// agents directly, and the bench reads what the server holds to know when
// its calls are done. Nothing here is reachable over HTTP.

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
)

// Enrollment is what an agent's Salesforce sign-in and Zoom authorization
// leave in the store.
type Enrollment struct {
	// Agent is the Salesforce user; a ZoomUserID links that Zoom user to
	// them (the identity rule is the caller's to check).
	Agent       cti.Agent
	InstanceURL string        // where the agent's org answers REST calls
	Salesforce  *oauth2.Token // the agent's Salesforce tokens, stored encrypted
	Zoom        *oauth2.Token // the agent's Zoom grant, stored encrypted; nil: none yet
	SignedIn    time.Time     // zero: now
	// Admin: Salesforce said the user holds the admin custom permission
	// (read again from Salesforce before their first admin request).
	Admin bool
}

// Enroll stores an agent as if they had signed in with Salesforce and,
// when e.Agent.ZoomUserID is set, authorized Zoom.
func (s *Server) Enroll(ctx context.Context, e Enrollment) error {
	if e.SignedIn.IsZero() {
		e.SignedIn = s.now()
	}
	if err := s.SaveAgent(ctx, agentRecord{Agent: e.Agent, InstanceURL: e.InstanceURL, SignedIn: e.SignedIn, Admin: e.Admin}, e.Salesforce); err != nil {
		return fmt.Errorf("enroll %s: %w", e.Agent.UserID, err)
	}
	if e.Agent.ZoomUserID == "" {
		return nil
	}
	if err := s.LinkZoom(ctx, e.Agent); err != nil {
		return fmt.Errorf("enroll %s: %w", e.Agent.UserID, err)
	}
	if e.Zoom != nil {
		if err := s.saveZoomToken(ctx, e.Agent.OrgID, e.Agent.UserID, e.Zoom); err != nil {
			return fmt.Errorf("enroll %s: %w", e.Agent.UserID, err)
		}
	}
	return nil
}

// NewSession signs a softphone in as a and returns its bearer token, as the
// sign-in popup hands it to the softphone.
func (s *Server) NewSession(ctx context.Context, a cti.Agent) (string, error) {
	return s.newSession(ctx, a)
}

// SetDemoAgent names the agent that POST /api/demo/session signs the
// softphone in as (only with Config.Demo). Call it before Serve.
func (s *Server) SetDemoAgent(a cti.Agent) { s.demoAgent = &a }

// Gauges are what an instance holds at one moment.
type Gauges struct {
	Softphones int // websockets connected to this instance
	Events     int // webhook events waiting in the store's queues (every instance's)
	Outbox     int // Salesforce writes waiting in the outbox (every instance's)
	Warming    int // connected agents whose Zoom link, record and describes this instance is still reading (warmAgent)
}

// Gauges reads the instance's gauges; the queue lengths come from the store.
// It is cheap enough to poll: it does not gather the metrics (Counters does).
func (s *Server) Gauges(ctx context.Context) (Gauges, error) {
	g := Gauges{Softphones: s.hub.count(), Warming: int(s.warmingNow.Load())}
	var err error
	if g.Events, err = s.eventBacklog(ctx); err != nil {
		return g, err
	}
	if g.Outbox, err = s.store.Len(ctx, cti.OutboxQueue); err != nil {
		return g, err
	}
	return g, nil
}

// Counters are this instance's counters that are not zero, by series, as
// GET /metrics shows them. It gathers every metric of the instance.
func (s *Server) Counters() map[string]int64 { return s.metrics.counters() }
