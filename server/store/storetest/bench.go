package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// ApplyIntakes runs b.N webhook intake writes (a dedupe mark and a job of
// 1,200 bytes, in one Apply) on s from 32 concurrent writers, as zoomcti
// bench intake sends them, spread over shards of the ringing queue (one
// per agent in a call center; the bench intake's calls all go to one).
func ApplyIntakes(b *testing.B, s store.Store, shards int) {
	b.Helper()
	ctx := context.Background()
	payload := []byte(strings.Repeat("x", 1200))
	var seq atomic.Int64
	b.SetParallelism(16) // 32 writers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			h := sha256.Sum256([]byte(fmt.Sprint(n)))
			shard := store.ShardName("events.ring", fmt.Sprintf("a%d", n%int64(shards)))
			txn := store.Txn{
				Once:    &store.Mark{Queue: shard, Key: "seen:" + hex.EncodeToString(h[:16]), TTL: 72 * time.Hour},
				Enqueue: []store.NewJob{{Queue: shard, Payload: payload, Lease: 30 * time.Second}},
			}
			if _, err := s.Apply(ctx, txn); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
}
