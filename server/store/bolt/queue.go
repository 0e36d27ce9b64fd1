package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// Each queue is a bucket inside queuesBucket holding two buckets, and a
// third once a transaction has marked an event on it:
//
//	jobs: job id -> jobRecord (JSON)
//	due:  dueKey(due, seq) -> job id
//	once: dedupe key -> expiry (encoded as a KV value with no value)
//
// The due index sorts by due time, then enqueue order, so Claim reads the
// first entry. A claimed job stays in the index, re-keyed to the end of its
// lease: if the consumer dies it simply becomes due again.
//
// Each shard of a queue ("outbox{p07}", see store.SplitQueue) is a bucket of
// its own, named so; a job's id is its sequence number in its shard, after
// the shard's tag ("{p07}12"; "12" in the default shard). Claim on a queue
// looks at the first entry of each shard's due index and takes the one due
// longest.
const (
	jobsBucket = "jobs"
	dueBucket  = "due"
	onceBucket = "once"
)

type jobRecord struct {
	Seq      uint64 `json:"seq"`      // enqueue order, also the id
	Due      int64  `json:"due"`      // Unix ns when it may next be claimed
	Attempts int    `json:"attempts"` // claims so far
	Enqueued int64  `json:"enqueued"` // Unix ns
	LastErr  string `json:"last_err,omitempty"`
	Payload  []byte `json:"payload"`
}

func (r *jobRecord) job(id string) *store.Job {
	return &store.Job{
		ID:       id,
		Payload:  r.Payload,
		Attempts: r.Attempts,
		Enqueued: time.Unix(0, r.Enqueued),
		LastErr:  r.LastErr,
	}
}

// dueKey flips the sign bit so that negative times (a clock before 1970)
// still sort before positive ones as unsigned bytes.
func dueKey(due int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(due)^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func dueOf(key []byte) int64 {
	return int64(binary.BigEndian.Uint64(key) ^ (1 << 63))
}

// queueBuckets returns the jobs and due buckets of queue; nil, nil when the
// queue was never used and create is false.
func queueBuckets(tx *bbolt.Tx, queue string, create bool) (jobs, due *bbolt.Bucket, err error) {
	root := tx.Bucket([]byte(queuesBucket))
	q := root.Bucket([]byte(queue))
	if q == nil {
		if !create {
			return nil, nil, nil
		}
		if q, err = root.CreateBucket([]byte(queue)); err != nil {
			return nil, nil, err
		}
		if _, err = q.CreateBucket([]byte(jobsBucket)); err != nil {
			return nil, nil, err
		}
		if _, err = q.CreateBucket([]byte(dueBucket)); err != nil {
			return nil, nil, err
		}
	}
	return q.Bucket([]byte(jobsBucket)), q.Bucket([]byte(dueBucket)), nil
}

func getRecord(jobs *bbolt.Bucket, id string) (*jobRecord, error) {
	raw := jobs.Get([]byte(id))
	if raw == nil {
		return nil, store.ErrNotFound
	}
	var r jobRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", id, err)
	}
	return &r, nil
}

// putRecord writes r and its due index entry.
func putRecord(jobs, due *bbolt.Bucket, id string, r *jobRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := jobs.Put([]byte(id), raw); err != nil {
		return err
	}
	return due.Put(dueKey(r.Due, r.Seq), []byte(id))
}

