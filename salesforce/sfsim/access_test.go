package sfsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The message Salesforce gives for an object a query may not name.
const psaNotSupported = `[{"message":"sObject type 'PermissionSetAssignment' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.","errorCode":"INVALID_TYPE"}]`

func TestPermissionSetAssignmentNeedsSetupPermissions(t *testing.T) {
	to := newTestOrg(t, Options{})
	adminToken, _ := to.IssueToken(to.AdminUser().ID)
	soql := "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '" + to.AdminUser().ID + "'"
	path := apiBase + "query?q=" + url.QueryEscape(soql)

	// Alice is an agent: Standard User, no View Setup and Configuration,
	// Assign Permission Sets or Manage Users.
	status, _, b := to.call(t, "GET", path, to.token, nil)
	if status != http.StatusBadRequest || strings.TrimSpace(string(b)) != psaNotSupported {
		t.Errorf("agent's query: %d %s, want 400 %s", status, b, psaNotSupported)
	}
	if status, _, b := to.api(t, "GET", "search?q="+url.QueryEscape("FIND {Zoom} RETURNING PermissionSetAssignment(Id)"), nil); status != http.StatusBadRequest || errorCode(t, b) != "INVALID_TYPE" {
		t.Errorf("agent's search: %d %s", status, b)
	}
	if status, _, b := to.api(t, "GET", "sobjects/PermissionSetAssignment/describe", nil); status != http.StatusNotFound {
		t.Errorf("agent's describe: %d %s, want 404", status, b)
	}
	if _, _, b := to.api(t, "GET", "sobjects/", nil); strings.Contains(string(b), `"PermissionSetAssignment"`) {
		t.Errorf("global describe lists PermissionSetAssignment for an agent")
	}

	// The admin's profile has the permissions.
	if status, _, b := to.call(t, "GET", path, adminToken, nil); status != http.StatusOK || !strings.Contains(string(b), `"totalSize":2`) {
		t.Errorf("admin's query: %d %s", status, b)
	}
	// So does the agent once given the System Administrator profile.
	to.SetProfile(to.DemoUser().ID, ProfileSystemAdministrator)
	if status, _, b := to.call(t, "GET", path, to.token, nil); status != http.StatusOK {
		t.Errorf("agent with View Setup: %d %s", status, b)
	}
}

func TestIdentityCustomPermissions(t *testing.T) {
	to := newTestOrg(t, Options{})
	admin, alice := to.AdminUser().ID, to.DemoUser().ID
	identity := func(user, scope string) map[string]any {
		t.Helper()
		tok, _ := to.IssueTokenScoped(user, scope)
		status, _, b := to.call(t, "GET", "/id/"+to.OrgID()+"/"+user, tok, nil)
		if status != http.StatusOK {
			t.Fatalf("identity: %d %s", status, b)
		}
		return decodeJSON[map[string]any](t, b)
	}
	perms := func(user, scope string) (map[string]any, bool) {
		t.Helper()
		m, ok := identity(user, scope)["custom_permissions"].(map[string]any)
		return m, ok
	}

	if m, ok := perms(admin, "api id custom_permissions"); !ok || m[DefaultAdminCustomPermission] != true || len(m) != 1 {
		t.Errorf("admin's custom_permissions = %v (present %v), want {%s: true}", m, ok, DefaultAdminCustomPermission)
	}
	if m, ok := perms(alice, "api id custom_permissions"); !ok || m[DefaultAdminCustomPermission] != false {
		t.Errorf("agent's custom_permissions = %v (present %v), want {%s: false}", m, ok, DefaultAdminCustomPermission)
	}
	if m, ok := perms(admin, "api id"); ok {
		t.Errorf("without the custom_permissions scope the map is absent, got %v", m)
	}

	// userinfo carries the same map.
	tok, _ := to.IssueTokenScoped(admin, "openid id custom_permissions")
	_, _, b := to.call(t, "GET", "/services/oauth2/userinfo", tok, nil)
	if m, _ := decodeJSON[map[string]any](t, b)["custom_permissions"].(map[string]any); m[DefaultAdminCustomPermission] != true {
		t.Errorf("userinfo custom_permissions: %s", b)
	}

	// Taking the permission out of the permission set, or the set away from
	// the user, turns it false at once (the same token).
	tok, _ = to.IssueTokenScoped(admin, "api id custom_permissions")
	read := func() map[string]any {
		_, _, b := to.call(t, "GET", "/id/"+to.OrgID()+"/"+admin, tok, nil)
		m, _ := decodeJSON[map[string]any](t, b)["custom_permissions"].(map[string]any)
		return m
	}
	to.SetCustomPermission("Zoom_Admin", DefaultAdminCustomPermission, false)
	if m := read(); m[DefaultAdminCustomPermission] != false {
		t.Errorf("permission removed from the set: %v", m)
	}
	to.SetCustomPermission("Zoom_Admin", DefaultAdminCustomPermission, true)
	to.UnassignPermissionSet(admin, "Zoom_Admin")
	if m := read(); m[DefaultAdminCustomPermission] != false {
		t.Errorf("permission set unassigned: %v", m)
	}

	// A custom permission the app is not associated with is not listed,
	// even for a user who has it.
	to.SetCustomPermission(ProfileSystemAdministrator, DefaultAdminCustomPermission, true)
	if m := read(); m[DefaultAdminCustomPermission] != true {
		t.Errorf("permission through the profile: %v", m)
	}
	to.SetAppCustomPermissions()
	if m := read(); len(m) != 0 {
		t.Errorf("no custom permission associated with the app, got %v", m)
	}
}

