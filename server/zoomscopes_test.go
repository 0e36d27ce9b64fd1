package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// scopesWithout is the emulated Zoom app's default scopes less drop.
func scopesWithout(drop ...string) []string {
	return slices.DeleteFunc(zoomsim.DefaultScopes(), func(s string) bool { return slices.Contains(drop, s) })
}

// linkOutcome runs the agent's Zoom link through the HTTP routes as the
// softphone and its popup do (ticket, start, Zoom's consent as zoomUser,
// callback, result) and returns the outcome the softphone shows. When the
// ticket is refused it returns that status and error instead.
func linkOutcome(t *testing.T, d *Demo, bearerTok, zoomUser string) (status int, out map[string]string) {
	t.Helper()
	b := newBrowserClient(t)
	req, _ := http.NewRequest(http.MethodPost, d.ServerURL+"/api/zoom/ticket", nil)
	req.Header.Set("Authorization", "Bearer "+bearerTok)
	status, _, body := b.do(req)
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("ticket: %d %s", status, body)
	}
	if status != http.StatusOK {
		return status, out
	}
	victimApproves(t, d, b, zoomStartForm(d, out["ticket"], d.ServerURL), zoomUser)
	status, _, body = b.post(d.ServerURL+"/oauth/zoom/result", d.ServerURL, "", "")
	out = nil
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("result: %d %s", status, body)
	}
	return status, out
}

// demoBearer signs the demo agent's softphone in.
func demoBearer(t *testing.T, d *Demo) string {
	t.Helper()
	tok, err := d.Server.newSession(context.Background(), *d.Server.demoAgent)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// agentZoom is the agent's Zoom link as /api/me shows it.
func agentZoom(t *testing.T, baseURL, bearerTok string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, baseURL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+bearerTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		Zoom map[string]any `json:"zoom"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		t.Fatal(err)
	}
	return me.Zoom
}

// The Zoom app lacks user:read:user: linking stops with a sentence naming
// the scope and where to add it, keeps nothing, and the admin page shows
// it. Once the Zoom admin adds the scope, linking again works.
func TestZoomLinkNamesTheMissingScope(t *testing.T) {
	d := startDemo(t)
	bearerTok := demoBearer(t, d)
	a := *d.Server.demoAgent
	if err := d.Server.unlinkZoom(context.Background(), &agentRecord{Agent: a}, true, ""); err != nil {
		t.Fatal(err)
	}
	d.Zoom.SetScopes(scopesWithout("user:read:user")...)

	_, out := linkOutcome(t, d, bearerTok, DemoZoomUserID)
	want := "Zoom refused: the Zoom app lacks the scope user:read:user — add it in the Zoom App Marketplace under Scopes, then link Zoom again."
	if out["status"] != "error" || out["message"] != want {
		t.Fatalf("outcome %v\nwant the message %q", out, want)
	}
	if z := agentZoom(t, d.ServerURL, bearerTok); z["status"] != "not_linked" {
		t.Errorf("zoom after the refusal: %v", z)
	}
	if _, err := d.Store.Get(context.Background(), zoomTokenKey(a.OrgID, a.UserID)); err == nil {
		t.Error("a Zoom token was kept from a refused link")
	}
	if p := d.Server.lastZoomProblem(context.Background()); p == nil || p.Message != want {
		t.Errorf("admin page's Zoom refusal = %+v", p)
	}

	d.Zoom.SetScopes(zoomsim.DefaultScopes()...)
	if _, out := linkOutcome(t, d, bearerTok, DemoZoomUserID); out["status"] != "done" {
		t.Fatalf("linking after the scope was added: %v", out)
	}
	if z := agentZoom(t, d.ServerURL, bearerTok); z["status"] != "linked" {
		t.Errorf("zoom after linking again: %v", z)
	}
}

// The agent's grant lacks phone:read:list_call_logs: the catch-up tells the
// agent's softphone, over the websocket, which scope to add and to
// authorize again; the operator's summary and the admin page say it too.
func TestZoomMissingScopeReachesTheAgent(t *testing.T) {
	e := newEnv(t)
	e.zoom.SetScopes(scopesWithout("phone:read:list_call_logs")...)
	linkDemoZoom(t, e.s, e.zoom) // the agent authorized while the app lacked it
	ws := e.connectSoftphone()

	sum := e.reconcile(time.Now().Add(-time.Hour), time.Now())
	want := "Zoom refused: the Zoom app lacks the scope phone:read:list_call_logs — add it in the Zoom App Marketplace under Scopes, then link Zoom again."
	if sum.Failed != 1 || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], want) {
		t.Errorf("summary %+v, want one failure saying %q", sum, want)
	}
	msg := readMsg(t, ws, "zoom", 5*time.Second)
	z, _ := msg["zoom"].(map[string]any)
	if z["status"] != "needs_reauth" || z["message"] != want {
		t.Fatalf("softphone told %v\nwant needs_reauth with %q", msg, want)
	}
	if z := agentZoom(t, e.url, e.session()); z["status"] != "needs_reauth" || z["message"] != want {
		t.Errorf("/api/me zoom = %v", z)
	}

	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/admin/status", nil)
	req.Header.Set("Authorization", "Bearer "+e.adminSession())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var status struct {
		ZoomRefusal *zoomProblem `json:"zoom_refusal"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil || status.ZoomRefusal == nil || status.ZoomRefusal.Message != want {
		t.Errorf("admin status zoom_refusal = %+v, %v", status.ZoomRefusal, err)
	}
}

// lockedBuffer is a log sink tests can read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The Zoom app's secret was regenerated and zoomcti still has the old one:
// a refresh is refused with a sentence naming the variables, logged once
// without secrets, not tried again, and the agent's grant is kept for when
// the operator fixes it.
func TestZoomBadClientSecretRefreshIsNotRetried(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		s.log = slog.New(slog.NewTextHandler(logs, nil))
		s.zoom.log = s.log
	})
	a := *e.s.demoAgent
	if err := e.s.saveZoomTokenRawExpiry(a.OrgID, a.UserID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	before, err := e.s.tokens.loadZoom(context.Background(), a.OrgID, a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	const rotated = "FAKE_client_secret_rotated"
	e.zoom.RotateClientSecret(rotated)

	for run := range 2 {
		sum := e.reconcile(time.Now().Add(-time.Hour), time.Now())
		if sum.Failed != 1 || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "ZOOMCTI_ZOOM_CLIENT_ID / ZOOMCTI_ZOOM_CLIENT_SECRET") {
			t.Errorf("run %d: summary %+v, want the credentials named", run+1, sum)
		}
	}
	if n := e.zoom.ClientRefusals(); n != 1 {
		t.Errorf("Zoom refused %d token requests, want 1: the refused credentials were tried again", n)
	}
	if n := strings.Count(logs.String(), "Zoom refused the app's client id or secret"); n != 1 {
		t.Errorf("the refusal was logged %d times, want once:\n%s", n, logs)
	}
	for _, secret := range []string{zoomsim.DefaultClientSecret, rotated, before.RefreshToken, before.AccessToken} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret or token: %s", logs)
		}
	}
	// Nothing lost: the agent stays linked with the same grant, which Zoom
	// still honours with the right credentials.
	after, err := e.s.tokens.loadZoom(context.Background(), a.OrgID, a.UserID)
	if err != nil || after.RefreshToken != before.RefreshToken {
		t.Fatalf("stored grant changed: %v", err)
	}
	if z := agentZoom(t, e.url, e.session()); z["status"] != "linked" {
		t.Errorf("the agent's link after the refusal: %v", z)
	}
	good := *e.s.zoom.oauth
	good.ClientSecret = rotated
	if _, err := zoom.Refresh(context.Background(), &good, before.RefreshToken); err != nil {
		t.Errorf("the kept refresh token with the right secret: %v", err)
	}
}

