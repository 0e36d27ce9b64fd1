package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

const (
	jobLease     = 2 * time.Minute // longer than any one job may take
	pollInterval = 250 * time.Millisecond
	maxBackoff   = 5 * time.Minute
)

// runQueue claims jobs from queue and runs handle on each until ctx is done.
// A job that fails is retried with backoff; it is never dropped, except a
// payload that can never succeed, which is kept aside as dead.
func (s *Server) runQueue(ctx context.Context, queue string, handle func(context.Context, []byte) error) {
	wake, poll := s.wakeup(queue), s.poll(queue)
	for ctx.Err() == nil {
		job, err := s.store.Claim(ctx, queue, jobLease)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claim failed", "queue", queue, "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if job == nil {
			select {
			case <-ctx.Done():
			case <-wake:
			case <-time.After(poll):
			}
			continue
		}
		// A job in progress finishes even while shutting down, so that its
		// effects and its acknowledgement agree.
		jobCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobLease-10*time.Second)
		err = handle(jobCtx, job.Payload)
		cancel()
		ackCtx, cancelAck := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		var deferred *cti.DeferError
		switch {
		case err == nil:
			err = s.store.Ack(ackCtx, queue, job.ID)
		case errors.Is(err, cti.ErrBadJob):
			s.log.Error("dropping malformed job", "queue", queue, "job", job.ID, "err", err)
			s.metrics.add(jobCounter("jobs_dead:", queue), 1)
			_ = s.store.Set(ackCtx, "dead:"+queue+":"+job.ID, job.Payload, 30*24*time.Hour)
			err = s.store.Ack(ackCtx, queue, job.ID)
		case errors.As(err, &deferred):
			err = s.store.Retry(ackCtx, queue, job.ID, deferred.After, "deferred")
		case errors.Is(err, cti.ErrBusy):
			err = s.store.Retry(ackCtx, queue, job.ID, 100*time.Millisecond, "busy")
		case errors.Is(err, cti.ErrCRMPaused), errors.Is(err, cti.ErrSignedOut):
			// Waiting, not failing: the org is out of API requests, or the
			// agent must sign in again. The job keeps its place until then.
			s.metrics.add(jobCounter("jobs_waiting:", queue), 1)
			err = s.store.Retry(ackCtx, queue, job.ID, s.waitDelay, err.Error())
		default:
			delay := backoff(job.Attempts)
			s.log.Warn("job failed, will retry", "queue", queue, "job", job.ID, "attempt", job.Attempts, "retry_in", delay.Round(time.Millisecond), "err", err)
			s.metrics.add(jobCounter("jobs_retried:", queue), 1)
			err = s.store.Retry(ackCtx, queue, job.ID, delay, err.Error())
		}
		cancelAck()
		if err != nil {
			s.log.Error("cannot settle job; it will be retried after its lease", "queue", queue, "job", job.ID, "err", err)
		}
	}
}

// backoff is exponential with full jitter, from 1 s to maxBackoff.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 12)
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
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

func (s *Server) nudge(queue string) {
	select {
	case s.wakeup(queue) <- struct{}{}:
	default:
	}
}
