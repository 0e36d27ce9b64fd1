package salesforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// What the cti engine asks of an org (cti.CRM), in cti's words: a call log
// or an SMS thread is a Task, a caller is a Contact, Lead or Account, and
// a Salesforce failure is one of the cti errors the engine acts on.

// Field lengths of the Task fields zoomcti writes.
const (
	maxTextField   = 255
	maxDescription = 32000
)

// FindMatches is FindByPhone in cti's words.
func (c *Client) FindMatches(ctx context.Context, number string, rules cti.PhoneRules) ([]cti.Match, error) {
	found, err := FindByPhone(ctx, c, number, rules)
	if err != nil {
		return nil, err
	}
	out := make([]cti.Match, 0, len(found))
	for _, m := range found {
		out = append(out, cti.Match{ID: m.ID, Type: m.Type, Name: m.Name, Phone: m.Phone, AccountID: m.AccountID, AccountName: m.AccountName})
	}
	return out, nil
}

// CreateTask creates the Task t describes, owned by ownerID, and returns
// its Id. It writes only the fields the user's describe of Task shows as
// createable (field-level security, describe.go); when Salesforce refuses a
// field anyway it describes Task again and tries once more, so a call log
// is not set aside for a field an admin hid since.
func (c *Client) CreateTask(ctx context.Context, ownerID string, t cti.Task) (string, error) {
	var id string
	err := c.writeTask(ctx, taskFields(ownerID, t), true, func(fields map[string]any) error {
		var err error
		id, err = c.Create(ctx, "Task", fields)
		return err
	})
	return id, err
}

// UpdateTask sets the fields of Task id that are set in t (non-empty
// strings, a positive duration); the others stay. Fields are kept to those
// the user may update, as CreateTask does.
func (c *Client) UpdateTask(ctx context.Context, id string, t cti.Task) error {
	fields := taskUpdate(t)
	if len(fields) == 0 {
		return nil
	}
	return c.writeTask(ctx, fields, false, func(fields map[string]any) error {
		if len(fields) == 0 {
			return nil
		}
		return c.Update(ctx, "Task", id, fields)
	})
}

// writeTask runs write with fields kept to those the user may write, then,
// when Salesforce refuses a field, once more after a fresh describe.
func (c *Client) writeTask(ctx context.Context, fields map[string]any, create bool, write func(map[string]any) error) error {
	for attempt := 0; ; attempt++ {
		kept, dropped, err := c.writableTaskFields(ctx, fields, create, attempt > 0)
		if err != nil {
			return err
		}
		if len(dropped) > 0 {
			slices.Sort(dropped)
			c.log.Warn("salesforce: Task fields the user may not write are left out", "fields", strings.Join(dropped, ","))
		}
		err = write(kept)
		if attempt > 0 || !refusedField(err) {
			return err
		}
	}
}

// ChangesTask reports whether UpdateTask with t would change anything.
func ChangesTask(t cti.Task) bool { return len(taskUpdate(t)) > 0 }

// FindTask returns the Id of ownerID's Task whose CallObject is callObject,
// or "" when there is none.
func (c *Client) FindTask(ctx context.Context, ownerID, callObject string) (string, error) {
	q := fmt.Sprintf("SELECT Id FROM Task WHERE CallObject = '%s' AND OwnerId = '%s' LIMIT 1",
		EscapeSOQL(callObject), EscapeSOQL(ownerID))
	recs, err := c.Query(ctx, q)
	if err != nil || len(recs) == 0 {
		return "", err
	}
	return recs[0].ID(), nil
}

// taskFields are the fields of a new Task. Priority is left to the org's
// default (reference §4: required, defaulted): orgs rename "Normal" too, and
// it is a restricted picklist.
func taskFields(ownerID string, t cti.Task) map[string]any {
	fields := map[string]any{
		"Subject":               truncate(t.Subject, maxTextField),
		"Status":                t.Status,
		"Type":                  "Call",
		"TaskSubtype":           "Call",
		"CallType":              t.CallType,
		"CallDurationInSeconds": t.CallDurationInSeconds,
		"CallObject":            truncate(t.CallObject, maxTextField),
		"ActivityDate":          t.ActivityDate,
		"Description":           truncate(t.Description, maxDescription),
		"OwnerId":               ownerID,
	}
	if t.SMS {
		// A text thread is a plain Task: no call fields, and Type left to
		// the org's default (its picklist has no standard SMS value).
		for _, k := range []string{"Type", "CallType", "CallDurationInSeconds"} {
			delete(fields, k)
		}
		fields["TaskSubtype"] = "Task"
	}
	if t.CallDisposition != "" {
		fields["CallDisposition"] = truncate(t.CallDisposition, maxTextField)
	}
	if t.WhoID != "" {
		fields["WhoId"] = t.WhoID
	}
	if t.WhatID != "" {
		fields["WhatId"] = t.WhatID
	}
	for k, v := range t.Fields {
		fields[k] = v
	}
	return fields
}

