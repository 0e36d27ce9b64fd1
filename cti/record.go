package cti

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Zoom's post-call records (the call history of a user) are the
// authoritative account of a call. The engine logs from them when the live
// events never came (webhooks lost: Zoom gives up after three retries), and
// the reconcile job logs from them for whole date ranges. Both go through
// the same write as the live path, keyed by call and agent, so no call is
// ever logged twice whichever path gets there first.

// LogOutcome says what LogRecord did.
type LogOutcome int

// The outcomes of LogRecord.
const (
	AlreadyLogged LogOutcome = iota // the call had its Task already (or the agent discarded its wrap-up)
	LoggedNow                       // LogRecord wrote the Task
	WrapUpQueued                    // the call now waits for the agent's wrap-up (Auto Save Call Logs is off)
	WrapUpWaiting                   // the call was waiting for the agent's wrap-up already: not logged yet
	Ignored                         // an internal call, and the settings ignore those
)

// recordCall turns a post-call record into the call the agent had.
func recordCall(rec CallRecord) *Call {
	dir := rec.Direction
	if rec.Internal {
		dir = Internal
	}
	self, other := rec.Callee, rec.Caller
	if rec.Direction == Outbound {
		self, other = rec.Caller, rec.Callee
	}
	c := &Call{
		ID: rec.CallID, Direction: dir, State: StateEnded, Result: recordResult(rec.Result),
		Self: self, Other: other, Queue: rec.Queue,
		Ringing: rec.Start, Answered: rec.Answer, Ended: rec.End,
	}
	if c.Answered.IsZero() && rec.DurationSeconds > 0 && !c.Ended.IsZero() {
		c.Answered = c.Ended.Add(-time.Duration(rec.DurationSeconds) * time.Second)
	}
	if c.Ended.IsZero() && !c.Answered.IsZero() {
		c.Ended = c.Answered.Add(time.Duration(rec.DurationSeconds) * time.Second)
	}
	return c
}

// recordResult maps Zoom's call-history results (v2 and the legacy call
// log's) to the engine's.
func recordResult(r string) CallResult {
	switch strings.ToLower(strings.ReplaceAll(r, " ", "_")) {
	case "answered", "accepted", "picked_up", "connected", "succeeded", "call_connected", "":
		return ResultCompleted
	case "voicemail":
		return ResultVoicemail
	case "rejected", "busy", "blocked":
		return ResultRejected
	case "no_answer", "ring_timeout", "missed", "abandoned", "canceled", "call_cancel", "call_cancelled", "hang_up", "overflowed":
		return ResultMissed
	}
	return CallResult(strings.ToLower(r))
}

// Logged reports whether the agent's Task for callID is known to exist.
func (e *Engine) Logged(ctx context.Context, a Agent, callID string) (bool, error) {
	_, err := e.cfg.KV.Get(ctx, logKey(a, callID))
	if errors.Is(err, e.cfg.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// markOutlived reports whether a call that started at start may have been
// logged and its mark have expired since: reconcile reaches back six
// months (Zoom's call history), the mark lives loggedTTL from its write,
// which comes after the call. A younger call without one was never logged.
// A day's slack covers the clocks; without a start, it may have.
func (e *Engine) markOutlived(start time.Time) bool {
	return start.IsZero() || e.now().Sub(start) > loggedTTL-24*time.Hour
}

// LogRecord writes the Task for a post-call record now, unless the call has
// one already.
func (e *Engine) LogRecord(ctx context.Context, a Agent, rec CallRecord) (LogOutcome, error) {
	if rec.CallID == "" {
		return AlreadyLogged, fmt.Errorf("%w: call record without a call id", ErrBadJob)
	}
	done, err := e.Logged(ctx, a, rec.CallID)
	if err != nil {
		return AlreadyLogged, err
	}
	if done {
		return AlreadyLogged, nil
	}
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return AlreadyLogged, err
	}
	c := recordCall(rec)
	if c.Direction == Internal && set.IgnoreInternalCalls {
		return Ignored, nil
	}
	if e.markOutlived(rec.Start) {
		// Logged long ago, its mark may have expired since: Salesforce
		// knows. Found, it is marked again and no wrap-up is asked for.
		id, err := e.cfg.CRM.FindTask(ctx, a, rec.CallID)
		if err != nil {
			return AlreadyLogged, fmt.Errorf("cti: look for an old call's log: %w", err)
		}
		if id != "" {
			return AlreadyLogged, e.markLogged(ctx, logKey(a, rec.CallID), id, JobRef{})
		}
	}
	if pending, err := e.wrapUpPending(ctx, a, rec.CallID); err != nil {
		return AlreadyLogged, err
	} else if pending {
		return WrapUpWaiting, nil
	}
	if err := e.match(ctx, a, c); err != nil {
		return AlreadyLogged, err
	}
	if !set.AutoSaveCallLogs {
		b := &batch{}
		if err := e.saveWrapUp(b, a, c, set); err != nil {
			return AlreadyLogged, err
		}
		if err := e.apply(ctx, b, JobRef{}); err != nil {
			return AlreadyLogged, err
		}
		return WrapUpQueued, nil
	}
	wrote, _, err := e.writeLog(ctx, *e.logJob(a, c, set), JobRef{}, 0)
	if err != nil {
		return AlreadyLogged, err
	}
	if wrote {
		return LoggedNow, nil
	}
	return AlreadyLogged, nil
}

// handleRecords queues the Task of every record of the agent's whose call
// has none yet: the live events of those calls were lost.
func (e *Engine) handleRecords(ctx context.Context, a Agent, ev Event) error {
	for _, rec := range ev.Records {
		if rec.UserID != "" && rec.UserID != ev.UserID {
			continue
		}
		if err := e.handleRecord(ctx, a, rec); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) handleRecord(ctx context.Context, a Agent, rec CallRecord) error {
	done, err := e.Logged(ctx, a, rec.CallID)
	if err != nil || done {
		return err
	}
	// Under the call's lock, like the live events: whichever of the two
	// paths comes first queues the log and marks the call; the other sees
	// the mark.
	return e.withCall(ctx, a, rec.CallID, func(live *Call) error {
		if live != nil && live.Logged {
			return nil
		}
		set, err := e.cfg.Settings(ctx, a.OrgID)
		if err != nil {
			return err
		}
		c := recordCall(rec)
		if live != nil {
			c.Matches, c.Popped, c.Dialed = live.Matches, live.Popped, live.Dialed
			c.RecordingURL, c.VoicemailURL = live.RecordingURL, live.VoicemailURL
			if live.VoicemailURL != "" {
				c.Result = ResultVoicemail
			}
			c.loaded = live.loaded
		}
		if c.Direction == Internal && set.IgnoreInternalCalls {
			return nil
		}
		if err := e.match(ctx, a, c); err != nil {
			return err
		}
		b := &batch{}
		if err := e.finish(ctx, b, a, c, set); err != nil {
			return err
		}
		c.Logged = true
		if err := e.saveCall(ctx, b, a, c); err != nil {
			return err
		}
		return e.apply(ctx, b, JobRef{})
	})
}
