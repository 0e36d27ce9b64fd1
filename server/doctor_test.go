package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// toTestServer sends requests for the server's public host to the test
// server it runs on, once url is set (the doctor calls its own webhook URL).
type toTestServer struct {
	base http.RoundTripper
	url  atomic.Pointer[url.URL]
}

func (t *toTestServer) RoundTrip(r *http.Request) (*http.Response, error) {
	if u := t.url.Load(); u != nil && r.URL.Host == "zoomcti.test" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	}
	return t.base.RoundTrip(r)
}

// doctorEnv is an env whose org is set up as the README says: the call
// center imported, an admin and an agent signed in, Zoom linked.
func doctorEnv(t *testing.T) *env {
	t.Helper()
	rt := &toTestServer{base: http.DefaultTransport}
	e := newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		s.http = &http.Client{Transport: rt, Timeout: s.http.Timeout}
		s.zoom.http = s.http
	})
	u, _ := url.Parse(e.url)
	rt.url.Store(u)
	e.public = rt
	e.org.Insert("CallCenter", map[string]any{"Name": "Zoom Phone (zoomcti)", "InternalName": "zoomcti", "AdapterUrl": "http://zoomcti.test/softphone"})
	if a, msg := e.signInAs(e.org.AdminUser().Username); a == nil || !a.Admin {
		t.Fatalf("admin sign-in: %v %s", a, msg)
	}
	return e
}

func checksByName(t *testing.T, e *env) (map[string]cti.Check, *DoctorReport) {
	t.Helper()
	rep, err := e.s.doctor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Orgs) != 1 {
		t.Fatalf("orgs %+v", rep.Orgs)
	}
	out := map[string]cti.Check{}
	for _, c := range append(rep.Orgs[0].Checks, rep.Zoom...) {
		out[c.Name] = c
	}
	return out, rep
}

