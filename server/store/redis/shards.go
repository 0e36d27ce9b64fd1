package redis

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// shardBook remembers, per queue, the tagged shards this store knows of:
// those it registered and those it read in the registry. Shards are never
// forgotten: a queue has as many as the tags its writers use, a handful.
type shardBook struct {
	mu         sync.Mutex
	known      map[string][]string // queue -> its shards' names, the default first
	registered map[string]bool     // shard names this store added to the registry
}

// register adds shard to its queue's registry before this store's first
// write to it, so that every claimer finds the shard before its first job.
func (b *shardBook) register(ctx context.Context, s *Store, shard string) error {
	q, tag := store.SplitQueue(shard)
	if tag == "" {
		return nil
	}
	b.mu.Lock()
	done := b.registered[shard]
	b.mu.Unlock()
	if done {
		return nil
	}
	if err := s.client.SAdd(ctx, s.registryKey(q), tag).Err(); err != nil {
		return err
	}
	b.mu.Lock()
	if b.registered == nil {
		b.registered = map[string]bool{}
	}
	b.registered[shard] = true
	b.mu.Unlock()
	b.learn(q, []string{tag})
	return nil
}

// list returns the shards of queue known so far, the default one first.
func (b *shardBook) list(queue string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.known[queue]; l != nil {
		return l
	}
	return []string{queue}
}

// learn adds the shards of queue with these tags and returns those that
// were new.
func (b *shardBook) learn(queue string, tags []string) (fresh []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.known == nil {
		b.known = map[string][]string{}
	}
	l := b.known[queue]
	if l == nil {
		l = []string{queue}
	}
	for _, tag := range tags {
		if name := store.ShardName(queue, tag); tag != "" && !slices.Contains(l, name) {
			fresh = append(fresh, name)
		}
	}
	if len(fresh) > 0 || b.known[queue] == nil {
		// A new slice: callers may hold the old one.
		b.known[queue] = append(slices.Clip(l), fresh...)
	}
	return fresh
}

// all returns every shard of queue, read from its registry.
func (b *shardBook) all(ctx context.Context, s *Store, queue string) ([]string, error) {
	tags, err := s.client.SMembers(ctx, s.registryKey(queue)).Result()
	if err != nil {
		return nil, err
	}
	b.learn(queue, tags)
	return b.list(queue), nil
}

// dueShards returns the shards of queue that have a due job, the shard whose
// job has been due longest first. The registry and every known shard are
// read in one pipeline; shards the registry names for the first time are
// looked at in a second.
func (s *Store) dueShards(ctx context.Context, queue string) ([]string, error) {
	shards := s.shards.list(queue)
	var members *goredis.StringSliceCmd
	peeks := make([]*goredis.Cmd, len(shards))
	_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		members = p.SMembers(ctx, s.registryKey(queue))
		for i, shard := range shards {
			peeks[i] = s.peek.EvalSha(ctx, p, []string{s.queueKey(shard)})
		}
		return nil
	})
	if err := members.Err(); err != nil {
		return nil, err
	}
	if fresh := s.shards.learn(queue, members.Val()); len(fresh) > 0 {
		shards = append(slices.Clone(shards), fresh...)
		peeks = append(peeks, make([]*goredis.Cmd, len(fresh))...)
	}
	// A master that has not seen the script yet (or a shard just learned)
	// is asked again with the script itself.
	var again []int
	for i, c := range peeks {
		if c == nil || goredis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, i := range again {
				peeks[i] = s.peek.Eval(ctx, p, []string{s.queueKey(shards[i])})
			}
			return nil
		})
	}
	type due struct {
		shard string
		at    int64
	}
	var dues []due
	var failed error
	for i, c := range peeks {
		v, err := c.Text()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			// A master that does not answer holds back its shards only.
			failed = err
			continue
		}
		at, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errors.New("peek " + shards[i] + ": due time " + strconv.Quote(v))
		}
		dues = append(dues, due{shards[i], at})
	}
	if len(dues) == 0 && failed != nil {
		return nil, failed
	}
	slices.SortStableFunc(dues, func(a, b due) int { return cmp.Compare(a.at, b.at) })
	names := make([]string, len(dues))
	for i, d := range dues {
		names[i] = d.shard
	}
	return names, nil
}
