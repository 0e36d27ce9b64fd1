package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// Two instances share Redis behind a load balancer: Zoom's webhooks land on
// one, the agent's softphone is connected to the other. The pop still
// reaches the agent, and the call is logged once.
func TestTwoInstancesSharingRedis(t *testing.T) {
	url := storetest.RedisURL(t)
	prefix := fmt.Sprintf("zoomcti-test:%s:%d:", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		opt, _ := goredis.ParseURL(url)
		c := goredis.NewClient(opt)
		defer c.Close()
		ctx := context.Background()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(org)
	defer sf.Close()
	cfg := testConfig(t, func(c *Config) { c.RedisURL, c.SFLoginURL = url, sf.URL })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var instances []*Server
	var urls []string
	for range 2 {
		st, err := redis.Open(ctx, url, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, Deps{Store: st, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); st.Close() })
		instances = append(instances, s)
		urls = append(urls, hs.URL)
	}
	t.Cleanup(func() {
		cancel()
		for _, s := range instances {
			s.Wait()
		}
	})
	a := instances[0]
	if err := a.linkDemoAgent(ctx, org, sf.URL); err != nil {
		t.Fatal(err)
	}
	// The session was created on A; the softphone connects to B.
	token, err := a.newSession(ctx, *a.demoAgent)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string][]string{"Origin": {testOrigin}}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(urls[1], "http")+"/ws", h)
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
	e := &env{t: t, s: a, st: a.store, org: org, url: urls[0]} // webhooks go to A
	e.send(bodies[0])
	m := readMsg(t, ws, "call", 10*time.Second)
	if pop, _ := m["pop"].(map[string]any); pop == nil || pop["record_id"] != e.contact("+12025550142") {
		t.Fatalf("pop on instance B = %v", m["pop"])
	}
	for _, body := range bodies[1:] {
		e.send(body)
		e.url = urls[1] // and the rest to either
		e.send(body)
	}
	readMsg(t, ws, "logged", 15*time.Second)
	e.drain()
	if n := len(e.tasks(callID)); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
}
