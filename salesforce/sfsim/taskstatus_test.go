package sfsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// doneOrg is an org whose admin renamed "Completed" to "Done" and made
// "Closed - Lost" a second, later closed value.
func doneOrg(t *testing.T) *testOrg {
	t.Helper()
	return newTestOrg(t, Options{TaskStatuses: []TaskStatus{
		{APIName: "Open", Default: true},
		{APIName: "Done", Closed: true},
		{APIName: "Closed - Lost", Closed: true},
	}})
}

func TestTaskStatusQuery(t *testing.T) {
	tests := []struct {
		name string
		opts []TaskStatus
		want []string
	}{
		{"defaults", nil, []string{"Completed"}},
		{"renamed", []TaskStatus{{APIName: "Open", Default: true}, {APIName: "Done", Closed: true}, {APIName: "Closed - Lost", Closed: true}}, []string{"Done", "Closed - Lost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := newTestOrg(t, Options{TaskStatuses: tt.opts})
			soql := "SELECT ApiName, IsClosed, SortOrder FROM TaskStatus WHERE IsClosed = true ORDER BY SortOrder"
			status, _, b := to.api(t, "GET", "query?q="+url.QueryEscape(soql), nil)
			if status != http.StatusOK {
				t.Fatalf("query: %d %s", status, b)
			}
			res := decodeJSON[struct {
				Records []struct {
					ApiName   string
					IsClosed  bool
					SortOrder int
				} `json:"records"`
			}](t, b)
			var got []string
			for _, r := range res.Records {
				if !r.IsClosed || r.SortOrder == 0 {
					t.Errorf("record %+v", r)
				}
				got = append(got, r.ApiName)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) || (len(got) > 1 && got[1] != tt.want[1]) {
				t.Errorf("closed statuses %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTaskRestrictedPicklists(t *testing.T) {
	to := doneOrg(t)
	tests := []struct {
		name      string
		body      map[string]any
		wantField string // "" = accepted
	}{
		{"Completed was removed", map[string]any{"Status": "Completed"}, "Status"},
		{"Done", map[string]any{"Status": "Done"}, ""},
		{"status case matters", map[string]any{"Status": "done"}, "Status"},
		{"Priority High", map[string]any{"Priority": "High"}, ""},
		{"Priority Urgent", map[string]any{"Priority": "Urgent"}, "Priority"},
		{"CallType Inbound", map[string]any{"CallType": "Inbound"}, ""},
		{"CallType inbound", map[string]any{"CallType": "inbound"}, "CallType"},
		{"TaskSubtype Call", map[string]any{"TaskSubtype": "Call"}, ""},
		{"TaskSubtype SMS", map[string]any{"TaskSubtype": "SMS"}, "TaskSubtype"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, b := to.api(t, "POST", "sobjects/Task/", tt.body)
			if tt.wantField == "" {
				if status != http.StatusCreated {
					t.Fatalf("create: %d %s", status, b)
				}
				return
			}
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", status, b)
			}
			errs := decodeJSON[[]apiError](t, b)
			v := tt.body[tt.wantField].(string)
			if len(errs) != 1 || errs[0].ErrorCode != "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" ||
				len(errs[0].Fields) != 1 || errs[0].Fields[0] != tt.wantField ||
				!strings.Contains(errs[0].Message, "bad value for restricted picklist field: "+v) {
				t.Errorf("errors %s", b)
			}
		})
	}
	// An update is held to the same values.
	id := to.Insert("Task", map[string]any{"Subject": "x", "Status": "Open", "Priority": "Normal"})
	if status, _, b := to.api(t, "PATCH", "sobjects/Task/"+id, map[string]any{"Status": "Completed"}); status != http.StatusBadRequest {
		t.Errorf("update to Completed: %d %s", status, b)
	}
	if status, _, b := to.api(t, "PATCH", "sobjects/Task/"+id, map[string]any{"Status": "Closed - Lost"}); status != http.StatusNoContent {
		t.Fatalf("update to Closed - Lost: %d %s", status, b)
	}
	for _, rec := range to.Records("Task") {
		if rec["Id"] == id && rec["IsClosed"] != true {
			t.Errorf("IsClosed after a closed status: %v", rec["IsClosed"])
		}
	}
}

func TestSetTaskStatuses(t *testing.T) {
	to := newTestOrg(t, Options{})
	if status, _, b := to.api(t, "POST", "sobjects/Task/", map[string]any{"Status": "Completed"}); status != http.StatusCreated {
		t.Fatalf("Completed in a default org: %d %s", status, b)
	}
	to.SetTaskStatuses([]TaskStatus{{APIName: "Not Started", Default: true}, {APIName: "Done", Closed: true}})
	if status, _, b := to.api(t, "POST", "sobjects/Task/", map[string]any{"Status": "Completed"}); status != http.StatusBadRequest {
		t.Fatalf("Completed after the rename: %d %s", status, b)
	}
	// Status left out takes the org's default.
	status, _, b := to.api(t, "POST", "sobjects/Task/", map[string]any{"Subject": "no status"})
	if status != http.StatusCreated {
		t.Fatalf("no status: %d %s", status, b)
	}
	for _, rec := range to.Records("Task") {
		if rec["Subject"] == "no status" && rec["Status"] != "Not Started" {
			t.Errorf("default status %v", rec["Status"])
		}
	}
}
