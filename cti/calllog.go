package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// LogJob is one call log waiting in the outbox.
type LogJob struct {
	Agent Agent `json:"agent"`
	Task  Task  `json:"task"`
	// Lookup is the number to find the Task's WhoId/WhatId for at write
	// time, when no lookup was possible during the call.
	Lookup string `json:"lookup,omitempty"`
}

// outboxJob is the envelope of every outbox payload.
type outboxJob struct {
	Kind string  `json:"kind"` // "task" or "sms"
	Log  *LogJob `json:"log,omitempty"`
	SMS  *SMSJob `json:"sms,omitempty"`
}

func (e *Engine) enqueueLog(ctx context.Context, a Agent, c *Call) error {
	// The outbox writes as the Salesforce user; it keeps no Zoom identity,
	// which an agent's disconnect must be able to erase.
	a.ZoomUserID, a.ZoomEmail = "", ""
	job := outboxJob{Kind: "task", Log: &LogJob{Agent: a, Task: e.buildTask(a, c)}}
	if c.LookupFailed != "" {
		job.Log.Lookup = c.Other.Number
	}
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	if _, err := e.cfg.Outbox.Enqueue(ctx, OutboxQueue, b); err != nil {
		return fmt.Errorf("cti: enqueue call log: %w", err)
	}
	return nil
}

func (e *Engine) buildTask(a Agent, c *Call) Task {
	callType := map[Direction]string{Inbound: "Inbound", Outbound: "Outbound", Internal: "Internal"}[c.Direction]
	if callType == "" {
		callType = "Inbound"
	}
	number := c.Other.Number
	if number == "" {
		number = "unknown number"
	}
	var subject string
	switch c.Direction {
	case Outbound:
		subject = "Call to " + number
	case Internal:
		subject = "Internal call with " + number
	default:
		subject = "Call from " + number
	}
	switch c.Result {
	case "missed":
		subject = "Missed c" + subject[1:]
	case "rejected":
		subject = "Declined c" + subject[1:]
	case "voicemail":
		subject = "Voicemail: " + subject
	}
	day := c.Ringing
	if day.IsZero() {
		day = c.Ended
	}
	if day.IsZero() {
		day = e.now()
	}
	if loc, err := time.LoadLocation(a.TimeZone); a.TimeZone != "" && err == nil {
		day = day.In(loc)
	}
	t := Task{
		Subject:               subject,
		CallType:              callType,
		CallDurationInSeconds: int(c.Duration() / time.Second),
		CallObject:            c.ID,
		CallDisposition:       c.Result,
		Status:                "Completed",
		ActivityDate:          day.Format(time.DateOnly),
		Description:           describe(c),
	}
	t.WhoID, t.WhatID = relatedTo(c.Matches)
	return t
}

// relatedTo links a Task to the best match: a Contact (and its Account), a
// Lead (alone: a Lead WhoId requires an empty WhatId), or an Account.
func relatedTo(matches []Match) (who, what string) {
	if len(matches) == 0 {
		return "", ""
	}
	m := matches[0]
	switch m.Type {
	case "Contact":
		return m.ID, m.AccountID
	case "Lead":
		return m.ID, ""
	default:
		return "", m.ID
	}
}

func describe(c *Call) string {
	d := fmt.Sprintf("Direction: %s\nFrom: %s\nTo: %s\nResult: %s\nTalk time: %ds",
		c.Direction, partyLabel(c, true), partyLabel(c, false), c.Result, int(c.Duration()/time.Second))
	if c.Queue != nil && c.Queue.Name != "" {
		d += "\nQueue: " + c.Queue.Name
	}
	d += "\nZoom call ID: " + c.ID
	return d
}

func partyLabel(c *Call, from bool) string {
	p := c.Self
	if (c.Direction == Outbound) != from {
		p = c.Other
	}
	if p.Number == "" {
		return p.Name
	}
	if p.Name != "" {
		return p.Name + " (" + p.Number + ")"
	}
	return p.Number
}

