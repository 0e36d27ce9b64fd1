package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/zoomcti/zoomcti/server/store"
)

// countersBucket holds the counter sets of Count, apart from the KV keys:
// each value is the usual expiry prefix and the set's fields as JSON.
const countersBucket = "counters"

// Count applies tallies in one transaction (so here a batch is atomic too).
func (s *Store) Count(ctx context.Context, tallies ...store.Tally) error {
	if len(tallies) == 0 {
		return nil
	}
	return s.update(ctx, "count", func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(countersBucket))
		if err != nil {
			return err
		}
		now := s.clock().UnixNano()
		for _, t := range tallies {
			fields, err := decodeCounters(b.Get([]byte(t.Key)), now)
			if err != nil {
				return fmt.Errorf("%s: %w", t.Key, err)
			}
			for f, d := range t.Add {
				fields[f] += d
			}
			for f, v := range t.Max {
				if cur, ok := fields[f]; !ok || v > cur {
					fields[f] = v
				}
			}
			raw, err := json.Marshal(fields)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(t.Key), encodeValue(raw, s.expiry(t.TTL))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Counts reads the counter sets of keys.
func (s *Store) Counts(ctx context.Context, keys ...string) ([]map[string]int64, error) {
	out := make([]map[string]int64, len(keys))
	err := s.view(ctx, "counts", func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(countersBucket))
		now := s.clock().UnixNano()
		for i, k := range keys {
			var raw []byte
			if b != nil {
				raw = b.Get([]byte(k))
			}
			fields, err := decodeCounters(raw, now)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			out[i] = fields
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeCounters reads a stored counter set; an absent or expired one is empty.
func decodeCounters(raw []byte, now int64) (map[string]int64, error) {
	fields := map[string]int64{}
	if !live(raw, now) {
		return fields, nil
	}
	if err := json.Unmarshal(raw[expiryLen:], &fields); err != nil {
		return nil, err
	}
	return fields, nil
}
