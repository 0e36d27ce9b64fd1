package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// A queue shard is a sorted set of job ids scored by the time (Redis TIME,
// in ms) each job is next due, plus one hash per job: payload, attempts,
// enqueued (ms) and last_err. Claiming re-scores the job to the end of its
// lease, so a job whose consumer died becomes due again with no sweeper. Ids
// are the shard's tag (none in the default shard) and a zero-padded counter:
// for equal scores Redis orders members bytewise, which keeps enqueue order.
//
// Claim derives the job's hash key from the id it picks, a key the script
// does not declare; it shares the shard's hash tag (see redis.go), so on a
// cluster it lives in the slot of the declared ones, which Redis allows.
//
// The tagged shards of a queue are listed in a set, its registry, which an
// instance adds a shard to before its first write there: a claimer reads
// the registry with the first look at each shard it knows (one pipeline),
// so a new shard is never missed. Claim on a queue then asks each shard for
// the due time of its oldest due job (peekLua, pipelined: one round trip
// per master) and claims from the shard whose job has been due longest,
// falling back to the next when another instance took it first.

const nowLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// KEYS[1] queue, KEYS[2] sequence; ARGV[1] job key prefix, ARGV[2] payload,
// ARGV[3] id prefix.
const enqueueLua = nowLua + `
local id = ARGV[3] .. string.format('%016d', redis.call('INCR', KEYS[2]))
redis.call('HSET', ARGV[1] .. id, 'payload', ARGV[2], 'attempts', 0, 'enqueued', string.format('%d', now))
redis.call('ZADD', KEYS[1], now, id)
return id
`

// KEYS[1] queue. Returns the due time (ms) of the job due longest, or nil
// when none is due.
const peekLua = nowLua + `
local r = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
if r[2] then return r[2] end
return false
`

// KEYS[1] queue; ARGV[1] job key prefix, ARGV[2] lease in ms.
// Returns {id, attempts, payload, enqueued, last_err} or nil.
const claimLua = nowLua + `
while true do
  local id = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)[1]
  if not id then return false end
  local key = ARGV[1] .. id
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    local attempts = redis.call('HINCRBY', key, 'attempts', 1)
    local f = redis.call('HMGET', key, 'payload', 'enqueued', 'last_err')
    return {id, attempts, f[1] or '', f[2] or '0', f[3] or ''}
  end
  -- An id without its hash can only be left by hand-editing; drop it
  -- rather than wedge the queue.
  redis.call('ZREM', KEYS[1], id)
end
`

// KEYS[1] queue, KEYS[2] job hash; ARGV[1] id. Returns 1, or 0 if unknown.
const ackLua = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
`

// KEYS[1] queue, KEYS[2] job hash; ARGV[1] id, ARGV[2] delay in ms,
// ARGV[3] reason. Returns 1, or 0 if unknown.
const retryLua = nowLua + `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], 'last_err', ARGV[3])
return 1
`

// Enqueue adds payload to queue (the shard it names), due now.
func (s *Store) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	if err := s.shards.register(ctx, s, queue); err != nil {
		return "", fmt.Errorf("redis: enqueue: %w", err)
	}
	id, err := s.enqueue.Run(ctx, s.client,
		[]string{s.queueKey(queue), s.seqKey(queue)}, s.jobKeyPrefix(queue), payload, idPrefix(queue)).Text()
	if err != nil {
		return "", fmt.Errorf("redis: enqueue: %w", err)
	}
	return id, nil
}

// Claim leases the job that has been due longest across queue's shards
// (only that shard when queue names one), or returns nil, nil.
func (s *Store) Claim(ctx context.Context, queue string, lease time.Duration) (*store.Job, error) {
	if _, tag := store.SplitQueue(queue); tag != "" {
		return s.claimShard(ctx, queue, lease)
	}
	due, err := s.dueShards(ctx, queue)
	if err != nil {
		return nil, fmt.Errorf("redis: claim: %w", err)
	}
	for _, shard := range due {
		job, err := s.claimShard(ctx, shard, lease)
		if job != nil || err != nil {
			return job, err
		}
		// Another claimer took it: the next shard's job is due too.
	}
	return nil, nil
}

// claimShard leases the job of shard that has been due longest.
func (s *Store) claimShard(ctx context.Context, shard string, lease time.Duration) (*store.Job, error) {
	res, err := s.claim.Run(ctx, s.client,
		[]string{s.queueKey(shard)}, s.jobKeyPrefix(shard), ms(lease)).Slice()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis: claim: %w", err)
	}
	job, err := parseJob(res)
	if err != nil {
		return nil, fmt.Errorf("redis: claim: %w", err)
	}
	return job, nil
}

func parseJob(res []any) (*store.Job, error) {
	if len(res) != 5 {
		return nil, fmt.Errorf("unexpected reply of %d fields", len(res))
	}
	id, _ := res[0].(string)
	attempts, _ := res[1].(int64)
	payload, _ := res[2].(string)
	last, _ := res[4].(string)
	enqueued, err := strconv.ParseInt(fmt.Sprint(res[3]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("job %s: enqueued: %w", id, err)
	}
	return &store.Job{
		ID:       id,
		Payload:  []byte(payload),
		Attempts: int(attempts),
		Enqueued: time.UnixMilli(enqueued),
		LastErr:  last,
	}, nil
}

// Ack removes job id from queue, or returns store.ErrNotFound.
func (s *Store) Ack(ctx context.Context, queue, id string) error {
	shard := store.JobShard(queue, id)
	n, err := s.ack.Run(ctx, s.client,
		[]string{s.queueKey(shard), s.jobKeyPrefix(shard) + id}, id).Int()
	if err != nil {
		return fmt.Errorf("redis: ack: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("redis: ack %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// Retry makes job id due again after delay, recording reason.
func (s *Store) Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error {
	shard := store.JobShard(queue, id)
	n, err := s.retry.Run(ctx, s.client,
		[]string{s.queueKey(shard), s.jobKeyPrefix(shard) + id}, id, ms(delay), reason).Int()
	if err != nil {
		return fmt.Errorf("redis: retry: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("redis: retry %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// Len reports how many jobs queue holds, claimed ones included, across its
// shards (only that shard when queue names one).
func (s *Store) Len(ctx context.Context, queue string) (int, error) {
	shards := []string{queue}
	if _, tag := store.SplitQueue(queue); tag == "" {
		var err error
		if shards, err = s.shards.all(ctx, s, queue); err != nil {
			return 0, fmt.Errorf("redis: len: %w", err)
		}
	}
	cmds := make([]*goredis.IntCmd, len(shards))
	_, err := s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, shard := range shards {
			cmds[i] = p.ZCard(ctx, s.queueKey(shard))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redis: len: %w", err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}
