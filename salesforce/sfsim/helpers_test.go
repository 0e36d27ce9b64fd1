package sfsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const apiBase = "/services/data/v66.0/"

// testOrg is an org behind an httptest server with a token for the demo user.
type testOrg struct {
	*Org
	srv   *httptest.Server
	token string
}

func newTestOrg(t *testing.T, opts Options) *testOrg {
	t.Helper()
	o := New(opts)
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	access, _ := o.IssueToken(o.DemoUser().ID)
	return &testOrg{Org: o, srv: srv, token: access}
}

// api calls the data API; path is relative to /services/data/v66.0/ unless it
// starts with a slash.
func (to *testOrg) api(t *testing.T, method, path string, body any) (int, http.Header, []byte) {
	t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = apiBase + path
	}
	return to.call(t, method, path, to.token, body)
}

func (to *testOrg) call(t *testing.T, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, to.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// errorCode returns the errorCode of a data-API error array body.
func errorCode(t *testing.T, b []byte) string {
	t.Helper()
	errs := decodeJSON[[]apiError](t, b)
	if len(errs) != 1 {
		t.Fatalf("want one error, got %s", b)
	}
	return errs[0].ErrorCode
}

// recordID finds a seeded record by Name.
func (to *testOrg) recordID(t *testing.T, sobject, name string) string {
	t.Helper()
	for _, r := range to.Records(sobject) {
		if r["Name"] == name {
			return r["Id"].(string)
		}
	}
	t.Fatalf("no %s named %q", sobject, name)
	return ""
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
