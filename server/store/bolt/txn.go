package bolt

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// Apply makes txn's changes in one bbolt transaction, batched with other
// writers' so that they share one disk sync.
func (s *Store) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	// One file has no slots, but the contract is the same on every store.
	if _, err := txn.Slot(); err != nil {
		return nil, err
	}
	var ids []string
	var refused error // a failed check: nothing is written, but the batch goes on
	err := s.update(ctx, "apply", func(tx *bbolt.Tx) error {
		ids, refused = ids[:0], nil
		now := s.clock().UnixNano()
		var marks *bbolt.Bucket
		if m := txn.Once; m != nil {
			if _, _, err := queueBuckets(tx, m.Queue, true); err != nil {
				return err
			}
			var err error
			marks, err = tx.Bucket([]byte(queuesBucket)).Bucket([]byte(m.Queue)).CreateBucketIfNotExists([]byte(onceBucket))
			if err != nil {
				return err
			}
			if live(marks.Get([]byte(m.Key)), now) {
				refused = store.ErrDuplicate
				return nil
			}
		}
		kv := tx.Bucket([]byte(kvBucket))
		for _, c := range txn.Expect {
			raw := kv.Get([]byte(c.Key))
			ok := !live(raw, now) && c.Value == nil ||
				live(raw, now) && c.Value != nil && bytes.Equal(raw[expiryLen:], c.Value)
			if !ok {
				refused = store.ErrConflict
				return nil
			}
		}
		if m := txn.Once; m != nil {
			if err := marks.Put([]byte(m.Key), encodeValue(nil, s.expiry(m.TTL))); err != nil {
				return err
			}
			if s.afterMark != nil {
				if err := s.afterMark(m.Key); err != nil {
					return err
				}
			}
		}
		for _, p := range txn.Set {
			if p.IfAbsent && live(kv.Get([]byte(p.Key)), now) {
				continue
			}
			if err := kv.Put([]byte(p.Key), encodeValue(p.Value, s.expiry(p.TTL))); err != nil {
				return err
			}
		}
		for _, k := range txn.Delete {
			if err := kv.Delete([]byte(k)); err != nil {
				return err
			}
		}
		for _, j := range txn.Enqueue {
			id, err := s.putLeasedJob(tx, j.Queue, j.Payload, j.Lease)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		for _, a := range txn.Ack {
			if err := ackJob(tx, a.Queue, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// putLeasedJob writes payload as a new job of queue: due now, or with a
// lease already claimed by the caller (one attempt).
func (s *Store) putLeasedJob(tx *bbolt.Tx, queue string, payload []byte, lease time.Duration) (string, error) {
	jobs, due, err := queueBuckets(tx, queue, true)
	if err != nil {
		return "", err
	}
	seq, err := jobs.NextSequence()
	if err != nil {
		return "", err
	}
	now := s.clock().UnixNano()
	r := &jobRecord{Seq: seq, Due: now, Enqueued: now, Payload: payload}
	if lease > 0 {
		r.Due, r.Attempts = now+int64(lease), 1
	}
	id := strconv.FormatUint(seq, 10)
	if _, tag := store.SplitQueue(queue); tag != "" {
		id = "{" + tag + "}" + id
	}
	if err := putRecord(jobs, due, id, r); err != nil {
		return "", err
	}
	return id, nil
}
