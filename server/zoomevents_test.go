package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// zoomEvent is a user-level Zoom event body for the demo agent.
func zoomEvent(event string, payload map[string]any) []byte {
	payload["account_id"] = zoomsim.AccountID
	b, _ := json.Marshal(map[string]any{"event": event, "event_ts": time.Now().UnixMilli(), "payload": payload})
	return b
}

func TestPresenceReachesTheSoftphone(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	e.send(zoomEvent("user.presence_status_updated", map[string]any{"object": map[string]any{
		"id": DemoZoomUserID, "email": "alice@example.com", "presence_status": "Do_Not_Disturb", "date_time": "2025-03-04T16:00:00Z",
	}}))
	m := readMsg(t, ws, "presence", 10*time.Second)
	p, _ := m["presence"].(map[string]any)
	if p["status"] != "dnd" || p["label"] != "Do not disturb" {
		t.Fatalf("presence = %v", p)
	}
	// A softphone that connects later sees it too.
	hello := readMsg(t, e.connectSoftphoneRaw(), "hello", 5*time.Second)
	if p, _ := hello["presence"].(map[string]any); p["status"] != "dnd" {
		t.Fatalf("hello presence = %v", hello["presence"])
	}
}

func TestZoomDirectoryEventsUnlink(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		unlink bool
	}{
		{"app deauthorized", zoomEvent("app_deauthorized", map[string]any{
			"user_id": DemoZoomUserID, "signature": "x", "deauthorization_time": "2025-03-04T18:30:00.000Z", "client_id": zoomsim.DefaultClientID,
		}), true},
		{"Zoom user deleted", zoomEvent("user.deleted", map[string]any{"operator": "admin@example.com", "object": map[string]any{
			"id": DemoZoomUserID, "email": "alice@example.com", "type": 1,
		}}), true},
		{"Zoom email changed to one that no longer matches", zoomEvent("user.updated", map[string]any{"object": map[string]any{
			"id": DemoZoomUserID, "email": "alice.personal@example.net",
		}, "old_object": map[string]any{"id": DemoZoomUserID, "email": "alice@example.com"}}), true},
		{"Zoom profile changed, email the same", zoomEvent("user.updated", map[string]any{"object": map[string]any{
			"id": DemoZoomUserID, "dept": "Support",
		}, "old_object": map[string]any{"id": DemoZoomUserID, "dept": "Sales"}}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ws := e.connectSoftphone()
			e.send(tc.body)
			e.drain()
			a, _ := e.s.agent(context.Background(), e.s.demoAgent.OrgID, e.s.demoAgent.UserID)
			linked := a.ZoomUserID != ""
			if linked == tc.unlink {
				t.Fatalf("linked = %v after the event", linked)
			}
			if !tc.unlink {
				return
			}
			m := readMsg(t, ws, "zoom", 5*time.Second)
			if z, _ := m["zoom"].(map[string]any); z["status"] != "not_linked" || m["message"] == "" {
				t.Fatalf("softphone told %v", m)
			}
			if _, err := e.st.Get(context.Background(), zoomTokenKey(a.OrgID, a.UserID)); err == nil {
				t.Fatal("Zoom token kept after unlinking")
			}
		})
	}
}

// Two instances need the agent's Zoom token at the moment it expires: one
// refresh, and since Zoom rotates refresh tokens, the link survives.
func TestInstancesRefreshAZoomTokenOnce(t *testing.T) {
	zm := zoomsim.New(zoomsim.Options{})
	zs := httptest.NewServer(zm)
	defer zs.Close()
	c := newCluster(t, 2, func(cf *Config) { useZoom(cf, zs.URL) })
	a := c.servers[0].demoAgent
	access, refresh, _ := zm.IssueToken(DemoZoomUserID)
	expired := time.Now().Add(-time.Minute)
	if err := c.servers[0].saveZoomTokenRaw(a.OrgID, a.UserID, access, refresh, expired); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		s := c.servers[i%2]
		wg.Go(func() {
			me, err := s.zoom.client(a.OrgID, a.UserID).Me(context.Background())
			if err == nil && me.ID != DemoZoomUserID {
				err = fmt.Errorf("users/me = %s", me.ID)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := zm.Refreshes(); n != 1 {
		t.Fatalf("%d Zoom refreshes, want 1 (a second would use a dead refresh token)", n)
	}
	// The link survives: a later refresh works with the stored token.
	if err := c.servers[1].saveZoomTokenRawExpiry(a.OrgID, a.UserID, expired); err != nil {
		t.Fatal(err)
	}
	if _, err := c.servers[1].zoom.client(a.OrgID, a.UserID).Me(context.Background()); err != nil {
		t.Fatalf("after the shared refresh: %v", err)
	}

}

// Zoom refuses the stored refresh token: the link is kept but marked, and
// the softphone asks the agent to authorize again.
func TestRefusedZoomRefreshAsksForReauthorization(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	a := e.s.demoAgent
	if err := e.s.saveZoomTokenRaw(a.OrgID, a.UserID, "dead-access", "dead-refresh", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.zoom.client(a.OrgID, a.UserID).Me(context.Background()); err == nil {
		t.Fatal("a dead refresh token worked")
	}
	m := readMsg(t, ws, "zoom", 5*time.Second)
	if z, _ := m["zoom"].(map[string]any); z["status"] != "needs_reauth" || z["message"] == "" {
		t.Fatalf("softphone told %v, want needs_reauth with a message", m)
	}
}

// Zoom cannot be reached while linking: the agent is told to retry later,
// and nothing is kept.
func TestZoomDownWhileLinking(t *testing.T) {
	s, st := newTestServer(t, func(c *Config) { useZoom(c, "http://127.0.0.1:1") })
	rec := agentRecord{Agent: cti.Agent{OrgID: "00D000000000001AAA", UserID: "005000000000001AAA", Username: "alice@example.com"}}
	if err := s.SaveAgent(context.Background(), rec, nil); err != nil {
		t.Fatal(err)
	}
	out := s.linkZoom(context.Background(), zoomLinkState{OrgID: rec.OrgID, UserID: rec.UserID}, map[string][]string{"code": {"any"}})
	if out.Linked || out.Message != zoomSystemError {
		t.Fatalf("outcome %+v, want the system error", out)
	}
	if keys, _ := st.Keys(context.Background(), "zoom"); len(keys) != 0 {
		t.Fatalf("stored %v", keys)
	}
}
