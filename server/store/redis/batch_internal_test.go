package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// A caller that gave up waiting before its call was taken (its context
// ended) is told so, so the batcher must not send its txn after all: a
// webhook answered 500 whose event was stored anyway would be taken for a
// redelivery's duplicate when Zoom sends it again, which is harmless, but
// an engine step reported failed must not have changed the call.
func TestAnAbandonedCallIsLeftOutOfItsBatch(t *testing.T) {
	t.Parallel()
	url := storetest.RedisURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := "zoomcti-test:" + rand.Text()[:12] + ":"
	s, err := Open(ctx, url, Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_ = DeletePrefix(context.Background(), url, prefix)
	})
	step := func(key string) *applyCall {
		c, err := s.newApplyCall(ctx, store.Txn{Set: []store.Put{{Key: key, Value: []byte("popped")}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	kept, abandoned := step("call:{a}:kept"), step("call:{a}:abandoned")
	abandoned.state.Store(callAbandoned)
	// Waiting, as run leaves them, but without waking the batcher: this
	// test flushes them itself.
	s.batch.mu.Lock()
	s.batch.pending = append(s.batch.pending, abandoned, kept)
	s.batch.mu.Unlock()
	if !s.batch.flush() {
		t.Fatal("flush found nothing waiting")
	}
	<-kept.done
	if _, err := kept.result(); err != nil {
		t.Fatalf("the call kept: %v", err)
	}
	select {
	case <-abandoned.done:
		t.Fatal("the abandoned call was sent and answered")
	default:
	}
	if v, err := s.Get(ctx, "call:{a}:abandoned"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the abandoned txn's key = %q, %v; want it never written", v, err)
	}
	if v, err := s.Get(ctx, "call:{a}:kept"); err != nil || string(v) != "popped" {
		t.Fatalf("the kept txn's key = %q, %v", v, err)
	}
}
