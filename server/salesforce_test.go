package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// agentDescribes are the describes an agent's first lookup and first Task
// cost (Contact, Lead, Account, Task: the fields the agent sees), once per
// agent and hour.
const agentDescribes = 4

// apiRequests counts what one call costs against the org's API limit.
func TestInboundCallCostsAtMostTwoAPIRequests(t *testing.T) {
	e := newEnv(t)
	play := func(callID, from string) int {
		before := e.org.APIRequests()
		bodies, err := sim().Inbound(simSpecFrom(callID, from))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bodies {
			e.send(b)
		}
		e.drain()
		if n := len(e.tasks(callID)); n != 1 {
			t.Fatalf("%d Tasks, want 1", n)
		}
		return e.org.APIRequests() - before
	}
	// The org's closed Task status is read once per org, on its first log;
	// the agent's describes (the fields they see) once per agent.
	if n := play("7400000000000000901", "+12025550142"); n > 3+agentDescribes {
		t.Errorf("first call of the org: %d API requests, want at most %d (describes + search + closed status + log)", n, 3+agentDescribes)
	}
	if n := play("7400000000000000903", "+12025550177"); n > 2 {
		t.Errorf("first call from another number: %d API requests, want at most 2 (search + log)", n)
	}
	if n := play("7400000000000000902", "+12025550142"); n > 1 {
		t.Errorf("second call from the same number: %d API requests, want at most 1 (the log)", n)
	}
}

// The org's session timeout passes in the middle of the day: the next
// lookup refreshes the token once, and the agent notices nothing.
func TestExpiredSessionIsRefreshedOnce(t *testing.T) {
	e := newEnv(t)
	e.org.ExpireAccessTokens()
	ws := e.connectSoftphone()
	bodies, err := sim().Inbound(simSpec("7400000000000001001"))
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0])
	if m := readMsg(t, ws, "call", 10*time.Second); m["pop"] == nil {
		t.Fatalf("no pop after the session expired: %v", m)
	}
	for _, b := range bodies[1:] {
		e.send(b)
	}
	e.drain()
	if n := len(e.tasks("7400000000000001001")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
	if n := e.refreshes.Load(); n != 1 {
		t.Fatalf("%d token refreshes, want 1", n)
	}
}

