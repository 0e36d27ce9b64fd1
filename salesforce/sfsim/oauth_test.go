package sfsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const (
	testRedirect = "https://softphone.example.com/oauth/salesforce/callback"
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authorizeParams(to *testOrg) url.Values {
	return url.Values{
		"response_type":  {"code"},
		"client_id":      {to.opts.ClientID},
		"redirect_uri":   {testRedirect},
		"state":          {"st-123"},
		"scope":          {"api refresh_token id"},
		"code_challenge": {pkceChallenge(testVerifier)},
		"display":        {"popup"},
	}
}

// approve posts the consent form and returns the redirect Location.
func approve(t *testing.T, to *testOrg, params url.Values, decision string) *url.URL {
	t.Helper()
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	form.Set("decision", decision)
	resp, err := noRedirect.PostForm(to.srv.URL+"/services/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func tokenRequest(t *testing.T, to *testOrg, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(to.srv.URL+"/services/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, decodeJSON[map[string]any](t, b)
}

func codeForm(to *testOrg, code, verifier string) url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {to.opts.ClientID},
		"client_secret": {to.opts.ClientSecret}, "redirect_uri": {testRedirect}, "code_verifier": {verifier},
	}
}

func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	to := newTestOrg(t, Options{})
	params := authorizeParams(to)

	resp, err := http.Get(to.srv.URL + "/services/oauth2/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Allow Access?") || !strings.Contains(string(page), "alice@example.com") {
		t.Fatalf("consent page: status %d\n%s", resp.StatusCode, page)
	}

	loc := approve(t, to, params, "allow")
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %s", got)
	}
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "st-123" {
		t.Fatalf("redirect query %q", loc.RawQuery)
	}

	status, tok := tokenRequest(t, to, codeForm(to, code, testVerifier))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	alice := to.DemoUser().ID
	wantID := to.srv.URL + "/id/" + to.OrgID() + "/" + alice
	if tok["instance_url"] != to.srv.URL || tok["id"] != wantID || tok["token_type"] != "Bearer" || tok["scope"] != "api refresh_token id" {
		t.Errorf("token response %v", tok)
	}
	if _, ok := tok["expires_in"]; ok {
		t.Error("token response has expires_in; Salesforce sends none")
	}
	issued, _ := tok["issued_at"].(string)
	if !regexp.MustCompile(`^\d{13}$`).MatchString(issued) {
		t.Errorf("issued_at = %v, want epoch milliseconds as a string", tok["issued_at"])
	}
	mac := hmac.New(sha256.New, []byte(to.opts.ClientSecret))
	mac.Write([]byte(wantID + issued))
	if tok["signature"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("signature does not verify")
	}
	if tok["refresh_token"] == "" || tok["refresh_token"] == nil {
		t.Error("no refresh_token on the code grant with refresh_token scope")
	}

	// The token works on the data API and on userinfo.
	to.token = tok["access_token"].(string)
	if status, _, b := to.api(t, "GET", "limits/", nil); status != http.StatusOK {
		t.Errorf("data API with new token: %d %s", status, b)
	}

	// The code is single use.
	status, body := tokenRequest(t, to, codeForm(to, code, testVerifier))
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("reused code: %d %v", status, body)
	}
}

func TestAuthorizationCodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		form     func(to *testOrg, code string) url.Values
		wantCode string
	}{
		{"wrong verifier", func(to *testOrg, code string) url.Values {
			return codeForm(to, code, "not-the-verifier-not-the-verifier-not-the-verifier")
		}, "invalid_grant"},
		{"missing verifier", func(to *testOrg, code string) url.Values { return codeForm(to, code, "") }, "invalid_grant"},
		{"other redirect_uri", func(to *testOrg, code string) url.Values {
			f := codeForm(to, code, testVerifier)
			f.Set("redirect_uri", "https://evil.example.com/cb")
			return f
		}, "redirect_uri_mismatch"},
		{"wrong secret", func(to *testOrg, code string) url.Values {
			f := codeForm(to, code, testVerifier)
			f.Set("client_secret", "nope")
			return f
		}, "invalid_client"},
		{"unknown code", func(to *testOrg, code string) url.Values { return codeForm(to, "aPrxbogus", testVerifier) }, "invalid_grant"},
		{"unknown client", func(to *testOrg, code string) url.Values {
			f := codeForm(to, code, testVerifier)
			f.Set("client_id", "someone-else")
			return f
		}, "invalid_client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := newTestOrg(t, Options{})
			code := approve(t, to, authorizeParams(to), "allow").Query().Get("code")
			status, body := tokenRequest(t, to, tt.form(to, code))
			if status != http.StatusBadRequest || body["error"] != tt.wantCode || body["error_description"] == "" {
				t.Errorf("got %d %v, want 400 %s", status, body, tt.wantCode)
			}
		})
	}
}

