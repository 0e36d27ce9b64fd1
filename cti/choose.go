package cti

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrNoSuchMatch is a choice of a record that is not one of the call's
// matches (or a call zoomcti does not know).
var ErrNoSuchMatch = errors.New("cti: not one of the call's matches")

// ChooseMatch records which of a call's matches the agent picked in the
// softphone's chooser: that record is moved first, so the call is logged on
// it, on any instance and after a reload (the choice is part of the stored
// call). A Task already written for the call is updated to name it; a
// wrap-up waiting for the agent has its own Name field.
func (e *Engine) ChooseMatch(ctx context.Context, a Agent, callID, recordID string) error {
	return e.withCall(ctx, a, callID, func(c *Call) error {
		if c == nil {
			return ErrNoSuchMatch
		}
		i := slices.IndexFunc(c.Matches, func(m Match) bool { return m.ID == recordID })
		if i < 0 {
			return ErrNoSuchMatch
		}
		if c.Chosen == recordID && i == 0 {
			return nil
		}
		chosen := c.Matches[i]
		c.Matches = append([]Match{chosen}, slices.Delete(slices.Clone(c.Matches), i, i+1)...)
		c.Chosen = recordID
		if c.Edit != nil {
			// The latest pick names the record, over an earlier edit's.
			edit := *c.Edit
			edit.WhoID, edit.WhatID = "", ""
			c.Edit = &edit
		}
		set, err := e.cfg.Settings(ctx, a.OrgID)
		if err != nil {
			return fmt.Errorf("cti: settings: %w", err)
		}
		b := &batch{}
		if err := e.storeCall(b, a, c); err != nil {
			return err
		}
		if c.Logged && c.NoLog == "" && set.AutoSaveCallLogs {
			// Written, or on its way: name the chosen record on it.
			if err := b.enqueue(outboxJob{Kind: JobTaskUpdate, Relate: true, Log: e.logJob(a, c, set), Until: e.now().Add(mediaWait)}, false); err != nil {
				return err
			}
		}
		msg := callMessage(c, false, set)
		b.after = append(b.after, func(ctx context.Context) { e.push(ctx, a, c.ID, msg) })
		return e.apply(ctx, b, JobRef{})
	})
}
