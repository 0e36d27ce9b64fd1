package zoomsim

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// RetryDelays are Zoom's waits before each retry of an event the endpoint
// did not acknowledge: 5 minutes after the first attempt, 20 after the
// first retry, 60 after the second, so retries come at +5, +25 and +85
// minutes; after the third Zoom gives up (reference/zoom.md §1.6).
func RetryDelays() []time.Duration {
	return []time.Duration{5 * time.Minute, 20 * time.Minute, 60 * time.Minute}
}

// RetryStamp says which x-zm-request-timestamp a retry carries. Either
// way the retry is correctly signed for the timestamp it carries.
type RetryStamp int

const (
	// FreshStamp signs each retry again with the time it is sent. Whether
	// Zoom does so is UNCONFIRMED (reference/zoom.md is silent); this is
	// the default.
	FreshStamp RetryStamp = iota
	// OriginalStamp repeats the first attempt's timestamp and signature:
	// a retry at +85 minutes carries a timestamp 85 minutes old.
	OriginalStamp
)

// Attempt is one delivery the Redeliverer made.
type Attempt struct {
	Body      []byte
	Retry     int       // 0 for the first attempt, 1 to 3 for Zoom's retries
	At        time.Time // when it was sent, by the Sender's clock
	Timestamp string    // the x-zm-request-timestamp it carried
	Delivery  *Delivery // the endpoint's answer; nil when there was none
	Err       error     // nil when the endpoint acknowledged it (2xx in 3 s)
}

// Redeliverer delivers events as Zoom does, with Zoom's retries: an event
// the endpoint does not acknowledge (non-2xx, no answer within the
// Sender's 3 s, a connection error) is sent again on RetryDelays'
// schedule, counted from the first attempt, until it is acknowledged or
// its third retry fails. It keeps no timer: time is the Sender's Clock,
// and whoever drives it calls RetryDue after that clock has moved (a
// test's fake clock) or Run (real time).
type Redeliverer struct {
	Sender *Sender
	Stamp  RetryStamp
	// Delays replaces RetryDelays when set: the same three retries on a
	// shorter schedule, for a run in real time that cannot wait 85 minutes
	// (zoomcti faults uses Zoom's schedule with minutes read as seconds).
	Delays []time.Duration

	mu      sync.Mutex
	pending []*redelivery
}

// redelivery is an event waiting for its next retry.
type redelivery struct {
	body     []byte
	first    time.Time // the first attempt
	ts       string    // the first attempt's x-zm-request-timestamp
	tracking string    // x-zm-trackingid, the same on every attempt (UNCONFIRMED)
	retries  int       // retries sent so far
}

// delays is the retry schedule in use.
func (r *Redeliverer) delays() []time.Duration {
	if r.Delays != nil {
		return r.Delays
	}
	return RetryDelays()
}

// due is when rd's next retry is due on schedule delays.
func (rd *redelivery) due(delays []time.Duration) time.Time {
	at := rd.first
	for _, d := range delays[:rd.retries+1] {
		at = at.Add(d)
	}
	return at
}

// NewRedeliverer returns a Redeliverer sending with s.
func NewRedeliverer(s *Sender, stamp RetryStamp) *Redeliverer {
	return &Redeliverer{Sender: s, Stamp: stamp}
}

// Deliver makes the first attempt at body and, unless it is acknowledged,
// schedules its retries.
func (r *Redeliverer) Deliver(ctx context.Context, body []byte) Attempt {
	now := r.Sender.now()
	rd := &redelivery{
		body:     body,
		first:    now,
		ts:       strconv.FormatInt(now.Unix(), 10),
		tracking: "v=2.0;clid=us06;rid=WEBHOOK_" + randomHex(12),
	}
	a := r.attempt(ctx, rd, now)
	if a.Err != nil && len(r.delays()) > 0 {
		r.mu.Lock()
		r.pending = append(r.pending, rd)
		r.mu.Unlock()
	}
	return a
}

// RetryDue sends every retry due by the Sender's clock, at most one per
// event, and returns them in the order sent. An event whose retry fails
// waits for its next one; after the third it is dropped.
func (r *Redeliverer) RetryDue(ctx context.Context) []Attempt {
	now := r.Sender.now()
	delays := r.delays()
	r.mu.Lock()
	var due []*redelivery
	keep := r.pending[:0]
	for _, rd := range r.pending {
		if !now.Before(rd.due(delays)) {
			due = append(due, rd)
		} else {
			keep = append(keep, rd)
		}
	}
	r.pending = keep
	r.mu.Unlock()

	var out []Attempt
	for _, rd := range due {
		rd.retries++
		a := r.attempt(ctx, rd, now)
		out = append(out, a)
		if a.Err != nil && rd.retries < len(delays) {
			r.mu.Lock()
			r.pending = append(r.pending, rd)
			r.mu.Unlock()
		}
	}
	return out
}

// Pending is how many events still wait for a retry.
func (r *Redeliverer) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// attempt sends rd once, stamped as r.Stamp says.
func (r *Redeliverer) attempt(ctx context.Context, rd *redelivery, now time.Time) Attempt {
	ts := rd.ts
	if r.Stamp == FreshStamp {
		ts = strconv.FormatInt(now.Unix(), 10)
	}
	d, err := r.Sender.send(ctx, rd.body, ts, rd.tracking)
	return Attempt{Body: rd.body, Retry: rd.retries, At: now, Timestamp: ts, Delivery: d, Err: err}
}
