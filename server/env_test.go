package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gorilla/websocket"
	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
)

// env is a running server with workers, an emulated org behind it and the
// org's demo user signed in and linked to Alice's Zoom account. No browser.
type env struct {
	t         testing.TB
	refreshes *atomic.Int64 // refresh-token grants the org answered
	describes *atomic.Int64 // sObject describes the org answered
	s         *Server
	st        store.Store
	org       *sfsim.Org
	zoom      *zoomsim.Zoom
	sfURL     string
	url       string // the server's base URL
	// stop ends the workers' context, as a shutdown does (the HTTP server
	// keeps answering).
	stop context.CancelFunc
	// public routes the server's own requests to its public URL (the
	// doctor's), when doctorEnv made it.
	public *toTestServer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOrg(t, sfsim.New(sfsim.Options{}))
}

func newEnvOrg(t testing.TB, org *sfsim.Org) *env {
	t.Helper()
	return newEnvTuned(t, org, nil)
}

// newEnvTuned is newEnvOrg with tune applied to the server before its
// workers start.
func newEnvTuned(t testing.TB, org *sfsim.Org, tune func(*Server)) *env {
	t.Helper()
	refreshes, describes := new(atomic.Int64), new(atomic.Int64)
	sf := httptest.NewServer(countRefreshes(countDescribes(org, describes), refreshes))
	t.Cleanup(sf.Close)
	zm := zoomsim.New(zoomsim.Options{WebhookSecret: testSecret})
	zs := httptest.NewServer(zm)
	t.Cleanup(func() { zs.Close(); zm.Close() })
	s, st := newTestServer(t, func(c *Config) { c.SFLoginURL = sf.URL; useZoom(c, zs.URL) })
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.linkDemoAgent(ctx, org, sf.URL); err != nil {
		t.Fatal(err)
	}
	linkDemoZoom(t, s, zm)
	if tune != nil {
		tune(s)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		s.Wait()
	})
	return &env{t: t, s: s, st: st, org: org, zoom: zm, sfURL: sf.URL, url: hs.URL, refreshes: refreshes, describes: describes, stop: cancel}
}

// useZoom points the configuration at an emulated Zoom.
func useZoom(c *Config, url string) {
	c.ZoomOAuthURL, c.ZoomAPIURL = url, url
	c.ZoomClientID, c.ZoomClientSecret = zoomsim.DefaultClientID, zoomsim.DefaultClientSecret
}

// linkDemoZoom stores a Zoom grant for the demo agent, as the popup would.
func linkDemoZoom(t testing.TB, s *Server, zm *zoomsim.Zoom) {
	t.Helper()
	access, refresh, expiry := zm.IssueToken(DemoZoomUserID)
	tok := &oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: expiry}
	if err := s.saveZoomToken(context.Background(), s.demoAgent.OrgID, s.demoAgent.UserID, tok); err != nil {
		t.Fatal(err)
	}
}

