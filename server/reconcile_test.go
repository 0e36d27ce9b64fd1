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