// An admin revokes the agent's access: the softphone says "sign in again",
// and the call log waits (it is not dropped) until they do.
func TestRevokedAccessAsksTheAgentToSignInAgain(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	a := *e.s.demoAgent
	tok, err := e.s.tokens.loadSF(context.Background(), a.OrgID, a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	e.s.revokeSF(context.Background(), e.s.agentOAuth(context.Background(), a.OrgID, a.UserID), tok.RefreshToken)
	e.org.ExpireAccessTokens()

	bodies, err := sim().Inbound(simSpec("7400000000000001101"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	m := readMsg(t, ws, "signin_required", 10*time.Second)
	if m["message"] == "" {
		t.Fatal("signin_required without a message")
	}
	e.waitEvents()
	e.waitLen("outbox", 1) // the call log, waiting
	e.waitRetries(3)       // and tried again, more than once
	if n := len(e.tasks("7400000000000001101")); n != 0 {
		t.Fatalf("%d Tasks while signed out", n)
	}
	e.waitLen("outbox", 1)

	// The agent signs in again; the waiting log is written.
	access, refresh := e.org.IssueToken(a.UserID)
	e.signIn(access, refresh)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.tasks("7400000000000001101")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting call log was not written after signing in again")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Salesforce answers 403 REQUEST_LIMIT_EXCEEDED: zoomcti stops calling that
// org for a while, pops the console's own search instead, and keeps the log.
func TestRequestLimitPausesTheOrg(t *testing.T) {
	e := newEnvWith(t, sfsim.Options{DailyLimit: 1})
	e.org.Insert("Contact", map[string]any{"LastName": "Filler", "Phone": "+12025550999"}) // not counted
	ws := e.connectSoftphone()
	// The first request uses the day's only one.
	bodies, err := sim().Inbound(simSpec("7400000000000001201"))
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0])
	readMsg(t, ws, "call", 10*time.Second)
	used := e.org.APIRequests()

	second, err := sim().Inbound(simSpecFrom("7400000000000001202", "+12025550177"))
	if err != nil {
		t.Fatal(err)
	}
	e.send(second[0])
	m := readMsg(t, ws, "call", 10*time.Second)
	pop, _ := m["pop"].(map[string]any)
	if pop["kind"] != "search" || pop["search_string"] != "+12025550177" {
		t.Fatalf("pop while out of API requests = %v, want a search for the number", pop)
	}
	for _, b := range append(bodies[1:], second[1:]...) {
		e.send(b)
	}
	e.waitEvents()
	e.waitLen("outbox", 2) // both call logs, waiting
	e.waitRetries(4)       // and tried again, more than once each
	if got := e.org.APIRequests(); got > used+1 {
		t.Fatalf("%d more API requests after the limit, want at most the one that hit it", got-used)
	}
	e.waitLen("outbox", 2)
}

func TestAdminStatusIsForAdminsOnly(t *testing.T) {
	e := newEnv(t)
	// One call, so the org's Sforce-Limit-Info has been seen.
	bodies, err := sim().Inbound(simSpec("7400000000000001301"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	e.drain()
	get := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/api/admin/status", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if status, _ := get(e.session()); status != http.StatusForbidden {
		t.Fatalf("agent: status %d, want 403", status)
	}
	if status, _ := get("not-a-session"); status != http.StatusUnauthorized {
		t.Fatalf("no session: status %d, want 401", status)
	}
	// The org's admin signs in (the permission set is checked at sign-in).
	admin := e.org.AdminUser()
	rec := agentRecord{Agent: cti.Agent{OrgID: e.org.OrgID(), UserID: admin.ID, Name: admin.Name}, InstanceURL: e.sfURL, Admin: true, AdminChecked: e.s.now()}
	if err := e.s.SaveAgent(context.Background(), rec, nil); err != nil {
		t.Fatal(err)
	}
	token, err := e.s.newSession(context.Background(), rec.Agent)
	if err != nil {
		t.Fatal(err)
	}
	status, body := get(token)
	if status != http.StatusOK {
		t.Fatalf("admin: status %d", status)
	}
	usage, _ := body["api_usage"].(map[string]any)
	if usage == nil || usage["used"].(float64) < 1 || usage["limit"].(float64) != 15000 {
		t.Fatalf("api_usage = %v, want the org's Sforce-Limit-Info", body["api_usage"])
	}
}

// An agent's softphone connects: their describes are read then, so that
// their first call's pop waits for the search alone.
func TestConnectedSoftphoneReadsDescribesBeforeTheFirstCall(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	waitFor(t, 10*time.Second, func() bool { return e.describes.Load() >= agentDescribes },
		"the agent's describes to be read when their softphone connected")
	waitFor(t, 10*time.Second, func() bool { return e.s.warmingNow.Load() == 0 }, "the describes to be kept")
	if n := e.describes.Load(); n != agentDescribes {
		t.Fatalf("connecting read %d describes, want %d", n, agentDescribes)
	}
	if pop := e.ring(t, ws, "7400000000000001101", "+12025550142"); pop == nil {
		t.Fatal("no pop")
	}
	if n := e.describes.Load(); n != agentDescribes {
		t.Fatalf("the first call read %d describes more, want none (they were read at connect)", n-agentDescribes)
	}
	// A second softphone of the agent (another console tab) costs none.
	e.connectSoftphone()
	if n := e.s.warmingNow.Load(); n > 1 {
		t.Fatalf("%d describe reads waiting for one agent", n)
	}
	waitFor(t, 10*time.Second, func() bool { return e.s.warmingNow.Load() == 0 }, "the second tab's check")
	if n := e.describes.Load(); n != agentDescribes {
		t.Fatalf("a second tab read %d describes more, want none", n-agentDescribes)
	}
}

// What a ringing webhook reads before the pop, the Zoom user's link (for
// the intake's queue shard) and the agent's record, is in the read cache
// once the agent's softphone has connected: their first call waits for
// neither.
func TestConnectedSoftphoneCachesTheAgentsZoomLinkBeforeTheFirstCall(t *testing.T) {
	e := newEnv(t)
	e.s.cache.dropAll()
	a := e.s.demoAgent
	keys := []string{zoomLinkKey(DemoZoomUserID), agentKey(a.OrgID, a.UserID)}
	e.connectSoftphone()
	waitFor(t, 10*time.Second, func() bool { return e.s.warmingNow.Load() == 0 }, "the connect's reads")
	for _, k := range keys {
		if !e.s.cache.holds(k) {
			t.Errorf("%s is not in the read cache after the softphone connected", k)
		}
	}
}

// holds reports whether the cache has an entry for key.
func (c *readCache) holds(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[key]
	return ok
}

// An org that has used most of its daily API requests is spared the
// describes of connecting softphones: their first calls read their own.
// The usage is the one Salesforce last reported to this instance or, after
// a restart, to any (the store's).
func TestConnectingSoftphonesSpareAnOrgNearItsLimit(t *testing.T) {
	for _, seen := range []string{"here", "by another instance"} {
		t.Run(seen, func(t *testing.T) {
			e := newEnv(t)
			org := e.s.demoAgent.OrgID
			if seen == "here" {
				e.s.crm.noteLimits(org, 14_000, 15_000)
			} else {
				b, _ := json.Marshal(orgLimits{Used: 14_000, Limit: 15_000, At: time.Now()})
				if err := e.s.store.Set(context.Background(), orgLimitsKey(org), b, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			ws := e.connectSoftphone()
			waitFor(t, 10*time.Second, func() bool { return e.s.warmingNow.Load() == 0 }, "the connect's check")
			if n := e.describes.Load(); n != 0 {
				t.Fatalf("%d describes read at connect for an org at 93%% of its limit, want none", n)
			}
			if pop := e.ring(t, ws, "7400000000000001102", "+12025550142"); pop == nil {
				t.Fatal("no pop")
			}
			// The first call read the three describes its lookup needs.
			if n := e.describes.Load(); n != 3 {
				t.Fatalf("the first pop read %d describes, want the 3 the lookup needs", n)
			}
		})
	}
}
