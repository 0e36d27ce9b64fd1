package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// Jobs run on goroutines of their own, not on a fixed pool of workers: a
// job mostly waits for Salesforce, and a pool sized for one org's latency
// caps every other org's throughput. What bounds them:
//
//   - each tenant (a Zoom account for events, a Salesforce org for Task
//     writes) runs at most Config.Workers jobs at once, so an org whose
//     Salesforce answers in seconds delays only its own calls;
//   - at most maxInflight jobs are held by this instance at once, claimed
//     or waiting for their tenant; past that, webhooks are still taken but
//     left for the claim loops, and the loops stop claiming.
//
// A webhook's job is enqueued already claimed by this instance and run at
// once (no Claim, no poll), and so is the Task write its call decides on;
// the claim loops pick up everything else: retries that fell due, and jobs
// whose instance died before finishing them (their lease ran out).
const (
	// defaultWorkers is ZOOMCTI_WORKERS' default: at 50 ms a Salesforce
	// request, 32 at once is 640 lookups a second for one org.
	defaultWorkers = 32
	maxInflight    = 2048
	// inlineLease is how long a job this instance runs at once stays its
	// own before another instance may claim it.
	inlineLease = cti.InlineLease
)

type dispatcher struct {
	inflight  chan struct{}
	perTenant int
	mu        sync.Mutex
	tenants   map[string]*tenantSlots
}

type tenantSlots struct {
	sem     chan struct{}
	waiting int // jobs holding an inflight slot for this tenant
}

func newDispatcher(perTenant int) *dispatcher {
	if perTenant <= 0 {
		perTenant = defaultWorkers
	}
	return &dispatcher{inflight: make(chan struct{}, maxInflight), perTenant: perTenant, tenants: map[string]*tenantSlots{}}
}

// reserve takes an inflight slot if one is free.
func (d *dispatcher) reserve() bool {
	select {
	case d.inflight <- struct{}{}:
		return true
	default:
		return false
	}
}

