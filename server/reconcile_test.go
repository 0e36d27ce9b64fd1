package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// dropper stands between Zoom and zoomcti and loses the webhooks of some
// calls (Zoom sees them delivered; zoomcti never does).
func dropper(t *testing.T, target string, drop map[string]bool) string {
	mu := sync.Mutex{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct {
			Payload struct {
				Object struct {
					CallID   string `json:"call_id"`
					CallLogs []struct {
						CallID string `json:"call_id"`
					} `json:"call_logs"`
				} `json:"object"`
			} `json:"payload"`
		}
		_ = json.Unmarshal(body, &env)
		id := env.Payload.Object.CallID
		if id == "" && len(env.Payload.Object.CallLogs) > 0 {
			id = env.Payload.Object.CallLogs[0].CallID
		}
		mu.Lock()
		lost := drop[id]
		mu.Unlock()
		if lost {
			w.WriteHeader(http.StatusOK)
			return
		}
		req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// reconcile calls the operator endpoint as `zoomcti reconcile` does.
func (e *env) reconcile(from, to time.Time) ReconcileSummary {
	e.t.Helper()
	body, _ := json.Marshal(map[string]time.Time{"from": from, "to": to})
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/ops/reconcile", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testOpsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("reconcile: status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line struct {
			Summary *ReconcileSummary `json:"summary"`
			Error   string            `json:"error"`
		}
		_ = json.Unmarshal(sc.Bytes(), &line)
		if line.Error != "" {
			e.t.Fatalf("reconcile: %s", line.Error)
		}
		if line.Summary != nil {
			return *line.Summary
		}
	}
	e.t.Fatal("reconcile ended without a summary")
	return ReconcileSummary{}
}

func (e *env) taskCount(prefix string) map[string]int {
	n := map[string]int{}
	for _, r := range e.org.Records("Task") {
		if id, _ := r["CallObject"].(string); strings.HasPrefix(id, prefix) {
			n[id]++
		}
	}
	return n
}

// Zoom delivers 30 of 50 calls; reconcile logs exactly the 20 it lost, and
// a second run logs nothing.
func TestReconcileLogsExactlyTheLostCalls(t *testing.T) {
	e := newEnv(t)
	drop := map[string]bool{}
	e.zoom.SetWebhookURL(dropper(t, e.url+"/webhooks/zoom", drop))
	numbers := []string{"+12025550142", "+12025550177", "+12025550123", "+12025550199", "+19995550100"}
	start := time.Now()
	for i := range 50 {
		id := fmt.Sprintf("75000000000000%05d", i)
		if i%5 < 2 {
			drop[id] = true // 20 of 50
		}
		build := e.zoom.Inbound
		if i%3 == 0 {
			build = e.zoom.Outbound
		}
		spec := zoomsim.CallSpec{CallID: id, From: numbers[i%5], To: DemoZoomUserID, Talk: time.Duration(10+i) * time.Second}
		if i%3 == 0 {
			spec.From, spec.To = DemoZoomUserID, numbers[i%5]
		}
		bodies, err := build(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.zoom.Play(context.Background(), bodies); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if got := len(e.taskCount("75000000000000")); got != 30 {
		t.Fatalf("%d calls logged from webhooks, want 30", got)
	}

	sum := e.reconcile(start.Add(-time.Hour), time.Now().Add(time.Hour))
	if sum.Seen != 50 || sum.AlreadyLogged != 30 || sum.LoggedNow != 20 || sum.Failed != 0 {
		t.Fatalf("first run: %+v, want 50 seen, 30 already logged, 20 logged now", sum)
	}
	tasks := e.taskCount("75000000000000")
	for i := range 50 {
		id := fmt.Sprintf("75000000000000%05d", i)
		if tasks[id] != 1 {
			t.Errorf("call %s has %d Tasks, want 1", id, tasks[id])
		}
	}
	sum = e.reconcile(start.Add(-time.Hour), time.Now().Add(time.Hour))
	if sum.Seen != 50 || sum.LoggedNow != 0 || sum.AlreadyLogged != 50 {
		t.Fatalf("second run: %+v, want nothing logged", sum)
	}
	if got := len(e.org.Records("Task")); got != 50 {
		t.Fatalf("%d Tasks in the org, want 50", got)
	}
}

// Reconcile reaches back six months, the call log's mark lives 45 days: a
// call logged months ago whose mark has expired since is found in
// Salesforce, not logged again.
func TestReconcilingCallsLoggedMonthsAgoAddsNoTask(t *testing.T) {
	e := newEnv(t)
	drop := map[string]bool{}
	e.zoom.SetWebhookURL(dropper(t, e.url+"/webhooks/zoom", drop))
	start := time.Now().Add(-100 * 24 * time.Hour)
	for i := range 3 {
		id := fmt.Sprintf("77000000000000%05d", i)
		drop[id] = true // the live events were lost
		bodies, err := e.zoom.Inbound(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: DemoZoomUserID, Start: start.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.zoom.Play(context.Background(), bodies); err != nil {
			t.Fatal(err)
		}
	}
	from, to := start.Add(-time.Hour), start.Add(4*time.Hour)
	if sum := e.reconcile(from, to); sum.Seen != 3 || sum.LoggedNow != 3 || sum.Failed != 0 {
		t.Fatalf("first run: %+v, want 3 logged now", sum)
	}
	// As 45 days would: the calls' marks expire.
	ctx := context.Background()
	marks, err := e.st.Keys(ctx, "tasklog:")
	if err != nil || len(marks) != 3 {
		t.Fatalf("call log marks: %v %v, want 3", marks, err)
	}
	if err := e.st.Delete(ctx, marks...); err != nil {
		t.Fatal(err)
	}
	if sum := e.reconcile(from, to); sum.Seen != 3 || sum.AlreadyLogged != 3 || sum.LoggedNow != 0 || sum.Failed != 0 {
		t.Errorf("after the marks expired: %+v, want 3 already logged", sum)
	}
	for id, n := range e.taskCount("77000000000000") {
		if n != 1 {
			t.Errorf("call %s: %d Tasks, want 1", id, n)
		}
	}
	if n := len(e.taskCount("77000000000000")); n != 3 {
		t.Errorf("%d calls with Tasks, want 3", n)
	}
}

// Reconcile running while the webhooks of the same calls arrive never logs
// a call twice.
func TestReconcileAndWebhooksTogether(t *testing.T) {
	e := newEnv(t)
	e.zoom.SetWebhookURL(e.url + "/webhooks/zoom")
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			e.reconcile(start.Add(-time.Hour), time.Now().Add(time.Hour))
		}
	})
	for i := range 15 {
		bodies, err := e.zoom.Inbound(zoomsim.CallSpec{CallID: fmt.Sprintf("76000000000000%05d", i), From: "+12025550142", To: DemoZoomUserID})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.zoom.Play(context.Background(), bodies); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	cancel()
	wg.Wait()
	e.reconcile(start.Add(-time.Hour), time.Now().Add(time.Hour))
	e.drain()
	tasks := e.taskCount("76000000000000")
	if len(tasks) != 15 {
		t.Fatalf("%d calls logged, want 15", len(tasks))
	}
	for id, n := range tasks {
		if n != 1 {
			t.Errorf("call %s: %d Tasks", id, n)
		}
	}
}

func TestReconcileNeedsTheOperatorToken(t *testing.T) {
	e := newEnv(t)
	for _, token := range []string{"", "wrong-token-0000000000"} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/api/ops/reconcile", strings.NewReader(`{"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", token, resp.StatusCode)
		}
	}
}

