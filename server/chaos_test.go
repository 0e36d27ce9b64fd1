package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// Chaos: Salesforce answers 503 to everything for a minute, and zoomcti is
// restarted while calls keep coming (Zoom retries what it could not
// deliver). When the dust settles every call has exactly one Task.
func TestChaosOutageAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few minutes; run without -short")
	}
	const calls = 1000
	outage := 60 * time.Second

	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	path := filepath.Join(t.TempDir(), "zoomcti.db")
	cfg := testConfig(t, func(c *Config) { c.StorePath, c.SFLoginURL = path, sf.URL })

	// One listener address for both runs, as behind a fixed DNS name.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	type run struct {
		cancel context.CancelFunc
		done   chan error
	}
	start := func(ln net.Listener, link bool) run {
		st, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, Deps{Store: st, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if link {
			if err := s.linkDemoAgent(context.Background(), org, sf.URL); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			err := s.Serve(ctx, ln)
			st.Close()
			done <- err
		}()
		return run{cancel: cancel, done: done}
	}

	// Salesforce goes down as the calls start.
	org.InjectFaults(http.StatusServiceUnavailable, 1<<30)
	outageOver := time.AfterFunc(outage, func() { org.InjectFaults(0, 0) })
	defer outageOver.Stop()
	first := start(ln, true)

	// Zoom: every call's ringing and hang-up, each retried until delivered.
	z := zoomsim.New(zoomsim.Options{})
	sender := &zoomsim.Sender{URL: "http://" + addr + "/webhooks/zoom", Secret: testSecret, Client: &http.Client{Timeout: 5 * time.Second}}
	var sent, retried atomic.Int64
	deliver := func(body []byte) {
		for {
			if d, err := sender.Send(context.Background(), body); err == nil && d.OK() {
				sent.Add(1)
				return
			}
			retried.Add(1)
			time.Sleep(100 * time.Millisecond)
		}
	}
	ids := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range ids {
				bodies := must(z.Inbound(zoomsim.CallSpec{CallID: id, From: "+12025550142", To: DemoZoomUserID, Talk: 30 * time.Second}))
				deliver(bodies[0]) // ringing
				deliver(bodies[2]) // ended
			}
		})
	}
	for i := range calls {
		if i == calls/2 {
			// Restart in the middle: the first run stops (in-flight
			// webhooks finish, workers stop between jobs); Zoom's
			// deliveries fail until the second run listens again.
			first.cancel()
			if err := <-first.done; err != nil {
				t.Fatalf("first run: %v", err)
			}
			time.Sleep(time.Second)
			ln2, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("listen again on %s: %v", addr, err)
			}
			second := start(ln2, false)
			defer func() {
				second.cancel()
				<-second.done
			}()
		}
		ids <- fmt.Sprintf("79%017d", i)
	}
	close(ids)
	wg.Wait()

	// Wait for every Task: through the rest of the outage and the backoff.
	deadline := time.Now().Add(outage + 4*time.Minute)
	count := func() (tasks, dup int) {
		seen := map[string]int{}
		for _, r := range org.Records("Task") {
			if id, _ := r["CallObject"].(string); len(id) == 19 && id[:2] == "79" {
				seen[id]++
			}
		}
		for _, n := range seen {
			if n > 1 {
				dup++
			}
		}
		return len(seen), dup
	}
	for {
		tasks, dup := count()
		if dup > 0 {
			t.Fatalf("%d calls have more than one Task", dup)
		}
		if tasks == calls {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls logged after the outage", tasks, calls)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d webhooks delivered, %d deliveries retried (restart), %d Salesforce API requests", sent.Load(), retried.Load(), org.APIRequests())
	if n := len(org.Records("Task")); n != calls {
		t.Fatalf("%d Tasks in the org, want %d", n, calls)
	}

}
