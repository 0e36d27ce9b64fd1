package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
)

// flakyStore loses the first write of a call's done-marker: the Task is in
// Salesforce, but the process "crashes" before it could note so.
type flakyStore struct {
	store.Store
	failed atomic.Bool
}

func (f *flakyStore) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	for _, p := range txn.Set {
		if strings.HasPrefix(p.Key, "tasklog:") && !strings.Contains(p.Key, ":writing") && f.failed.CompareAndSwap(false, true) {
			return nil, context.DeadlineExceeded
		}
	}
	return f.Store.Apply(ctx, txn)
}

// A crash between the Task's write and its acknowledgement: the retry asks
// Salesforce for the call's Task before writing, and finds it.
func TestCrashBetweenWriteAndAcknowledgement(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	s, st := newTestServer(t, func(c *Config) { c.SFLoginURL = sf.URL })
	flaky := &flakyStore{Store: st}
	s2, err := New(s.cfg, Deps{Store: flaky, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); s2.Wait() }()
	if err := s2.linkDemoAgent(ctx, org, sf.URL); err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s2.Handler())
	defer hs.Close()
	e := &env{t: t, s: s2, st: flaky, org: org, sfURL: sf.URL, url: hs.URL}
	bodies, err := sim().Inbound(simSpec("7900000000000000001"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !flaky.failed.Load() || len(e.tasks("7900000000000000001")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the call was never logged")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.drain()
	if n := len(e.tasks("7900000000000000001")); n != 1 {
		t.Fatalf("%d Tasks after a crash between write and acknowledgement, want 1", n)
	}
}
