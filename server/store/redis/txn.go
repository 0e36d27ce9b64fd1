package redis

import (
	"context"
	"fmt"
	"strings"

	"github.com/zoomcti/zoomcti/server/store"
)

// applyLua makes the changes of a batch of store.Txns, each checked and
// made as its own (one txn's dedupe mark or broken expectation answers that
// txn alone), in one script: Redis runs it alone and writes it to its AOF
// and replicas as one transaction, and pays a script's fixed cost (the call,
// its TIME, its answer key) once per batch instead of once per txn (see
// batch.go). Within a txn the checks (the dedupe mark, the expectations)
// come before any write, and the mark is written last, so an error part way
// can leave at worst a job without its mark (a duplicate job later), never
// a mark without its job; the error answers that txn, and the rest of the
// batch goes on.
//
// The script also leaves, for a minute, the batch's answers under a key
// named by a nonce of this batch (in the slot of its txns on a cluster):
// the client sends a command again when its connection fails, so Redis may
// run the same script twice, and the second run answers the first run's.
// Without it a retried intake would take its own dedupe mark for a
// redelivery's and answer "duplicate" for the delivery it had just stored,
// and a retried engine step would find its own expectation broken by its
// own write (a conflict), read the call again as already popped, and never
// push the pop.
//
// KEYS[1]: the batch's answers; then per txn: [once mark], expect keys, set
// keys, delete keys, (queue, sequence) per enqueue, (queue, job hash) per
// ack. ARGV[1]: the number of txns; then per txn: has once, once ttl ms,
// #expect, #set, #delete, #enqueue, #ack; per expect (present 0/1, value),
// per set (value, ttl ms, if absent 0/1), per enqueue (job key prefix,
// payload, lease ms, id prefix), per ack (id).
// Returns one answer per txn: 'ok' and its new job ids, separated by
// spaces, 'dup', 'conflict', or 'err ' and Redis's error.
const applyLua = nowLua + `
local ran = redis.call('GET', KEYS[1])
if ran then
  local out = {}
  for line in string.gmatch(ran, '[^\n]+') do out[#out + 1] = line end
  return out
end
local function txn(k, a, hasOnce, onceTTL, nE, nS, nD, nQ, nA)
  local mark = k
  if hasOnce then
    if redis.call('EXISTS', KEYS[mark]) == 1 then return 'dup' end
    k = k + 1
  end
  for i = 1, nE do
    local v = redis.call('GET', KEYS[k])
    if ARGV[a] == '1' then
      if v ~= ARGV[a + 1] then return 'conflict' end
    elseif v then
      return 'conflict'
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
  local out = 'ok'
  for i = 1, nQ do
    local id = ARGV[a + 3] .. string.format('%016d', redis.call('INCR', KEYS[k + 1]))
    local lease = tonumber(ARGV[a + 2])
    local attempts, due = 0, now
    if lease > 0 then attempts, due = 1, now + lease end
    redis.call('HSET', ARGV[a] .. id, 'payload', ARGV[a + 1], 'attempts', attempts, 'enqueued', string.format('%d', now))
    redis.call('ZADD', KEYS[k], due, id)
    out = out .. ' ' .. id
    k, a = k + 2, a + 4
  end
  for i = 1, nA do
    if redis.call('ZREM', KEYS[k], ARGV[a]) == 1 then redis.call('DEL', KEYS[k + 1]) end
    k, a = k + 2, a + 1
  end
  if hasOnce then
    if onceTTL > 0 then redis.call('SET', KEYS[mark], '1', 'PX', onceTTL) else redis.call('SET', KEYS[mark], '1') end
  end
  return out
end
local out = {}
local k, a = 2, 2
for t = 1, tonumber(ARGV[1]) do
  local hasOnce, onceTTL = ARGV[a] == '1', tonumber(ARGV[a + 1])
  local nE, nS, nD, nQ, nA = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  a = a + 7
  local ok, res = pcall(txn, k, a, hasOnce, onceTTL, nE, nS, nD, nQ, nA)
  if not ok then
    if type(res) == 'table' then res = res.err end
    res = 'err ' .. (string.gsub(tostring(res), '%s', ' '))
  end
  out[t] = res
  k = k + nE + nS + nD + 2 * nQ + 2 * nA
  if hasOnce then k = k + 1 end
  a = a + 2 * nE + 3 * nS + 4 * nQ + nA
end
redis.call('SET', KEYS[1], table.concat(out, '\n'), 'PX', 60000)
return out
`

