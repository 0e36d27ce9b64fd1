package sfsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTaskCRUD(t *testing.T) {
	clock := time.Date(2026, 3, 12, 15, 4, 5, 0, time.UTC)
	to := newTestOrg(t, Options{Clock: func() time.Time { return clock }})
	ada := to.recordID(t, "Contact", "Ada Lovelace")

	status, hdr, b := to.api(t, "POST", "sobjects/Task/", map[string]any{
		"Subject": "Inbound call from +12025550142", "CallType": "Inbound", "CallDurationInSeconds": 65,
		"CallObject": "7400000000000000001", "TaskSubtype": "Call", "Type": "Call", "ActivityDate": "2026-03-12",
		"WhoId": ada[:15], "Zoom_Call_Id__c": "7400000000000000001",
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, b)
	}
	created := decodeJSON[map[string]any](t, b)
	id, _ := created["id"].(string)
	if !strings.HasPrefix(id, "00T") || len(id) != 18 || created["success"] != true || len(created["errors"].([]any)) != 0 {
		t.Fatalf("create body %s", b)
	}
	if !strings.HasSuffix(hdr.Get("Location"), "/sobjects/Task/"+id) {
		t.Errorf("Location = %q", hdr.Get("Location"))
	}

	status, _, b = to.api(t, "GET", "sobjects/Task/"+id, nil)
	if status != http.StatusOK {
		t.Fatalf("read: %d %s", status, b)
	}
	task := decodeJSON[map[string]any](t, b)
	want := map[string]any{
		"Id": id, "Status": "Not Started", "Priority": "Normal", "IsClosed": false, "WhoId": ada,
		"OwnerId": to.DemoUser().ID, "AccountId": to.recordID(t, "Account", "Analytical Engines Ltd"),
		"CallDurationInSeconds": float64(65), "CreatedDate": "2026-03-12T15:04:05.000+0000",
	}
	for k, v := range want {
		if task[k] != v {
			t.Errorf("task[%s] = %v, want %v", k, task[k], v)
		}
	}
	attrs, _ := task["attributes"].(map[string]any)
	if attrs["type"] != "Task" || attrs["url"] != apiBase+"sobjects/Task/"+id {
		t.Errorf("attributes = %v", attrs)
	}

	if status, _, b := to.api(t, "PATCH", "sobjects/Task/"+id, map[string]any{"Status": "Completed", "Description": "Talked about engines"}); status != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("update: %d %s", status, b)
	}
	status, _, b = to.api(t, "GET", "sobjects/Task/"+id+"?fields=Status,IsClosed,Description", nil)
	got := decodeJSON[map[string]any](t, b)
	if status != http.StatusOK || got["Status"] != "Completed" || got["IsClosed"] != true || got["Description"] != "Talked about engines" || got["Subject"] != nil {
		t.Errorf("after update: %d %s", status, b)
	}

	if status, _, _ := to.api(t, "DELETE", "sobjects/Task/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	status, _, b = to.api(t, "GET", "sobjects/Task/"+id, nil)
	if status != http.StatusNotFound || errorCode(t, b) != "NOT_FOUND" {
		t.Errorf("read deleted: %d %s", status, b)
	}
	if len(to.Records("Task")) != 0 {
		t.Errorf("Records(Task) after delete = %v", to.Records("Task"))
	}
}

