package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// compareAndDeleteLua deletes KEYS[1] only if it holds ARGV[1]; GET and DEL
// must be one step or a lock could be released after it changed hands.
const compareAndDeleteLua = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// Get returns the value of key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.client.Get(ctx, s.kvKey(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: get: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("redis: get: %w", err)
	}
	return v, nil
}

// Set stores value under key with SET PX; ttl <= 0 means no expiry.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	// go-redis reads a negative expiration as KEEPTTL, so it is spelled out.
	if err := s.client.Set(ctx, s.kvKey(key), value, time.Duration(ms(ttl))*time.Millisecond).Err(); err != nil {
		return fmt.Errorf("redis: set: %w", err)
	}
	return nil
}

// SetNX stores value under key with SET NX PX and reports whether it did.
func (s *Store) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := s.client.SetNX(ctx, s.kvKey(key), value, time.Duration(ms(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, fmt.Errorf("redis: setnx: %w", err)
	}
	return ok, nil
}

// CompareAndDelete deletes key only if it holds value.
func (s *Store) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	n, err := s.compareAndDelete.Run(ctx, s.client, []string{s.kvKey(key)}, value).Int()
	if err != nil {
		return false, fmt.Errorf("redis: compare and delete: %w", err)
	}
	return n == 1, nil
}

// Delete removes keys; missing keys are not an error. Each key is its own
// DEL, pipelined: on a cluster the keys may live in different slots.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	cmds, err := s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, s.kvKey(k))
		}
		return nil
	})
	if err == nil {
		for _, c := range cmds {
			if err = c.Err(); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("redis: delete: %w", err)
	}
	return nil
}

// Keys lists the live keys starting with prefix, found with SCAN (on every
// master of a cluster) so a large keyspace never blocks the server.
func (s *Store) Keys(ctx context.Context, prefix string) ([]string, error) {
	strip := s.kvKey("")
	match := globEscape(strip+prefix) + "*"
	// SCAN may return a key more than once; the set removes repeats.
	var mu sync.Mutex
	seen := make(map[string]struct{})
	var keys []string
	err := s.forEachMaster(ctx, func(ctx context.Context, c goredis.UniversalClient) error {
		iter := c.Scan(ctx, 0, match, 500).Iterator()
		for iter.Next(ctx) {
			k := strings.TrimPrefix(iter.Val(), strip)
			mu.Lock()
			if _, dup := seen[k]; !dup {
				seen[k] = struct{}{}
				keys = append(keys, k)
			}
			mu.Unlock()
		}
		return iter.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("redis: keys: %w", err)
	}
	return keys, nil
}

// globEscape quotes the characters SCAN MATCH treats as a pattern, so a
// prefix such as "a*" matches only keys that really start with "a*".
func globEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