// Apply makes txn's changes in one script (one round trip), shared with the
// txns of other goroutines waiting at the same time (batch.go). A txn whose
// parts are not in one hash slot is refused with store.ErrCrossSlot before
// anything is sent, on one server as on a cluster (which would refuse the
// script anyway, but only once it is a cluster).
func (s *Store) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	c, err := s.newApplyCall(ctx, txn)
	if err != nil {
		return nil, err
	}
	s.batch.run(ctx, c)
	return c.result()
}

// newApplyCall checks txn, registers the shards it enqueues on, and makes
// its part of a batch's script.
func (s *Store) newApplyCall(ctx context.Context, txn store.Txn) (*applyCall, error) {
	slot, err := txn.Slot()
	if err != nil {
		return nil, fmt.Errorf("redis: apply: %w", err)
	}
	for _, j := range txn.Enqueue {
		if err := s.shards.register(ctx, s, j.Queue); err != nil {
			return nil, fmt.Errorf("redis: apply: %w", err)
		}
	}
	c := &applyCall{slot: slot, done: make(chan struct{})}
	c.args = make([]any, 7, 7+2*len(txn.Expect)+3*len(txn.Set)+4*len(txn.Enqueue)+len(txn.Ack))
	c.args[0], c.args[1] = "0", int64(0)
	if m := txn.Once; m != nil {
		c.keys = append(c.keys, s.onceKey(m.Queue, m.Key))
		c.args[0], c.args[1] = "1", ms(m.TTL)
	}
	c.args[2], c.args[3], c.args[4], c.args[5], c.args[6] = len(txn.Expect), len(txn.Set), len(txn.Delete), len(txn.Enqueue), len(txn.Ack)
	for _, e := range txn.Expect {
		c.keys = append(c.keys, s.kvKey(e.Key))
		if e.Value == nil {
			c.args = append(c.args, "0", "")
		} else {
			c.args = append(c.args, "1", e.Value)
		}
	}
	for _, p := range txn.Set {
		c.keys = append(c.keys, s.kvKey(p.Key))
		nx := "0"
		if p.IfAbsent {
			nx = "1"
		}
		c.args = append(c.args, p.Value, ms(p.TTL), nx)
	}
	for _, k := range txn.Delete {
		c.keys = append(c.keys, s.kvKey(k))
	}
	for _, j := range txn.Enqueue {
		c.keys = append(c.keys, s.queueKey(j.Queue), s.seqKey(j.Queue))
		c.args = append(c.args, s.jobKeyPrefix(j.Queue), j.Payload, ms(j.Lease), idPrefix(j.Queue))
	}
	for _, r := range txn.Ack {
		shard := store.JobShard(r.Queue, r.ID)
		c.keys = append(c.keys, s.queueKey(shard), s.jobKeyPrefix(shard)+r.ID)
		c.args = append(c.args, r.ID)
	}
	return c, nil
}

// result is what Apply answers for c once its batch is back.
func (c *applyCall) result() ([]string, error) {
	if c.gaveUp != nil {
		return nil, fmt.Errorf("redis: apply: %w", c.gaveUp)
	}
	answer, err := c.answer, c.err
	if err != nil {
		return nil, fmt.Errorf("redis: apply: %w", err)
	}
	switch {
	case answer == "dup":
		return nil, store.ErrDuplicate
	case answer == "conflict":
		return nil, store.ErrConflict
	case strings.HasPrefix(answer, "err "):
		return nil, fmt.Errorf("redis: apply: %s", answer[len("err "):])
	case answer != "ok" && !strings.HasPrefix(answer, "ok "):
		return nil, fmt.Errorf("redis: apply: unexpected reply %q", answer)
	}
	return strings.Fields(answer)[1:], nil
}
