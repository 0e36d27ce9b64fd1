package redis_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// openPrefix opens a store on the test server (or cluster) at url under
// prefix and deletes the prefix's keys when the test ends.
func openPrefix(t *testing.T, url, prefix string) *redis.Store {
	t.Helper()
	ctx := context.Background()
	s, err := redis.Open(ctx, url, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		if err := redis.DeletePrefix(context.Background(), url, prefix); err != nil {
			t.Errorf("cleanup %s: %v", prefix, err)
		}
	})
	return s
}

// uniquePrefix gives each test its own namespace so tests run in parallel on
// one server without seeing each other's keys or messages.
func uniquePrefix() string {
	return "zoomcti-test:" + rand.Text()[:12] + ":"
}

func TestContract(t *testing.T) {
	url := storetest.RedisURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPrefix(t, url, uniquePrefix())
	})
}

// TestContractCluster runs the contract against a three-master Redis
// Cluster (./scripts/redis-cluster, which ./scripts/test runs): every Txn
// the contract applies, and every script, keeps to one slot; Keys scans
// every master; pub/sub reaches subscribers on any node.
func TestContractCluster(t *testing.T) {
	url := storetest.RedisClusterURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPrefix(t, url, uniquePrefix())
	})
}

// servers are the Redis deployments a test runs on: one server and a
// cluster.
func servers(t *testing.T) []struct{ name, url string } {
	return []struct{ name, url string }{
		{"server", storetest.RedisURL(t)},
		{"cluster", storetest.RedisClusterURL(t)},
	}
}

// onEachServer runs test, in parallel, as a subtest on one server and as
// one on a cluster, with its URL.
func onEachServer(t *testing.T, test func(t *testing.T, url string)) {
	t.Parallel()
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			test(t, srv.url)
		})
	}
}

// TestInstancesShare checks what Redis is for: two instances (two Stores on
// one prefix) see each other's keys, jobs and messages.
func TestInstancesShare(t *testing.T) {
	onEachServer(t, func(t *testing.T, url string) {
		prefix := uniquePrefix()
		a, b := openPrefix(t, url, prefix), openPrefix(t, url, prefix)
		testInstancesShare(t, a, b)
	})
}