// adminReconcile runs POST /api/admin/reconcile as the admin page would and
// returns its progress lines and summary.
func (e *env) adminReconcile(token string, from, to time.Time) (int, []ReconcileProgress, ReconcileSummary) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]time.Time{"from": from, "to": to})
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/admin/reconcile", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, ReconcileSummary{}
	}
	var progress []ReconcileProgress
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line struct {
			Progress *ReconcileProgress `json:"progress"`
			Summary  *ReconcileSummary  `json:"summary"`
			Error    string             `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			e.t.Fatalf("bad line %s", sc.Bytes())
		}
		switch {
		case line.Error != "":
			e.t.Fatalf("reconcile: %s", line.Error)
		case line.Progress != nil:
			progress = append(progress, *line.Progress)
		case line.Summary != nil:
			return resp.StatusCode, progress, *line.Summary
		}
	}
	e.t.Fatal("reconcile ended without a summary")
	return 0, nil, ReconcileSummary{}
}

// With Auto Save Call Logs off, a call waiting for its agent's wrap-up is
// not "already logged": an admin's reconcile counts it apart, and once the
// agent saves it, it is logged. The run covers the admin's own org only.
func TestAdminReconcileCountsUnsavedWrapUpsApart(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *cti.Settings) { s.AutoSaveCallLogs = false })
	const delivered, lost = "7700000000000000101", "7700000000000000102"
	e.zoom.SetWebhookURL(dropper(t, e.url+"/webhooks/zoom", map[string]bool{lost: true}))
	start := time.Now()
	for _, id := range []string{delivered, lost} {
		bodies, err := e.zoom.Inbound(simSpec(id))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.zoom.Play(context.Background(), bodies); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	from, to := start.Add(-time.Hour), time.Now().Add(time.Hour)
	admin := e.adminSession()

	status, progress, sum := e.adminReconcile(admin, from, to)
	if status != http.StatusOK || sum.Agents != 1 || sum.Seen != 2 || sum.UnsavedWrapUps != 2 || sum.AlreadyLogged != 0 || sum.LoggedNow != 0 || sum.Failed != 0 {
		t.Fatalf("first run: %d %+v; want 2 calls seen, both unsaved wrap-ups", status, sum)
	}
	if len(progress) != 2 || progress[0].Total != 1 || progress[0].Done != 0 ||
		progress[1].Done != 1 || progress[1].Agent != e.s.demoAgent.Username || progress[1].UnsavedWrapUps != 2 {
		t.Fatalf("progress %+v; want a start line, then the agent's", progress)
	}
	if n := len(e.tasks(delivered)) + len(e.tasks(lost)); n != 0 {
		t.Fatalf("%d Tasks while the wrap-ups wait", n)
	}
	if status, _ := e.api(http.MethodPost, "/api/calllogs/"+delivered, e.session(), map[string]any{}); status != http.StatusAccepted {
		t.Fatalf("saving the wrap-up: status %d", status)
	}
	e.drain()
	if _, _, sum = e.adminReconcile(admin, from, to); sum.AlreadyLogged != 1 || sum.UnsavedWrapUps != 1 || sum.LoggedNow != 0 {
		t.Fatalf("after one wrap-up was saved: %+v; want 1 already logged, 1 unsaved", sum)
	}

	if _, _, sum = e.adminReconcile(e.otherOrgAdmin("00DB00000000OtB"), from, to); sum.Agents != 0 || sum.Seen != 0 {
		t.Errorf("another org's admin reconciled %+v", sum)
	}
	if status, _, _ := e.adminReconcile(e.session(), from, to); status != http.StatusForbidden {
		t.Errorf("an agent's reconcile: status %d, want 403", status)
	}
	if ok, err := e.st.SetNX(context.Background(), reconcileLockKey(e.org.OrgID()), []byte("another admin"), time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if status, _, _ := e.adminReconcile(admin, from, to); status != http.StatusConflict {
		t.Errorf("a second reconcile of the org at once: status %d, want 409", status)
	}
}

// A range the operator's reconcile cannot run is a 400 that says why, as on
// the admin's route: both read it through one reconcileRange.
func TestReconcileRefusesABadRange(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	for _, tc := range []struct{ body, want string }{
		{`not json`, "RFC 3339"},
		{fmt.Sprintf(`{"from":%q,"to":%q}`, now.Format(time.RFC3339), now.Add(-time.Hour).Format(time.RFC3339)), "from must be before to"},
		{fmt.Sprintf(`{"from":%q,"to":%q}`, now.AddDate(-1, 0, 0).Format(time.RFC3339), now.Format(time.RFC3339)), "six months"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/api/ops/reconcile", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+testOpsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.body, resp.StatusCode, b, tc.want)
		}
	}
}
