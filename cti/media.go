package cti

import (
	"context"
	"errors"
	"time"
)

// Voicemails and recordings come after the call, often after its Task was
// written: their links are added to the Task's description then.

func (e *Engine) handleMedia(ctx context.Context, ev Event) error {
	callID, url := "", ""
	switch {
	case ev.Voicemail != nil:
		callID, url = ev.Voicemail.CallID, ev.Voicemail.DownloadURL
	case ev.Recording != nil:
		callID, url = ev.Recording.CallID, ev.Recording.DownloadURL
	}
	if ev.UserID == "" || callID == "" || url == "" {
		return nil // a queue's voicemail, or nothing to link
	}
	a, err := e.cfg.Directory.AgentByZoomUser(ctx, ev.UserID)
	if err != nil || a == nil {
		return err
	}
	return e.withCall(ctx, *a, callID, func(c *Call) error {
		save := e.saveCall
		if c == nil {
			// The call's own events are late (or lost: then reconcile logs
			// the call); keep the link for when they come. Nothing says the
			// call is in progress: a reconnecting softphone must not show it.
			save = func(_ context.Context, b *batch, a Agent, c *Call) error { return e.storeCall(b, a, c) }
			c = &Call{ID: callID, Direction: Inbound, State: StateRinging}
			if ev.Voicemail != nil {
				c.Other = ev.Voicemail.Caller
			}
		}
		if ev.Kind == KindVoicemail {
			if c.VoicemailURL == url {
				return nil
			}
			c.VoicemailURL = url
			c.Result = ResultVoicemail
		} else {
			if c.RecordingURL == url {
				return nil
			}
			c.RecordingURL = url
		}
		b := &batch{}
		if err := save(ctx, b, *a, c); err != nil {
			return err
		}
		if c.Logged && c.NoLog == "" {
			// The Task exists or is on its way: add the link to it. (Not
			// yet logged: the Task is built later, with the link.)
			set, err := e.cfg.Settings(ctx, a.OrgID)
			if err != nil {
				return err
			}
			if err := b.enqueue(outboxJob{Kind: JobTaskUpdate, Log: e.logJob(*a, c, set), Until: e.now().Add(mediaWait)}, false); err != nil {
				return err
			}
		}
		return e.apply(ctx, b, JobRef{})
	})
}

// mediaWait bounds how long an update waits for its Task to be written.
const mediaWait = 24 * time.Hour

// runTaskUpdate rewrites the Subject and Description of a call's Task once
// it exists.
func (e *Engine) runTaskUpdate(ctx context.Context, job outboxJob) error {
	j := job.Log
	id, err := e.cfg.KV.Get(ctx, logKey(j.Agent, j.Task.CallObject))
	switch {
	case errors.Is(err, e.cfg.NotFound):
		if pending, err := e.wrapUpPending(ctx, j.Agent, j.Task.CallObject); err != nil || pending {
			return err // the wrap-up builds the Task from the call, link included
		}
		if e.now().After(job.Until) {
			return nil // never written (skipped or discarded): nothing to update
		}
		return &DeferError{After: 5 * time.Second}
	case err != nil:
		return err
	case string(id) == discarded:
		return nil
	}
	update := Task{Subject: j.Task.Subject, Description: j.Task.Description, CallDisposition: j.Task.CallDisposition}
	if job.Relate || job.Edited {
		update.WhoID, update.WhatID = j.Task.WhoID, j.Task.WhatID
	}
	if job.Edited {
		// The agent's edit: what they cleared is cleared, and the admin's
		// fields are written too.
		update.Fields = j.Task.Fields
		update.ClearWho, update.ClearWhat = j.Task.WhoID == "", j.Task.WhatID == ""
	}
	err = e.cfg.CRM.UpdateTask(ctx, j.Agent, string(id), update)
	if errors.Is(err, ErrRejected) {
		// Deleted or locked down in Salesforce since: nothing to add to.
		e.log.Warn("call log update refused; leaving it", "call_id", j.Task.CallObject, "task_id", string(id), "err", err)
		return nil
	}
	if err == nil && job.Edited {
		// The agent's change is in Salesforce: the softphone says so and
		// refreshes the console, whose record shows the Task.
		e.push(ctx, j.Agent, j.Task.CallObject, Message{Type: "log_updated", CallID: j.Task.CallObject, TaskID: string(id)})
	}
	return err
}
