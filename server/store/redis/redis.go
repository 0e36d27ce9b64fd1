// Package redis is the shared store: several zoomcti instances behind a load
// balancer keep their keys, queues and pub/sub in Redis (5.0 or later), one
// server or a Redis Cluster, so any instance can take any webhook and reach
// any agent's websocket. Queue timing uses the Redis server's clock (TIME),
// never the instances' clocks, so instances with skewed clocks still agree
// on leases.
//
// On a cluster every script touches the keys of one hash slot: the store's
// keys keep the hash tags of the names they are given (package store's
// slot rule), and Apply refuses a Txn across slots before sending it, on
// one server as well, so that what passes the tests on one server runs on
// a cluster.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// DefaultPrefix namespaces every key and channel when Options.Prefix is empty.
const DefaultPrefix = "zoomcti:"

// Options configures the Redis store.
type Options struct {
	// Prefix is prepended to every key and pub/sub channel, so several
	// deployments (or parallel tests) can share one server. Default
	// DefaultPrefix. It may not hold '{' or '}': a hash tag in the prefix
	// would put every key in one slot of a cluster.
	Prefix string
}

// Store is the Redis implementation of store.Store.
type Store struct {
	client goredis.UniversalClient
	// cluster is client on a Redis Cluster, nil on one server: Keys scans
	// every master, Ping pings every master.
	cluster *goredis.ClusterClient
	// batch sends the Apply scripts of concurrent callers (every webhook's
	// intake write, every event's commit) as one script (one per slot on a
	// cluster): while a batch is on the wire the next one gathers, so a
	// busy instance pays a round trip, and redis-server a script's fixed
	// cost, per batch instead of per txn, and a lone caller still goes out
	// at once (batch.go). Reads (Get) keep their own pooled connections: a
	// read that waited for the batch ahead of it measurably lengthened the
	// ring path (pop p99 +3 ms at 50 calls/s, when Applies were pipelined).
	batch  *batcher
	prefix string

	enqueue, claim, peek, ack, retry, compareAndDelete, apply *goredis.Script

	shards shardBook // the tagged shards of each queue (queue.go)

	mu     sync.Mutex // guards subs and closed
	subs   map[*subscription]struct{}
	closed bool
}

var _ store.Store = (*Store)(nil)

// clusterSuffix marks a Redis Cluster URL's scheme: redis+cluster:// or
// rediss+cluster:// (TLS).
const clusterSuffix = "+cluster"

// IsClusterURL reports whether raw names a Redis Cluster.
func IsClusterURL(raw string) bool {
	scheme, _, _ := strings.Cut(raw, "://")
	return strings.HasSuffix(scheme, clusterSuffix)
}

// CheckURL reports whether raw is a URL Open accepts, without connecting.
// Its errors never repeat the URL, which may carry a password.
func CheckURL(raw string) error {
	_, _, err := parseURL(raw)
	return err
}

// NewClient returns a client for raw as Open connects one, without the
// store around it: what the bench's plainest durable intake writes with.
// Its errors never repeat the URL.
func NewClient(raw string) (goredis.UniversalClient, error) {
	c, _, err := parseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return c, nil
}

// parseURL returns the client raw names and the address to name in errors.
func parseURL(raw string) (goredis.UniversalClient, string, error) {
	if IsClusterURL(raw) {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, "", errors.New("parse url: not a URL")
		}
		u.Scheme = strings.TrimSuffix(u.Scheme, clusterSuffix)
		o, err := goredis.ParseClusterURL(u.String())
		if err != nil {
			return nil, "", fmt.Errorf("parse cluster url: %w", redact(err, u))
		}
		return goredis.NewClusterClient(o), strings.Join(o.Addrs, ","), nil
	}
	o, err := goredis.ParseURL(raw)
	if err != nil {
		return nil, "", fmt.Errorf("parse url: %w", err)
	}
	return goredis.NewClient(o), o.Addr, nil
}

// redact drops u's password from err's text.
func redact(err error, u *url.URL) error {
	if p, ok := u.User.Password(); ok && p != "" && strings.Contains(err.Error(), p) {
		return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}

// Open connects to Redis at url and checks that it answers. url is
// redis://[user:pass@]host:port/db (rediss:// for TLS, or unix://) for one
// server, or redis+cluster://[user:pass@]host:port?addr=host2:port2&…
// (rediss+cluster:// for TLS) for a Redis Cluster, naming one or more of
// its nodes; the client finds the rest.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("redis: open: prefix %q holds a brace; a hash tag there would put every key in one slot", opts.Prefix)
	}
	client, addr, err := parseURL(url)
	if err != nil {
		// The URL may carry a password, so it is not repeated here.
		return nil, fmt.Errorf("redis: open: %w", err)
	}
	s := &Store{
		client:           client,
		prefix:           opts.Prefix,
		enqueue:          goredis.NewScript(enqueueLua),
		claim:            goredis.NewScript(claimLua),
		peek:             goredis.NewScript(peekLua),
		ack:              goredis.NewScript(ackLua),
		retry:            goredis.NewScript(retryLua),
		compareAndDelete: goredis.NewScript(compareAndDeleteLua),
		apply:            goredis.NewScript(applyLua),
		subs:             make(map[*subscription]struct{}),
	}
	s.cluster, _ = client.(*goredis.ClusterClient)
	fail := func(err error) (*Store, error) {
		_ = client.Close()
		return nil, fmt.Errorf("redis: open %s: %w", addr, err)
	}
	if err := s.Ping(ctx); err != nil {
		if s.cluster != nil && strings.Contains(err.Error(), "cluster support disabled") {
			err = fmt.Errorf("%w (not a Redis Cluster: use a redis:// URL)", err)
		}
		return fail(err)
	}
	if s.cluster == nil {
		// A cluster node answers a plain client until a key lives on
		// another node: say so now, not at the first MOVED.
		info, err := client.Info(ctx, "cluster").Result()
		if err == nil && strings.Contains(info, "cluster_enabled:1") {
			return fail(errors.New("this is a Redis Cluster node: use a redis+cluster:// URL"))
		}
	}
	s.batch = newBatcher(s)
	return s, nil
}