func TestDoctorPassesAnOrgSetUpAsTheGuideSays(t *testing.T) {
	e := doctorEnv(t)
	got, rep := checksByName(t, e)
	if rep.Orgs[0].AsUser != e.org.AdminUser().Username {
		t.Errorf("ran as %q, want the admin", rep.Orgs[0].AsUser)
	}
	for _, name := range []string{"OAuth scopes", "REST API version", "Phone fields visible to agents", "Task status", "Call center",
		"Admin custom permission " + sfsim.DefaultAdminCustomPermission, "Zoom app scopes", "Webhook URL"} {
		if c := got[name]; c.State != cti.CheckPassed {
			t.Errorf("%s: %s %q (fix %q), want passed", name, c.State, c.Detail, c.Fix)
		}
	}
	// What no API shows is never passed: evidence once seen, else unknown.
	for _, name := range []string{"Softphone in the utility bar", "Event subscriptions"} {
		if c := got[name]; c.State != cti.CheckUnknown {
			t.Errorf("%s before any softphone or call: %s %q", name, c.State, c.Detail)
		}
	}
	ws := e.connectSoftphone()
	defer ws.Close()
	bodies, err := sim().Inbound(simSpec("7400000000000009901"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	e.drain()
	got, _ = checksByName(t, e)
	for _, name := range []string{"Softphone in the utility bar", "Event subscriptions"} {
		if c := got[name]; c.State != cti.CheckEvidence || !strings.Contains(c.Detail, "last") {
			t.Errorf("%s after a softphone and a call: %s %q, want evidence", name, c.State, c.Detail)
		}
	}
}

// Each way an org can be set up wrong fails its check, with the fix.
func TestDoctorNamesEachMistakeAndItsFix(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(t *testing.T, e *env)
		check  string
		detail string // in the failure
		fix    string // in its fix
	}{
		{"webhook URL reaches another deployment", func(t *testing.T, e *env) {
			// A proxy that sends the URL to an old deployment, whose secret
			// token is another: it answers the challenge with its own HMAC.
			old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ch struct {
					Payload struct{ PlainToken string } `json:"payload"`
				}
				_ = json.NewDecoder(r.Body).Decode(&ch)
				_ = json.NewEncoder(w).Encode(zoom.Validate("another-deployments-secret", ch.Payload.PlainToken))
			}))
			t.Cleanup(old.Close)
			u, _ := url.Parse(old.URL)
			e.public.url.Store(u)
		}, "Webhook URL", "not the expected token", "re-validate"},
		{"missing scope", func(t *testing.T, e *env) {
			e.org.SetAppScopes("api", "refresh_token", "openid", "id", "profile", "email")
			if a, msg := e.signInAs(e.org.AdminUser().Username); a == nil {
				t.Fatalf("sign-in without custom_permissions: %s", msg)
			}
		}, "OAuth scopes", "custom_permissions", "Selected OAuth Scopes"},
		{"hidden phone field", func(t *testing.T, e *env) {
			e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AssistantPhone", false)
		}, "Phone fields visible to agents", "Contact.AssistantPhone", "Field-Level Security"},
		{"no call center", func(t *testing.T, e *env) {
			for _, r := range e.org.Records("CallCenter") {
				e.org.Delete("CallCenter", r["Id"].(string))
			}
		}, "Call center", "no call center", "/callcenter.xml"},
		{"call center of another server", func(t *testing.T, e *env) {
			for _, r := range e.org.Records("CallCenter") {
				e.org.Delete("CallCenter", r["Id"].(string))
			}
			e.org.Insert("CallCenter", map[string]any{"Name": "Old vendor", "InternalName": "old", "AdapterUrl": "https://old.example.com/cti"})
		}, "Call center", "old.example.com", "Import"},
		{"renamed status", func(t *testing.T, e *env) {
			e.setSettings(func(s *cti.Settings) { s.TaskStatus = "Completed" })
			e.org.SetTaskStatuses(doneStatuses)
		}, "Task status", `"Completed"`, "Done"},
		{"normalised-number field missing", func(t *testing.T, e *env) {
			e.setSettings(func(s *cti.Settings) { s.PhoneE164Fields = []string{"Contact.Phone_E164__c"} })
		}, "Normalised-number fields", "Contact.Phone_E164__c", "Finding the caller"},
		{"custom permission not associated", func(t *testing.T, e *env) {
			e.org.SetAppCustomPermissions()
		}, "Admin custom permission " + sfsim.DefaultAdminCustomPermission, "not associated", "App Policies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := doctorEnv(t)
			tc.break_(t, e)
			got, _ := checksByName(t, e)
			c := got[tc.check]
			if c.State != cti.CheckFailed || !strings.Contains(c.Detail, tc.detail) || !strings.Contains(c.Fix, tc.fix) {
				t.Fatalf("%s: %s %q fix %q; want failed with %q and a fix with %q", tc.check, c.State, c.Detail, c.Fix, tc.detail, tc.fix)
			}
			for name, other := range got {
				if name != tc.check && other.State == cti.CheckFailed {
					t.Errorf("%s failed too: %q", name, other.Detail)
				}
			}
		})
	}
}