func testInstancesShare(t *testing.T, a, b *redis.Store) {
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
	// b has claimed from the queue already: a shard a creates after that
	// is still found by b's next claim (the registry is read with it).
	for _, tag := range []string{"p1", "p2"} {
		id, err := a.Enqueue(ctx, "outbox{"+tag+"}", []byte("log "+tag))
		if err != nil {
			t.Fatal(err)
		}
		job, err := b.Claim(ctx, "outbox", time.Minute)
		if err != nil || job == nil || job.ID != id {
			t.Fatalf("b.Claim after a wrote shard %s = %+v, %v; want job %s", tag, job, err, id)
		}
	}
	if n, err := b.Len(ctx, "outbox"); err != nil || n != 2 {
		t.Fatalf("b.Len = %d, %v; want 2", n, err)
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

// TestClusterKeysEveryMaster: on a cluster, Keys finds the keys of every
// master, and Delete removes keys of several slots at once.
func TestClusterKeysEveryMaster(t *testing.T) {
	t.Parallel()
	url := storetest.RedisClusterURL(t)
	prefix := uniquePrefix()
	s := openPrefix(t, url, prefix)
	ctx := context.Background()
	var want []string
	for i := range 30 {
		k := fmt.Sprint("k:", i)
		want = append(want, k)
		if err := s.Set(ctx, k, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	// The keys are spread: every master holds some.
	u, _ := strings.CutPrefix(url, "redis+cluster://")
	o, err := goredis.ParseClusterURL("redis://" + u)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClusterClient(o)
	defer c.Close()
	var mu sync.Mutex
	perMaster := map[string]int{}
	err = c.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
		n := 0
		iter := m.Scan(ctx, 0, prefix+"kv:*", 100).Iterator()
		for iter.Next(ctx) {
			n++
		}
		mu.Lock()
		perMaster[m.Options().Addr] = n
		mu.Unlock()
		return iter.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(perMaster) < 3 {
		t.Fatalf("masters = %v, want three", perMaster)
	}
	for addr, n := range perMaster {
		if n == 0 {
			t.Fatalf("master %s holds none of the 30 keys (%v): the test proves nothing", addr, perMaster)
		}
	}
	got, err := s.Keys(ctx, "k:")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Keys = %q, want %q", got, want)
	}
	if err := s.Delete(ctx, want...); err != nil {
		t.Fatalf("Delete of keys in several slots: %v", err)
	}
	if got, err := s.Keys(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("Keys after Delete = %q, %v", got, err)
	}
}

// TestOpenWrongKind: a cluster URL naming one server, or a plain URL naming
// a cluster node, fails at Open with a message saying which to use.
func TestOpenWrongKind(t *testing.T) {
	t.Parallel()
	single, cluster := storetest.RedisURL(t), storetest.RedisClusterURL(t)
	ctx := context.Background()
	host := strings.TrimPrefix(single, "redis://")
	host, _, _ = strings.Cut(host, "/")
	node := strings.TrimPrefix(cluster, "redis+cluster://")
	node, _, _ = strings.Cut(node, "?")
	tests := []struct{ name, url, want string }{
		{"cluster url, one server", "redis+cluster://" + host, "use a redis:// URL"},
		{"plain url, a cluster node", "redis://" + node, "use a redis+cluster:// URL"},
		{"brace in the prefix", single, "brace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := uniquePrefix()
			if tt.want == "brace" {
				prefix = "zoomcti{x}:"
			}
			s, err := redis.Open(ctx, tt.url, redis.Options{Prefix: prefix})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%s) = %v, want it to say %q", tt.url, err, tt.want)
			}
		})
	}
	if err := redis.CheckURL("redis+cluster://a:1?addr=b:2&addr=c:3"); err != nil {
		t.Fatalf("CheckURL(cluster) = %v", err)
	}
	if err := redis.CheckURL("redis+cluster://a:1?nonsense=1"); err == nil {
		t.Fatal("CheckURL accepted an unknown cluster option")
	}
	if err := redis.CheckURL("redis+cluster://u:s3cret@a:1?addr=nope"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("CheckURL(bad addr) = %v; want an error without the password", err)
	}
}

// rawClient is a plain client on the test server, to do to keys what the
// store never would.
func rawClient(t *testing.T, url string) *goredis.Client {
	t.Helper()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestEnqueueOnceFailureLeavesNoMark makes the transaction script fail, by
// giving one of the queue's keys the wrong type, before it writes anything
// and after it wrote the job. Redis does not undo a failed script's writes,
// so the script writes the mark last: either way no mark is left, and the
// redelivery, once the fault is gone, is fresh.
func TestEnqueueOnceFailureLeavesNoMark(t *testing.T) {
	t.Parallel()
	url := storetest.RedisURL(t)
	tests := []struct {
		name string
		key  string // the key, under the prefix, given the wrong type
	}{
		{"before any write: the counter", "seq:{events}"},
		{"after the job hash: the due set", "queue:{events}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prefix := uniquePrefix()
			s := openPrefix(t, url, prefix)
			raw := rawClient(t, url)
			ctx := context.Background()
			if err := raw.HSet(ctx, prefix+tc.key, "not", "a counter or a set").Err(); err != nil {
				t.Fatal(err)
			}
			if id, ok, err := storetest.EnqueueOnce(ctx, s, "events", "seen:e1", time.Hour, []byte("first")); err == nil || ok {
				t.Fatalf("EnqueueOnce over a broken key = %q, %v, %v; want an error", id, ok, err)
			}
			if err := raw.Del(ctx, prefix+tc.key).Err(); err != nil {
				t.Fatal(err)
			}
			id, ok, err := storetest.EnqueueOnce(ctx, s, "events", "seen:e1", time.Hour, []byte("redelivery"))
			if err != nil || !ok {
				t.Fatalf("redelivery after the failure = %q, %v, %v; want fresh", id, ok, err)
			}
			job, err := s.Claim(ctx, "events", time.Minute)
			if err != nil || job == nil || job.ID != id || string(job.Payload) != "redelivery" {
				t.Fatalf("Claim = %+v, %v; want the redelivery", job, err)
			}
			if n, err := s.Len(ctx, "events"); err != nil || n != 1 {
				t.Fatalf("Len = %d, %v; want 1", n, err)
			}
		})
	}
}

