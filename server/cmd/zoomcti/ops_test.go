package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server"
)

// startServe runs what `zoomcti serve` runs, with env as its environment,
// on a loopback listener of its own, and returns its base URL.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	cfg, err := serveConfig(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(cfg, server.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		st.Close()
	})
	return "http://" + ln.Addr().String()
}

// ZOOMCTI_OPS_TOKEN=… zoomcti serve accepts zoomcti reconcile with that
// token, and refuses it with another or none (the demo's).
func TestServeAcceptsReconcileWithItsOpsToken(t *testing.T) {
	const token = "FAKE-ops-token-0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "ops-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "FAKE_zoom_secret_token",
		"ZOOMCTI_ENCRYPTION_KEY":      base64.StdEncoding.EncodeToString([]byte("zoomcti-cli-test-key-0123456789!")),
		"ZOOMCTI_RECONCILE_EVERY":     "0",
	}
	servers := []struct {
		name string
		env  map[string]string
	}{
		{"token in the environment", map[string]string{"ZOOMCTI_OPS_TOKEN": token}},
		{"token in a file", map[string]string{"ZOOMCTI_OPS_TOKEN_FILE": tokenFile}},
	}
	clients := []struct {
		name    string
		env     map[string]string
		code    int
		wantOut string // on stdout, or stderr when code != 0
	}{
		{"the same token", map[string]string{"ZOOMCTI_OPS_TOKEN": token}, 0, "agents 0 · calls seen 0"},
		{"the same token from a file", map[string]string{"ZOOMCTI_OPS_TOKEN_FILE": tokenFile}, 0, "agents 0 · calls seen 0"},
		{"another token", map[string]string{"ZOOMCTI_OPS_TOKEN": token + "x"}, 1, "zoomcti answered 401"},
		{"no token (the demo's)", nil, 1, "zoomcti answered 401"},
	}
	for _, sv := range servers {
		t.Run(sv.name, func(t *testing.T) {
			env := map[string]string{"ZOOMCTI_STORE_PATH": filepath.Join(t.TempDir(), "zoomcti.db")}
			for _, m := range []map[string]string{base, sv.env} {
				for k, v := range m {
					env[k] = v
				}
			}
			url := startServe(t, env)
			for _, cl := range clients {
				t.Run(cl.name, func(t *testing.T) {
					var out, errb bytes.Buffer
					code := run([]string{"reconcile", "--server", url, "today"}, func(k string) string { return cl.env[k] }, &out, &errb)
					got := out.String()
					if code != 0 {
						got = errb.String()
					}
					if code != cl.code || !strings.Contains(got, cl.wantOut) {
						t.Fatalf("exit %d, want %d; stdout %q, stderr %q; want %q", code, cl.code, out.String(), errb.String(), cl.wantOut)
					}
				})
			}
		})
	}
}

// ZOOMCTI_METRICS_ADDR serves the metrics without a token on its own
// address; the main address still wants the operator token.
func TestServeMetricsAddress(t *testing.T) {
	const token = "FAKE-ops-token-0123456789abcdef"
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := free.Addr().String()
	free.Close()
	url := startServe(t, map[string]string{
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "FAKE_zoom_secret_token",
		"ZOOMCTI_ENCRYPTION_KEY":      base64.StdEncoding.EncodeToString([]byte("zoomcti-cli-test-key-0123456789!")),
		"ZOOMCTI_RECONCILE_EVERY":     "0",
		"ZOOMCTI_STORE_PATH":          filepath.Join(t.TempDir(), "zoomcti.db"),
		"ZOOMCTI_OPS_TOKEN":           token,
		"ZOOMCTI_METRICS_ADDR":        metricsAddr,
	})
	get := func(u, bearer string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	// Serve opens the metrics address just after the main one.
	deadline := time.Now().Add(10 * time.Second)
	status, body, err := get("http://"+metricsAddr+"/metrics", "")
	for err != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		status, body, err = get("http://"+metricsAddr+"/metrics", "")
	}
	if err != nil || status != http.StatusOK || !strings.Contains(body, "zoomcti_webhooks_total") {
		t.Fatalf("metrics address: %d %v", status, err)
	}
	if status, _, _ := get(url+"/metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("main address without the token: %d, want 401", status)
	}
	if status, body, _ := get(url+"/metrics", token); status != http.StatusOK || !strings.Contains(body, "zoomcti_webhooks_total") {
		t.Errorf("main address with the token: %d", status)
	}
}