func TestFieldLevelSecurity(t *testing.T) {
	to := newTestOrg(t, Options{})
	adminToken, _ := to.IssueToken(to.AdminUser().ID)
	kenji := to.recordID(t, "Contact", "Kenji Sato") // AssistantPhone 03-1234-5671
	to.SetFieldAccess(ProfileStandardUser, "Contact.AssistantPhone", false)

	const noColumn = `[{"message":"No such column 'AssistantPhone' on entity 'Contact'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.","errorCode":"INVALID_FIELD"}]`
	soql := "query?q=" + url.QueryEscape("SELECT Id, AssistantPhone FROM Contact")
	sosl := "search?q=" + url.QueryEscape("FIND {\"03 1234 5671\"} IN PHONE FIELDS RETURNING Contact(Id, Name, AssistantPhone)")
	tests := []struct {
		name, method, path string
		body               any
		status             int
		want               string // the whole body, or a part of it
	}{
		{"SOQL select", "GET", soql, nil, 400, noColumn},
		{"SOQL where", "GET", "query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE AssistantPhone != null"), nil, 400, noColumn},
		{"SOSL returning", "GET", sosl, nil, 400, noColumn},
		{"record read names it", "GET", "sobjects/Contact/" + kenji + "?fields=AssistantPhone", nil, 400, `"errorCode":"INVALID_FIELD"`},
		{"create writes it", "POST", "sobjects/Contact/", map[string]any{"LastName": "X", "AssistantPhone": "1"}, 400,
			`[{"message":"No such column 'AssistantPhone' on sobject of type Contact","errorCode":"INVALID_FIELD"}]`},
		// The phrase that finds Kenji by it for a user who reads it (below).
		{"search does not match it", "GET", "search?q=" + url.QueryEscape("FIND {\"03 1234 5671\"} IN PHONE FIELDS RETURNING Contact(Id, Name)"), nil, 200, `{"searchRecords":[]}`},
		{"search in all fields does not match it", "GET", "search?q=" + url.QueryEscape("FIND {\"03 1234 5671\"} RETURNING Contact(Id, Name)"), nil, 200, `{"searchRecords":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, b := to.api(t, tt.method, tt.path, tt.body)
			if status != tt.status || !strings.Contains(strings.TrimSpace(string(b)), tt.want) {
				t.Errorf("%d %s, want %d %s", status, b, tt.status, tt.want)
			}
		})
	}

	// describe and a whole-record read leave it out; the others stay.
	_, _, b := to.api(t, "GET", "sobjects/Contact/describe", nil)
	if strings.Contains(string(b), `"name":"AssistantPhone"`) || !strings.Contains(string(b), `"name":"MobilePhone"`) || !strings.Contains(string(b), `"name":"Direct_Line__c"`) {
		t.Errorf("describe: AssistantPhone shown or others missing")
	}
	if _, _, b := to.api(t, "GET", "sobjects/Contact/"+kenji, nil); strings.Contains(string(b), "AssistantPhone") || !strings.Contains(string(b), `"Phone":"+81 3 1234 5670"`) {
		t.Errorf("record read: %s", b)
	}

	// The admin's profile still reads it, and finds Kenji by it.
	if status, _, b := to.call(t, "GET", apiBase+sosl, adminToken, nil); status != 200 || !strings.Contains(string(b), `"AssistantPhone":"03-1234-5671"`) {
		t.Errorf("admin's search: %d %s", status, b)
	}
	if status, _, b := to.call(t, "GET", apiBase+tests[5].path, adminToken, nil); status != 200 || !strings.Contains(string(b), `"Name":"Kenji Sato"`) {
		t.Errorf("admin's search without the field in RETURNING: %d %s", status, b)
	}
	// A permission set giving the field back gives it to the agent.
	to.SetFieldAccess("Zoom_Agent", "Contact.AssistantPhone", true)
	if status, _, b := to.api(t, "GET", soql, nil); status != 200 {
		t.Errorf("field given by a permission set: %d %s", status, b)
	}
}

func TestFieldLevelSecurityOnTasks(t *testing.T) {
	to := newTestOrg(t, Options{})
	to.SetFieldAccess(ProfileStandardUser, "Task.Call_Outcome__c", false)
	base := map[string]any{"Subject": "Call", "Status": "Completed", "CallType": "Inbound"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{k: v}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	status, _, b := to.api(t, "POST", "sobjects/Task/", with("Call_Outcome__c", "Left Voicemail"))
	if status != 400 || strings.TrimSpace(string(b)) != `[{"message":"No such column 'Call_Outcome__c' on sobject of type Task","errorCode":"INVALID_FIELD"}]` {
		t.Errorf("create with a hidden field: %d %s", status, b)
	}
	status, _, b = to.api(t, "POST", "composite/sobjects", map[string]any{"records": []any{with("attributes", map[string]any{"type": "Task"})}})
	if status != 200 || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("collection without it: %d %s", status, b)
	}
	rec := with("Call_Outcome__c", "Left Voicemail")
	rec["attributes"] = map[string]any{"type": "Task"}
	if _, _, b := to.api(t, "POST", "composite/sobjects", map[string]any{"records": []any{rec}}); !strings.Contains(string(b), `"statusCode":"INVALID_FIELD"`) {
		t.Errorf("collection with a hidden field: %s", b)
	}
	_, _, b = to.api(t, "POST", "sobjects/Task/", base)
	created := decodeJSON[struct{ ID string }](t, b)
	if status, _, b := to.api(t, "PATCH", "sobjects/Task/"+created.ID, map[string]any{"Call_Outcome__c": "Left Voicemail"}); status != 400 || errorCode(t, b) != "INVALID_FIELD" {
		t.Errorf("update of a hidden field: %d %s", status, b)
	}
	if status, _, b := to.api(t, "PATCH", "sobjects/Task/"+created.ID, map[string]any{"CallDisposition": "Busy"}); status != 204 {
		t.Errorf("update of a visible field: %d %s", status, b)
	}
	// The call fields are outside field-level security (reference §4).
	defer func() {
		if recover() == nil {
			t.Error("SetFieldAccess on Task.CallObject did not panic")
		}
	}()
	to.SetFieldAccess(ProfileStandardUser, "Task.CallObject", false)
}
