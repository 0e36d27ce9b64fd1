package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/zoomcti/zoomcti/server/store"
)

// ApplyResult is one txn's answer from ApplyTogether.
type ApplyResult struct {
	IDs []string
	Err error
}

// ApplyTogether applies txns as concurrent Applies that found one another
// waiting would be: in one batch (when the batcher is idle and they fit).
func (s *Store) ApplyTogether(ctx context.Context, txns ...store.Txn) []ApplyResult {
	out := make([]ApplyResult, len(txns))
	var calls []*applyCall
	var at []int
	for i, txn := range txns {
		c, err := s.newApplyCall(ctx, txn)
		if err != nil {
			out[i].Err = err
			continue
		}
		calls = append(calls, c)
		at = append(at, i)
	}
	s.batch.run(ctx, calls...)
	for j, c := range calls {
		out[at[j]].IDs, out[at[j]].Err = c.result()
	}
	return out
}

// Waiting is how many Applies wait for a batch.
func (s *Store) Waiting() int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return len(s.batch.pending)
}

// Closing says Close has begun refusing Applies.
func (s *Store) Closing() bool {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return s.batch.closed
}

// Batches is how many scripts the batcher has sent.
func (s *Store) Batches() int64 { return s.batch.sent.Load() }

// Raw is the store's own client, to do to keys what the store never would.
func (s *Store) Raw() goredis.UniversalClient { return s.client }
