package salesforce

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// The emulated org lags one release behind zoomcti by default, so every
// test that signs in negotiates.
func TestSfsimDefaultIsOneReleaseBehind(t *testing.T) {
	if got, want := versionNumber(sfsim.DefaultNewestVersion), versionNumber(DefaultAPIVersion)-1; got != want {
		t.Errorf("sfsim.DefaultNewestVersion = %s, want %v (one behind DefaultAPIVersion %s)", sfsim.DefaultNewestVersion, want, DefaultAPIVersion)
	}
}

// sharedClient is a client of e's org drawing on versions, as the server's
// clients of many users share one cache.
func sharedClient(e *env, versions *Versions) *Client {
	return New(Config{
		InstanceURL: e.srv.URL,
		HTTPClient:  e.srv.Client(),
		Tokens:      e.tokens,
		Versions:    versions,
		Retry:       RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond},
	})
}

func callTask(callID string) cti.Task {
	return cti.Task{Subject: "Inbound call", Status: "Completed", CallType: "Inbound", CallObject: callID, CallDurationInSeconds: 30, ActivityDate: "2026-03-12"}
}

// Each org gets the newest version both it and zoomcti support: zoomcti's
// configured version is the newest it uses, an org on an older release gets
// its own newest.
func TestEachOrgGetsItsNewestVersion(t *testing.T) {
	ctx := testContext(t)
	versions := NewVersions(nil)
	tests := []struct {
		name, newest, want string
	}{
		{name: "default sfsim, one release behind", newest: "", want: "66.0"},
		{name: "an org on an older release", newest: "60.0", want: "60.0"},
		{name: "an org on a preview release", newest: "68.0", want: "67.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, sfsim.Options{NewestVersion: tt.newest})
			cl := sharedClient(e, versions)
			if _, err := cl.CreateTask(ctx, e.org.DemoUser().ID, callTask("call-"+tt.want)); err != nil {
				t.Fatalf("CreateTask: %v", err)
			}
			if got, err := cl.APIVersion(ctx); err != nil || got != tt.want {
				t.Errorf("APIVersion = %q, %v; want %s", got, err, tt.want)
			}
			if id, err := cl.FindTask(ctx, e.org.DemoUser().ID, "call-"+tt.want); err != nil || id == "" {
				t.Errorf("FindTask = %q, %v", id, err)
			}
		})
	}
}

// Two orgs on different releases, one cache: each keeps its own version.
func TestTwoOrgsSideBySide(t *testing.T) {
	ctx := testContext(t)
	versions := NewVersions(nil)
	a := newEnvWith(t, sfsim.Options{})
	b := newEnvWith(t, sfsim.Options{NewestVersion: "58.0"})
	ca, cb := sharedClient(a, versions), sharedClient(b, versions)
	for i := range 3 {
		for _, c := range []struct {
			e  *env
			cl *Client
		}{{a, ca}, {b, cb}} {
			if _, err := c.cl.Query(ctx, "SELECT Id FROM Contact"); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
	}
	va, _ := ca.APIVersion(ctx)
	vb, _ := cb.APIVersion(ctx)
	if va != "66.0" || vb != "58.0" {
		t.Errorf("versions %s and %s, want 66.0 and 58.0", va, vb)
	}
}

// An org that drops the version in use mid-run (sfsim's range moves) gets
// the Task anyway, on the version it still serves; it is never taken for a
// missing record.
func TestVersionVanishingMidRunKeepsTheTask(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t)
	var lists atomic.Int32
	e.client.http = &http.Client{Transport: countingPathTransport{path: "/services/data/", n: &lists, next: e.srv.Client().Transport}}
	owner := e.org.DemoUser().ID
	first, err := e.client.CreateTask(ctx, owner, callTask("before"))
	if err != nil {
		t.Fatal(err)
	}
	e.org.SetVersions("31.0", "65.0")
	id, err := e.client.CreateTask(ctx, owner, callTask("after"))
	if err != nil {
		t.Fatalf("CreateTask after v66.0 vanished: %v (as the engine sees it: %v)", err, AsCTIError(err))
	}
	if got, _ := e.client.APIVersion(ctx); got != "65.0" {
		t.Errorf("APIVersion after the move = %s, want 65.0", got)
	}
	if n := len(e.org.Records("Task")); id == "" || first == id || findRecord(t, e.org, "Task", "CallObject", "after") != id {
		t.Errorf("Task after the move: id %q, %d Tasks", id, n)
	}
	if n := lists.Load(); n != 2 {
		t.Errorf("versions list read %d times, want 2 (once, then once on the 404)", n)
	}

	// A record that is really missing is still "not found" (the list is
	// read again and still offers the version in use).
	err = e.client.UpdateTask(ctx, "00T000000000000AAA", cti.Task{Subject: "x"})
	if !errors.Is(err, KindNotFound) || !errors.Is(AsCTIError(err), cti.ErrRejected) {
		t.Errorf("update of a missing Task: %v, want not found (rejected)", err)
	}
}

