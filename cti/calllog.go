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
	// Claim is the write claim stored with the job when it was enqueued
	// (see claimWrite): the job's first attempt finding it still in place
	// owns the write without claiming it again, renewing it first when the
	// attempt starts late (ownsClaim).
	Claim string `json:"claim,omitempty"`
}

// outboxJob is the envelope of every outbox payload.
type outboxJob struct {
	Kind JobKind `json:"kind"`
	Log  *LogJob `json:"log,omitempty"`
	SMS  *SMSJob `json:"sms,omitempty"`
	// NotBefore holds the job back until then.
	NotBefore time.Time `json:"not_before,omitzero"`
	// Until is when a job waiting for something gives up (task_update).
	Until time.Time `json:"until,omitzero"`
	// Relate says a task_update also names the call's (chosen) record.
	Relate bool `json:"relate,omitempty"`
	// Edited says a task_update carries the agent's edit of the log: its
	// Name and Related To (cleared too) and the admin's fields.
	Edited bool `json:"edited,omitempty"`
	// Lookup is a lookup job: the call whose number to look up again.
	Lookup *LookupJob `json:"lookup,omitempty"`
}

// LookupJob names a call whose lookup is waiting for Salesforce.
type LookupJob struct {
	Agent  Agent  `json:"agent"`
	CallID string `json:"call_id"`
}

func (e *Engine) lookupJob(a Agent, callID string) *LookupJob {
	a.ZoomUserID, a.ZoomEmail = "", ""
	return &LookupJob{Agent: a, CallID: callID}
}

// shard is the outbox shard the job goes to: its agent's.
func (j outboxJob) shard() string {
	switch {
	case j.Log != nil:
		return OutboxShard(j.Log.Agent)
	case j.SMS != nil:
		return OutboxShard(j.SMS.Agent)
	case j.Lookup != nil:
		return OutboxShard(j.Lookup.Agent)
	}
	return OutboxQueue
}

// logJob is the outbox job that writes the call's Task.
func (e *Engine) logJob(a Agent, c *Call, set Settings) *LogJob {
	// The outbox writes as the Salesforce user; it keeps no Zoom identity,
	// which an agent's disconnect must be able to erase.
	a.ZoomUserID, a.ZoomEmail = "", ""
	j := &LogJob{Agent: a, Task: e.buildTask(a, c, set)}
	if c.Edit != nil {
		// The agent's wrap-up or edit stays on every later update.
		if t, err := applyEdit(WrapUp{Call: *callMessage(c, false, set).Call, Draft: j.Task}, *c.Edit, set); err == nil {
			j.Task = t
		}
	}
	if c.LookupFailed != "" && j.Task.WhoID == "" && j.Task.WhatID == "" {
		j.Lookup = c.Other.Number
	}
	return j
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
	case ResultMissed:
		subject = "Missed c" + subject[1:]
	case ResultRejected:
		subject = "Declined c" + subject[1:]
	case ResultVoicemail:
		subject = "Voicemail from " + number
	}
	day := c.Ringing
	if day.IsZero() {
		day = c.Ended
	}
	if day.IsZero() {
		day = e.now()
	}
	if loc, err := loadZone(a.TimeZone); a.TimeZone != "" && err == nil {
		day = day.In(loc)
	}
	t := Task{
		Subject:               subject,
		CallType:              callType,
		CallDurationInSeconds: int(c.Duration() / time.Second),
		CallObject:            c.ID,
		CallDisposition:       string(c.Result),
		Status:                set.TaskStatus, // empty: the org's own closed status
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
	_, err := e.RunJob(ctx, Job{Payload: payload})
	return err
}

// RunJob performs the outbox job job. acked reports whether the job was
// acknowledged together with its result; when it was not and err is nil,
// the caller acknowledges it.
func (e *Engine) RunJob(ctx context.Context, job Job) (acked bool, err error) {
	var j outboxJob
	if err := json.Unmarshal(job.Payload, &j); err != nil {
		return false, fmt.Errorf("%w: %v", ErrBadJob, err)
	}
	switch {
	case j.Kind == JobSMS && j.SMS != nil:
		return false, e.runSMSJob(ctx, *j.SMS)
	case j.Kind == JobQueueMissed && j.Log != nil:
		return false, e.runQueueMissed(ctx, j)
	case j.Kind == JobTaskUpdate && j.Log != nil:
		return false, e.runTaskUpdate(ctx, j)
	case j.Kind == JobLookup && j.Lookup != nil:
		return false, e.runLookup(ctx, *j.Lookup, job.Attempts)
	case j.Log != nil:
		_, acked, err := e.writeLog(ctx, *j.Log, job.Ref, job.Attempts)
		return acked, err
	}
	return false, fmt.Errorf("%w: unknown kind %q", ErrBadJob, j.Kind)
}