func TestWriteErrors(t *testing.T) {
	to := newTestOrg(t, Options{})
	ada := to.recordID(t, "Contact", "Ada Lovelace")
	hedy := to.recordID(t, "Lead", "Hedy Lamarr")
	globex := to.recordID(t, "Account", "Globex Corporation")
	tests := []struct {
		name       string
		method     string
		path       string
		body       map[string]any
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"unknown field", "POST", "sobjects/Task/", map[string]any{"Subject": "x", "Colour": "red"}, 400, "INVALID_FIELD", ""},
		{"Id in body", "POST", "sobjects/Task/", map[string]any{"Id": ada, "Subject": "x"}, 400, "INVALID_FIELD", "Id"},
		{"bad CallType", "POST", "sobjects/Task/", map[string]any{"CallType": "Inbound call"}, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "CallType"},
		{"bad TaskSubtype", "POST", "sobjects/Task/", map[string]any{"TaskSubtype": "Cadence"}, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "TaskSubtype"},
		{"IsClosed is not createable", "POST", "sobjects/Task/", map[string]any{"IsClosed": true}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", "IsClosed"},
		// Audit fields are read-only system fields (Salesforce API reference,
		// "System Fields"; only the Set Audit Fields permission, which
		// zoomcti never asks for, lifts it).
		{"CreatedDate is not createable through the API", "POST", "sobjects/Contact/", map[string]any{"LastName": "x", "CreatedDate": "2020-01-01T00:00:00.000+0000"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", "CreatedDate"},
		{"WhoId is an Account", "POST", "sobjects/Task/", map[string]any{"WhoId": globex}, 400, "FIELD_INTEGRITY_EXCEPTION", "WhoId"},
		{"WhatId with a Lead WhoId", "POST", "sobjects/Task/", map[string]any{"WhoId": hedy, "WhatId": globex}, 400, "FIELD_INTEGRITY_EXCEPTION", "WhatId"},
		{"malformed WhoId", "POST", "sobjects/Task/", map[string]any{"WhoId": "not-an-id"}, 400, "MALFORMED_ID", "WhoId"},
		{"Subject too long", "POST", "sobjects/Task/", map[string]any{"Subject": strings.Repeat("x", 256)}, 400, "STRING_TOO_LONG", "Subject"},
		{"duration not a number", "POST", "sobjects/Task/", map[string]any{"CallDurationInSeconds": "long"}, 400, "JSON_PARSER_ERROR", ""},
		{"Contact without LastName", "POST", "sobjects/Contact/", map[string]any{"FirstName": "Nobody"}, 400, "REQUIRED_FIELD_MISSING", "LastName"},
		{"unknown object", "POST", "sobjects/Widget__c/", map[string]any{"Name": "x"}, 404, "NOT_FOUND", ""},
		{"garbage id", "GET", "sobjects/Contact/garbage", nil, 400, "MALFORMED_ID", ""},
		{"id of another object", "GET", "sobjects/Contact/" + hedy, nil, 404, "NOT_FOUND", ""},
		{"unknown field in ?fields", "GET", "sobjects/Contact/" + ada + "?fields=Nope", nil, 400, "INVALID_FIELD", ""},
		{"TaskSubtype is create-only", "PATCH", "", map[string]any{"TaskSubtype": "Task"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", "TaskSubtype"},
		{"Status cannot be nulled", "PATCH", "", map[string]any{"Status": nil}, 400, "REQUIRED_FIELD_MISSING", "Status"},
	}
	taskID := to.Insert("Task", map[string]any{"Subject": "existing", "Status": "Not Started", "Priority": "Normal", "TaskSubtype": "Call"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "sobjects/Task/" + taskID
			}
			var body any
			if tt.body != nil {
				body = tt.body
			}
			status, _, b := to.api(t, tt.method, path, body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, b)
			}
			errs := decodeJSON[[]apiError](t, b)
			if len(errs) != 1 || errs[0].ErrorCode != tt.wantCode || errs[0].Message == "" {
				t.Fatalf("errors %s, want %s", b, tt.wantCode)
			}
			if tt.wantField != "" && (len(errs[0].Fields) != 1 || errs[0].Fields[0] != tt.wantField) {
				t.Errorf("fields %v, want [%s]", errs[0].Fields, tt.wantField)
			}
		})
	}
	if n := len(to.Records("Task")); n != 1 {
		t.Errorf("failed writes left %d Tasks, want 1", n)
	}
}

func TestCustomFieldsAndDescribe(t *testing.T) {
	to := newTestOrg(t, Options{})
	status, _, b := to.api(t, "POST", "sobjects/Task", map[string]any{
		"Subject": "Call", "Call_Outcome__c": "Left Voicemail", "Notes_Summary__c": "left a message", "Zoom_Call_Id__c": "abc",
	})
	if status != http.StatusCreated {
		t.Fatalf("create with custom fields: %d %s", status, b)
	}
	if r := to.Records("Task")[0]; r["Call_Outcome__c"] != "Left Voicemail" || r["Zoom_Call_Id__c"] != "abc" {
		t.Errorf("stored %v", r)
	}

	status, _, b = to.api(t, "GET", "sobjects/Task/describe", nil)
	if status != http.StatusOK {
		t.Fatalf("describe: %d %s", status, b)
	}
	d := decodeJSON[describeResult](t, b)
	byName := map[string]int{}
	for i, f := range d.Fields {
		byName[f.Name] = i
	}
	for _, n := range []string{"Subject", "CallType", "CallDurationInSeconds", "CallObject", "CallDisposition", "TaskSubtype", "WhoId", "WhatId", "IsClosed", "Zoom_Call_Id__c", "Call_Outcome__c", "Notes_Summary__c"} {
		if _, ok := byName[n]; !ok {
			t.Errorf("describe lacks %s", n)
		}
	}
	if f := d.Fields[byName["CallType"]]; !f.Restricted || len(f.Picklist) != 3 {
		t.Errorf("CallType = %+v", f)
	}
	if f := d.Fields[byName["TaskSubtype"]]; !f.Createable || f.Updateable {
		t.Errorf("TaskSubtype = %+v, want create-only", f)
	}
	if f := d.Fields[byName["IsClosed"]]; f.Createable {
		t.Errorf("IsClosed is createable")
	}
	if f := d.Fields[byName["Call_Outcome__c"]]; !f.Custom || f.Type != "picklist" || len(f.Picklist) == 0 {
		t.Errorf("Call_Outcome__c = %+v", f)
	}
}

type describeResult struct {
	Name   string `json:"name"`
	Fields []struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		Custom     bool   `json:"custom"`
		Createable bool   `json:"createable"`
		Updateable bool   `json:"updateable"`
		Restricted bool   `json:"restrictedPicklist"`
		Picklist   []struct {
			Value string `json:"value"`
		} `json:"picklistValues"`
	} `json:"fields"`
}

func TestInsertNormalizesReferences(t *testing.T) {
	to := newTestOrg(t, Options{})
	ada := to.recordID(t, "Contact", "Ada Lovelace")
	id := to.Insert("Task", map[string]any{"Subject": "Call", "whoid": ada[:15]})
	status, _, b := to.api(t, "GET", "query?q="+url.QueryEscape("SELECT Id, Who.Name FROM Task WHERE WhoId = '"+ada+"'"), nil)
	if status != http.StatusOK || !strings.Contains(string(b), id) || !strings.Contains(string(b), `"Name":"Ada Lovelace"`) {
		t.Errorf("%d %s", status, b)
	}
}
