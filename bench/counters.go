package bench

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

// What zoomcti bench counts: Salesforce requests, server warnings, store operations.

// apiCounter counts and times the org's requests by kind.
type apiCounter struct {
	conns atomic.Int64 // connections opened to the org

	mu   sync.Mutex
	n    map[string]int
	took map[string][]time.Duration
}

func (c *apiCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, r)
		kind := apiKind(r)
		c.mu.Lock()
		c.n[kind]++
		c.took[kind] = append(c.took[kind], time.Since(t0))
		c.mu.Unlock()
	})
}

func (c *apiCounter) connState(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.conns.Add(1)
	}
}

func apiKind(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/services/oauth2/token"):
		return "token"
	case !strings.HasPrefix(p, "/services/data/"):
		return "other"
	case strings.Contains(p, "/search"):
		return "search"
	case strings.Contains(p, "/query"):
		return "query"
	case strings.Contains(p, "/composite/"):
		return "composite"
	case strings.Contains(p, "/sobjects/") && r.Method == http.MethodPost:
		return "create"
	case strings.Contains(p, "/sobjects/") && r.Method == http.MethodPatch:
		return "update"
	}
	return strings.ToLower(r.Method) + " other"
}

func (c *apiCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// latencies summarizes the answer times of the requests since the last
// call, by kind.
func (c *apiCounter) latencies() map[string]Latencies {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]Latencies{}
	for k, d := range c.took {
		out[k] = summarize(d)
	}
	c.took = map[string][]time.Duration{}
	return out
}

// benchLog counts the server's warnings and errors by message and passes
// them on to next, if any.
type benchLog struct {
	next   slog.Handler
	mu     *sync.Mutex
	counts map[string]int
}

func (h *benchLog) Enabled(ctx context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *benchLog) Handle(ctx context.Context, r slog.Record) error {
	h.lock()
	h.counts[r.Level.String()+" "+r.Message]++
	h.unlock()
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *benchLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithAttrs(as)
	}
	return &c
}

func (h *benchLog) WithGroup(name string) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

func (h *benchLog) lock()   { h.mu.Lock() }
func (h *benchLog) unlock() { h.mu.Unlock() }

func (h *benchLog) snapshot() map[string]int {
	h.lock()
	defer h.unlock()
	out := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}

// countingStore is the server's store as the bench hands it over: every
// call counted and timed by operation, to tell what a call costs the store.
type countingStore struct {
	store.Store
	ops [numStoreOps]struct{ n, ns atomic.Int64 }
}

const (
	opGet = iota
	opSet
	opSetNX
	opCompareAndDelete
	opDelete
	opKeys
	opEnqueue
	opClaim
	opClaimEmpty
	opAck
	opRetry
	opPublish
	opApply
	opCount
	numStoreOps
)

var storeOpNames = [numStoreOps]string{"Get", "Set", "SetNX", "CompareAndDelete", "Delete", "Keys", "Enqueue", "Claim", "Claim (empty)", "Ack", "Retry", "Publish", "Apply", "Count"}

// storeOpWrites are the operations that change the store; on the embedded
// store each is a transaction of its own, committed with an fdatasync. A
// claim that finds nothing due writes nothing (bbolt looks first in a
// read-only transaction; the Redis script only reads), so it is a read.
// Count is the admin health figures' flush: one every few seconds, not per
// call.
var storeOpWrites = [numStoreOps]bool{opSet: true, opSetNX: true, opCompareAndDelete: true, opDelete: true,
	opEnqueue: true, opClaim: true, opAck: true, opRetry: true, opApply: true, opCount: true}

// storeOpReads are the operations that only read (Len, which the bench
// itself polls, is not counted).
var storeOpReads = [numStoreOps]bool{opGet: true, opKeys: true}

func (s *countingStore) note(op int, t0 time.Time) {
	s.ops[op].n.Add(1)
	s.ops[op].ns.Add(int64(time.Since(t0)))
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	defer s.note(opGet, time.Now())
	return s.Store.Get(ctx, key)
}

func (s *countingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	defer s.note(opSet, time.Now())
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *countingStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	defer s.note(opSetNX, time.Now())
	return s.Store.SetNX(ctx, key, value, ttl)
}

func (s *countingStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	defer s.note(opCompareAndDelete, time.Now())
	return s.Store.CompareAndDelete(ctx, key, value)
}

func (s *countingStore) Delete(ctx context.Context, keys ...string) error {
	defer s.note(opDelete, time.Now())
	return s.Store.Delete(ctx, keys...)
}

func (s *countingStore) Keys(ctx context.Context, prefix string) ([]string, error) {
	defer s.note(opKeys, time.Now())
	return s.Store.Keys(ctx, prefix)
}

func (s *countingStore) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	defer s.note(opEnqueue, time.Now())
	return s.Store.Enqueue(ctx, queue, payload)
}

func (s *countingStore) Claim(ctx context.Context, queue string, lease time.Duration) (*store.Job, error) {
	t0 := time.Now()
	j, err := s.Store.Claim(ctx, queue, lease)
	if j == nil {
		s.note(opClaimEmpty, t0)
	} else {
		s.note(opClaim, t0)
	}
	return j, err
}

func (s *countingStore) Ack(ctx context.Context, queue, id string) error {
	defer s.note(opAck, time.Now())
	return s.Store.Ack(ctx, queue, id)
}

func (s *countingStore) Retry(ctx context.Context, queue, id string, delay time.Duration, reason string) error {
	defer s.note(opRetry, time.Now())
	return s.Store.Retry(ctx, queue, id, delay, reason)
}

func (s *countingStore) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	defer s.note(opApply, time.Now())
	return s.Store.Apply(ctx, txn)
}

func (s *countingStore) Count(ctx context.Context, tallies ...store.Tally) error {
	defer s.note(opCount, time.Now())
	return s.Store.Count(ctx, tallies...)
}

func (s *countingStore) Publish(ctx context.Context, channel string, payload []byte) error {
	defer s.note(opPublish, time.Now())
	return s.Store.Publish(ctx, channel, payload)
}

// StoreOps is what the server asked of its store during the calls.
type StoreOps struct {
	Count map[string]int           // by operation
	Time  map[string]time.Duration // total time spent, by operation
	// Writes counts the operations that change the store.
	Writes    int
	WriteTime time.Duration
	// Reads counts the operations that only read.
	Reads int
}

type storeOpsSnapshot [numStoreOps][2]int64

func (s *countingStore) snapshot() storeOpsSnapshot {
	var out storeOpsSnapshot
	for i := range s.ops {
		out[i] = [2]int64{s.ops[i].n.Load(), s.ops[i].ns.Load()}
	}
	return out
}

func (s *countingStore) since(before storeOpsSnapshot) StoreOps {
	now := s.snapshot()
	ops := StoreOps{Count: map[string]int{}, Time: map[string]time.Duration{}}
	for i := range now {
		n, ns := int(now[i][0]-before[i][0]), time.Duration(now[i][1]-before[i][1])
		if n == 0 {
			continue
		}
		ops.Count[storeOpNames[i]], ops.Time[storeOpNames[i]] = n, ns
		if storeOpWrites[i] {
			ops.Writes += n
			ops.WriteTime += ns
		}
		if storeOpReads[i] {
			ops.Reads += n
		}
	}
	return ops
}
