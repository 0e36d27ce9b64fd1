package cti

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
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

// adoptSlack is how far before the call's first ring a record may have
// been created and still count as created for the call (clocks differ).
const adoptSlack = time.Minute

// adoptWindow is how long after a call ended its card still takes a record
// created for it (the agent finishing the new Contact's form).
const adoptWindow = 30 * time.Minute

// AdoptRecord logs a call that found no match on the Contact, Lead or
// Account the agent created for it from the no-match pop: the console
// reports the navigation to the new record, and search alone would miss a
// record this fresh (its index lags). Only a record created since the call
// began counts, and only for a call without a match; anything else is
// ErrNoSuchMatch. It returns the caller's number, whose cached lookup is
// stale now.
func (e *Engine) AdoptRecord(ctx context.Context, a Agent, callID, recordID string) (string, error) {
	var number string
	err := e.withCall(ctx, a, callID, func(c *Call) error {
		if c == nil || c.Direction == Internal || c.Other.Number == "" {
			return ErrNoSuchMatch
		}
		if len(c.Matches) > 0 {
			if c.Chosen == recordID {
				return nil // adopted already (another tab)
			}
			return ErrNoSuchMatch
		}
		if c.Over() && e.now().Sub(c.Ended) > adoptWindow {
			return ErrNoSuchMatch
		}
		m, created, err := e.cfg.CRM.CallRecord(ctx, a, recordID)
		if err != nil {
			return err
		}
		began := c.Ringing
		if began.IsZero() {
			began = c.Answered
		}
		if created.IsZero() || !began.IsZero() && created.Before(began.Add(-adoptSlack)) {
			return fmt.Errorf("%w: %s was not created during the call", ErrNoSuchMatch, recordID)
		}
		set, err := e.cfg.Settings(ctx, a.OrgID)
		if err != nil {
			return fmt.Errorf("cti: settings: %w", err)
		}
		c.Matches, c.Chosen, c.LookupFailed = []Match{m}, m.ID, ""
		number = c.Other.Number
		b := &batch{}
		if err := e.storeCall(b, a, c); err != nil {
			return err
		}
		if c.Logged && c.NoLog == "" {
			if pending, err := e.wrapUpPending(ctx, a, c.ID); err != nil {
				return err
			} else if pending {
				// The waiting wrap-up's draft names the new record.
				if err := e.saveWrapUp(b, a, c, set); err != nil {
					return err
				}
			} else if err := b.enqueue(outboxJob{Kind: JobTaskUpdate, Relate: true, Log: e.logJob(a, c, set), Until: e.now().Add(mediaWait)}, false); err != nil {
				return err
			}
		}
		msg := callMessage(c, false, set)
		b.after = append(b.after, func(ctx context.Context) { e.push(ctx, a, c.ID, msg) })
		return e.apply(ctx, b, JobRef{})
	})
	return number, err
}
