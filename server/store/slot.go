package store

import (
	"errors"
	"fmt"
	"strings"
)

// Hash tags, queue shards and the one-slot rule.
//
// A Redis Cluster spreads keys over 16,384 hash slots and runs a script (an
// Apply) only when all of its keys are in one slot. A key's slot is the
// hash of its hash tag, the text between its first '{' and the first '}'
// after it, when there is one (and it is not empty), else of the whole
// key. So the contract, on every store alike:
//
//   - KV keys may carry a hash tag ("call:{p07}:…"); keys with the same tag
//     live together.
//   - A queue name may carry one too, "outbox{p07}": that names a shard of
//     the queue "outbox", whose keys (jobs, due order, dedupe marks) carry
//     the tag. A queue name without a tag is its queue's default shard,
//     tagged with the queue's own name. Enqueue and Txn.Enqueue write to the
//     shard named; Claim and Len take a queue's name and cover all its
//     shards. A job's ID carries its shard's tag ("{p07}…", none in the
//     default shard), so Ack, Retry and Txn.Ack find it from the queue's
//     name alone.
//   - Every part of one Txn must be in one slot: all its keys, marks,
//     enqueues and acks carry the same tag, or it touches a single untagged
//     key. Apply refuses any other Txn with ErrCrossSlot before writing
//     anything, on every store, so the embedded and single-server tests
//     prove that what the product applies runs on a cluster too.

// ErrCrossSlot is returned by Apply for a Txn whose parts are not all in one
// hash slot (see Txn.Slot). Nothing was written.
var ErrCrossSlot = errors.New("store: transaction spans hash slots")

// Tag returns s's hash tag: the text between its first '{' and the first
// '}' after it, or "" when there is none or it is empty (Redis Cluster's
// rule).
func Tag(s string) string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i+1:], '}')
	if j <= 0 {
		return ""
	}
	return s[i+1 : i+1+j]
}

// SplitQueue splits a queue name into the queue it belongs to and the tag of
// its shard: "outbox{p07}" is shard "p07" of "outbox"; "outbox" is the
// default shard ("") of "outbox".
func SplitQueue(name string) (queue, tag string) {
	tag = Tag(name)
	if tag == "" {
		return name, ""
	}
	i := strings.IndexByte(name, '{')
	return name[:i] + name[i+len(tag)+2:], tag
}

// ShardName names shard tag of queue (the default shard when tag is "").
func ShardName(queue, tag string) string {
	if tag == "" {
		return queue
	}
	return queue + "{" + tag + "}"
}

// JobShard returns the shard of queue that job id belongs to: the id's tag
// when it has one, else the one queue names.
func JobShard(queue, id string) string {
	q, tag := SplitQueue(queue)
	if t := Tag(id); t != "" {
		tag = t
	}
	return ShardName(q, tag)
}

// shardSlot is the hash tag a shard's keys carry.
func shardSlot(shard string) string {
	q, tag := SplitQueue(shard)
	if tag == "" {
		return "{" + q + "}"
	}
	return "{" + tag + "}"
}

// keySlot is what decides a KV key's slot: its tag, or the key itself.
func keySlot(key string) string {
	if t := Tag(key); t != "" {
		return "{" + t + "}"
	}
	return "key " + key
}

// Slot returns the hash tag (in braces) or the single untagged key that all
// of txn's parts share, "" for an empty Txn, or an error wrapping
// ErrCrossSlot that names two parts in different slots.
func (txn Txn) Slot() (string, error) {
	slot, first := "", ""
	check := func(s, what string) error {
		switch {
		case slot == "":
			slot, first = s, what
		case s != slot:
			return fmt.Errorf("%w: %s and %s (give them one hash tag)", ErrCrossSlot, first, what)
		}
		return nil
	}
	if m := txn.Once; m != nil {
		if err := check(shardSlot(m.Queue), "the mark on queue "+m.Queue); err != nil {
			return "", err
		}
	}
	for _, c := range txn.Expect {
		if err := check(keySlot(c.Key), "key "+c.Key); err != nil {
			return "", err
		}
	}
	for _, p := range txn.Set {
		if err := check(keySlot(p.Key), "key "+p.Key); err != nil {
			return "", err
		}
	}
	for _, k := range txn.Delete {
		if err := check(keySlot(k), "key "+k); err != nil {
			return "", err
		}
	}
	for _, j := range txn.Enqueue {
		if err := check(shardSlot(j.Queue), "queue "+j.Queue); err != nil {
			return "", err
		}
	}
	for _, a := range txn.Ack {
		if err := check(shardSlot(JobShard(a.Queue, a.ID)), "job "+a.ID+" of "+a.Queue); err != nil {
			return "", err
		}
	}
	return slot, nil
}
