package redis_test

import (
	"context"
	"testing"

	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// BenchmarkApplyIntake measures the webhook intake's write from 32
// concurrent writers (storetest.ApplyIntakes), and reports the CPU
// redis-server spent on each (INFO cpu, so only meaningful on a server
// nothing else uses).
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
	cpu0, err := redis.ServerCPU(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	storetest.ApplyIntakes(b, s, 1)
	cpu1, err := redis.ServerCPU(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "redis-ns/op")
}
