package sfsim

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// consentPage fetches the authorize page for params.
func consentPage(t *testing.T, to *testOrg, params url.Values) (int, string, *url.URL) {
	t.Helper()
	resp, err := noRedirect.Get(to.srv.URL + "/services/oauth2/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return resp.StatusCode, string(b), loc
}

// pickerOptions returns the usernames the page's #username select offers
// and the one it preselects.
func pickerOptions(t *testing.T, page string) (usernames []string, selected string) {
	t.Helper()
	sel := regexp.MustCompile(`(?s)<select id="username" name="username">(.*?)</select>`).FindStringSubmatch(page)
	if sel == nil {
		t.Fatalf("no select#username on the page:\n%s", page)
	}
	for _, m := range regexp.MustCompile(`<option value="([^"]+)"( selected)?>`).FindAllStringSubmatch(sel[1], -1) {
		usernames = append(usernames, m[1])
		if m[2] != "" {
			if selected != "" {
				t.Fatalf("two options selected: %q and %q", selected, m[1])
			}
			selected = m[1]
		}
	}
	return usernames, selected
}

// signInAs approves params as the user picked in the form and returns the
// Id the token was issued to.
func signInAs(t *testing.T, to *testOrg, params url.Values, username string) string {
	t.Helper()
	p := url.Values{}
	for k, v := range params {
		p[k] = v
	}
	if username != "" {
		p.Set("username", username)
	}
	loc := approve(t, to, p, "allow")
	status, tok := tokenRequest(t, to, codeForm(to, loc.Query().Get("code"), testVerifier))
	if status != http.StatusOK {
		t.Fatalf("token for %q: %d %v", username, status, tok)
	}
	id, _ := tok["id"].(string)
	return id[strings.LastIndexByte(id, '/')+1:]
}

func TestAuthorizeUserPicker(t *testing.T) {
	to := newTestOrg(t, Options{})
	gone := to.Insert("User", map[string]any{"FirstName": "Ex", "LastName": "Employee", "Username": "gone@example.com", "Email": "gone@example.com", "IsActive": false})

	status, page, _ := consentPage(t, to, authorizeParams(to))
	if status != http.StatusOK {
		t.Fatalf("consent page: %d\n%s", status, page)
	}
	users, selected := pickerOptions(t, page)
	want := []string{"admin@example.com", "alice@example.com", "integration@sfsim.example.com", "bob@example.com"}
	if strings.Join(users, " ") != strings.Join(want, " ") {
		t.Errorf("picker offers %q, want the active users %q", users, want)
	}
	if selected != "alice@example.com" {
		t.Errorf("picker preselects %q, want the demo user", selected)
	}
	for _, id := range []string{`id="oaapprove"`, `id="oaapprove-deny"`} {
		if !strings.Contains(page, id) {
			t.Errorf("page lacks the %s button", id)
		}
	}

	hinted := authorizeParams(to)
	hinted.Set("login_hint", "BOB@example.com")
	_, page, _ = consentPage(t, to, hinted)
	if _, selected := pickerOptions(t, page); selected != "bob@example.com" {
		t.Errorf("login_hint bob: picker preselects %q", selected)
	}
	hinted.Set("login_hint", "gone@example.com")
	_, page, _ = consentPage(t, to, hinted)
	if _, selected := pickerOptions(t, page); selected != "alice@example.com" {
		t.Errorf("login_hint of an inactive user: picker preselects %q, want the demo user", selected)
	}

	bob, _ := to.UserByUsername("bob@example.com")
	tests := []struct {
		name, hint, pick, wantID string
	}{
		{name: "default is the demo user", wantID: to.DemoUser().ID},
		{name: "picked user", pick: "bob@example.com", wantID: bob.ID},
		{name: "pick beats login_hint", hint: "admin@example.com", pick: "alice@example.com", wantID: to.DemoUser().ID},
		{name: "login_hint without a pick", hint: "admin@example.com", wantID: to.AdminUser().ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := authorizeParams(to)
			if tt.hint != "" {
				params.Set("login_hint", tt.hint)
			}
			if got := signInAs(t, to, params, tt.pick); got != tt.wantID {
				t.Errorf("token issued to %s, want %s", got, tt.wantID)
			}
		})
	}

	// An inactive or unknown user cannot be picked: the page comes back
	// with Salesforce's login error and no code is issued.
	for _, name := range []string{"gone@example.com", "nobody@example.com"} {
		form := authorizeParams(to)
		form.Set("username", name)
		form.Set("decision", "allow")
		resp, err := noRedirect.PostForm(to.srv.URL+"/services/oauth2/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Please check your username and password.") {
			t.Errorf("pick %s: %d %s", name, resp.StatusCode, b)
		}
	}
	if u, ok := to.UserByUsername("gone@example.com"); !ok || u.ID != gone {
		t.Errorf("UserByUsername of an inactive user = %+v, %v", u, ok)
	}
}

func TestAppNotInstalled(t *testing.T) {
	const want = "error=invalid_client&error_description=app+must+be+installed+into+org&state=st-123"
	to := newTestOrg(t, Options{AppNotInstalled: true})

	status, page, loc := consentPage(t, to, authorizeParams(to))
	if status != http.StatusFound || loc.Scheme+"://"+loc.Host+loc.Path != testRedirect || loc.RawQuery != want {
		t.Fatalf("authorize with the app not installed: %d %s\n%s", status, loc, page)
	}
	// A consent form posted before the admin uninstalled the app gets the
	// same answer, not a code.
	if got := approve(t, to, authorizeParams(to), "allow"); got.RawQuery != want {
		t.Errorf("consent with the app not installed: %q", got.RawQuery)
	}
	// A bad client is still reported as such, on a page: the org does not
	// redirect to an address it does not trust.
	bad := authorizeParams(to)
	bad.Set("client_id", "unknown")
	if status, page, _ := consentPage(t, to, bad); status != http.StatusBadRequest || !strings.Contains(page, "error=invalid_client_id") {
		t.Errorf("unknown client with the app not installed: %d\n%s", status, page)
	}
	// Tokens issued before keep working; userinfo says the app is not installed.
	status, _, b := to.call(t, "GET", "/services/oauth2/userinfo", to.token, nil)
	if info := decodeJSON[map[string]any](t, b); status != http.StatusOK || info["is_app_installed"] != false {
		t.Errorf("userinfo: %d is_app_installed=%v", status, info["is_app_installed"])
	}

	to.SetAppInstalled(true)
	if status, page, _ := consentPage(t, to, authorizeParams(to)); status != http.StatusOK || !strings.Contains(page, "Allow Access?") {
		t.Errorf("after SetAppInstalled(true): %d\n%s", status, page)
	}
	to.SetAppInstalled(false)
	if status, _, loc := consentPage(t, to, authorizeParams(to)); status != http.StatusFound || loc.RawQuery != want {
		t.Errorf("after SetAppInstalled(false): %d %s", status, loc)
	}
}