// An org whose newest version is older than zoomcti can use is a clear
// error, not a rejected record, whether it is so from the start or becomes
// so mid-run.
func TestOrgTooOldIsAVersionError(t *testing.T) {
	ctx := testContext(t)
	check := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, KindUnsupportedVersion) || errors.Is(err, KindNotFound) {
			t.Fatalf("err = %v, want unsupported API version", err)
		}
		if ce := AsCTIError(err); errors.Is(ce, cti.ErrRejected) || errors.Is(ce, cti.ErrSignedOut) {
			t.Errorf("AsCTIError = %v: the record would be set aside", ce)
		}
		if !strings.Contains(err.Error(), "35.0") || !strings.Contains(err.Error(), MinAPIVersion) {
			t.Errorf("message %q should name the org's newest and zoomcti's minimum", err)
		}
	}
	t.Run("from the start", func(t *testing.T) {
		e := newEnvWith(t, sfsim.Options{NewestVersion: "35.0"})
		_, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, callTask("old"))
		check(t, err)
	})
	t.Run("mid-run", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, callTask("ok")); err != nil {
			t.Fatal(err)
		}
		e.org.SetVersions("31.0", "35.0")
		_, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, callTask("old"))
		check(t, err)

		// Upgraded again: the next try works, without waiting for the
		// cached list to expire.
		e.org.SetVersions("31.0", "66.0")
		if _, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, callTask("old")); err != nil {
			t.Errorf("after the upgrade: %v", err)
		}
	})
}

// An org's list is read again after versionsTTL, so an org that moved to a
// newer release gets the newer version.
func TestVersionsListExpires(t *testing.T) {
	ctx := testContext(t)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	versions := NewVersions(func() time.Time { return now })
	e := newEnvWith(t, sfsim.Options{NewestVersion: "65.0"})
	cl := sharedClient(e, versions)
	if v, err := cl.APIVersion(ctx); err != nil || v != "65.0" {
		t.Fatalf("APIVersion = %s, %v", v, err)
	}
	e.org.SetVersions("31.0", "66.0")
	if v, _ := cl.APIVersion(ctx); v != "65.0" {
		t.Errorf("within the TTL: %s, want the cached 65.0", v)
	}
	now = now.Add(versionsTTL)
	if v, _ := cl.APIVersion(ctx); v != "66.0" {
		t.Errorf("after the TTL: %s, want 66.0", v)
	}
}

// countingPathTransport counts the requests for one exact path.
type countingPathTransport struct {
	path string
	n    *atomic.Int32
	next http.RoundTripper
}

func (c countingPathTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == c.path {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

func TestCheckAPIVersion(t *testing.T) {
	tests := []struct {
		name, v string
		ok      bool
	}{
		{name: "default", v: DefaultAPIVersion, ok: true},
		{name: "with v", v: "v66.0", ok: true},
		{name: "the minimum", v: MinAPIVersion, ok: true},
		{name: "too old", v: "35.0"},
		{name: "no .0", v: "67"},
		{name: "junk", v: "latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckAPIVersion(tt.v); (err == nil) != tt.ok {
				t.Errorf("CheckAPIVersion(%q) = %v, want ok %v", tt.v, err, tt.ok)
			}
		})
	}
}