func TestAuthorizeDenyAndBadClient(t *testing.T) {
	to := newTestOrg(t, Options{})
	loc := approve(t, to, authorizeParams(to), "deny")
	if want := "error=access_denied&error_description=end-user+denied+authorization&state=st-123"; loc.RawQuery != want {
		t.Errorf("deny redirect query = %q, want %q", loc.RawQuery, want)
	}

	params := authorizeParams(to)
	params.Set("client_id", "unknown")
	resp, err := noRedirect.Get(to.srv.URL + "/services/oauth2/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "error=invalid_client_id") {
		t.Errorf("unknown client: %d %s", resp.StatusCode, b)
	}

	params = authorizeParams(to)
	params.Set("response_type", "token")
	resp, err = noRedirect.Get(to.srv.URL + "/services/oauth2/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "unsupported_response_type" {
		t.Errorf("response_type=token: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestClientCredentials(t *testing.T) {
	to := newTestOrg(t, Options{ClientID: "cid", ClientSecret: "sec"})
	status, tok := tokenRequest(t, to, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"sec"}})
	if status != http.StatusOK || !strings.HasSuffix(tok["id"].(string), "/"+to.IntegrationUser().ID) {
		t.Fatalf("client credentials: %d %v", status, tok)
	}
	if _, ok := tok["refresh_token"]; ok {
		t.Error("client credentials returned a refresh token")
	}

	// Basic authentication works too.
	req, _ := http.NewRequest("POST", to.srv.URL+"/services/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("cid", "sec")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("basic auth: %d", resp.StatusCode)
	}

	status, body := tokenRequest(t, to, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"bad"}})
	if status != http.StatusBadRequest || body["error"] != "invalid_client" {
		t.Errorf("bad secret: %d %v", status, body)
	}
}

func TestRefreshAfterExpiry(t *testing.T) {
	to := newTestOrg(t, Options{})
	access, refresh := to.IssueToken(to.DemoUser().ID)
	to.token = access
	to.ExpireAccessTokens()
	status, _, b := to.api(t, "GET", "limits/", nil)
	if status != http.StatusUnauthorized || string(b) != `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`+"\n" {
		t.Fatalf("expired token: %d %s", status, b)
	}
	status, tok := tokenRequest(t, to, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {to.opts.ClientID}})
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, tok)
	}
	if _, ok := tok["refresh_token"]; ok {
		t.Error("refresh grant rotated the refresh token")
	}
	to.token = tok["access_token"].(string)
	if status, _, b := to.api(t, "GET", "limits/", nil); status != http.StatusOK {
		t.Errorf("refreshed token: %d %s", status, b)
	}
}

func TestRevoke(t *testing.T) {
	to := newTestOrg(t, Options{})
	revoke := func(tok string) (int, map[string]any) {
		resp, err := http.PostForm(to.srv.URL+"/services/oauth2/revoke", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}

	access, refresh := to.IssueToken(to.DemoUser().ID)
	if status, _ := revoke(access); status != http.StatusOK {
		t.Fatalf("revoke access: %d", status)
	}
	if status, _, _ := to.call(t, "GET", apiBase+"limits/", access, nil); status != http.StatusUnauthorized {
		t.Errorf("revoked access token still works: %d", status)
	}
	// The refresh token survives an access-token revocation...
	status, tok := tokenRequest(t, to, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {to.opts.ClientID}})
	if status != http.StatusOK {
		t.Fatalf("refresh after access revoke: %d %v", status, tok)
	}
	// ...and revoking it ends its access tokens too.
	if status, _ := revoke(refresh); status != http.StatusOK {
		t.Fatalf("revoke refresh: %d", status)
	}
	if status, _, _ := to.call(t, "GET", apiBase+"limits/", tok["access_token"].(string), nil); status != http.StatusUnauthorized {
		t.Errorf("access token of a revoked refresh token still works: %d", status)
	}
	// A client that still holds the revoked refresh token learns the agent
	// must sign in again: Salesforce's answer to any dead refresh token.
	status, body := tokenRequest(t, to, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {to.opts.ClientID}})
	if status != http.StatusBadRequest || len(body) != 2 || body["error"] != "invalid_grant" || body["error_description"] != "expired access/refresh token" {
		t.Errorf("revoked refresh: %d %v", status, body)
	}
	if status, body := revoke(refresh); status != http.StatusBadRequest || body["error"] != "invalid_token" {
		t.Errorf("revoke twice: %d %v", status, body)
	}
	if status, body := revoke("what-is-this"); status != http.StatusBadRequest || body["error"] != "unsupported_token_type" {
		t.Errorf("revoke garbage: %d %v", status, body)
	}
}

func TestUserInfo(t *testing.T) {
	to := newTestOrg(t, Options{})
	status, _, b := to.call(t, "GET", "/services/oauth2/userinfo", to.token, nil)
	if status != http.StatusOK {
		t.Fatalf("userinfo: %d %s", status, b)
	}
	info := decodeJSON[map[string]any](t, b)
	alice := to.DemoUser()
	want := map[string]any{
		"sub": to.srv.URL + "/id/" + to.OrgID() + "/" + alice.ID, "user_id": alice.ID, "organization_id": to.OrgID(),
		"preferred_username": "alice@example.com", "email": "alice@example.com", "name": "Alice Example",
	}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("userinfo[%s] = %v, want %v", k, info[k], v)
		}
	}
	status, _, b = to.call(t, "GET", "/services/oauth2/userinfo", "bogus", nil)
	if status != http.StatusForbidden || !strings.Contains(string(b), "Bad_OAuth_Token") {
		t.Errorf("bad token: %d %s", status, b)
	}
}

func TestLoginHintPicksSeededUser(t *testing.T) {
	to := newTestOrg(t, Options{})
	params := authorizeParams(to)
	params.Set("login_hint", "admin@example.com")
	code := approve(t, to, params, "allow").Query().Get("code")
	status, tok := tokenRequest(t, to, codeForm(to, code, testVerifier))
	if status != http.StatusOK || !strings.HasSuffix(tok["id"].(string), "/"+to.AdminUser().ID) {
		t.Errorf("login_hint admin: %d %v", status, tok)
	}
}
