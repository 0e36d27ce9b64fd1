package bolt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// BenchmarkApplyIntake measures the webhook intake's write (a dedupe mark
// and a job, in one Apply) from 32 concurrent writers, as zoomcti bench
// intake sends them: each op is one delivery, durable when Apply returns.
// With shards=1000 the deliveries are spread over a thousand agents'
// shards of the queue, as a call center's are; with shards=1 they all go
// to one agent's, as zoomcti bench intake sends them.
func BenchmarkApplyIntake(b *testing.B) {
	for _, shards := range []int{1, 1000} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			payload := []byte(strings.Repeat("x", 1200))
			var seq atomic.Int64
			ctx := context.Background()
			b.SetParallelism(16) // 32 writers on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					h := sha256.Sum256([]byte(fmt.Sprint(n)))
					shard := "events.ring"
					if shards > 1 {
						shard = store.ShardName(shard, fmt.Sprintf("a%d", n%int64(shards)))
					}
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
			st := s.db.Stats()
			b.ReportMetric(float64(st.TxStats.GetWrite())/float64(b.N), "pages/op")
			b.ReportMetric(float64(b.N)/float64(s.groups.Load()), "writes/commit")
		})
	}
}
