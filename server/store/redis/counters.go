package redis

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// countLua applies one store.Tally to the hash KEYS[1]. Each tally touches
// one key, so a batch spreads over a Redis Cluster's slots as it likes.
//
// ARGV: ttl ms, number of adds, then (field, delta) per add, then
// (field, value) per max.
const countLua = `
local nAdd = tonumber(ARGV[2])
local a = 3
for i = 1, nAdd do
  redis.call('HINCRBY', KEYS[1], ARGV[a], ARGV[a + 1])
  a = a + 2
end
while a < #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[a])
  if not cur or tonumber(ARGV[a + 1]) > tonumber(cur) then
    redis.call('HSET', KEYS[1], ARGV[a], ARGV[a + 1])
  end
  a = a + 2
end
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
`

// countScript is immutable: its source and that source's hash.
var countScript = goredis.NewScript(countLua)

func (s *Store) countKey(key string) string { return s.prefix + "cnt:" + key }

// Count applies tallies in one pipeline, one script per tally. The script
// is sent whole (EVAL, not EVALSHA) because a pipeline cannot fall back
// from NOSCRIPT; it is a few hundred bytes, sent every few seconds.
func (s *Store) Count(ctx context.Context, tallies ...store.Tally) error {
	if len(tallies) == 0 {
		return nil
	}
	_, err := s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, t := range tallies {
			args := make([]any, 0, 2+2*len(t.Add)+2*len(t.Max))
			args = append(args, ms(t.TTL), len(t.Add))
			for f, d := range t.Add {
				args = append(args, f, d)
			}
			for f, v := range t.Max {
				args = append(args, f, v)
			}
			countScript.Eval(ctx, p, []string{s.countKey(t.Key)}, args...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: count: %w", err)
	}
	return nil
}

// Counts reads the counter sets of keys in one pipeline.
func (s *Store) Counts(ctx context.Context, keys ...string) ([]map[string]int64, error) {
	out := make([]map[string]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cmds := make([]*goredis.MapStringStringCmd, len(keys))
	_, err := s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, s.countKey(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis: counts: %w", err)
	}
	for i, c := range cmds {
		out[i] = make(map[string]int64, len(c.Val()))
		for f, v := range c.Val() {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redis: counts: %s field %s: %w", keys[i], f, err)
			}
			out[i][f] = n
		}
	}
	return out, nil
}
