// Package storetest is the contract every store.Store implementation must
// meet: one suite, run by the tests of package bolt and package redis, so
// the server can rely on the same behaviour from either.
package storetest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// Opener opens a fresh, empty store for one test and arranges its Close with
// t.Cleanup. It also returns advance, which makes d pass for that store:
// moving an injected clock, or sleeping when the store keeps its own time.
type Opener func(t *testing.T) (s store.Store, advance func(d time.Duration))

// Run runs the contract against stores that keep real time, such as Redis.
// Waits are real sleeps of about ttl, and subtests run in parallel so the
// whole suite waits only about that long.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	RunWithClock(t, func(t *testing.T) (store.Store, func(time.Duration)) {
		return open(t), time.Sleep
	})
}

// RunWithClock runs the contract against stores with an injected clock, so
// expiry and leases are tested without sleeping.
func RunWithClock(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, advance func(time.Duration))
	}{
		{"GetMissing", testGetMissing},
		{"SetGet", testSetGet},
		{"TTL", testTTL},
		{"SetNXOneWinner", testSetNXOneWinner},
		{"CompareAndDelete", testCompareAndDelete},
		{"DeleteMany", testDeleteMany},
		{"KeysByPrefix", testKeysByPrefix},
		{"QueueFIFO", testQueueFIFO},
		{"ClaimEmpty", testClaimEmpty},
		{"LeaseExpiry", testLeaseExpiry},
		{"Retry", testRetry},
		{"AckRetryUnknown", testAckRetryUnknown},
		{"ConcurrentClaimers", testConcurrentClaimers},
		{"Len", testLen},
		{"EnqueueOnce", testEnqueueOnce},
		{"EnqueueOnceTTL", testEnqueueOnceTTL},
		{"EnqueueOnceConcurrent", testEnqueueOnceConcurrent},
		{"ApplyAll", testApplyAll},
		{"ApplyConflict", testApplyConflict},
		{"ApplyOnce", testApplyOnce},
		{"ApplyLeasedJob", testApplyLeasedJob},
		{"ApplyConcurrentCAS", testApplyConcurrentCAS},
		{"ApplyCrossSlot", testApplyCrossSlot},
		{"ShardsClaimOldestFirst", testShardsClaimOldestFirst},
		{"ShardsJobs", testShardsJobs},
		{"ShardsMarks", testShardsMarks},
		{"ShardsConcurrentClaimers", testShardsConcurrentClaimers},

		{"CountAddMax", testCountAddMax},
		{"CountTTL", testCountTTL},
		{"CountConcurrent", testCountConcurrent},
		{"PubSub", testPubSub},
		{"PubSubSlowSubscriber", testPubSubSlowSubscriber},
		{"CloseEndsSubscriptions", testCloseEndsSubscriptions},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, advance := open(t)
			tt.fn(t, s, advance)
		})
	}
}

// ttl is the expiry, lease and delay the suite uses. Redis keeps its own
// clock, so this is real time there: long enough that a busy machine does
// not let it run out between two adjacent calls, short enough to keep the
// suite quick.
const ttl = 1200 * time.Millisecond

// slack is added when the suite waits for ttl to pass, to absorb clock
// granularity (Redis expires in whole milliseconds).
const slack = 100 * time.Millisecond

// wait is how long the suite gives a message to arrive before failing.
const wait = 5 * time.Second

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// RedisURL returns the Redis server that Redis-backed tests use:
// ZOOMCTI_TEST_REDIS_URL, default redis://127.0.0.1:6379/0. If nothing
// answers there the test is skipped, except when CI is set: a Redis suite
// that silently skips in CI would hide a broken shared store, so it fails.
func RedisURL(t testing.TB) string {
	t.Helper()
	return reachable(t, "ZOOMCTI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0", "redis-server", "")
}

// DefaultRedisClusterURL is the cluster scripts/redis-cluster starts.
const DefaultRedisClusterURL = "redis+cluster://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002"

// RedisClusterURL returns the Redis Cluster that cluster tests use:
// ZOOMCTI_TEST_REDIS_CLUSTER_URL, default DefaultRedisClusterURL (three
// masters on ports 7000-7002, as ./scripts/redis-cluster starts them). Like
// RedisURL it skips when nothing answers, and fails when CI is set.
func RedisClusterURL(t testing.TB) string {
	t.Helper()
	return reachable(t, "ZOOMCTI_TEST_REDIS_CLUSTER_URL", DefaultRedisClusterURL, "Redis Cluster",
		" (start one with ./scripts/redis-cluster)")
}

// reachable returns the URL in env (or def) once its first address answers
// a TCP connection; else it skips t, or fails it when CI is set.
func reachable(t testing.TB, env, def, what, hint string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	network, addr := "tcp", u.Host
	switch {
	case u.Scheme == "unix":
		network, addr = "unix", u.Path
	case u.Port() == "":
		addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	conn, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		msg := fmt.Sprintf("%s (set %s%s): %v", u.Redacted(), env, hint, err)
		if os.Getenv("CI") != "" {
			t.Fatalf("%s required in CI: %s", what, msg)
		}
		t.Skipf("%s not reachable at %s", what, msg)
	}
	_ = conn.Close()
	return raw
}
