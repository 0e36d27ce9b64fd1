package salesforce

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

func TestAsCTIError(t *testing.T) {
	other := errors.New("context deadline exceeded")
	tests := []struct {
		name      string
		err       error
		want      error  // the cti error it must be
		signIn    string // part of the reason, for a *SignInRequired
		unchanged bool
	}{
		{name: "nil", err: nil, unchanged: true},
		{name: "not from salesforce", err: other, unchanged: true},
		{name: "request limit", err: &Error{Status: 403, Code: "REQUEST_LIMIT_EXCEEDED"}, want: cti.ErrCRMPaused},
		{name: "API disabled", err: &Error{Status: 403, Code: "API_DISABLED_FOR_ORG"}, want: cti.ErrSignedOut, signIn: "API Enabled"},
		{name: "session refused", err: &Error{Status: 401, Code: "INVALID_SESSION_ID"}, want: cti.ErrSignedOut, signIn: "no longer accepts your session"},
		{name: "refresh token revoked", err: fmt.Errorf("salesforce: refresh token: %w", &Error{Status: 400, Code: "invalid_grant"}), want: cti.ErrSignedOut, signIn: "session has ended"},
		{name: "user deactivated", err: &Error{Status: 400, Code: "inactive_user"}, want: cti.ErrSignedOut, signIn: "session has ended"},
		{name: "unknown field", err: &Error{Status: 400, Code: "INVALID_FIELD"}, want: cti.ErrRejected},
		{name: "bad value", err: &Error{Status: 400, Code: "FIELD_INTEGRITY_EXCEPTION"}, want: cti.ErrRejected},
		{name: "deleted record", err: &Error{Status: 404, Code: "ENTITY_IS_DELETED"}, want: cti.ErrRejected},
		{name: "unavailable", err: &Error{Status: 503, Code: "SERVER_UNAVAILABLE"}, unchanged: true},
		{name: "row locked", err: &Error{Status: 400, Code: "UNABLE_TO_LOCK_ROW"}, unchanged: true},
		{name: "duplicate", err: &Error{Status: 400, Code: "DUPLICATES_DETECTED"}, unchanged: true},
		{name: "no access", err: &Error{Status: 403, Code: "INSUFFICIENT_ACCESS_OR_READONLY"}, unchanged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AsCTIError(tc.err)
			if tc.unchanged {
				if got != tc.err {
					t.Fatalf("AsCTIError(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			if !errors.Is(got, tc.want) {
				t.Fatalf("AsCTIError(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if !strings.Contains(got.Error(), tc.err.Error()) {
				t.Errorf("%q does not say what Salesforce said (%q)", got, tc.err)
			}
			var end *SignInRequired
			if errors.As(got, &end) != (tc.signIn != "") {
				t.Fatalf("AsCTIError(%v) = %#v: a *SignInRequired is wanted exactly when the agent must sign in", tc.err, got)
			}
			if end != nil && !strings.Contains(end.Reason, tc.signIn) {
				t.Errorf("reason %q, want it to say %q", end.Reason, tc.signIn)
			}
		})
	}
}

func TestTaskFields(t *testing.T) {
	long := strings.Repeat("é", 300)
	call := cti.Task{
		Subject: long, Status: "Completed", CallType: "Inbound", CallDurationInSeconds: 42, CallObject: "z1",
		ActivityDate: "2026-12-04", Description: "notes", WhoID: "003A", Fields: map[string]string{"Mood__c": "good"},
	}
	tests := []struct {
		name   string
		task   cti.Task
		want   map[string]any // fields that must hold these values
		absent []string
	}{
		{
			name: "call",
			task: call,
			want: map[string]any{
				"Subject": strings.Repeat("é", 255), "Status": "Completed", "Type": "Call", "TaskSubtype": "Call",
				"CallType": "Inbound", "CallDurationInSeconds": 42, "CallObject": "z1", "ActivityDate": "2026-12-04",
				"OwnerId": "005A", "WhoId": "003A", "Mood__c": "good",
			},
			absent: []string{"WhatId", "CallDisposition", "Priority"},
		},
		{
			name:   "text thread",
			task:   cti.Task{SMS: true, Subject: "SMS", Status: "Completed", ActivityDate: "2026-12-04", WhatID: "001A"},
			want:   map[string]any{"TaskSubtype": "Task", "WhatId": "001A", "OwnerId": "005A"},
			absent: []string{"Type", "CallType", "CallDurationInSeconds", "WhoId"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := taskFields("005A", tc.task)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			for _, k := range tc.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s = %v, want it left out", k, got[k])
				}
			}
		})
	}
}