func TestDoctorNeedsTheOperatorToken(t *testing.T) {
	e := doctorEnv(t)
	for _, tc := range []struct {
		name, token string
		want        int
	}{{"none", "", http.StatusUnauthorized}, {"wrong", "not-the-token-0123456789", http.StatusUnauthorized}, {"operator", testOpsToken, http.StatusOK}} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.url+"/api/ops/doctor", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// With no admin signed in the checks run as an agent, who may not read the
// org's custom permissions: the doctor says so rather than failing the row.
func TestDoctorAsAnAgentSaysWhatNeedsAnAdmin(t *testing.T) {
	e := newEnv(t)
	got, rep := checksByName(t, e)
	if rep.Orgs[0].AsUser != e.org.DemoUser().Username {
		t.Fatalf("ran as %q, want the agent", rep.Orgs[0].AsUser)
	}
	c := got["Admin custom permission "+sfsim.DefaultAdminCustomPermission]
	if c.State != cti.CheckUnknown || !strings.Contains(c.Detail, "sign in as an admin") {
		t.Errorf("custom permission row as an agent: %s %q", c.State, c.Detail)
	}
}

// The admin page's Set-up Guide shows the doctor's checks for the admin's
// own org, every one under its step, in the order an admin sets things
// up; a step breaks with its fix when its part of the setup does; an agent
// may not read it.
func TestSetupGuide(t *testing.T) {
	e := doctorEnv(t)
	admin := e.adminSession()
	guide := func() (map[string]SetupStep, []string) {
		t.Helper()
		status, out := e.api(http.MethodGet, "/api/admin/setup", admin, nil)
		if status != http.StatusOK {
			t.Fatalf("GET /api/admin/setup: %d %v", status, out)
		}
		if out["org_id"] != e.org.OrgID() || out["as_user"] != e.org.AdminUser().Username {
			t.Fatalf("guide for %v as %v, want the admin's own org as the admin", out["org_id"], out["as_user"])
		}
		steps := map[string]SetupStep{}
		var order []string
		list, _ := out["steps"].([]any)
		for _, raw := range list {
			m := raw.(map[string]any)
			st := SetupStep{ID: m["id"].(string), State: cti.CheckState(m["state"].(string)), Title: m["title"].(string)}
			for _, c := range m["checks"].([]any) {
				cm := c.(map[string]any)
				fix, _ := cm["fix"].(string)
				st.Checks = append(st.Checks, cti.Check{ID: cm["id"].(string), State: cti.CheckState(cm["state"].(string)), Detail: cm["detail"].(string), Fix: fix})
			}
			steps[st.ID] = st
			order = append(order, st.ID)
		}
		return steps, order
	}
	steps, order := guide()
	want := []string{"sf-app", "sf-permissions", "sf-call-center", "sf-utility-bar", "sf-fields", "zoom-app", "zoom-events", "zoom-embed"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("steps %v, want %v (none left over)", order, want)
	}
	for _, id := range []string{"sf-app", "sf-permissions", "sf-call-center", "sf-fields", "zoom-app"} {
		if steps[id].State != cti.CheckPassed {
			t.Errorf("%s: %s %+v, want passed in a set-up org", id, steps[id].State, steps[id].Checks)
		}
	}
	// No API shows the utility bar, the subscriptions or the embed's
	// approved domains: unknown until seen, then evidence.
	for _, id := range []string{"sf-utility-bar", "zoom-embed"} {
		if steps[id].State != cti.CheckUnknown {
			t.Errorf("%s before any softphone: %s", id, steps[id].State)
		}
	}
	ws := e.connectSoftphone()
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": "embed", "state": "ready"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return !e.s.lastEvidence(context.Background(), e.org.OrgID(), factEmbed).IsZero() }, "the embed's evidence")
	steps, _ = guide()
	for _, id := range []string{"sf-utility-bar", "zoom-embed"} {
		if steps[id].State != cti.CheckEvidence {
			t.Errorf("%s after the softphone heard from the embed: %s", id, steps[id].State)
		}
	}

	// Break a step in the emulated org: it fails, with its fix.
	for _, r := range e.org.Records("CallCenter") {
		e.org.Delete("CallCenter", r["Id"].(string))
	}
	steps, _ = guide()
	cc := steps["sf-call-center"]
	if cc.State != cti.CheckFailed || len(cc.Checks) != 1 || !strings.Contains(cc.Checks[0].Fix, "/callcenter.xml") {
		t.Errorf("call center step after deleting the call center: %+v", cc)
	}

	if status, _ := e.api(http.MethodGet, "/api/admin/setup", e.session(), nil); status != http.StatusForbidden {
		t.Errorf("an agent reading the guide: %d, want 403", status)
	}
}