// taskUpdate are the fields of an existing Task that t changes.
func taskUpdate(t cti.Task) map[string]any {
	fields := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			fields[k] = v
		}
	}
	set("Subject", truncate(t.Subject, maxTextField), t.Subject != "")
	set("Status", t.Status, t.Status != "")
	set("CallDisposition", truncate(t.CallDisposition, maxTextField), t.CallDisposition != "")
	set("Description", truncate(t.Description, maxDescription), t.Description != "")
	set("WhoId", t.WhoID, t.WhoID != "")
	set("WhatId", t.WhatID, t.WhatID != "")
	// An empty lookup is cleared with null (reference §4, sObject Rows).
	set("WhoId", nil, t.WhoID == "" && t.ClearWho)
	set("WhatId", nil, t.WhatID == "" && t.ClearWhat)
	for k, v := range t.Fields {
		fields[k] = v
	}
	set("CallDurationInSeconds", t.CallDurationInSeconds, t.CallDurationInSeconds > 0)
	set("ActivityDate", t.ActivityDate, t.ActivityDate != "")
	return fields
}

// truncate keeps the first n characters of s.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// SignInRequired is a failure after which the user must sign in to
// Salesforce again; errors.Is(err, cti.ErrSignedOut) holds for it. Reason
// says why, in the user's words.
type SignInRequired struct {
	Reason string
	err    error
}

func (e *SignInRequired) Error() string { return cti.ErrSignedOut.Error() + ": " + e.err.Error() }

// Is reports whether target is cti.ErrSignedOut.
func (e *SignInRequired) Is(target error) bool { return target == cti.ErrSignedOut }

// AsCTIError translates a Salesforce failure into the error the cti engine
// acts on:
//   - the org's API request limit is spent: cti.ErrCRMPaused (Salesforce
//     says 403 with no Retry-After; the caller should stop asking for a
//     while);
//   - the user's access is gone (the grant was revoked or expired, the user
//     may not use the API, the session is refused even after a refresh): a
//     *SignInRequired;
//   - the request will never be accepted as it is (an unknown field, other
//     invalid input, a deleted record): cti.ErrRejected.
//
// Any other error, nil included, is returned as it is: among them an org
// that serves no REST API version zoomcti can use (KindUnsupportedVersion),
// which the engine retries, as a 404 for a vanished version is never taken
// for a missing record (versions.go).
func AsCTIError(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case "invalid_grant", "inactive_user", "inactive_org":
		// The token endpoint refused the refresh token.
		return &SignInRequired{Reason: "Your Salesforce session has ended (the access was revoked or expired). Sign in again.", err: err}
	}
	switch e.Kind() {
	case KindRequestLimit:
		return fmt.Errorf("%w: %v", cti.ErrCRMPaused, err)
	case KindAPIDisabled:
		return &SignInRequired{Reason: "API access is not enabled for your Salesforce user. Ask your admin for the \"API Enabled\" permission, then sign in again.", err: err}
	case KindInvalidField, KindInvalidInput, KindNotFound:
		return fmt.Errorf("%w: %v", cti.ErrRejected, err)
	case KindMissingScope:
		return &SignInRequired{Reason: MissingScopeMessage(e.MissingScope()), err: err}
	case KindInvalidSession:
		return &SignInRequired{Reason: "Salesforce no longer accepts your session. Sign in again.", err: err}
	}
	return err
}

// CallRecord reads the Contact, Lead or Account id names, for a call to be
// logged on it (a record the agent created during the call): what the
// softphone shows of it, and when it was created. A record the user may
// not see is KindNotFound, as Salesforce answers for it.
func (c *Client) CallRecord(ctx context.Context, id string) (cti.Match, time.Time, error) {
	if !cti.ValidRecordID(id) {
		return cti.Match{}, time.Time{}, fmt.Errorf("salesforce: %q is not a record id: %w", id, KindNotFound)
	}
	var soql string
	switch id[:3] {
	case "003":
		soql = "SELECT Id, Name, Phone, AccountId, Account.Name, CreatedDate FROM Contact WHERE Id = '%s'"
	case "00Q":
		soql = "SELECT Id, Name, Phone, CreatedDate FROM Lead WHERE Id = '%s'"
	case "001":
		soql = "SELECT Id, Name, Phone, CreatedDate FROM Account WHERE Id = '%s'"
	default:
		return cti.Match{}, time.Time{}, fmt.Errorf("salesforce: %s is not a Contact, Lead or Account: %w", id, KindNotFound)
	}
	recs, err := c.Query(ctx, fmt.Sprintf(soql, EscapeSOQL(id)))
	if err != nil {
		return cti.Match{}, time.Time{}, err
	}
	if len(recs) == 0 {
		return cti.Match{}, time.Time{}, fmt.Errorf("salesforce: record %s: %w", id, KindNotFound)
	}
	r := recs[0]
	m := cti.Match{ID: r.ID(), Type: r.Type(), Name: r.String("Name"), Phone: r.String("Phone"), AccountID: r.String("AccountId")}
	if acct, ok := r["Account"].(map[string]any); ok {
		m.AccountName, _ = acct["Name"].(string)
	}
	return m, r.Time("CreatedDate"), nil
}
