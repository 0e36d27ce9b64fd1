package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// With Auto Save Call Logs off, a call that ends waits for the agent: the
// softphone shows a wrap-up form (notes, disposition, Name and Related To,
// the admin's extra fields), and calls not yet saved stay in the agent's
// list of unlinked call logs until they save or discard them.

// WrapUp is a call waiting for its log.
type WrapUp struct {
	Call    CallView  `json:"call"`
	Draft   Task      `json:"draft"` // what auto-save would have written
	Created time.Time `json:"created"`
}

// WrapUpEdit is what the agent filled in.
type WrapUpEdit struct {
	Subject     string            `json:"subject"`
	Notes       string            `json:"notes"`
	Disposition string            `json:"disposition"`
	WhoID       string            `json:"who_id"`  // "" keeps the draft's, "none" clears it
	WhatID      string            `json:"what_id"` // "" keeps the draft's (unless the Name changed), "none" clears it
	Fields      map[string]string `json:"fields"`
}

const wrapUpTTL = 30 * 24 * time.Hour

// ErrNoWrapUp says there is no such call waiting for a wrap-up.
var ErrNoWrapUp = errors.New("cti: no call log waiting with that id")

// saveWrapUp adds the call's wrap-up to b, and its push to the softphone.
func (e *Engine) saveWrapUp(b *batch, a Agent, c *Call, set Settings) error {
	w := WrapUp{Call: *callMessage(c, false, set).Call, Draft: e.buildTask(a, c, set), Created: e.now()}
	v, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("cti: save wrap-up: %w", err)
	}
	b.set(wrapUpKey(a, c.ID), v, wrapUpTTL)
	b.after = append(b.after, func(ctx context.Context) {
		e.push(ctx, a, c.ID, map[string]any{"type": "wrapup", "wrapup": w})
	})
	return nil
}