// TestQueueKeysShareHashTag: every key one queue operation touches carries
// its shard's hash tag (the queue's name for the default shard), so on a
// Redis Cluster each script stays within one slot, beside the KV keys
// tagged like the shard.
func TestQueueKeysShareHashTag(t *testing.T) {
	t.Parallel()
	url := storetest.RedisURL(t)
	prefix := uniquePrefix()
	s := openPrefix(t, url, prefix)
	ctx := context.Background()
	for _, q := range []string{"events", "events.ring", "events{p07}"} {
		if _, _, err := storetest.EnqueueOnce(ctx, s, q, "seen:e1", time.Hour, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enqueue(ctx, q, []byte("y")); err != nil {
			t.Fatal(err)
		}
		if job, err := s.Claim(ctx, q, time.Minute); err != nil || job == nil {
			t.Fatalf("Claim = %+v, %v", job, err)
		}
	}
	if err := s.Set(ctx, "token:u1", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	byTag := map[string]int{}
	keys, err := rawClient(t, url).Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		if strings.HasPrefix(rest, "kv:") {
			continue
		}
		// Redis Cluster's rule: the tag is what lies between the first '{'
		// and the first '}' after it.
		tag := store.Tag(rest)
		if tag == "" {
			t.Errorf("queue key %q has no hash tag", k)
			continue
		}
		byTag[tag]++
	}
	// Per shard: the due set, the counter, two job hashes, one mark and the
	// marked write's ids (kept a minute for a retry); the registry of
	// events' tagged shards is tagged {events}.
	want := map[string]int{"events": 7, "events.ring": 6, "p07": 6}
	if !maps.Equal(byTag, want) {
		t.Fatalf("queue keys by hash tag = %v, want %v (keys %q)", byTag, want, keys)
	}
}

// TestSubscriptionAnnouncesLostMessages: when a subscription's connection
// breaks, go-redis subscribes again on a new one, and what was published in
// between is lost; the subscription says so with a Gap message, then
// delivers again.
func TestSubscriptionAnnouncesLostMessages(t *testing.T) {
	t.Parallel()
	base := storetest.RedisURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	name := "zoomcti-gap-" + strings.ToLower(rand.Text()[:10])
	q := u.Query()
	q.Set("client_name", name)
	u.RawQuery = q.Encode()
	s := openPrefix(t, u.String(), uniquePrefix())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := s.Subscribe(ctx, "push")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := s.Publish(ctx, "push", []byte("before")); err != nil {
		t.Fatal(err)
	}
	if m := <-sub.C(); m.Gap || string(m.Payload) != "before" {
		t.Fatalf("got %+v, want the message published", m)
	}

	// Break the subscription's connection, as a Redis restart would.
	o, _ := goredis.ParseURL(base)
	admin := goredis.NewClient(o)
	defer admin.Close()
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for line := range strings.SplitSeq(list, "\n") {
		if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " sub=1 ") {
			id = strings.TrimPrefix(strings.Fields(line)[0], "id=")
		}
	}
	if id == "" {
		t.Fatalf("no subscriber connection named %s in CLIENT LIST", name)
	}
	if err := admin.ClientKillByFilter(ctx, "ID", id).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-sub.C():
		if !m.Gap {
			t.Fatalf("after the connection broke got %+v, want a Gap", m)
		}
	case <-ctx.Done():
		t.Fatal("no Gap after the subscription's connection broke")
	}
	// Announced once subscribed again: what is published now arrives.
	if err := s.Publish(ctx, "push", []byte("after")); err != nil {
		t.Fatal(err)
	}
	if m := <-sub.C(); m.Gap || string(m.Payload) != "after" {
		t.Fatalf("got %+v, want the message published after the gap", m)
	}
}
