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
	Kind string  `json:"kind"` // "task", "queue_missed", "task_update" or "sms"
	Log  *LogJob `json:"log,omitempty"`
	SMS  *SMSJob `json:"sms,omitempty"`
	// NotBefore holds the job back until then.
	NotBefore time.Time `json:"not_before,omitzero"`
	// Until is when a job waiting for something gives up (task_update).
	Until time.Time `json:"until,omitzero"`
}

// logJob is the outbox job that writes the call's Task.
func (e *Engine) logJob(a Agent, c *Call, set Settings) *LogJob {
	// The outbox writes as the Salesforce user; it keeps no Zoom identity,
	// which an agent's disconnect must be able to erase.
	a.ZoomUserID, a.ZoomEmail = "", ""
	j := &LogJob{Agent: a, Task: e.buildTask(a, c, set)}
	if c.LookupFailed != "" {
		j.Lookup = c.Other.Number
	}
	return j
}

// enqueue hands a job to the durable outbox.
func (e *Engine) enqueue(ctx context.Context, job outboxJob) error {
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	if _, err := e.cfg.Outbox.Enqueue(ctx, OutboxQueue, b); err != nil {
		return fmt.Errorf("cti: enqueue %s: %w", job.Kind, err)
	}
	return nil
}

func (e *Engine) buildTask(a Agent, c *Call, set Settings) Task {
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
		subject = "Voicemail from " + number
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
		Fields:                fieldDefaults(set),
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
	if c.RecordingURL != "" {
		d += "\nRecording: " + c.RecordingURL
	}
	if c.VoicemailURL != "" {
		d += "\nVoicemail: " + c.VoicemailURL
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
	case job.Kind == "queue_missed" && job.Log != nil:
		return e.runQueueMissed(ctx, job)
	case job.Kind == "task_update" && job.Log != nil:
		return e.runTaskUpdate(ctx, job)
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
	if errors.Is(err, ErrRejected) {
		id, err = e.createDespiteRejection(ctx, j, err)
	}
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

// fieldDefaults are the admin's extra Task fields with a default value.
func fieldDefaults(set Settings) map[string]string {
	var f map[string]string
	for _, cf := range set.CallLogFields {
		if cf.Default != "" {
			if f == nil {
				f = map[string]string{}
			}
			f[cf.Name] = cf.Default
		}
	}
	return f
}

// ErrRejected is what a CRM returns for a write it will never accept as it
// is (a field the org does not have, a value its picklist refuses, a
// deleted record to relate to).
var ErrRejected = errors.New("cti: Salesforce rejected the record")

// createDespiteRejection saves what it can of a call log Salesforce
// refused: without the admin's extra fields (likely misconfigured), then
// without the related records (perhaps deleted or merged since). What it
// cannot save at all is set aside as a dead job, never retried forever.
func (e *Engine) createDespiteRejection(ctx context.Context, j LogJob, cause error) (string, error) {
	if len(j.Task.Fields) > 0 {
		e.log.Warn("Salesforce refused the call log's extra fields; saving it without them",
			"call_id", j.Task.CallObject, "org_id", j.Agent.OrgID, "err", cause)
		j.Task.Fields = nil
		id, err := e.cfg.CRM.CreateTask(ctx, j.Agent, j.Task)
		if !errors.Is(err, ErrRejected) {
			return id, err
		}
		cause = err
	}
	if j.Task.WhoID != "" || j.Task.WhatID != "" {
		e.log.Warn("Salesforce refused the call log's related records; saving it unrelated",
			"call_id", j.Task.CallObject, "org_id", j.Agent.OrgID, "err", cause)
		j.Task.WhoID, j.Task.WhatID = "", ""
		j.Task.Description += "\n(zoomcti could not relate this call to the matched record)"
		id, err := e.cfg.CRM.CreateTask(ctx, j.Agent, j.Task)
		if !errors.Is(err, ErrRejected) {
			return id, err
		}
		cause = err
	}
	return "", fmt.Errorf("%w: %w", ErrBadJob, cause)
}
