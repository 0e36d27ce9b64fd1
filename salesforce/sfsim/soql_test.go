package sfsim

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func (to *testOrg) query(t *testing.T, soql string) (int, queryResult, []byte) {
	t.Helper()
	status, _, b := to.api(t, "GET", "query?q="+url.QueryEscape(soql), nil)
	var res queryResult
	if status == http.StatusOK {
		res = decodeJSON[queryResult](t, b)
	}
	return status, res, b
}

func names(records []map[string]any) []string {
	var out []string
	for _, r := range records {
		out = append(out, r["Name"].(string))
	}
	sort.Strings(out)
	return out
}

func TestQuery(t *testing.T) {
	to := newTestOrg(t, Options{})
	to.Insert("Contact", map[string]any{"FirstName": "Conan", "LastName": "O'Brien", "Phone": `555\0100`})
	admin := to.AdminUser().ID
	tests := []struct {
		name string
		soql string
		want []string
	}{
		{"equality", "SELECT Id, Name FROM Contact WHERE LastName = 'Lovelace'", []string{"Ada Lovelace"}},
		{"case-insensitive text", "select id, name from contact where lastname = 'LOVELACE'", []string{"Ada Lovelace"}},
		{"phone compares the stored string", "SELECT Name FROM Contact WHERE Phone = '2025550142'", nil},
		{"IN", "SELECT Name FROM Contact WHERE FirstName IN ('Ada', 'Grace', 'Nobody')", []string{"Ada Lovelace", "Grace Hopper"}},
		{"AND with boolean", "SELECT Name FROM Lead WHERE IsConverted = false AND Status = 'Working - Contacted'", []string{"Hedy Lamarr"}},
		{"boolean true", "SELECT Name FROM Lead WHERE IsConverted = true", []string{"Charles Babbage"}},
		{"escaped quote", `SELECT Name FROM Contact WHERE LastName = 'O\'Brien'`, []string{"Conan O'Brien"}},
		{"escaped backslash", `SELECT Name FROM Contact WHERE Phone = '555\\0100'`, []string{"Conan O'Brien"}},
		{"15-character Id literal", "SELECT Name FROM User WHERE Id = '" + admin[:15] + "'", []string{"Avery Admin"}},
		{"relationship field", "SELECT Name FROM Contact WHERE Account.Name = 'Globex Corporation'", []string{"Grace Hopper"}},
		{"null", "SELECT Name FROM Contact WHERE Phone = null", []string{"Grace Hopper"}},
		{"LIKE", "SELECT Name FROM Account WHERE Name LIKE 'glob%'", []string{"Globex Corporation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, res, b := to.query(t, tt.soql)
			if status != http.StatusOK {
				t.Fatalf("%d %s", status, b)
			}
			got := names(res.Records)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || res.TotalSize != len(tt.want) || !res.Done {
				t.Errorf("got %v (totalSize %d), want %v", got, res.TotalSize, tt.want)
			}
		})
	}
}

