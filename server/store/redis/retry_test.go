package redis_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// dropProxy relays connections to Redis; once armed, it lets the next
// reply Redis sends reach nobody and closes that connection, as a network
// failure after Redis ran the command would. go-redis then sends the
// command again (a pipeline is retried whole on a network error).
type dropProxy struct {
	ln    net.Listener
	armed atomic.Bool
	drops atomic.Int64
	wg    sync.WaitGroup
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.wg.Go(func() { _, _ = io.Copy(r, c); r.Close() })
			p.wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := r.Read(buf)
					if n > 0 && p.armed.CompareAndSwap(true, false) {
						p.drops.Add(1)
						r.Close()
						return
					}
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	return p
}

// A write whose reply is lost after Redis ran it is sent again by the
// client; the second run must answer as the first did: a webhook's intake
// its job (not "duplicate", taking its own dedupe mark for a
// redelivery's), an engine step success (not a conflict with its own
// write).
func TestApplyRetriedAfterALostReplyAnswersAsItsFirstRun(t *testing.T) {
	t.Parallel()
	raw := storetest.RedisURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := newDropProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	s := openPrefix(t, u.String(), uniquePrefix())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	intake := func(key string) ([]string, error) {
		return s.Apply(ctx, store.Txn{Once: &store.Mark{Queue: "events", Key: key, TTL: time.Hour},
			Enqueue: []store.NewJob{{Queue: "events", Payload: []byte(key)}}})
	}
	if _, err := intake("seen:warm"); err != nil { // the script is loaded
		t.Fatal(err)
	}
	p.armed.Store(true)
	ids, err := intake("seen:e1")
	if p.drops.Load() != 1 {
		t.Fatalf("%d replies dropped, want 1", p.drops.Load())
	}
	if err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("the retried intake write took its own mark for a redelivery's: %v", err)
		}
		t.Fatalf("intake: %v", err)
	}
	if n, err := s.Len(ctx, "events"); err != nil || n != 2 {
		t.Fatalf("Len = %d, %v; want the warm-up's job and this one", n, err)
	}
	if len(ids) != 1 {
		t.Fatalf("ids = %v", ids)
	}
	// A redelivery (another write of the same event) is still one.
	if _, err := intake("seen:e1"); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("redelivery: %v, want ErrDuplicate", err)
	}

	// An engine step: the call's state saved over the state it read, and
	// the event's job acknowledged. Run twice, the second run must not
	// find its own write for another's (a conflict: the engine would read
	// the call again, as popped already, and never push the pop).
	job, err := s.Claim(ctx, "events", time.Minute)
	if err != nil || job == nil {
		t.Fatalf("Claim = %+v, %v", job, err)
	}
	step := store.Txn{
		Expect: []store.Cond{{Key: "call:{events}:c1", Value: nil}},
		Set:    []store.Put{{Key: "call:{events}:c1", Value: []byte("popped")}},
		Ack:    []store.JobRef{{Queue: "events", ID: job.ID}},
	}
	p.armed.Store(true)
	if _, err := s.Apply(ctx, step); err != nil {
		t.Fatalf("engine step retried after a lost reply: %v", err)
	}
	if p.drops.Load() != 2 {
		t.Fatalf("%d replies dropped, want 2", p.drops.Load())
	}
	if v, err := s.Get(ctx, "call:{events}:c1"); err != nil || string(v) != "popped" {
		t.Fatalf("call state %q, %v", v, err)
	}
	// Another step over the same expectation is a conflict still.
	if _, err := s.Apply(ctx, step); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second step over a changed state: %v, want ErrConflict", err)
	}
}
