package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

func TestSFOrgForOrigin(t *testing.T) {
	orgs := newSFOrgs([]SFOrg{
		{Name: "Production", LoginURL: "https://acme.my.salesforce.com", ClientID: "p", ClientSecret: "p"},
		{Name: "UAT", LoginURL: "https://acme--uat.sandbox.my.salesforce.com", ClientID: "u", ClientSecret: "u"},
		{Name: "Loopback", LoginURL: "http://127.0.0.2:4567", ClientID: "l", ClientSecret: "l"},
	}, "https://zoomcti.test/oauth/salesforce/callback")
	for _, tc := range []struct {
		name, origin string
		want         int // -1: refused
	}{
		{"production console", "https://acme.lightning.force.com", 0},
		{"production My Domain", "https://acme.my.salesforce.com", 0},
		{"upper case", "https://ACME.lightning.force.com", 0},
		{"sandbox console", "https://acme--uat.sandbox.lightning.force.com", 1},
		{"sandbox My Domain", "https://acme--uat.sandbox.my.salesforce.com", 1},
		{"another sandbox of the same company", "https://acme--dev.sandbox.lightning.force.com", -1},
		{"production name as a sandbox", "https://acme.sandbox.lightning.force.com", -1},
		{"another company", "https://globex.lightning.force.com", -1},
		{"look-alike host", "https://acme.lightning.force.com.evil.test", -1},
		{"same host and port", "http://127.0.0.2:4567", 2},
		{"same host, other port", "http://127.0.0.2:4568", -1},
		{"no origin", "", -1},
		{"not a URL", "::", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := orgs.forOrigin(tc.origin)
			if tc.want < 0 {
				if err == nil {
					t.Fatalf("origin %q signs in to %s, want refused", tc.origin, orgs.list[got].Name)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("origin %q: org %d (%v), want %d", tc.origin, got, err, tc.want)
			}
		})
	}
	single := newSFOrgs([]SFOrg{{Name: "default", LoginURL: "https://login.salesforce.com", anyOrigin: true}}, "")
	if got, err := single.forOrigin("https://anything.lightning.force.com"); err != nil || got != 0 {
		t.Fatalf("the single org of ZOOMCTI_SF_LOGIN_URL: %d %v", got, err)
	}
}

func TestSFOrgsFileValidation(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "uat-secret")
	if err := os.WriteFile(secretFile, []byte("uat-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(body string) string {
		p := filepath.Join(dir, "orgs.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(file string) func(string) string {
		m := map[string]string{"ZOOMCTI_SF_ORGS_FILE": file, "ZOOMCTI_ZOOM_WEBHOOK_SECRET": testSecret,
			"ZOOMCTI_ENCRYPTION_KEY": "em9vbWN0aS10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGU="}
		return func(k string) string { return m[k] }
	}
	good := write(`[{"name":"Production","login_url":"https://acme.my.salesforce.com","client_id":"p","client_secret":"p-secret"},
		{"name":"UAT","login_url":"https://acme--uat.sandbox.my.salesforce.com","client_id":"u","client_secret_file":"` + secretFile + `","org_id":"00D000000000002"}]`)
	c, err := ConfigFromEnv(env(good))
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SFOrgs) != 2 || c.SFOrgs[1].ClientSecret != "uat-secret-value" {
		t.Fatalf("orgs %+v", c.SFOrgs)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"generic login host", `[{"name":"P","login_url":"https://login.salesforce.com","client_id":"p","client_secret":"s"},{"name":"Q","login_url":"https://q.my.salesforce.com","client_id":"q","client_secret":"s"}]`, "not login.salesforce.com"},
		{"no secret", `[{"name":"P","login_url":"https://p.my.salesforce.com","client_id":"p"}]`, "client_secret"},
		{"same host twice", `[{"name":"P","login_url":"https://p.my.salesforce.com","client_id":"p","client_secret":"s"},{"name":"Q","login_url":"https://p.my.salesforce.com","client_id":"q","client_secret":"s"}]`, "listed twice"},
		{"a path", `[{"name":"P","login_url":"https://p.my.salesforce.com/services","client_id":"p","client_secret":"s"}]`, "My Domain login URL"},
		{"bad org id", `[{"name":"P","login_url":"https://p.my.salesforce.com","client_id":"p","client_secret":"s","org_id":"005x"}]`, "not a Salesforce org id"},
		{"unknown field", `[{"name":"P","login_url":"https://p.my.salesforce.com","client_id":"p","client_secret":"s","secret":"x"}]`, "JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(env(write(tc.body)))
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ZOOMCTI_SF_ORGS_FILE") {
				t.Fatalf("error %v, want one naming ZOOMCTI_SF_ORGS_FILE and %q", err, tc.want)
			}
		})
	}
}

