package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// A stored value is an 8-byte big-endian expiry (Unix nanoseconds by the
// store's clock, 0 for none) followed by the value itself.
const expiryLen = 8

func encodeValue(value []byte, expires int64) []byte {
	raw := make([]byte, expiryLen+len(value))
	binary.BigEndian.PutUint64(raw, uint64(expires))
	copy(raw[expiryLen:], value)
	return raw
}

// live reports whether a stored value exists and has not expired at now.
func live(raw []byte, now int64) bool {
	if len(raw) < expiryLen {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(raw))
	return exp == 0 || now < exp
}

func (s *Store) expiry(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return s.clock().Add(ttl).UnixNano()
}

// Get returns the value of key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var value []byte
	err := s.view(ctx, "get", func(tx *bbolt.Tx) error {
		raw := tx.Bucket([]byte(kvBucket)).Get([]byte(key))
		if !live(raw, s.clock().UnixNano()) {
			return store.ErrNotFound
		}
		// bbolt memory is only valid inside the transaction.
		value = bytes.Clone(raw[expiryLen:])
		return nil
	})
	return value, err
}

// Set stores value under key; ttl <= 0 means no expiry.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.update(ctx, "set", func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(kvBucket)).Put([]byte(key), encodeValue(value, s.expiry(ttl)))
	})
}

// SetNX stores value under key only if key is absent or expired. bbolt runs
// one write transaction at a time, which makes the check-and-set atomic.
func (s *Store) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	var set bool
	err := s.update(ctx, "setnx", func(tx *bbolt.Tx) error {
		set = false
		b := tx.Bucket([]byte(kvBucket))
		if live(b.Get([]byte(key)), s.clock().UnixNano()) {
			return nil
		}
		set = true
		return b.Put([]byte(key), encodeValue(value, s.expiry(ttl)))
	})
	return set && err == nil, err
}

// CompareAndDelete deletes key only if it holds value.
func (s *Store) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	var deleted bool
	err := s.update(ctx, "compare and delete", func(tx *bbolt.Tx) error {
		deleted = false
		b := tx.Bucket([]byte(kvBucket))
		raw := b.Get([]byte(key))
		if !live(raw, s.clock().UnixNano()) || !bytes.Equal(raw[expiryLen:], value) {
			return nil
		}
		deleted = true
		return b.Delete([]byte(key))
	})
	return deleted && err == nil, err
}

// Delete removes keys; missing keys are not an error.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	return s.update(ctx, "delete", func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(kvBucket))
		for _, k := range keys {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Keys lists the live keys starting with prefix, in byte order.
func (s *Store) Keys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	err := s.view(ctx, "keys", func(tx *bbolt.Tx) error {
		now := s.clock().UnixNano()
		c := tx.Bucket([]byte(kvBucket)).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if live(v, now) {
				keys = append(keys, string(k))
			}
		}
		return nil
	})
	return keys, err
}

// purgeExpired deletes expired keys, counter sets and dedupe marks from the file.
func (s *Store) purgeExpired() error {
	return s.update(context.Background(), "purge expired", func(tx *bbolt.Tx) error {
		now := s.clock().UnixNano()
		if err := purgeBucket(tx.Bucket([]byte(kvBucket)), now); err != nil {
			return err
		}
		if c := tx.Bucket([]byte(countersBucket)); c != nil {
			if err := purgeBucket(c, now); err != nil {
				return err
			}
		}
		queues := tx.Bucket([]byte(queuesBucket))
		var names [][]byte
		if err := queues.ForEachBucket(func(k []byte) error {
			names = append(names, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, name := range names {
			if marks := queues.Bucket(name).Bucket([]byte(onceBucket)); marks != nil {
				if err := purgeBucket(marks, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// purgeBucket deletes b's values that are no longer live at now.
func purgeBucket(b *bbolt.Bucket, now int64) error {
	// Collect first: deleting under a live cursor can skip entries.
	var dead [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if !live(v, now) {
			dead = append(dead, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
