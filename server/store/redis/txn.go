package redis

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/zoomcti/zoomcti/server/store"
)

// applyLua makes a store.Txn's changes in one script, which Redis runs
// alone and writes to its AOF and replicas as one transaction. The checks
// (the dedupe mark, the expectations) come before any write, and the mark
// is written last, so an error part way can leave at worst a job without
// its mark (a duplicate job later), never a mark without its job.
//
// Every run also leaves, for a minute, its answer (the new job ids) under a
// key named by a nonce of this Apply, in the txn's slot: the client sends a
// pipeline again whole when its connection fails, so Redis may run the same
// script twice, and the second run answers the first run's ids. Without it
// a retried intake would take its own dedupe mark for a redelivery's and
// answer "duplicate" for the delivery it had just stored, and a retried
// engine step would find its own expectation broken by its own write (a
// conflict), read the call again as already popped, and never push the pop.
//
// KEYS: this Apply's answer, [once mark], expect keys, set keys, delete
// keys, (queue, sequence) per enqueue, (queue, job hash) per ack.
// ARGV[1..7]: has once, once ttl ms, #expect, #set, #delete, #enqueue, #ack;
// then per expect (present 0/1, value), per set (value, ttl ms, if absent
// 0/1), per enqueue (job key prefix, payload, lease ms, id prefix), per ack
// (id).
// Returns {'ok', ids...}, {'dup'} or {'conflict'}.
const applyLua = nowLua + `
local hasOnce = ARGV[1] == '1'
local nE, nS, nD, nQ, nA = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local ran = redis.call('GET', KEYS[1])
if ran then
  local out = {'ok'}
  for id in string.gmatch(ran, '%S+') do out[#out + 1] = id end
  return out
end
local k, a = 2, 8
if hasOnce then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'dup'} end
  k = 3
end
for i = 1, nE do
  local v = redis.call('GET', KEYS[k])
  if ARGV[a] == '1' then
    if v ~= ARGV[a + 1] then return {'conflict'} end
  elseif v then
    return {'conflict'}
  end
  k, a = k + 1, a + 2
end
for i = 1, nS do
  local ttl = tonumber(ARGV[a + 1])
  if ARGV[a + 2] == '1' then
    if ttl > 0 then redis.call('SET', KEYS[k], ARGV[a], 'PX', ttl, 'NX') else redis.call('SET', KEYS[k], ARGV[a], 'NX') end
  else
    if ttl > 0 then redis.call('SET', KEYS[k], ARGV[a], 'PX', ttl) else redis.call('SET', KEYS[k], ARGV[a]) end
  end
  k, a = k + 1, a + 3
end
for i = 1, nD do
  redis.call('DEL', KEYS[k])
  k = k + 1
end
local out = {'ok'}
for i = 1, nQ do
  local id = ARGV[a + 3] .. string.format('%016d', redis.call('INCR', KEYS[k + 1]))
  local lease = tonumber(ARGV[a + 2])
  local attempts, due = 0, now
  if lease > 0 then attempts, due = 1, now + lease end
  redis.call('HSET', ARGV[a] .. id, 'payload', ARGV[a + 1], 'attempts', attempts, 'enqueued', string.format('%d', now))
  redis.call('ZADD', KEYS[k], due, id)
  out[#out + 1] = id
  k, a = k + 2, a + 4
end
for i = 1, nA do
  if redis.call('ZREM', KEYS[k], ARGV[a]) == 1 then redis.call('DEL', KEYS[k + 1]) end
  k, a = k + 2, a + 1
end
if hasOnce then
  local ttl = tonumber(ARGV[2])
  if ttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', ttl) else redis.call('SET', KEYS[2], '1') end
end
redis.call('SET', KEYS[1], table.concat(out, ' ', 2), 'PX', 60000)
return out
`

// Apply makes txn's changes in one script (one round trip). A txn whose
// parts are not in one hash slot is refused with store.ErrCrossSlot before
// anything is sent, on one server as on a cluster (which would refuse the
// script anyway, but only once it is a cluster).
func (s *Store) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	if _, err := txn.Slot(); err != nil {
		return nil, fmt.Errorf("redis: apply: %w", err)
	}
	for _, j := range txn.Enqueue {
		if err := s.shards.register(ctx, s, j.Queue); err != nil {
			return nil, fmt.Errorf("redis: apply: %w", err)
		}
	}
	keys := []string{""} // this Apply's answer, named below
	args := make([]any, 7, 7+2*len(txn.Expect)+3*len(txn.Set)+4*len(txn.Enqueue)+len(txn.Ack))
	args[0], args[1] = "0", int64(0)
	if m := txn.Once; m != nil {
		keys = append(keys, s.onceKey(m.Queue, m.Key))
		args[0], args[1] = "1", ms(m.TTL)
	}
	args[2], args[3], args[4], args[5], args[6] = len(txn.Expect), len(txn.Set), len(txn.Delete), len(txn.Enqueue), len(txn.Ack)
	for _, c := range txn.Expect {
		keys = append(keys, s.kvKey(c.Key))
		if c.Value == nil {
			args = append(args, "0", "")
		} else {
			args = append(args, "1", c.Value)
		}
	}
	for _, p := range txn.Set {
		keys = append(keys, s.kvKey(p.Key))
		nx := "0"
		if p.IfAbsent {
			nx = "1"
		}
		args = append(args, p.Value, ms(p.TTL), nx)
	}
	for _, k := range txn.Delete {
		keys = append(keys, s.kvKey(k))
	}
	for _, j := range txn.Enqueue {
		keys = append(keys, s.queueKey(j.Queue), s.seqKey(j.Queue))
		args = append(args, s.jobKeyPrefix(j.Queue), j.Payload, ms(j.Lease), idPrefix(j.Queue))
	}
	for _, r := range txn.Ack {
		shard := store.JobShard(r.Queue, r.ID)
		keys = append(keys, s.queueKey(shard), s.jobKeyPrefix(shard)+r.ID)
		args = append(args, r.ID)
	}
	// The answer's key carries the hash tag of the txn's keys (all in one
	// slot), or, untagged, the whole name of its one key as its tag, which
	// Redis hashes alike.
	tag := s.prefix
	if len(keys) > 1 {
		if tag = store.Tag(keys[1]); tag == "" {
			tag = keys[1]
		}
	}
	keys[0] = s.prefix + "ran:{" + tag + "}:" + rand.Text()
	res, err := s.apply.Run(ctx, s.pipe, keys, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redis: apply: %w", err)
	}
	switch {
	case len(res) > 0 && res[0] == "dup":
		return nil, store.ErrDuplicate
	case len(res) > 0 && res[0] == "conflict":
		return nil, store.ErrConflict
	case len(res) == 0 || res[0] != "ok":
		return nil, fmt.Errorf("redis: apply: unexpected reply %q", res)
	}
	return res[1:], nil
}
