package cti

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// While Salesforce does not answer (down, slow, or the org out of API
// requests), a ringing call is shown at once with its number and Zoom's
// caller-id name, and the card says the lookup is waiting; it never says
// "no match" for a caller Salesforce simply could not be asked about. A
// lookup job asks again, with backoff, until Salesforce answers or the
// call ends (its Task's writer then looks the number up itself): the match
// fills in, and the call pops then if its pop rule still wants it.

// Lookup retries: soon at first (the call is ringing), then every half
// minute at most.
const (
	lookupRetryBase = time.Second
	lookupRetryMax  = 30 * time.Second
)

// runLookup looks a waiting call's number up again. attempts counts the
// job's runs, this one included (0: unknown).
func (e *Engine) runLookup(ctx context.Context, j LookupJob, attempts int) error {
	var again time.Duration
	err := e.withCall(ctx, j.Agent, j.CallID, func(c *Call) error {
		again = 0
		if c == nil || c.Over() || (c.LookupFailed != LookupWaiting && c.LookupFailed != LookupPaused) {
			return nil // found since, or over: the Task's writer looks it up
		}
		matches, err := e.cfg.CRM.FindByPhone(ctx, j.Agent, c.Other.Number)
		switch {
		case errors.Is(err, ErrCRMPaused):
			if c.LookupFailed == LookupPaused {
				again = Backoff(max(attempts-1, 0), lookupRetryBase, lookupRetryMax)
				return nil
			}
			// Out of API requests now: the console's own search costs
			// nothing, so that is what pops.
			c.Matches, c.LookupFailed = []Match{}, LookupPaused
			again = Backoff(max(attempts-1, 0), lookupRetryBase, lookupRetryMax)
		case errors.Is(err, ErrSignedOut):
			c.Matches, c.LookupFailed = []Match{}, LookupSignedOut
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("cti: look up %s again: %w", c.ID, err)
			}
			again = Backoff(max(attempts-1, 0), lookupRetryBase, lookupRetryMax)
			return nil
		default:
			if matches == nil {
				matches = []Match{}
			}
			c.Matches, c.LookupFailed = matches, ""
		}
		set, err := e.cfg.Settings(ctx, j.Agent.OrgID)
		if err != nil {
			return fmt.Errorf("cti: settings: %w", err)
		}
		pop := e.popNow(c, set)
		if pop {
			c.Popped = true
		}
		b := &batch{}
		if err := e.storeCall(b, j.Agent, c); err != nil {
			return err
		}
		msg := callMessage(c, pop, set)
		b.after = append(b.after, func(ctx context.Context) { e.push(ctx, j.Agent, c.ID, msg) })
		return e.apply(ctx, b, JobRef{})
	})
	if err != nil {
		return err
	}
	if again > 0 {
		return &DeferError{After: again}
	}
	return nil
}
