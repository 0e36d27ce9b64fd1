package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// cluster is n instances sharing one Redis (under a prefix of their own)
// and one emulated org, with the org's demo user linked.
type cluster struct {
	org       *sfsim.Org
	sfURL     string
	refreshes *atomic.Int64
	servers   []*Server
	urls      []string
}

func newCluster(t *testing.T, n int, mods ...func(*Config)) *cluster {
	t.Helper()
	return newClusterAt(t, storetest.RedisURL(t), n, mods...)
}

// newClusterAt is newCluster on the Redis at url: one server, or a Redis
// Cluster.
func newClusterAt(t *testing.T, url string, n int, mods ...func(*Config)) *cluster {
	t.Helper()
	prefix := fmt.Sprintf("zoomcti-test:%s:%d:", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		if err := redis.DeletePrefix(context.Background(), url, prefix); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	c := &cluster{org: sfsim.New(sfsim.Options{}), refreshes: new(atomic.Int64)}
	sf := httptest.NewServer(countRefreshes(c.org, c.refreshes))
	t.Cleanup(sf.Close)
	c.sfURL = sf.URL
	cfg := testConfig(t, func(cf *Config) {
		cf.RedisURL, cf.SFLoginURL = url, sf.URL
		for _, mod := range mods {
			mod(cf)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	for range n {
		st, err := redis.Open(ctx, url, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, Deps{Store: st, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); st.Close() })
		c.servers = append(c.servers, s)
		c.urls = append(c.urls, hs.URL)
	}
	t.Cleanup(func() {
		cancel()
		for _, s := range c.servers {
			s.Wait()
		}
	})
	if err := c.servers[0].linkDemoAgent(ctx, c.org, sf.URL); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.servers[1:] {
		s.demoAgent = c.servers[0].demoAgent
	}
	return c
}

// env is a view of the cluster through instance i.
func (c *cluster) env(t *testing.T, i int) *env {
	s := c.servers[i]
	return &env{t: t, s: s, st: s.store, org: c.org, sfURL: c.sfURL, url: c.urls[i], refreshes: c.refreshes}
}

// Two instances share Redis behind a load balancer: Zoom's webhooks land on
// one, the agent's softphone is connected to the other. The pop still
// reaches the agent, and the call is logged once.
//
// It runs on one Redis server and on a three-master Redis Cluster: every
// step the engine applies on the way, from the intake's write to the Task's
// record, keeps to one hash slot.
func TestTwoInstancesSharingRedis(t *testing.T) {
	for _, tt := range []struct{ name, url string }{
		{"server", storetest.RedisURL(t)},
		{"cluster", storetest.RedisClusterURL(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testTwoInstancesSharingRedis(t, newClusterAt(t, tt.url, 2))
		})
	}
}

func testTwoInstancesSharingRedis(t *testing.T, c *cluster) {
	a, b := c.env(t, 0), c.env(t, 1)
	// The session was created on A; the softphone connects to B.
	token := a.session()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.url, "http")+"/ws", map[string][]string{"Origin": {testOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		t.Fatal(err)
	}
	readMsg(t, ws, "hello", 5*time.Second)

	const callID = "7400000000000000701"
	bodies, err := sim().Inbound(simSpec(callID))
	if err != nil {
		t.Fatal(err)
	}
	a.send(bodies[0])
	m := readMsg(t, ws, "call", 10*time.Second)
	if pop, _ := m["pop"].(map[string]any); pop == nil || pop["record_id"] != a.contact("+12025550142") {
		t.Fatalf("pop on instance B = %v", m["pop"])
	}
	for _, body := range bodies[1:] {
		a.send(body) // and once more to the other instance
		b.send(body)
	}
	readMsg(t, ws, "logged", 15*time.Second)
	a.drain()
	if n := len(a.tasks(callID)); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
	// Every event was queued on its agent's shard and acknowledged in its
	// step, none apart from it.
	for i, s := range c.servers {
		if n := s.metrics.counters()["zoomcti_jobs_acked_apart_total"]; n != 0 {
			t.Errorf("instance %d acknowledged %d jobs apart from their step, want 0", i, n)
		}
	}
}

// The agent's Salesforce session expires while both instances are busy with
// their calls: exactly one of them refreshes it, and both carry on.
func TestInstancesRefreshASharedTokenOnce(t *testing.T) {
	c := newCluster(t, 2)
	agent := *c.servers[0].demoAgent
	// Warm both instances' clients with the current token.
	numbers := []string{"+12025550142", "+12025550177", "(202) 555-0123", "202-555-0199", "+442079460018", "+81312345678"}
	for i, s := range c.servers {
		if _, err := s.crm.FindByPhone(context.Background(), agent, numbers[i]); err != nil {
			t.Fatal(err)
		}
	}
	c.org.ExpireAccessTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		s := c.servers[i%2]
		wg.Go(func() {
			if _, err := s.crm.FindByPhone(context.Background(), agent, numbers[2+i%4]+fmt.Sprint(" ")); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := c.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes across the instances, want 1", n)
	}
	// The link survives: the token in the store is the refreshed one, and
	// it works from either instance.
	for _, s := range c.servers {
		if _, err := s.crm.FindTask(context.Background(), agent, "no-such-call"); err != nil {
			t.Fatalf("after the refresh: %v", err)
		}
	}
}
