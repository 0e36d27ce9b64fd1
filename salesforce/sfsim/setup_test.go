package sfsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// queryRecords runs a SOQL query as token and returns its records.
func queryRecords(t *testing.T, to *testOrg, token, soql string) []map[string]any {
	t.Helper()
	status, _, b := to.call(t, "GET", apiBase+"query?q="+url.QueryEscape(soql), token, nil)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", soql, status, b)
	}
	var out struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out.Records
}

// The call center an admin imported from zoomcti's definition is a
// CallCenter record whose AdapterUrl is the softphone; deleting it in
// Setup leaves none.
func TestCallCenterRecords(t *testing.T) {
	to := newTestOrg(t, Options{AdapterURL: "https://zoomcti.example.com/softphone"})
	admin, _ := to.IssueToken(to.AdminUser().ID)
	recs := queryRecords(t, to, admin, "SELECT Id, Name, InternalName, AdapterUrl FROM CallCenter")
	if len(recs) != 1 || recs[0]["AdapterUrl"] != "https://zoomcti.example.com/softphone" || recs[0]["InternalName"] != "zoomcti" {
		t.Fatalf("call centers %v", recs)
	}
	to.Delete("CallCenter", recs[0]["Id"].(string))
	if recs := queryRecords(t, to, admin, "SELECT Id FROM CallCenter"); len(recs) != 0 {
		t.Fatalf("after the delete: %v", recs)
	}
	bare := newTestOrg(t, Options{})
	bareAdmin, _ := bare.IssueToken(bare.AdminUser().ID)
	if recs := queryRecords(t, bare, bareAdmin, "SELECT Id FROM CallCenter"); len(recs) != 0 {
		t.Fatalf("an org with no adapter URL has call centers %v", recs)
	}
}

// Custom permissions are records too: the seeded admin one, and any an
// admin creates (here by granting it).
func TestCustomPermissionRecords(t *testing.T) {
	to := newTestOrg(t, Options{})
	admin, _ := to.IssueToken(to.AdminUser().ID)
	q := "SELECT Id, DeveloperName FROM CustomPermission WHERE DeveloperName = '"
	if recs := queryRecords(t, to, admin, q+DefaultAdminCustomPermission+"'"); len(recs) != 1 {
		t.Fatalf("%s: %v", DefaultAdminCustomPermission, recs)
	}
	if recs := queryRecords(t, to, admin, q+"Other_Perm'"); len(recs) != 0 {
		t.Fatalf("Other_Perm before it exists: %v", recs)
	}
	to.SetCustomPermission("Zoom_Admin", "Other_Perm", true)
	if recs := queryRecords(t, to, admin, q+"Other_Perm'"); len(recs) != 1 {
		t.Fatalf("Other_Perm after it was created: %v", recs)
	}
	status, _, b := to.call(t, "POST", apiBase+"sobjects/CustomPermission", admin, map[string]any{"DeveloperName": "X", "MasterLabel": "X"})
	if status != http.StatusBadRequest {
		t.Fatalf("creating a custom permission through the API: %d %s, want 400", status, b)
	}
	// An agent (no View Setup and Configuration, no Assign Permission
	// Sets) may not read them at all (Object Reference, Special Access Rules).
	status, _, b = to.call(t, "GET", apiBase+"query?q="+url.QueryEscape(q+DefaultAdminCustomPermission+"'"), to.token, nil)
	if status != http.StatusBadRequest || !strings.Contains(string(b), `"errorCode":"INVALID_TYPE"`) {
		t.Fatalf("an agent's query of CustomPermission: %d %s, want 400 INVALID_TYPE", status, b)
	}
}
