package server

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zoomcti/zoomcti/cti"
)

// The org moves off the REST API version zoomcti was using in the middle of
// the day: the next call log is written anyway, on the version the org
// still serves, and not set aside as if the record were missing. An org
// that for a while serves nothing zoomcti can use keeps its log waiting
// until it does.
func TestVanishedAPIVersionKeepsTheCallLog(t *testing.T) {
	e := newEnv(t) // sfsim serves up to 66.0, one release behind zoomcti's 67.0
	play := func(callID string) {
		t.Helper()
		bodies, err := sim().Inbound(simSpec(callID))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bodies {
			e.send(b)
		}
	}
	waitTask := func(callID string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second) // past a retry's backoff
		for len(e.tasks(callID)) != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("no Task for %s", callID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	play("7400000000000001301")
	e.drain()
	waitTask("7400000000000001301")

	e.org.SetVersions("31.0", "65.0")
	play("7400000000000001302")
	e.drain()
	waitTask("7400000000000001302")

	e.org.SetVersions("31.0", "35.0") // older than zoomcti can use
	play("7400000000000001303")
	e.waitEvents()
	e.waitLen("outbox", 1) // the call log, waiting
	e.waitRetried(2)       // and tried again
	if n := len(e.tasks("7400000000000001303")); n != 0 {
		t.Fatalf("%d Tasks on an org too old", n)
	}
	e.waitLen("outbox", 1)

	e.org.SetVersions("31.0", "66.0")
	waitTask("7400000000000001303")
}

// waitRetried waits until outbox jobs failed and were put back at least n
// times (not set aside).
func (e *env) waitRetried(n int64) {
	e.t.Helper()
	retried := e.s.metrics.jobs.WithLabelValues(cti.OutboxQueue, jobRetried)
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(retried) < float64(n) {
		if time.Now().After(deadline) {
			e.t.Fatalf("outbox jobs retried %v times, want at least %d", testutil.ToFloat64(retried), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