func TestQueryShape(t *testing.T) {
	to := newTestOrg(t, Options{})
	admin := to.AdminUser().ID
	// PermissionSetAssignment is for users with View Setup and
	// Configuration (the admin); access_test.go has the agents' refusal.
	adminToken, _ := to.IssueToken(admin)
	psa := func(soql string) (int, queryResult, []byte) {
		status, _, b := to.call(t, "GET", apiBase+"query?q="+url.QueryEscape(soql), adminToken, nil)
		var res queryResult
		if status == http.StatusOK {
			res = decodeJSON[queryResult](t, b)
		}
		return status, res, b
	}
	status, res, b := psa("SELECT Id, PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '" + admin + "' AND PermissionSet.Name = 'Zoom_Admin'")
	if status != http.StatusOK || res.TotalSize != 1 {
		t.Fatalf("permission set query: %d %s", status, b)
	}
	ps, _ := res.Records[0]["PermissionSet"].(map[string]any)
	if ps["Name"] != "Zoom_Admin" {
		t.Errorf("PermissionSet = %v", res.Records[0]["PermissionSet"])
	}
	if _, _, b := psa("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '" + to.DemoUser().ID + "' AND PermissionSet.Name = 'Zoom_Admin'"); !strings.Contains(string(b), `"totalSize":0`) {
		t.Errorf("Alice is not an admin: %s", b)
	}

	// Keys come back in Salesforce's order: attributes first, then as selected.
	_, _, b = to.api(t, "GET", "query?q="+url.QueryEscape("SELECT Phone, Name FROM Contact WHERE LastName = 'Lovelace'"), nil)
	if !strings.Contains(string(b), `"records":[{"attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/`) ||
		!strings.Contains(string(b), `"Phone":"+12025550142","Name":"Ada Lovelace"}`) {
		t.Errorf("record shape: %s", b)
	}

	_, res, _ = to.query(t, "SELECT Name FROM Contact ORDER BY Name DESC LIMIT 2")
	if len(res.Records) != 2 || res.Records[0]["Name"] != "Kenji Sato" || res.Records[1]["Name"] != "Grace Hopper" {
		t.Errorf("ORDER BY DESC LIMIT: %v", res.Records)
	}
	_, _, b = to.api(t, "GET", "query?q="+url.QueryEscape("SELECT COUNT() FROM Lead"), nil)
	if !strings.Contains(string(b), `"totalSize":3`) {
		t.Errorf("COUNT(): %s", b)
	}
}

func TestQueryPaging(t *testing.T) {
	to := newTestOrg(t, Options{})
	to.SetPageSize(2)
	for i := 0; i < 3; i++ {
		to.Insert("Task", map[string]any{"Subject": "Call", "Status": "Completed", "Priority": "Normal"})
	}
	_, res, b := to.query(t, "SELECT Id FROM Task WHERE Subject = 'Call'")
	if res.TotalSize != 3 || res.Done || len(res.Records) != 2 || !strings.HasPrefix(res.NextRecordsURL, apiBase+"query/01g") || !strings.HasSuffix(res.NextRecordsURL, "-2") {
		t.Fatalf("first page: %s", b)
	}
	status, _, b := to.api(t, "GET", res.NextRecordsURL, nil)
	page := decodeJSON[queryResult](t, b)
	if status != http.StatusOK || !page.Done || len(page.Records) != 1 || page.NextRecordsURL != "" || page.TotalSize != 3 {
		t.Fatalf("second page: %d %s", status, b)
	}
	if status, _, b := to.api(t, "GET", "query/01gnope-2", nil); status != http.StatusBadRequest || errorCode(t, b) != "INVALID_QUERY_LOCATOR" {
		t.Errorf("bad locator: %d %s", status, b)
	}
}

func TestQueryErrors(t *testing.T) {
	to := newTestOrg(t, Options{})
	tests := []struct {
		name, soql, code string
	}{
		{"not a query", "hello", "MALFORMED_QUERY"},
		{"dangling WHERE", "SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"},
		{"unterminated string", "SELECT Id FROM Contact WHERE Name = 'Ada", "MALFORMED_QUERY"},
		{"bad escape", `SELECT Id FROM Contact WHERE Name = 'A\qa'`, "MALFORMED_QUERY"},
		{"trailing garbage", "SELECT Id FROM Contact LIMIT 5 banana", "MALFORMED_QUERY"},
		{"empty IN", "SELECT Id FROM Contact WHERE Name IN ()", "MALFORMED_QUERY"},
		{"unknown field", "SELECT Id, Shoe_Size FROM Contact", "INVALID_FIELD"},
		{"unknown object", "SELECT Id FROM Widget", "INVALID_TYPE"},
		{"quoted boolean", "SELECT Id FROM Lead WHERE IsConverted = 'false'", "INVALID_QUERY_FILTER_OPERATOR"},
		{"bad Id literal", "SELECT Id FROM Contact WHERE AccountId = 'xyz'", "INVALID_QUERY_FILTER_OPERATOR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, b := to.query(t, tt.soql)
			if status != http.StatusBadRequest || errorCode(t, b) != tt.code {
				t.Errorf("%d %s, want 400 %s", status, b, tt.code)
			}
		})
	}
}