// RunOutboxJob performs one outbox job: it writes the Task exactly once per
// call per agent, whatever happened before (duplicate jobs, a crash between
// the write and the acknowledgement, another worker on the same call). An
// error means the job should be retried.
func (e *Engine) RunOutboxJob(ctx context.Context, payload []byte) error {
	var job outboxJob
	if err := json.Unmarshal(payload, &job); err != nil {
		return fmt.Errorf("%w: %v", ErrBadJob, err)
	}
	switch {
	case job.Kind == "sms" && job.SMS != nil:
		return e.runSMSJob(ctx, *job.SMS)
	case job.Log != nil:
		_, err := e.writeLog(ctx, *job.Log)
		return err
	}
	return fmt.Errorf("%w: unknown kind %q", ErrBadJob, job.Kind)
}

// ErrBadJob marks a payload that can never succeed.
var ErrBadJob = errors.New("cti: malformed outbox job")

// DeferError asks the queue to run the job again after a while, without
// counting it as a failure (for example to let a burst of SMS settle).
type DeferError struct{ After time.Duration }

func (d *DeferError) Error() string { return fmt.Sprintf("cti: deferred for %s", d.After) }

func (e *Engine) writeLog(ctx context.Context, j LogJob) (wrote bool, err error) {
	base := logKey(j.Agent, j.Task.CallObject)
	if _, err := e.cfg.KV.Get(ctx, base); err == nil {
		return false, nil // already written
	} else if !errors.Is(err, e.cfg.NotFound) {
		return false, fmt.Errorf("cti: check call log: %w", err)
	}
	token := []byte(randomID())
	ok, err := e.cfg.KV.SetNX(ctx, base+":lock", token, 2*time.Minute)
	if err != nil {
		return false, fmt.Errorf("cti: lock call log: %w", err)
	}
	if !ok {
		return false, ErrBusy
	}
	defer e.cfg.KV.CompareAndDelete(context.WithoutCancel(ctx), base+":lock", token)
	// Written by whoever held the lock before us?
	if _, err := e.cfg.KV.Get(ctx, base); err == nil {
		return false, nil
	}

	// A previous attempt that got as far as the write may have created the
	// Task before it crashed or timed out: ask Salesforce before writing
	// again. In the common case there is no such attempt and this costs
	// nothing.
	attempted, err := e.cfg.KV.SetNX(ctx, base+":attempt", []byte("1"), loggedTTL)
	if err != nil {
		return false, fmt.Errorf("cti: mark call log attempt: %w", err)
	}
	if !attempted {
		id, err := e.cfg.CRM.FindTask(ctx, j.Agent, j.Task.CallObject)
		if err != nil {
			return false, fmt.Errorf("cti: look for earlier call log: %w", err)
		}
		if id != "" {
			return false, e.markLogged(ctx, base, id)
		}
	}
	if j.Lookup != "" && j.Task.WhoID == "" && j.Task.WhatID == "" {
		matches, err := e.cfg.CRM.FindByPhone(ctx, j.Agent, j.Lookup)
		if err != nil {
			return false, fmt.Errorf("cti: find caller for call log %s: %w", j.Task.CallObject, err)
		}
		j.Task.WhoID, j.Task.WhatID = relatedTo(matches)
	}
	id, err := e.cfg.CRM.CreateTask(ctx, j.Agent, j.Task)
	if err != nil {
		return false, fmt.Errorf("cti: create call log %s: %w", j.Task.CallObject, err)
	}
	e.log.Info("call logged", "call_id", j.Task.CallObject, "org_id", j.Agent.OrgID, "user_id", j.Agent.UserID, "task_id", id)
	if err := e.markLogged(ctx, base, id); err != nil {
		return true, err
	}
	// The softphone refreshes the console so the agent sees the new Task.
	msg := Message{Type: "logged", CallID: j.Task.CallObject, TaskID: id}
	if err := e.cfg.Notifier.Notify(ctx, j.Agent.Key(), msg); err != nil {
		e.log.Warn("push to softphone failed", "call_id", j.Task.CallObject, "err", err)
	}
	return true, nil
}

func (e *Engine) markLogged(ctx context.Context, base, taskID string) error {
	if err := e.cfg.KV.Set(ctx, base, []byte(taskID), loggedTTL); err != nil {
		return fmt.Errorf("cti: record call log: %w", err)
	}
	return nil
}
