package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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
	opt, err := goredis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	admin := goredis.NewClient(opt)
	defer admin.Close()
	payload := []byte(strings.Repeat("x", 1200))
	var seq atomic.Int64
	cpu0 := redisCPU(b, admin)
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
	b.ReportMetric(float64(redisCPU(b, admin)-cpu0)/float64(b.N), "redis-ns/op")
}

// redisCPU is the CPU time redis-server has used, user and system.
func redisCPU(b *testing.B, c *goredis.Client) time.Duration {
	info, err := c.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}
