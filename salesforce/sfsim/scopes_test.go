package sfsim

import (
	"net/http"
	"strings"
	"testing"
)

// grantedScope signs in through the browser flow asking for scope and returns
// the token response's scope and access token.
func grantedScope(t *testing.T, to *testOrg, scope string) (granted, access string, tok map[string]any) {
	t.Helper()
	params := authorizeParams(to)
	params.Set("scope", scope)
	code := approve(t, to, params, "allow").Query().Get("code")
	status, tok := tokenRequest(t, to, codeForm(to, code, testVerifier))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	granted, _ = tok["scope"].(string)
	access, _ = tok["access_token"].(string)
	return granted, access, tok
}

func TestGrantIsLimitedToTheAppsScopes(t *testing.T) {
	tests := []struct {
		name      string
		appScopes []string
		ask, want string
	}{
		{name: "all selected", ask: "api refresh_token openid id", want: "api refresh_token openid id"},
		{name: "repeats and unknown dropped", ask: "api api bogus id", want: "api id"},
		{name: "app without id", appScopes: []string{"api", "refresh_token"}, ask: "api refresh_token id", want: "api refresh_token"},
		{name: "full not selected", ask: "full refresh_token", want: "refresh_token"},
		{name: "nothing asked", ask: "", want: "refresh_token api id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := newTestOrg(t, Options{Scopes: tt.appScopes})
			if got, _, _ := grantedScope(t, to, tt.ask); got != tt.want {
				t.Errorf("granted %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRefreshKeepsTheOriginalGrant(t *testing.T) {
	to := newTestOrg(t, Options{})
	_, _, tok := grantedScope(t, to, "api refresh_token")
	status, refreshed := tokenRequest(t, to, map[string][]string{
		"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)},
		"client_id": {to.opts.ClientID}, "client_secret": {to.opts.ClientSecret},
	})
	if status != http.StatusOK || refreshed["scope"] != "api refresh_token" {
		t.Fatalf("refresh: %d scope %v", status, refreshed["scope"])
	}
	status, _, b := to.call(t, "GET", "/services/oauth2/userinfo", refreshed["access_token"].(string), nil)
	if status != http.StatusForbidden {
		t.Errorf("userinfo with a refreshed api-only token: %d %s", status, b)
	}
}

func TestIdentityEndpointsNeedOpenIDOrID(t *testing.T) {
	to := newTestOrg(t, Options{})
	alice := to.DemoUser()
	idPath := "/id/" + to.OrgID() + "/" + alice.ID
	tests := []struct {
		name       string
		scope      string
		status     int
		wantEmail  bool
		wantUserID bool
	}{
		{name: "api only", scope: "api refresh_token", status: http.StatusForbidden},
		{name: "openid only gives ids", scope: "api openid", status: http.StatusOK, wantUserID: true},
		{name: "id gives everything", scope: "api id", status: http.StatusOK, wantUserID: true, wantEmail: true},
		{name: "email is a synonym of id", scope: "openid email", status: http.StatusOK, wantUserID: true, wantEmail: true},
		{name: "profile is a synonym of id", scope: "profile", status: http.StatusOK, wantUserID: true, wantEmail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			access, _ := to.IssueTokenScoped(alice.ID, tt.scope)
			for _, path := range []string{"/services/oauth2/userinfo", idPath} {
				status, h, b := to.call(t, "GET", path, access, nil)
				if status != tt.status {
					t.Fatalf("%s: status %d, want %d: %s", path, status, tt.status, b)
				}
				if status != http.StatusOK {
					body := decodeJSON[map[string]any](t, b)
					if body["error"] != "insufficient_scope" || !strings.Contains(h.Get("WWW-Authenticate"), "insufficient_scope") {
						t.Errorf("%s: refusal %s (WWW-Authenticate %q)", path, b, h.Get("WWW-Authenticate"))
					}
					continue
				}
				body := decodeJSON[map[string]any](t, b)
				if got := body["user_id"] == alice.ID; got != tt.wantUserID {
					t.Errorf("%s: user_id %v", path, body["user_id"])
				}
				if got := body["email"] == "alice@example.com"; got != tt.wantEmail {
					t.Errorf("%s: email %v, want it: %v", path, body["email"], tt.wantEmail)
				}
				_, named := body["preferred_username"]
				if _, ok := body["username"]; ok {
					named = true
				}
				if named != tt.wantEmail {
					t.Errorf("%s: username given %v, want %v", path, named, tt.wantEmail)
				}
			}
		})
	}
}

func TestDataAPINeedsTheAPIScope(t *testing.T) {
	to := newTestOrg(t, Options{})
	for _, tt := range []struct {
		name   string
		scope  string
		status int
	}{
		{name: "identity only", scope: "openid id refresh_token", status: http.StatusUnauthorized},
		{name: "api", scope: "api", status: http.StatusOK},
		{name: "full", scope: "full", status: http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			access, _ := to.IssueTokenScoped(to.DemoUser().ID, tt.scope)
			status, _, b := to.call(t, "GET", apiBase+"query?q=SELECT+Id+FROM+Account+LIMIT+1", access, nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			if status != http.StatusOK {
				if errorCode(t, b) != "INVALID_SESSION_ID" || !strings.Contains(string(b), "This session is not valid for use with the REST API") {
					t.Errorf("body %s", b)
				}
			}
		})
	}
}
