package redis_test

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
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// BenchmarkApplyIntake measures the webhook intake's write (a dedupe mark
// and a job, in one Apply) from 32 concurrent writers, as zoomcti bench
// intake sends them, and reports the CPU redis-server spent on each
// (INFO cpu, so only meaningful on a server nothing else uses).
func BenchmarkApplyIntake(b *testing.B) {
	url := storetest.RedisURL(b)
	ctx := context.Background()
	prefix := uniquePrefix()
	s, err := redis.Open(ctx, url, redis.Options{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = s.Close()
		_ = redis.DeletePrefix(context.Background(), url, prefix)
	}()
	payload := []byte(strings.Repeat("x", 1200))
	var seq atomic.Int64
	cpu0, err := redis.ServerCPU(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			h := sha256.Sum256([]byte(fmt.Sprint(n)))
			shard := store.ShardName("events.ring", "a1")
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
	cpu1, err := redis.ServerCPU(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "redis-ns/op")
}
