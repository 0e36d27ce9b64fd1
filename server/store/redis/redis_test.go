package redis_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// openPrefix opens a store on the test server under prefix and deletes the
// prefix's keys when the test ends.
func openPrefix(t *testing.T, url, prefix string) *redis.Store {
	t.Helper()
	ctx := context.Background()
	s, err := redis.Open(ctx, url, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		deletePrefix(t, url, prefix)
	})
	return s
}

// uniquePrefix gives each test its own namespace so tests run in parallel on
// one server without seeing each other's keys or messages.
func uniquePrefix() string {
	return "zoomcti-test:" + rand.Text()[:12] + ":"
}

func deletePrefix(t *testing.T, url, prefix string) {
	ctx := context.Background()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Error(err)
		return
	}
	c := goredis.NewClient(o)
	defer c.Close()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		if err := c.Unlink(ctx, iter.Val()).Err(); err != nil {
			t.Errorf("cleanup %s: %v", iter.Val(), err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Errorf("cleanup %s: %v", prefix, err)
	}
}

func TestContract(t *testing.T) {
	url := storetest.RedisURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPrefix(t, url, uniquePrefix())
	})
}

// TestInstancesShare checks what Redis is for: two instances (two Stores on
// one prefix) see each other's keys, jobs and messages.
func TestInstancesShare(t *testing.T) {
	t.Parallel()
	url := storetest.RedisURL(t)
	prefix := uniquePrefix()
	a, b := openPrefix(t, url, prefix), openPrefix(t, url, prefix)
	ctx := context.Background()

	if ok, err := a.SetNX(ctx, "refresh-lock:u1", []byte("a"), time.Minute); err != nil || !ok {
		t.Fatalf("a.SetNX = %v, %v", ok, err)
	}
	if ok, err := b.SetNX(ctx, "refresh-lock:u1", []byte("b"), time.Minute); err != nil || ok {
		t.Fatalf("b.SetNX on a's lock = %v, %v; want false", ok, err)
	}

	id, err := a.Enqueue(ctx, "outbox", []byte("log"))
	if err != nil {
		t.Fatal(err)
	}
	job, err := b.Claim(ctx, "outbox", time.Minute)
	if err != nil || job == nil || job.ID != id {
		t.Fatalf("b.Claim = %+v, %v; want job %s", job, err, id)
	}
	if err := a.Ack(ctx, "outbox", id); err != nil {
		t.Fatalf("a.Ack of b's job: %v", err)
	}

	sub, err := b.Subscribe(ctx, "agent:1")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := a.Publish(ctx, "agent:1", []byte("pop")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-sub.C():
		if m.Channel != "agent:1" || string(m.Payload) != "pop" {
			t.Fatalf("b got %q on %q", m.Payload, m.Channel)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b got no message published by a")
	}
}