// Enqueue adds payload to queue, due now.
func (s *Store) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	var id string
	err := s.update(ctx, "enqueue", func(tx *bbolt.Tx) error {
		var err error
		id, err = s.putJob(tx, queue, payload)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// putJob writes payload as a new job of queue, due now, and returns its id.
func (s *Store) putJob(tx *bbolt.Tx, queue string, payload []byte) (string, error) {
	return s.putLeasedJob(tx, queue, payload, 0)
}

// Claim leases the job that has been due longest, across queue's shards
// (only that shard when queue names one), or returns nil, nil.
func (s *Store) Claim(ctx context.Context, queue string, lease time.Duration) (*store.Job, error) {
	// Idle workers poll: look first without a write transaction, which
	// would cost a disk sync even when there is nothing to claim.
	var ready bool
	if err := s.view(ctx, "claim", func(tx *bbolt.Tx) error {
		_, k := oldestDue(tx, queue)
		ready = k != nil && dueOf(k) <= s.clock().UnixNano()
		return nil
	}); err != nil || !ready {
		return nil, err
	}
	var job *store.Job
	err := s.update(ctx, "claim", func(tx *bbolt.Tx) error {
		job = nil
		now := s.clock().UnixNano()
		shard, k := oldestDue(tx, queue)
		if k == nil || dueOf(k) > now {
			return nil
		}
		jobs, due, err := queueBuckets(tx, shard, false)
		if jobs == nil || err != nil {
			return err
		}
		id := string(due.Get(k))
		r, err := getRecord(jobs, id)
		if err != nil {
			return err
		}
		if err := due.Delete(k); err != nil {
			return err
		}
		r.Due = now + int64(max(lease, 0))
		r.Attempts++
		if err := putRecord(jobs, due, id, r); err != nil {
			return err
		}
		job = r.job(id)
		return nil
	})
	return job, err
}

// shards lists the buckets of queue's shards that exist: every shard of
// it, or only the one it names.
func shards(tx *bbolt.Tx, queue string) []string {
	q, tag := store.SplitQueue(queue)
	if tag != "" {
		return []string{queue}
	}
	var names []string
	c := tx.Bucket([]byte(queuesBucket)).Cursor()
	for k, _ := c.Seek([]byte(q)); k != nil && bytes.HasPrefix(k, []byte(q)); k, _ = c.Next() {
		if base, _ := store.SplitQueue(string(k)); base == q {
			names = append(names, string(k))
		}
	}
	return names
}

// oldestDue returns the shard of queue whose first due-index entry comes
// first, and that entry's key (nil when every shard is empty).
func oldestDue(tx *bbolt.Tx, queue string) (shard string, key []byte) {
	for _, name := range shards(tx, queue) {
		_, due, err := queueBuckets(tx, name, false)
		if due == nil || err != nil {
			continue
		}
		k, _ := due.Cursor().First()
		if k != nil && (key == nil || dueOf(k) < dueOf(key)) {
			shard, key = name, k
		}
	}
	return shard, key
}

// Ack removes job id from queue, or returns store.ErrNotFound.
func (s *Store) Ack(ctx context.Context, queue, id string) error {
	return s.update(ctx, "ack", func(tx *bbolt.Tx) error { return ackJob(tx, queue, id) })
}

func ackJob(tx *bbolt.Tx, queue, id string) error {
	jobs, _, _, err := unindexJob(tx, store.JobShard(queue, id), id)
	if err != nil {
		return err
	}
	return jobs.Delete([]byte(id))
}

// unindexJob takes job id of queue out of the due index and returns its
// record with the queue's buckets, or store.ErrNotFound.
func unindexJob(tx *bbolt.Tx, queue, id string) (jobs, due *bbolt.Bucket, r *jobRecord, err error) {
	jobs, due, err = queueBuckets(tx, queue, false)
	if err != nil {
		return nil, nil, nil, err
	}
	if jobs == nil {
		return nil, nil, nil, store.ErrNotFound
	}
	if r, err = getRecord(jobs, id); err != nil {
		return nil, nil, nil, err
	}
	if err := due.Delete(dueKey(r.Due, r.Seq)); err != nil {
		return nil, nil, nil, err
	}
	return jobs, due, r, nil
}

// Retry makes job id due again after delay, recording reason.
func (s *Store) Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error {
	return s.update(ctx, "retry", func(tx *bbolt.Tx) error {
		jobs, due, r, err := unindexJob(tx, store.JobShard(queue, id), id)
		if err != nil {
			return err
		}
		r.Due = s.clock().UnixNano() + int64(max(delay, 0))
		r.LastErr = reason
		return putRecord(jobs, due, id, r)
	})
}

// Len reports how many jobs queue holds, claimed ones included, across its
// shards (only that shard when queue names one).
func (s *Store) Len(ctx context.Context, queue string) (int, error) {
	var n int
	err := s.view(ctx, "len", func(tx *bbolt.Tx) error {
		for _, name := range shards(tx, queue) {
			jobs, _, err := queueBuckets(tx, name, false)
			if err != nil {
				return err
			}
			if jobs != nil {
				n += jobs.Stats().KeyN
			}
		}
		return nil
	})
	return n, err
}