// Ping reports whether Redis answers: the server, or every master of the
// cluster (a master that does not answer leaves its slots' keys out of
// reach).
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.cluster != nil {
		err = s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			if err := c.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("%s: %w", c.Options().Addr, err)
			}
			return nil
		})
	} else {
		err = s.client.Ping(ctx).Err()
	}
	if err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// forEachMaster runs fn on the server, or on every master of the cluster
// at once.
func (s *Store) forEachMaster(ctx context.Context, fn func(ctx context.Context, c goredis.UniversalClient) error) error {
	if s.cluster == nil {
		return fn(ctx, s.client)
	}
	return s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return fn(ctx, c) })
}

// Close ends every open subscription and closes the connection pool. Calling
// it again is a no-op.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()

	for sub := range subs {
		sub.close()
	}
	if s.batch != nil {
		s.batch.close() // sends what waits
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// Key layout under the prefix. The namespaces keep Keys("") from listing
// queue internals and keep a queue name from colliding with a KV key. A KV
// key keeps the hash tag its name carries.
//
// Every key of one queue shard (its sorted set, counter, job hashes and
// dedupe marks) carries the shard's tag, {tag}, or for the default shard
// the queue's name, {queue}: a Redis Cluster hashes only the tag, so each
// script touches keys of one slot, and a shard lives in the slot of the KV
// keys tagged like it. The registry of a queue's tagged shards is a set of
// its own (queue.go).
func (s *Store) kvKey(key string) string    { return s.prefix + "kv:" + key }
func (s *Store) channel(name string) string { return s.prefix + "ps:" + name }

// shardKey is the key kind of shard (queue, seq, job, once) with rest after it.
func (s *Store) shardKey(kind, shard, rest string) string {
	q, tag := store.SplitQueue(shard)
	if tag == "" {
		return s.prefix + kind + ":{" + q + "}" + rest
	}
	return s.prefix + kind + ":{" + tag + "}:" + q + rest
}
func (s *Store) queueKey(shard string) string     { return s.shardKey("queue", shard, "") }
func (s *Store) seqKey(shard string) string       { return s.shardKey("seq", shard, "") }
func (s *Store) jobKeyPrefix(shard string) string { return s.shardKey("job", shard, ":") }
func (s *Store) onceKey(shard, key string) string { return s.shardKey("once", shard, ":"+key) }
func (s *Store) registryKey(queue string) string  { return s.prefix + "shards:{" + queue + "}" }

// idPrefix is what a job id of shard starts with: its tag, in braces.
func idPrefix(shard string) string {
	if _, tag := store.SplitQueue(shard); tag != "" {
		return "{" + tag + "}"
	}
	return ""
}

// ms converts d to whole milliseconds, rounding up so that a positive
// duration never becomes "no expiry" or "no delay".
func ms(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// DeletePrefix deletes every key under prefix at url, on every master of a
// cluster: what tests and the bench use to clean up after a store opened
// with that prefix.
func DeletePrefix(ctx context.Context, url, prefix string) error {
	client, _, err := parseURL(url)
	if err != nil {
		return fmt.Errorf("redis: delete prefix: %w", err)
	}
	defer client.Close()
	s := &Store{client: client}
	s.cluster, _ = client.(*goredis.ClusterClient)
	err = s.forEachMaster(ctx, func(ctx context.Context, c goredis.UniversalClient) error {
		iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
		var keys []string
		flush := func() error {
			// One UNLINK per key: on a cluster they may be in different slots.
			_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			keys = keys[:0]
			return err
		}
		for iter.Next(ctx) {
			if keys = append(keys, iter.Val()); len(keys) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return fmt.Errorf("redis: delete prefix: %w", err)
	}
	return nil
}

// ServerCPU is the CPU time, user and system, the Redis server at url has
// used since it started (INFO cpu), summed over every master of a cluster:
// what the bench reads before and after a run to tell Redis's share of
// its cost.
func ServerCPU(ctx context.Context, url string) (time.Duration, error) {
	client, _, err := parseURL(url)
	if err != nil {
		return 0, fmt.Errorf("redis: server cpu: %w", err)
	}
	defer client.Close()
	s := &Store{client: client}
	s.cluster, _ = client.(*goredis.ClusterClient)
	var (
		mu    sync.Mutex
		total time.Duration
	)
	err = s.forEachMaster(ctx, func(ctx context.Context, c goredis.UniversalClient) error {
		info, err := c.Info(ctx, "cpu").Result()
		if err != nil {
			return err
		}
		d, err := infoCPU(info)
		mu.Lock()
		total += d
		mu.Unlock()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redis: server cpu: %w", err)
	}
	return total, nil
}

// infoCPU reads used_cpu_user and used_cpu_sys (seconds) from INFO cpu.
func infoCPU(info string) (time.Duration, error) {
	var total float64
	seen := 0
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (k != "used_cpu_user" && k != "used_cpu_sys") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("INFO cpu %s: %w", k, err)
		}
		total += f
		seen++
	}
	if seen != 2 {
		return 0, errors.New("INFO cpu has no used_cpu_user and used_cpu_sys")
	}
	return time.Duration(total * float64(time.Second)), nil
}
