package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// popNow decides whether this event is the moment to pop: once per call per
// agent, on ringing or on answer as the admin chose, never for a call the
// agent dialled from a record, never after the call is over.
func (e *Engine) popNow(c *Call, set Settings) bool {
	if c.Popped || c.Over() || c.Dialed {
		return false
	}
	if c.LookupFailed == LookupWaiting {
		return false // pops when Salesforce answers (runLookup)
	}
	if set.PopOn == PopOnAnswered {
		return c.State == StateAnswered || c.State == StateHeld
	}
	return true
}

// dialMemory is how long a click to dial waits for its call's events.
const dialMemory = 2 * time.Minute

// DialIntent is a number the agent clicked to dial from a record.
type DialIntent struct {
	Number     string `json:"number"`
	RecordID   string `json:"record_id,omitempty"`
	RecordName string `json:"record_name,omitempty"`
	ObjectType string `json:"object_type,omitempty"`
}

// NoteDial remembers that the agent dialled number from a record, so that
// the outbound call does not pop that record again and logs against it.
func (e *Engine) NoteDial(ctx context.Context, a Agent, d DialIntent) error {
	_, err := e.NoteDialNumber(ctx, a, d)
	return err
}

// NoteDialNumber is NoteDial returning the number in E.164 as the org's
// phone rules read it ("" when they cannot), the form to dial.
func (e *Engine) NoteDialNumber(ctx context.Context, a Agent, d DialIntent) (string, error) {
	e164, err := e.DialNumber(ctx, a, d.Number)
	if err != nil || e164 == "" {
		return "", err
	}
	b, _ := json.Marshal(d)
	return e164, e.cfg.KV.Set(ctx, dialKey(a, e164), b, dialMemory)
}

// DialNumber is number in E.164 as the org's phone rules read it ("" when
// they cannot): what a click to dial dials. It notes nothing, so the
// softphone can show it while the agent decides.
func (e *Engine) DialNumber(ctx context.Context, a Agent, number string) (string, error) {
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return "", err
	}
	return NormalizePhone(number, set.PhoneRules()).E164, nil
}

// checkDialed marks an outbound call that the agent dialled from a record.
func (e *Engine) checkDialed(ctx context.Context, b *batch, a Agent, c *Call) error {
	if c.Direction != Outbound || c.Dialed || c.Matches != nil || c.Other.Number == "" {
		return nil
	}
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return err
	}
	p := NormalizePhone(c.Other.Number, set.PhoneRules())
	if p.E164 == "" {
		return nil
	}
	raw, err := e.cfg.KV.Get(ctx, dialKey(a, p.E164))
	if errors.Is(err, e.cfg.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var d DialIntent
	if json.Unmarshal(raw, &d) != nil {
		return nil
	}
	c.Dialed = true
	if d.RecordID != "" && (d.ObjectType == "Contact" || d.ObjectType == "Lead" || d.ObjectType == "Account") {
		c.Matches = []Match{{ID: d.RecordID, Type: d.ObjectType, Name: d.RecordName, Phone: c.Other.Number}}
	}
	b.del(dialKey(a, p.E164))
	return nil
}

// noteQueueAnswer claims a queue call for the member who answered it, so
// that members who only rang never log it as missed. The claim is a write
// of its own, before the event's step: the key is the queue's members', in
// no agent's slot. Written again when the step is redone, it changes
// nothing; written for a step that then fails, it still says who answered.
func (e *Engine) noteQueueAnswer(ctx context.Context, a Agent, c *Call, ev Event) error {
	if c.Queue.IsQueue() && ev.Kind == KindAnswered {
		if _, err := e.cfg.KV.SetNX(ctx, queueLogKey(a, c.ID), []byte(a.Key()), loggedTTL); err != nil {
			return fmt.Errorf("cti: claim queue call: %w", err)
		}
	}
	return nil
}

// finish settles the log of a call that is over, as the settings say.
func (e *Engine) finish(ctx context.Context, b *batch, a Agent, c *Call, set Settings) error {
	if c.Queue.IsQueue() {
		answered := !c.Answered.IsZero()
		if set.LogQueueCallsToAnsweringMember && !answered {
			c.NoLog = "queue call this member only rang for"
			return nil
		}
		if !set.LogQueueCallsToAnsweringMember {
			if !answered {
				// One Task for the queue call: if nobody answers, the
				// first ringing member's, once the answers had time to come.
				return b.enqueue(outboxJob{Kind: JobQueueMissed, Log: e.logJob(a, c, set), NotBefore: e.now().Add(e.cfg.QueueSettle)}, false)
			}
			owner, err := e.cfg.KV.Get(ctx, queueLogKey(a, c.ID))
			if err == nil && string(owner) != a.Key() {
				c.NoLog = "queue call logged for another member"
				return nil
			}
		}
	}
	if !set.AutoSaveCallLogs {
		return e.saveWrapUp(b, a, c, set)
	}
	j := e.logJob(a, c, set)
	j.Claim = e.claimWith(b, logKey(a, c.ID))
	return b.enqueue(outboxJob{Kind: JobTask, Log: j}, true)
}

// runQueueMissed logs an unanswered queue call for this member, unless
// another member answered it or logged it first.
func (e *Engine) runQueueMissed(ctx context.Context, job outboxJob) error {
	if wait := job.NotBefore.Sub(e.now()); wait > 0 {
		return &DeferError{After: wait}
	}
	j := job.Log
	ok, err := e.cfg.KV.SetNX(ctx, queueLogKey(j.Agent, j.Task.CallObject), []byte(j.Agent.Key()), loggedTTL)
	if err != nil {
		return fmt.Errorf("cti: claim queue call: %w", err)
	}
	if !ok {
		owner, err := e.cfg.KV.Get(ctx, queueLogKey(j.Agent, j.Task.CallObject))
		if err != nil || string(owner) != j.Agent.Key() {
			return err // answered or logged by another member
		}
	}
	set, err := e.cfg.Settings(ctx, j.Agent.OrgID)
	if err != nil {
		return err
	}
	if !set.AutoSaveCallLogs {
		c, err := e.loadCall(ctx, j.Agent, j.Task.CallObject)
		if err != nil || c == nil {
			return err
		}
		b := &batch{}
		if err := e.saveWrapUp(b, j.Agent, c, set); err != nil {
			return err
		}
		return e.apply(ctx, b, JobRef{})
	}
	_, _, err = e.writeLog(ctx, *j, JobRef{}, 0)
	return err
}