// serveOn serves h on a loopback address of its own (127.0.0.2 …).
func serveOn(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// signInThrough signs a user in as the softphone of a console at origin
// would: the popup's start, the org's consent, our callback and result.
func signInThrough(t *testing.T, serverURL, origin string) map[string]any {
	t.Helper()
	b := newBrowserClient(t)
	req, _ := http.NewRequest(http.MethodGet, serverURL+"/oauth/salesforce/start?origin="+url.QueryEscape(origin), nil)
	status, loc, body := b.do(req)
	for range 6 {
		if status != http.StatusFound {
			break
		}
		u, _ := url.Parse(loc)
		if strings.HasSuffix(u.Path, "/services/oauth2/authorize") && !strings.HasPrefix(loc, serverURL) {
			if !strings.HasPrefix(loc, origin) {
				t.Fatalf("sign-in from %s sent to %s", origin, loc)
			}
			form := u.Query()
			form.Set("decision", "allow")
			status, loc, body = b.post(origin+"/services/oauth2/authorize", "", "application/x-www-form-urlencoded", form.Encode())
			continue
		}
		// The server's public URL stands for the test server's address.
		loc = strings.Replace(loc, "http://zoomcti.test", serverURL, 1)
		req, _ := http.NewRequest(http.MethodGet, loc, nil)
		status, loc, body = b.do(req)
	}
	if status != http.StatusOK {
		t.Fatalf("sign-in ended with %d %s", status, body)
	}
	_, _, body = b.post(serverURL+"/oauth/salesforce/result", "http://zoomcti.test", "", "")
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil || out["status"] != "done" {
		t.Fatalf("sign-in result %s", body)
	}
	return out
}

// A production org and its sandbox, each with its own External Client App,
// login host and API version, work side by side in one server: a softphone
// signs in to the org whose console it runs in, its searches go to that
// org in the version both support, and its tokens are refreshed by that
// org's app.
func TestProductionAndSandboxSideBySide(t *testing.T) {
	prod := sfsim.New(sfsim.Options{OrgID: "00D5g00000Prod1", ClientID: "prod-client", ClientSecret: "prod-secret", NewestVersion: "66.0"})
	uat := sfsim.New(sfsim.Options{OrgID: "00D5g00000Uat01", ClientID: "uat-client", ClientSecret: "uat-secret", NewestVersion: "62.0"})
	prodURL := serveOn(t, "127.0.0.1:0", prod)
	uatURL := serveOn(t, "127.0.0.2:0", uat)
	prod.Insert("Contact", map[string]any{"FirstName": "Pat", "LastName": "Production", "Phone": "+1 202 555 0101"})
	uat.Insert("Contact", map[string]any{"FirstName": "Sam", "LastName": "Sandbox", "Phone": "+1 202 555 0102"})
	// Existing records of each org: in its search index already.
	prod.CatchUpIndex()
	uat.CatchUpIndex()

	s, _ := newTestServer(t, func(c *Config) {
		c.SFClientID, c.SFClientSecret = "", ""
		c.SFOrgs = []SFOrg{
			{Name: "Production", LoginURL: prodURL, ClientID: "prod-client", ClientSecret: "prod-secret"},
			{Name: "UAT", LoginURL: uatURL, ClientID: "uat-client", ClientSecret: "uat-secret", OrgID: "00D5g00000Uat01"},
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)

	for _, org := range []*sfsim.Org{prod, uat} {
		set := cti.DefaultSettings()
		set.EditableContactLead = true
		if err := s.saveSettings(ctx, org.OrgID(), set); err != nil {
			t.Fatal(err)
		}
	}
	search := func(t *testing.T, token, q string) []any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/api/records?for=who&q="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("search %q: %d %v", q, resp.StatusCode, out)
		}
		recs, _ := out["records"].([]any)
		return recs
	}
	names := func(recs []any) string {
		var n []string
		for _, r := range recs {
			m, _ := r.(map[string]any)
			n = append(n, fmt.Sprint(m["name"]))
		}
		return strings.Join(n, ",")
	}

	for _, tc := range []struct {
		name, origin, orgID, own, other string
		org                             *sfsim.Org
	}{
		{"production", prodURL, prod.OrgID(), "Production", "Sandbox", prod},
		{"sandbox", uatURL, uat.OrgID(), "Sandbox", "Production", uat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := signInThrough(t, hs.URL, tc.origin)
			token, _ := out["token"].(string)
			a, _ := out["agent"].(map[string]any)
			if a["org_id"] != tc.orgID {
				t.Fatalf("signed in to org %v, want %s", a["org_id"], tc.orgID)
			}
			if got := names(search(t, token, tc.own)); !strings.Contains(got, tc.own) {
				t.Fatalf("search for %q in its own org found %q", tc.own, got)
			}
			if got := search(t, token, tc.other); len(got) != 0 {
				t.Fatalf("search for %q found %q: the other org's records", tc.other, names(got))
			}
			// Its org ends the session: its own app refreshes the token.
			tc.org.ExpireAccessTokens()
			if got := names(search(t, token, tc.own)); !strings.Contains(got, tc.own) {
				t.Fatalf("after the session expired, search found %q", got)
			}
		})
	}

	t.Run("an org this server does not connect to", func(t *testing.T) {
		b := newBrowserClient(t)
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/oauth/salesforce/start?origin="+url.QueryEscape("https://globex.lightning.force.com"), nil)
		status, loc, body := b.do(req)
		if status != http.StatusBadRequest || loc != "" || !strings.Contains(body, "globex.lightning.force.com") || !strings.Contains(body, "ask your admin") {
			t.Fatalf("start from an unknown org: %d %q %s", status, loc, body)
		}
	})
}