// Linking with a refused client secret tells the agent which variables the
// operator must fix; the next attempt is refused by zoomcti at once, without
// sending the agent through Zoom's consent for nothing.
func TestZoomBadClientSecretAtLink(t *testing.T) {
	d := startDemo(t)
	bearerTok := demoBearer(t, d)
	d.Zoom.RotateClientSecret("FAKE_client_secret_rotated")

	_, out := linkOutcome(t, d, bearerTok, DemoZoomUserID)
	if out["status"] != "error" || out["message"] != zoomClientRefused {
		t.Fatalf("outcome %v\nwant %q", out, zoomClientRefused)
	}
	status, out := linkOutcome(t, d, bearerTok, DemoZoomUserID)
	if status != http.StatusServiceUnavailable || out["error"] != zoomClientRefused {
		t.Errorf("second attempt: %d %v, want 503 with the same sentence", status, out)
	}
	if n := d.Zoom.ClientRefusals(); n != 1 {
		t.Errorf("Zoom refused %d requests, want 1", n)
	}
	// The link the agent had is untouched.
	if z := agentZoom(t, d.ServerURL, bearerTok); z["status"] != "linked" {
		t.Errorf("zoom after the refused link: %v", z)
	}
	if p := d.Server.lastZoomProblem(context.Background()); p == nil || p.Message != zoomClientRefused {
		t.Errorf("admin page's Zoom refusal = %+v", p)
	}
	// Disconnecting still forgets everything here, without asking Zoom
	// (which would refuse the revoke) again.
	req, _ := http.NewRequest(http.MethodPost, d.ServerURL+"/api/zoom/disconnect", nil)
	req.Header.Set("Authorization", "Bearer "+bearerTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if z := agentZoom(t, d.ServerURL, bearerTok); resp.StatusCode != http.StatusOK || z["status"] != "not_linked" {
		t.Errorf("disconnect: %d, zoom %v", resp.StatusCode, z)
	}
	if n := d.Zoom.ClientRefusals(); n != 1 {
		t.Errorf("Zoom refused %d requests after the disconnect, want still 1", n)
	}
}