// reserveWait takes an inflight slot, waiting for one.
func (d *dispatcher) reserveWait(ctx context.Context) bool {
	select {
	case d.inflight <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (d *dispatcher) release() { <-d.inflight }

// enter waits for one of tenant's slots and returns its release.
func (d *dispatcher) enter(ctx context.Context, tenant string) (leave func(), ok bool) {
	d.mu.Lock()
	t := d.tenants[tenant]
	if t == nil {
		t = &tenantSlots{sem: make(chan struct{}, d.perTenant)}
		d.tenants[tenant] = t
	}
	t.waiting++
	d.mu.Unlock()
	done := func() {
		d.mu.Lock()
		if t.waiting--; t.waiting == 0 {
			delete(d.tenants, tenant)
		}
		d.mu.Unlock()
	}
	select {
	case t.sem <- struct{}{}:
		return func() { <-t.sem; done() }, true
	case <-ctx.Done():
		done()
		return nil, false
	}
}

// runJob runs one job of queue that this instance holds (an inflight slot
// already taken, released here), under its tenant's bound, and settles it.
// ev is the job's event when the intake has it decoded already.
func (s *Server) runJob(ctx context.Context, queue string, job *store.Job, ev *cti.Event) {
	defer s.jobs.release()
	var (
		tenant string
		run    func(context.Context) (bool, error)
	)
	ref := cti.JobRef{Queue: queue, ID: job.ID}
	switch queue {
	case cti.OutboxQueue:
		tenant = outboxTenant(job.Payload)
		now := s.now()
		age := time.Duration(0) // a job run at once is not older than its call's end
		if !job.Enqueued.IsZero() {
			age = now.Sub(job.Enqueued)
		}
		s.metrics.outboxAge.observe(now, age)
		if org := strings.TrimPrefix(tenant, "sf:"); org != "" {
			s.health.outboxHeld(job.ID, org, false, now.Add(jobLease))
		}
		run = func(ctx context.Context) (bool, error) {
			return s.engine.RunJob(ctx, cti.Job{Ref: ref, Payload: job.Payload, Attempts: job.Attempts})
		}
	default:
		if ev == nil {
			e, arrived, err := decodeQueuedAt(job.Payload)
			if err != nil {
				s.settle(ctx, queue, job, false, err)
				return
			}
			ev = &e
			ctx = withArrival(ctx, arrived)
		}
		tenant = "zoom:" + ev.AccountID
		run = func(ctx context.Context) (bool, error) { return s.processEvent(ctx, *ev, ref) }
	}
	acked, ran, err := s.runAs(ctx, tenant, run)
	if !ran {
		s.handBack(ctx, queue, job)
		return
	}
	s.settle(ctx, queue, job, acked, err)
}

// runAs runs fn under one of tenant's slots. A job in progress finishes even
// while shutting down, so that its effects and its acknowledgement agree;
// ran is false when the shutdown came before the job could start.
func (s *Server) runAs(ctx context.Context, tenant string, fn func(context.Context) (bool, error)) (acked, ran bool, err error) {
	leave, ok := s.jobs.enter(ctx, tenant)
	if !ok {
		return false, false, nil
	}
	defer leave()
	jobCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobLease-10*time.Second)
	defer cancel()
	acked, err = fn(jobCtx)
	return acked, true, err
}

// handBack makes a job this instance holds but will not run due again at
// once, so that another instance need not wait for its lease to run out,
// nor, for a Task write, for the write claim its event stored with it.
func (s *Server) handBack(ctx context.Context, queue string, job *store.Job) {
	backCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if queue == cti.OutboxQueue {
		j := cti.Job{Ref: cti.JobRef{Queue: queue, ID: job.ID}, Payload: job.Payload, Attempts: job.Attempts}
		if err := s.engine.HandBack(backCtx, j); err != nil {
			s.log.Warn("cannot give up a call log's write claim; the next attempt waits for it", "job", job.ID, "err", err)
		}
	}
	if err := s.store.Retry(backCtx, queue, job.ID, 0, "handed back at shutdown"); err != nil {
		s.log.Warn("cannot hand a job back; it is claimed again after its lease", "queue", queue, "job", job.ID, "err", err)
	}
}

// outboxTenant is the Salesforce org an outbox job writes to.
func outboxTenant(payload []byte) string {
	var j struct {
		Log *struct {
			Agent cti.Agent `json:"agent"`
		} `json:"log"`
		SMS *struct {
			Agent cti.Agent `json:"agent"`
		} `json:"sms"`
	}
	_ = json.Unmarshal(payload, &j)
	switch {
	case j.Log != nil:
		return "sf:" + j.Log.Agent.OrgID
	case j.SMS != nil:
		return "sf:" + j.SMS.Agent.OrgID
	}
	return "sf:"
}

// settle acknowledges, retries or sets aside a job after it ran. acked
// says the job's own transaction acknowledged it already.
func (s *Server) settle(ctx context.Context, queue string, job *store.Job, acked bool, err error) {
	// The store may be what failed the job: its settling is tried again
	// (settleOp) for 15 s, well within the job's lease, so that a job is
	// due again soon after the store is back rather than after its lease.
	// (deploy/'s tests read the 15 s: shutdown may wait for it.)
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second) // settleFor
	defer cancel()
	// What the admin's health shows of the org's Salesforce writes: done,
	// set aside, or held by this instance until it is tried again.
	org := ""
	if queue == cti.OutboxQueue {
		org = strings.TrimPrefix(outboxTenant(job.Payload), "sf:")
	}
	held := func(delay time.Duration, waiting bool) {
		if org != "" {
			s.health.outboxHeld(job.ID, org, waiting, s.now().Add(delay+jobLease))
		}
	}
	gone := func() {
		if org != "" {
			s.health.outboxDone(job.ID)
		}
	}
	var deferred *cti.DeferError
	switch {
	case err == nil && acked:
		s.metrics.job(queue, jobDone)
		gone()
		return
	case err == nil:
		s.metrics.job(queue, jobDone)
		gone()
		err = settleOp(ackCtx, func(ctx context.Context) error { return s.store.Ack(ctx, queue, job.ID) })
	case errors.Is(err, cti.ErrBadJob):
		s.log.Error("dropping malformed job", "queue", queue, "job", job.ID, "err", err)
		s.metrics.job(queue, jobDead)
		gone()
		if org != "" {
			s.health.add(org, hfTasksAside, 1)
		}
		_ = s.store.Set(ackCtx, deadJobKey(queue, job.ID), job.Payload, 30*24*time.Hour)
		err = settleOp(ackCtx, func(ctx context.Context) error { return s.store.Ack(ctx, queue, job.ID) })
	case errors.As(err, &deferred):
		held(deferred.After, false)
		err = settleOp(ackCtx, func(ctx context.Context) error { return s.store.Retry(ctx, queue, job.ID, deferred.After, "deferred") })
	case errors.Is(err, cti.ErrBusy):
		// Another worker has the call, or holds its Task write's claim: at
		// once again usually, less often when it stays busy (the claim of
		// an instance that died runs out only after two minutes).
		delay := cti.Backoff(job.Attempts, 100*time.Millisecond, 5*time.Second)
		held(delay, false)
		err = settleOp(ackCtx, func(ctx context.Context) error { return s.store.Retry(ctx, queue, job.ID, delay, "busy") })
	case errors.Is(err, cti.ErrCRMPaused), errors.Is(err, cti.ErrSignedOut):
		// Waiting, not failing: the org is out of API requests, or the
		// agent must sign in again. The job keeps its place until then.
		s.metrics.job(queue, jobWaiting)
		held(s.waitDelay, true)
		reason := err.Error()
		err = settleOp(ackCtx, func(ctx context.Context) error { return s.store.Retry(ctx, queue, job.ID, s.waitDelay, reason) })
	default:
		delay := cti.Backoff(job.Attempts, time.Second, maxBackoff)
		s.log.Warn("job failed, will retry", "queue", queue, "job", job.ID, "attempt", job.Attempts, "retry_in", delay.Round(time.Millisecond), "err", err)
		s.metrics.job(queue, jobRetried)
		held(delay, false)
		reason := err.Error()
		err = settleOp(ackCtx, func(ctx context.Context) error { return s.store.Retry(ctx, queue, job.ID, delay, reason) })
	}
	if err != nil {
		s.log.Error("cannot settle job; it will be run again after its lease", "queue", queue, "job", job.ID, "err", err)
	}
}

// settleOp runs op until it succeeds or ctx ends, backing off from 50 ms to
// a second: a store that is restarting or failing over answers again soon.
func settleOp(ctx context.Context, op func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := op(ctx)
		if err == nil || errors.Is(err, store.ErrNotFound) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(cti.Backoff(attempt, 50*time.Millisecond, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// offerInline is the engine's Inline hook: a Task write its call has just
// decided on runs at once when this instance is running and has room; else
// the job is left to the claim loops.
func (s *Server) offerInline() func(*cti.Job) {
	ctx := s.runCtx.Load()
	if ctx == nil || !s.jobs.reserve() {
		return nil
	}
	return func(j *cti.Job) {
		if j == nil {
			s.jobs.release()
			return
		}
		job := &store.Job{ID: j.Ref.ID, Payload: j.Payload, Attempts: 1}
		s.wg.Go(func() { s.runJob(*ctx, j.Ref.Queue, job, nil) })
	}
}