// ErrBadJob marks a payload that can never succeed.
var ErrBadJob = errors.New("cti: malformed outbox job")

// DeferError asks the queue to run the job again after a while, without
// counting it as a failure (for example to let a burst of SMS settle).
type DeferError struct{ After time.Duration }

func (d *DeferError) Error() string { return fmt.Sprintf("cti: deferred for %s", d.After) }

// writeLog writes j's Task unless the call is logged already, and records
// it as logged together with the acknowledgement of ack (if any): two
// store writes in all, one claiming the write and one recording it.
func (e *Engine) writeLog(ctx context.Context, j LogJob, ack JobRef, attempts int) (wrote, acked bool, err error) {
	base := logKey(j.Agent, j.Task.CallObject)
	if done, err := e.logged(ctx, base); err != nil || done {
		return false, false, err
	}
	var earlier bool
	if !e.ownsClaim(ctx, base, j.Claim, attempts) {
		if earlier, err = e.claimWrite(ctx, base); err != nil {
			return false, false, err
		}
	}
	defer func() {
		if err != nil {
			e.releaseWrite(ctx, base)
		}
	}()
	// Written by whoever held the claim before us?
	if done, err := e.logged(ctx, base); err != nil || done {
		return false, false, err
	}
	// An earlier attempt that got as far as the write may have created the
	// Task before it crashed or timed out: ask Salesforce before writing
	// again. In the common case there is no such attempt and this costs
	// nothing.
	if earlier {
		id, err := e.cfg.CRM.FindTask(ctx, j.Agent, j.Task.CallObject)
		if err != nil {
			return false, false, fmt.Errorf("cti: look for earlier call log: %w", err)
		}
		if id != "" {
			return false, ack.ID != "", e.markLogged(ctx, base, id, ack)
		}
	}
	if j.Lookup != "" && j.Task.WhoID == "" && j.Task.WhatID == "" {
		matches, err := e.cfg.CRM.FindByPhone(ctx, j.Agent, j.Lookup)
		if err != nil {
			return false, false, fmt.Errorf("cti: find caller for call log %s: %w", j.Task.CallObject, err)
		}
		j.Task.WhoID, j.Task.WhatID = relatedTo(matches)
	}
	id, err := e.cfg.CRM.CreateTask(ctx, j.Agent, j.Task)
	if errors.Is(err, ErrRejected) {
		id, err = e.createDespiteRejection(ctx, j, err)
	}
	if err != nil {
		return false, false, fmt.Errorf("cti: create call log %s: %w", j.Task.CallObject, err)
	}
	e.log.Info("call logged", "call_id", j.Task.CallObject, "org_id", j.Agent.OrgID, "user_id", j.Agent.UserID, "task_id", id)
	if err := e.markLogged(ctx, base, id, ack); err != nil {
		return true, false, err
	}
	// The softphone refreshes the console so the agent sees the new Task.
	e.push(ctx, j.Agent, j.Task.CallObject, Message{Type: "logged", CallID: j.Task.CallObject, TaskID: id})
	return true, ack.ID != "", nil
}

// logged reports whether the log at base is settled.
func (e *Engine) logged(ctx context.Context, base string) (bool, error) {
	_, err := e.cfg.KV.Get(ctx, base)
	if errors.Is(err, e.cfg.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cti: check call log: %w", err)
	}
	return true, nil
}

// writeClaim is how long one attempt at a Task write holds it.
const writeClaim = 2 * time.Minute

// claimWrite makes this attempt the only one writing the log at base for
// writeClaim, or returns ErrBusy. The claim names when it runs out and is
// kept well past that: an attempt that finds one run out knows an earlier
// attempt may have written the Task (earlier), then crashed.
func (e *Engine) claimWrite(ctx context.Context, base string) (earlier bool, err error) {
	key := base + ":writing"
	cur, err := e.cfg.KV.Get(ctx, key)
	switch {
	case errors.Is(err, e.cfg.NotFound):
		cur = nil
	case err != nil:
		return false, fmt.Errorf("cti: read call log claim: %w", err)
	default:
		until, perr := time.Parse(time.RFC3339Nano, string(cur))
		if perr == nil && e.now().Before(until) {
			return false, ErrBusy
		}
		earlier = true
	}
	until := []byte(e.now().Add(writeClaim).UTC().Format(time.RFC3339Nano))
	_, err = e.cfg.KV.Apply(ctx, Txn{
		Expect: []Cond{{Key: key, Value: cur}},
		Set:    []Put{{Key: key, Value: until, TTL: loggedTTL}},
	})
	if e.isConflict(err) {
		return false, ErrBusy
	}
	if err != nil {
		return false, fmt.Errorf("cti: claim call log: %w", err)
	}
	return earlier, nil
}