func (e *Engine) wrapUpPending(ctx context.Context, a Agent, callID string) (bool, error) {
	_, err := e.cfg.KV.Get(ctx, wrapUpKey(a, callID))
	if errors.Is(err, e.cfg.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// WrapUps lists the agent's calls waiting for a wrap-up, newest first.
func (e *Engine) WrapUps(ctx context.Context, a Agent) ([]WrapUp, error) {
	keys, err := e.cfg.KV.Keys(ctx, wrapUpKey(a, ""))
	if err != nil {
		return nil, err
	}
	out := []WrapUp{}
	for _, k := range keys {
		b, err := e.cfg.KV.Get(ctx, k)
		if errors.Is(err, e.cfg.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var w WrapUp
		if json.Unmarshal(b, &w) == nil {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// CompleteWrapUp checks the agent's edit against the settings and queues
// the Task. Invalid input gets FieldErrors and changes nothing.
func (e *Engine) CompleteWrapUp(ctx context.Context, a Agent, callID string, edit WrapUpEdit) error {
	raw, err := e.cfg.KV.Get(ctx, wrapUpKey(a, callID))
	if errors.Is(err, e.cfg.NotFound) {
		return ErrNoWrapUp
	}
	if err != nil {
		return err
	}
	var w WrapUp
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return err
	}
	// Links that came after the call (a voicemail, a recording) are in the
	// call's state by now.
	if c, err := e.loadCall(ctx, a, callID); err == nil && c != nil {
		who, what := w.Draft.WhoID, w.Draft.WhatID
		w.Draft = e.buildTask(a, c, set)
		w.Draft.WhoID, w.Draft.WhatID = who, what
	}
	t, err := applyEdit(w, edit, set)
	if err != nil {
		return err
	}
	a.ZoomUserID, a.ZoomEmail = "", ""
	job := &LogJob{Agent: a, Task: t}
	return e.withCall(ctx, a, callID, func(c *Call) error {
		b := &batch{}
		if c != nil {
			// Kept with the call, so that a recording's link added to the
			// Task later keeps the agent's notes and choices.
			c.Edit = &edit
			if c.LookupFailed != "" && t.WhoID == "" && t.WhatID == "" {
				job.Lookup = c.Other.Number
			}
			if err := e.storeCall(b, a, c); err != nil {
				return err
			}
		}
		if err := b.enqueue(outboxJob{Kind: JobTask, Log: job}, false); err != nil {
			return err
		}
		b.txn.Expect = append(b.txn.Expect, Cond{Key: wrapUpKey(a, callID), Value: raw})
		b.del(wrapUpKey(a, callID))
		err := e.apply(ctx, b, JobRef{})
		if e.isConflict(err) {
			if pending, perr := e.wrapUpPending(ctx, a, callID); perr == nil && !pending {
				return ErrNoWrapUp // saved or discarded meanwhile (another tab)
			}
		}
		return err
	})
}

// ErrNotLogged says a call has no saved log to edit (yet): it is still
// on, waits for its wrap-up, was discarded, or gets no Task.
var ErrNotLogged = errors.New("cti: this call has no saved call log to edit")

// EditCallLog changes a call's saved log: Name, Related To, notes,
// disposition and the admin's fields, as a wrap-up would. The Task is
// updated (once it is written, if auto-save is still writing it), never
// written twice; the edit is kept with the call, so later updates (a
// recording's link, a pick in the chooser) keep it. Invalid input gets
// FieldErrors and changes nothing.
func (e *Engine) EditCallLog(ctx context.Context, a Agent, callID string, edit WrapUpEdit) error {
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return err
	}
	if err := e.mayEditLog(ctx, a, callID); err != nil {
		return err
	}
	return e.withCall(ctx, a, callID, func(c *Call) error {
		if !loggedCall(c, set) {
			return ErrNotLogged
		}
		// The edit applies to the log as the call built it, not on top of
		// an earlier edit: notes replace notes.
		draft := e.buildTask(a, c, set)
		if _, err := applyEdit(WrapUp{Call: *callMessage(c, false, set).Call, Draft: draft}, edit, set); err != nil {
			return err
		}
		c.Edit = &edit
		b := &batch{}
		if err := e.storeCall(b, a, c); err != nil {
			return err
		}
		if err := b.enqueue(outboxJob{Kind: JobTaskUpdate, Edited: true, Log: e.logJob(a, c, set), Until: e.now().Add(mediaWait)}, false); err != nil {
			return err
		}
		msg := callMessage(c, false, set)
		b.after = append(b.after, func(ctx context.Context) { e.push(ctx, a, c.ID, msg) })
		return e.apply(ctx, b, JobRef{})
	})
}

// mayEditLog refuses a call whose log is not the agent's to change here:
// it waits for its wrap-up (the form is the place for it) or was discarded.
func (e *Engine) mayEditLog(ctx context.Context, a Agent, callID string) error {
	if pending, err := e.wrapUpPending(ctx, a, callID); err != nil {
		return err
	} else if pending {
		return ErrNotLogged
	}
	if done, err := e.cfg.KV.Get(ctx, logKey(a, callID)); err == nil && string(done) == discarded {
		return ErrNotLogged
	} else if err != nil && !errors.Is(err, e.cfg.NotFound) {
		return err
	}
	return nil
}

// loggedCall says whether c is over and has a saved log (auto-saved or
// wrapped up): one EditCallLog may change.
func loggedCall(c *Call, set Settings) bool {
	return c != nil && c.Over() && c.Logged && c.NoLog == "" && !(c.Direction == Internal && set.IgnoreInternalCalls)
}

// SavedLog is a saved call's log as the agent may change it: the call, the
// log as the call built it (Draft, without any edit) and the agent's last
// edit (nil: none), which EditCallLog replaces.
type SavedLog struct {
	WrapUp
	Edit *WrapUpEdit `json:"edit"`
}

// CallLog returns callID's saved log for the agent to change, or
// ErrNotLogged as EditCallLog would.
func (e *Engine) CallLog(ctx context.Context, a Agent, callID string) (SavedLog, error) {
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return SavedLog{}, err
	}
	if err := e.mayEditLog(ctx, a, callID); err != nil {
		return SavedLog{}, err
	}
	c, err := e.loadCall(ctx, a, callID)
	if err != nil {
		return SavedLog{}, err
	}
	if !loggedCall(c, set) {
		return SavedLog{}, ErrNotLogged
	}
	return SavedLog{WrapUp: WrapUp{Call: *callMessage(c, false, set).Call, Draft: e.buildTask(a, c, set), Created: c.Ended}, Edit: c.Edit}, nil
}

// DiscardWrapUp drops a waiting call log for good: the call is marked as
// settled so that reconcile does not log it after all.
func (e *Engine) DiscardWrapUp(ctx context.Context, a Agent, callID string) error {
	if pending, err := e.wrapUpPending(ctx, a, callID); err != nil {
		return err
	} else if !pending {
		return ErrNoWrapUp
	}
	if err := e.cfg.KV.Set(ctx, logKey(a, callID), []byte(discarded), loggedTTL); err != nil {
		return err
	}
	return e.cfg.KV.Delete(ctx, wrapUpKey(a, callID))
}

// discarded is the done-marker of a call log the agent chose not to save.
const discarded = "discarded"

// Salesforce key prefixes of the people a Task's WhoId may name.
func isWho(id string) bool { return strings.HasPrefix(id, "003") || strings.HasPrefix(id, "00Q") }

// ValidRecordID reports whether id has the form of a Salesforce record id:
// 15 or 18 letters and digits.
func ValidRecordID(id string) bool {
	if len(id) != 15 && len(id) != 18 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func applyEdit(w WrapUp, edit WrapUpEdit, set Settings) (Task, error) {
	t := w.Draft
	errs := FieldErrors{}
	if s := strings.TrimSpace(edit.Subject); s != "" {
		if len(s) > 255 {
			errs["subject"] = "at most 255 characters"
		}
		t.Subject = s
	}
	if n := strings.TrimSpace(edit.Notes); n != "" {
		if len(n) > 30000 {
			errs["notes"] = "at most 30,000 characters"
		}
		t.Description = n + "\n\n" + t.Description
	}
	if edit.Disposition != "" {
		if !set.SalesEngagement || !slices.Contains(set.Dispositions, edit.Disposition) {
			errs["disposition"] = "must be one of the admin's dispositions"
		}
		t.CallDisposition = edit.Disposition
	}
	if edit.WhoID == "none" {
		t.WhoID = "" // logged on no one; Related To stays as it is
	} else if edit.WhoID != "" {
		switch {
		case !ValidRecordID(edit.WhoID) || !isWho(edit.WhoID):
			errs["who_id"] = "must be a Contact or Lead"
		case !set.EditableContactLead && !slices.ContainsFunc(w.Call.Matches, func(m Match) bool { return m.ID == edit.WhoID }):
			errs["who_id"] = "must be one of the records that match the number"
		}
		t.WhoID = edit.WhoID
		if t.WhatID != "" && edit.WhatID == "" {
			t.WhatID = "" // the draft's Account went with the draft's Contact
		}
	}
	if edit.WhatID == "none" {
		t.WhatID = "" // related to nothing
	} else if edit.WhatID != "" {
		if !ValidRecordID(edit.WhatID) || isWho(edit.WhatID) {
			errs["what_id"] = "must be a record such as an Account, Opportunity or Case"
		}
		t.WhatID = edit.WhatID
	}
	if strings.HasPrefix(t.WhoID, "00Q") && t.WhatID != "" {
		errs["what_id"] = "a call logged on a Lead cannot be related to another record"
	}
	fields := map[string]string{}
	for _, cf := range set.CallLogFields {
		v, ok := edit.Fields[cf.Name]
		if !ok {
			v = cf.Default
		}
		v = strings.TrimSpace(v)
		key := "fields." + cf.Name
		switch {
		case v == "" && cf.Required:
			errs[key] = cf.Label + " is required"
		case cf.Type == "picklist" && v != "" && !slices.Contains(cf.Options, v):
			errs[key] = "must be one of " + strings.Join(cf.Options, ", ")
		case cf.Type == "text" && len(v) > 255:
			errs[key] = "at most 255 characters"
		case len(v) > 32000:
			errs[key] = "too long"
		}
		if v != "" {
			fields[cf.Name] = v
		}
	}
	for name := range edit.Fields {
		if !slices.ContainsFunc(set.CallLogFields, func(cf CallLogField) bool { return cf.Name == name }) {
			errs["fields."+name] = "is not one of the admin's call log fields"
		}
	}
	if len(errs) > 0 {
		return Task{}, errs
	}
	t.Fields = fields
	if len(fields) == 0 {
		t.Fields = nil
	}
	return t, nil
}