func TestTaskUpdateSetsOnlyWhatChanged(t *testing.T) {
	if ChangesTask(cti.Task{}) {
		t.Fatal("an empty task changes something")
	}
	got := taskUpdate(cti.Task{CallDisposition: "Interested", CallDurationInSeconds: 0, WhatID: "006A"})
	if len(got) != 2 || got["CallDisposition"] != "Interested" || got["WhatId"] != "006A" {
		t.Fatalf("update %v, want CallDisposition and WhatId only", got)
	}
}

// A call log written with CreateTask is found again by its CallObject, for
// its owner only, and UpdateTask changes only what it is given.
func TestTaskRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	owner := e.org.DemoUser().ID
	task := cti.Task{
		Subject: "Inbound call", Status: "Completed", CallType: "Inbound", CallDurationInSeconds: 65,
		CallObject: "7400000000000009001", ActivityDate: "2026-12-04", Description: "first notes",
	}
	id, err := e.client.CreateTask(ctx, owner, task)
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	if got, err := e.client.FindTask(ctx, owner, task.CallObject); err != nil || got != id {
		t.Fatalf("FindTask = %q, %v; want %q", got, err, id)
	}
	if got, err := e.client.FindTask(ctx, owner, "7400000000000009999"); err != nil || got != "" {
		t.Fatalf("FindTask of another call = %q, %v; want none", got, err)
	}
	if got, err := e.client.FindTask(ctx, e.org.AdminUser().ID, task.CallObject); err != nil || got != "" {
		t.Fatalf("FindTask for another owner = %q, %v; want none", got, err)
	}
	if err := e.client.UpdateTask(ctx, id, cti.Task{CallDisposition: "Interested"}); err != nil {
		t.Fatalf("UpdateTask: %v", err)
	}
	rec, err := e.client.Get(ctx, "Task", id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.String("CallDisposition") != "Interested" || rec.String("Description") != "first notes" ||
		rec.String("TaskSubtype") != "Call" || rec.String("OwnerId") != owner {
		t.Fatalf("Task after the update: %v", rec)
	}

	// An agent's edit names a Contact, then takes the call off it again.
	contact := e.org.Insert("Contact", map[string]any{"LastName": "Lovelace", "Phone": "+12025550142"})
	if err := e.client.UpdateTask(ctx, id, cti.Task{WhoID: contact}); err != nil {
		t.Fatalf("UpdateTask naming a Contact: %v", err)
	}
	if rec, err := e.client.Get(ctx, "Task", id); err != nil || rec.String("WhoId") != contact {
		t.Fatalf("WhoId after naming the Contact: %v, %v", rec, err)
	}
	if err := e.client.UpdateTask(ctx, id, cti.Task{ClearWho: true}); err != nil {
		t.Fatalf("UpdateTask clearing WhoId: %v", err)
	}
	if rec, err := e.client.Get(ctx, "Task", id); err != nil || rec.String("WhoId") != "" || rec.String("CallDisposition") != "Interested" {
		t.Fatalf("Task after clearing WhoId: %v, %v", rec, err)
	}
}

// The admin check reads the identity URL's custom_permissions as the
// signing-in user: an agent, who may not read PermissionSetAssignment, gets
// an answer too.
func TestIdentityCustomPermission(t *testing.T) {
	e := newEnv(t)
	client := func(user, scope string) *Client {
		access, _ := e.org.IssueTokenScoped(user, scope)
		return New(Config{InstanceURL: e.srv.URL, HTTPClient: e.srv.Client(), Tokens: NewTokenSource(nil, &oauth2.Token{AccessToken: access}, nil)})
	}
	for _, tc := range []struct {
		name, user, scope string
		want              bool
	}{
		{"admin", e.org.AdminUser().ID, "api id custom_permissions", true},
		{"agent", e.org.DemoUser().ID, "api id custom_permissions", false},
		{"admin without the scope", e.org.AdminUser().ID, "api id", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := client(tc.user, tc.scope).Identity(testContext(t), e.org.OrgID(), tc.user)
			if err != nil || id.UserID != tc.user || id.HasCustomPermission(sfsim.DefaultAdminCustomPermission) != tc.want {
				t.Fatalf("Identity = %+v, %v; want %s %v", id, err, sfsim.DefaultAdminCustomPermission, tc.want)
			}
		})
	}
	t.Run("agent cannot read PermissionSetAssignment", func(t *testing.T) {
		_, err := client(e.org.DemoUser().ID, "api id").Query(testContext(t), "SELECT Id FROM PermissionSetAssignment")
		var se *Error
		if !errors.As(err, &se) || se.Code != "INVALID_TYPE" {
			t.Errorf("agent's PermissionSetAssignment query: %v", err)
		}
	})
}
