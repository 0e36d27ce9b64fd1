package server

import (
	"context"
	"sync"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
)

const (
	jobLease     = 2 * time.Minute // longer than any one job may take
	pollInterval = 250 * time.Millisecond
	maxBackoff   = 5 * time.Minute
)

// claimLoop claims the due jobs of queue (retries, and jobs whose instance
// died before finishing them) and runs each on its own goroutine, as long
// as this instance has room, until ctx is done.
func (s *Server) claimLoop(ctx context.Context, queue string) {
	wake, poll := s.wakeup(queue), s.poll(queue)
	for ctx.Err() == nil {
		if !s.jobs.reserveWait(ctx) {
			return
		}
		job, err := s.store.Claim(ctx, queue, jobLease)
		if err != nil || job == nil {
			s.jobs.release()
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim failed", "queue", queue, "err", err)
				sleep(ctx, time.Second)
				continue
			}
			select {
			case <-ctx.Done():
			case <-wake:
			case <-time.After(poll):
			}
			continue
		}
		s.wg.Go(func() { s.runJob(ctx, queue, job, nil) })
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// wakers let the intake nudge idle workers of this instance at once instead
// of waiting for the next poll.
type wakers struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

func (s *Server) wakeup(queue string) chan struct{} {
	s.wake.mu.Lock()
	defer s.wake.mu.Unlock()
	if s.wake.ch == nil {
		s.wake.ch = map[string]chan struct{}{}
	}
	c, ok := s.wake.ch[queue]
	if !ok {
		c = make(chan struct{}, 1)
		s.wake.ch[queue] = c
	}
	return c
}

// nudge wakes the claim loop of queue, which serves every shard of it.
func (s *Server) nudge(queue string) {
	queue, _ = store.SplitQueue(queue)
	select {
	case s.wakeup(queue) <- struct{}{}:
	default:
	}
}