// countDescribes counts the sObject describes h answers.
func countDescribes(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/describe") {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// countRefreshes counts the refresh-token grants h answers.
func countRefreshes(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" && r.ParseForm() == nil && r.PostForm.Get("grant_type") == "refresh_token" {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

func (e *env) send(body []byte) {
	e.t.Helper()
	snd := &zoomsim.Sender{URL: e.url + "/webhooks/zoom", Secret: testSecret, Client: http.DefaultClient}
	d, err := snd.Send(context.Background(), body)
	if err != nil || d.StatusCode != http.StatusOK {
		e.t.Fatalf("send: %v err %v", d, err)
	}
}

func (e *env) drain() {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ev, _ := e.s.eventBacklog(ctx)
		ob, _ := e.st.Len(ctx, cti.OutboxQueue)
		// A job acks in its commit and pushes after it: wait for the
		// running ones too.
		if ev == 0 && ob == 0 && len(e.s.jobs.inflight) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stuck []string
	for _, q := range []string{ringQueue, eventQueue, cti.OutboxQueue} {
		if job, err := e.st.Claim(ctx, q, time.Second); err == nil && job != nil {
			stuck = append(stuck, fmt.Sprintf("%s: attempt %d, last error %q: %s", q, job.Attempts, job.LastErr, job.Payload))
		}
	}
	e.t.Fatalf("queues did not drain; for example:\n%s", strings.Join(stuck, "\n"))
}

func (e *env) tasks(callID string) []map[string]any {
	var out []map[string]any
	for _, r := range e.org.Records("Task") {
		if r["CallObject"] == callID {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) contact(phone string) string {
	e.t.Helper()
	for _, r := range e.org.Records("Contact") {
		if r["Phone"] == phone {
			return r["Id"].(string)
		}
	}
	e.t.Fatalf("no Contact with Phone %s", phone)
	return ""
}

// session signs the linked demo agent in and returns a softphone token.
func (e *env) session() string {
	e.t.Helper()
	tok, err := e.s.newSession(context.Background(), *e.s.demoAgent)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// dial opens the softphone websocket as the page would (same origin).
func (e *env) dial(origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws", h)
}

// readMsg reads the next JSON message of type typ, skipping others.
func readMsg(t testing.TB, ws *websocket.Conn, typ string, within time.Duration) map[string]any {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(within))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("bad message %s", b)
		}
		if m["type"] == typ {
			return m
		}
	}
}

// sim builds Zoom event sequences; it knows the fixtures' users.
func sim() *zoomsim.Zoom { return zoomsim.New(zoomsim.Options{}) }

// simSpec is an answered inbound call from Ada Lovelace to the demo agent.
func simSpec(callID string) zoomsim.CallSpec {
	return zoomsim.CallSpec{CallID: callID, From: "+12025550142", To: DemoZoomUserID, Talk: 30 * time.Second}
}

// newEnvWith is newEnv over an org built with opts.
func newEnvWith(t *testing.T, opts sfsim.Options) *env {
	t.Helper()
	return newEnvOrg(t, sfsim.New(opts))
}

func simSpecFrom(callID, from string) zoomsim.CallSpec {
	s := simSpec(callID)
	s.From = from
	return s
}

// connectSoftphone signs the demo agent's softphone in and waits for hello.
func (e *env) connectSoftphone() *websocket.Conn {
	e.t.Helper()
	ws := e.connectSoftphoneRaw()
	readMsg(e.t, ws, "hello", 5*time.Second)
	return ws
}

// signIn stores fresh Salesforce tokens for the demo agent, as the OAuth
// callback does.
func (e *env) signIn(access, refresh string) {
	e.t.Helper()
	ctx := context.Background()
	a, err := e.s.agent(ctx, e.s.demoAgent.OrgID, e.s.demoAgent.UserID)
	if err != nil || a == nil {
		e.t.Fatal(err)
	}
	a.SignInRequired = ""
	tok := (&oauth2.Token{AccessToken: access, RefreshToken: refresh}).WithExtra(map[string]any{"instance_url": e.sfURL})
	e.s.crm.forget(a.OrgID, a.UserID)
	if err := e.s.SaveAgent(ctx, *a, tok); err != nil {
		e.t.Fatal(err)
	}
}

// loadDescribes reads the demo agent's describes, as their first call
// does, so that a test counting API requests counts a steady state's.
func (e *env) loadDescribes() {
	e.t.Helper()
	// A softphone that connected has its agent's describes read in the
	// background: they are done before anything is counted.
	waitFor(e.t, 10*time.Second, func() bool { return e.s.warmingNow.Load() == 0 }, "the describes read at connect")
	ctx := context.Background()
	if err := e.s.crm.call(ctx, *e.s.demoAgent, func(cl *salesforce.Client) error { return cl.LoadFields(ctx) }); err != nil {
		e.t.Fatal(err)
	}
}

// waitLen waits until queue holds n jobs.
func (e *env) waitLen(queue string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.st.Len(context.Background(), queue)
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("queue %s holds %d jobs, want %d", queue, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRetries waits until the outbox's jobs were put back to wait (signed
// out, or the org paused) at least n times in all: what a test that checks
// "nothing was written meanwhile" waits for, instead of a while.
func (e *env) waitRetries(n int64) {
	e.t.Helper()
	waited := e.s.metrics.jobs.WithLabelValues(cti.OutboxQueue, jobWaiting)
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(waited) < float64(n) {
		if time.Now().After(deadline) {
			e.t.Fatalf("outbox jobs waited %v times, want at least %d", testutil.ToFloat64(waited), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connectSoftphoneRaw connects and authenticates without reading anything.
func (e *env) connectSoftphoneRaw() *websocket.Conn {
	e.t.Helper()
	ws, _, err := e.dial(testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": e.session()}); err != nil {
		e.t.Fatal(err)
	}
	return ws
}

// saveZoomTokenRaw stores a Zoom grant with a chosen expiry.
func (s *Server) saveZoomTokenRaw(orgID, userID, access, refresh string, expiry time.Time) error {
	return s.saveZoomToken(context.Background(), orgID, userID, &oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: expiry})
}

// saveZoomTokenRawExpiry makes the stored Zoom token look expired.
func (s *Server) saveZoomTokenRawExpiry(orgID, userID string, expiry time.Time) error {
	tok, err := s.tokens.loadZoom(context.Background(), orgID, userID)
	if err != nil {
		return err
	}
	tok.Expiry = expiry
	return s.saveZoomToken(context.Background(), orgID, userID, tok)
}

// adminSession signs the org's admin in (the custom permission is checked
// at sign-in, just now) and returns a softphone token.
func (e *env) adminSession() string {
	e.t.Helper()
	admin := e.org.AdminUser()
	rec := agentRecord{Agent: cti.Agent{OrgID: e.org.OrgID(), UserID: admin.ID, Name: admin.Name, Username: admin.Username}, InstanceURL: e.sfURL, Admin: true, AdminChecked: e.s.now()}
	if err := e.s.SaveAgent(context.Background(), rec, nil); err != nil {
		e.t.Fatal(err)
	}
	token, err := e.s.newSession(context.Background(), rec.Agent)
	if err != nil {
		e.t.Fatal(err)
	}
	return token
}

// waitEvents waits until every event has been handled.
func (e *env) waitEvents() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := e.s.eventBacklog(context.Background())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d events still queued", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// slow skips a slow end-to-end test under -short: the rules it covers are
// proved fast in package cti; the flow is proved by the full run.
func slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("a slow end-to-end test: run without -short")
	}
}
