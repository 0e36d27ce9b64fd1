package sfsim

import (
	"net/http"
	"net/url"
	"testing"
)

func TestUserByUsername(t *testing.T) {
	to := newTestOrg(t, Options{})
	tests := []struct {
		username   string
		want       User
		apiEnabled bool
	}{
		{username: "alice@example.com", want: to.DemoUser(), apiEnabled: true},
		{username: "Admin@Example.com", want: to.AdminUser(), apiEnabled: true},
		{username: "integration@sfsim.example.com", want: to.IntegrationUser(), apiEnabled: true},
	}
	for _, tt := range tests {
		got, ok := to.UserByUsername(tt.username)
		if !ok || got != tt.want || got.APIEnabled != tt.apiEnabled {
			t.Errorf("UserByUsername(%q) = %+v, %v; want %+v", tt.username, got, ok, tt.want)
		}
	}
	bob, ok := to.UserByUsername("bob@example.com")
	if !ok || bob.Name != "Bob Builder" || bob.Email != "bob@example.com" || bob.APIEnabled || len(bob.ID) != 18 {
		t.Errorf("Bob = %+v, %v; want Bob Builder, bob@example.com, API disabled", bob, ok)
	}
	if u, ok := to.UserByUsername("nobody@example.com"); ok {
		t.Errorf("unknown username found: %+v", u)
	}
}

// Bob signs in like anyone (OAuth and userinfo are not the REST API), but
// every data-API call is refused, and not counted.
func TestUserWithoutAPIEnabled(t *testing.T) {
	to := newTestOrg(t, Options{})
	bob, _ := to.UserByUsername("bob@example.com")

	params := authorizeParams(to)
	params.Set("login_hint", "bob@example.com")
	code := approve(t, to, params, "allow").Query().Get("code")
	status, tok := tokenRequest(t, to, codeForm(to, code, testVerifier))
	if status != http.StatusOK || tok["refresh_token"] == nil {
		t.Fatalf("token for Bob: %d %v", status, tok)
	}
	access := tok["access_token"].(string)

	status, _, b := to.call(t, "GET", "/services/oauth2/userinfo", access, nil)
	if info := decodeJSON[map[string]any](t, b); status != http.StatusOK || info["user_id"] != bob.ID || info["preferred_username"] != "bob@example.com" {
		t.Errorf("userinfo for Bob: %d %s", status, b)
	}

	before := to.APIRequests()
	const refused = `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]` + "\n"
	for _, path := range []string{
		"limits/",
		"query?q=" + url.QueryEscape("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '"+bob.ID+"'"),
		"search?q=" + url.QueryEscape("FIND {2025550142} IN PHONE FIELDS"),
		"sobjects/Contact/describe",
	} {
		status, _, b := to.call(t, "GET", apiBase+path, access, nil)
		if status != http.StatusForbidden || string(b) != refused {
			t.Errorf("GET %s as Bob: %d %s", path, status, b)
		}
	}
	status, _, b = to.call(t, "POST", apiBase+"sobjects/Task/", access, map[string]any{"Subject": "Call"})
	if status != http.StatusForbidden || string(b) != refused {
		t.Errorf("create as Bob: %d %s", status, b)
	}
	if n := to.APIRequests(); n != before {
		t.Errorf("refused calls were counted: %d requests, want %d", n, before)
	}
	// The versions list needs no token and is open to him too.
	if status, _, _ := to.call(t, "GET", "/services/data/", access, nil); status != http.StatusOK {
		t.Errorf("versions list as Bob: %d", status)
	}
	// An expired token is still a 401 first: refreshing is worth trying.
	to.ExpireAccessTokens()
	if status, _, _ := to.call(t, "GET", apiBase+"limits/", access, nil); status != http.StatusUnauthorized {
		t.Errorf("Bob's expired token: %d, want 401", status)
	}
}

func TestSetPageSize(t *testing.T) {
	to := newTestOrg(t, Options{})
	to.SetPageSize(1)
	_, res, b := to.query(t, "SELECT Id FROM Account")
	if len(res.Records) != 1 || res.Done || res.NextRecordsURL == "" {
		t.Errorf("page size 1: %s", b)
	}
	to.SetPageSize(0)
	_, res, b = to.query(t, "SELECT Id FROM Account")
	if len(res.Records) != res.TotalSize || !res.Done {
		t.Errorf("page size reset: %s", b)
	}
}

// Two orgs of one test (production and its sandbox) have their own ids, in
// userinfo and in the records' ids alike.
func TestOrgIDOption(t *testing.T) {
	to := newTestOrg(t, Options{OrgID: "00D5g00000Uat01"})
	if id := to.OrgID(); len(id) != 18 || id[:15] != "00D5g00000Uat01" {
		t.Fatalf("OrgID() = %q", id)
	}
	access, _ := to.IssueToken(to.DemoUser().ID)
	status, _, b := to.call(t, "GET", "/services/oauth2/userinfo", access, nil)
	if info := decodeJSON[map[string]any](t, b); status != http.StatusOK || info["organization_id"] != to.OrgID() {
		t.Fatalf("userinfo: %d %s", status, b)
	}
	if other := newTestOrg(t, Options{}); other.OrgID() == to.OrgID() {
		t.Fatal("the default org has the same id")
	}
}
