package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestHealth(t *testing.T) {
	var readyStatus atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
		case "/readyz":
			w.WriteHeader(int(readyStatus.Load()))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	// A port nothing listens on: one the test opened and closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		ready  int
		code   int
		stdout string
		stderr string
	}{
		{"alive on ZOOMCTI_ADDR", []string{"health"}, map[string]string{"ZOOMCTI_ADDR": addr}, 200, 0, "200 OK", ""},
		{"all interfaces asked on loopback", []string{"health"}, map[string]string{"ZOOMCTI_ADDR": "0.0.0.0:" + port}, 200, 0, "127.0.0.1:" + port + "/healthz", ""},
		{"--url", []string{"health", "--url", srv.URL + "/healthz"}, nil, 200, 0, "200 OK", ""},
		{"ready", []string{"health", "--ready"}, map[string]string{"ZOOMCTI_ADDR": addr}, 200, 0, "/readyz: 200 OK", ""},
		{"not ready", []string{"health", "--ready"}, map[string]string{"ZOOMCTI_ADDR": addr}, 503, 1, "", "503 Service Unavailable"},
		{"not found", []string{"health", "--url", srv.URL + "/nothing"}, nil, 200, 1, "", "404 Not Found"},
		{"no server", []string{"health"}, map[string]string{"ZOOMCTI_ADDR": closed}, 200, 1, "", "connection refused"},
		{"bad ZOOMCTI_ADDR", []string{"health"}, map[string]string{"ZOOMCTI_ADDR": "8080"}, 200, 2, "", "ZOOMCTI_ADDR"},
		{"bad --url", []string{"health", "--url", "localhost:8080"}, nil, 200, 2, "", "--url"},
		{"help", []string{"health", "--help"}, nil, 200, 0, "", "Usage: zoomcti health"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			readyStatus.Store(int32(tc.ready))
			var out, errb bytes.Buffer
			code := run(tc.args, func(k string) string { return tc.env[k] }, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("stdout %q / stderr %q; want %q / %q", out.String(), errb.String(), tc.stdout, tc.stderr)
			}
		})
	}
}