// claimWith adds to b a write claim for the log at base, stored with the
// job that will write it (when nobody holds one): the job's first attempt
// then owns the write without a store write of its own.
func (e *Engine) claimWith(b *batch, base string) string {
	until := e.now().Add(writeClaim).UTC().Format(time.RFC3339Nano)
	b.setIfAbsent(base+":writing", []byte(until), loggedTTL)
	return until
}

// HandBack gives up what a job holds before it ran: the write claim its
// event stored with it for its first attempt (claimWith). Left in place,
// the claim would keep the attempt that takes the job next waiting for it
// to run out (writeClaim); given up, that attempt writes at once, without
// asking Salesforce first, since nothing was written. Call it only for a
// job that did not run (a shutting-down instance handing its jobs back).
func (e *Engine) HandBack(ctx context.Context, job Job) error {
	var j outboxJob
	if err := json.Unmarshal(job.Payload, &j); err != nil || j.Log == nil || j.Log.Claim == "" || job.Attempts != 1 {
		return nil
	}
	key := logKey(j.Log.Agent, j.Log.Task.CallObject) + ":writing"
	_, err := e.cfg.KV.Apply(ctx, Txn{Expect: []Cond{{Key: key, Value: []byte(j.Log.Claim)}}, Delete: []string{key}})
	if e.isConflict(err) {
		return nil // not this job's claim any more
	}
	if err != nil {
		return fmt.Errorf("cti: hand back call log claim: %w", err)
	}
	return nil
}

// claimFresh is how soon after the claim stored with a job its first
// attempt must start to write under it as it is: the claim then has at
// least writeClaim-claimFresh left, more than a job may run (the server
// bounds a job at its lease less 10 s, 110 s). A first attempt that starts
// later (its job waited out a backlog, or its org's API pause) renews the
// claim before it writes.
const claimFresh = 10 * time.Second

// ownsClaim reports whether the claim stored with a job is still in place
// for its first attempt, with time enough for the write. A later attempt
// never trusts it: the first may have written the Task before it died, so
// it claims again (and, once the claim has run out, asks Salesforce first).
//
// A first attempt whose claim is still its own but has run out, or nearly,
// renews it in a step that expects it unchanged: nobody else can have
// written the Task (every other writer takes the claim with such a step
// first), and without the renewal another job for the same log could take
// the run-out claim, find no Task yet, and write a second one beside this
// attempt's. (Such a job is rare: while the call's state lasts, callTTL, it
// says the log is queued and no second job is made; after that a reconcile
// or a late call-history event queues one, and an org's API pause that
// held the first can release both at once.)
func (e *Engine) ownsClaim(ctx context.Context, base, claim string, attempts int) bool {
	if claim == "" || attempts != 1 {
		return false
	}
	key := base + ":writing"
	cur, err := e.cfg.KV.Get(ctx, key)
	if err != nil || string(cur) != claim {
		return false
	}
	if until, err := time.Parse(time.RFC3339Nano, claim); err == nil && e.now().Add(writeClaim-claimFresh).Before(until) {
		return true
	}
	renewed := []byte(e.now().Add(writeClaim).UTC().Format(time.RFC3339Nano))
	_, err = e.cfg.KV.Apply(ctx, Txn{
		Expect: []Cond{{Key: key, Value: cur}},
		Set:    []Put{{Key: key, Value: renewed, TTL: loggedTTL}},
	})
	return err == nil
}

// releaseWrite ends this attempt's claim early, after a failure: the next
// attempt need not wait for it to run out, and still asks Salesforce first
// (a write that timed out may have gone through).
func (e *Engine) releaseWrite(ctx context.Context, base string) {
	now := []byte(e.now().UTC().Format(time.RFC3339Nano))
	_, err := e.cfg.KV.Apply(context.WithoutCancel(ctx), Txn{Set: []Put{{Key: base + ":writing", Value: now, TTL: loggedTTL}}})
	if err != nil {
		e.log.Warn("cannot release call log claim; the retry waits for it to run out", "err", err)
	}
}

// markLogged records the Task written for the log at base, drops the
// write's claim and acknowledges ack, in one step.
func (e *Engine) markLogged(ctx context.Context, base, taskID string, ack JobRef) error {
	txn := Txn{Set: []Put{{Key: base, Value: []byte(taskID), TTL: loggedTTL}}, Delete: []string{base + ":writing"}}
	if ack.ID != "" {
		txn.Ack = []JobRef{ack}
	}
	if _, err := e.cfg.KV.Apply(ctx, txn); err != nil {
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
