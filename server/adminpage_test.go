package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/cti"
)

// cspDirectives splits a Content-Security-Policy into its directives.
func cspDirectives(csp string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = value
		}
	}
	return out
}

// GET /admin is the page Salesforce frames as a Web Tab: the Salesforce
// domains may frame it exactly as they frame the softphone, it never says
// X-Frame-Options, and its policy lets it run only its own scripts and
// styles (no inline code, no Salesforce script: it does not need one).
func TestAdminPageMayBeFramedBySalesforceOnly(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) {
		c.FrameAncestors = []string{"https://*.lightning.force.com", "https://*.my.salesforce.com"}
		c.SFAdminCustomPermission = "Phone_Admin"
	})
	h := s.Handler()
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	admin, softphone := get("/admin"), get("/softphone")
	if admin.Code != http.StatusOK || !strings.HasPrefix(admin.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /admin: %d %s", admin.Code, admin.Header().Get("Content-Type"))
	}
	if xfo := admin.Header().Get("X-Frame-Options"); xfo != "" {
		t.Errorf("X-Frame-Options %q: it cannot name Salesforce's domains", xfo)
	}
	csp := cspDirectives(admin.Header().Get("Content-Security-Policy"))
	if want := cspDirectives(softphone.Header().Get("Content-Security-Policy"))["frame-ancestors"]; csp["frame-ancestors"] != want || want == "" {
		t.Errorf("frame-ancestors %q, want the softphone's %q", csp["frame-ancestors"], want)
	}
	for name, want := range map[string]string{"script-src": "'self'", "style-src": "'self'", "connect-src": "'self'", "frame-src": "'none'", "base-uri": "'none'"} {
		if csp[name] != want {
			t.Errorf("%s %q, want %q", name, csp[name], want)
		}
	}
	if strings.Contains(admin.Header().Get("Content-Security-Policy"), "unsafe") {
		t.Errorf("CSP allows unsafe code: %s", admin.Header().Get("Content-Security-Policy"))
	}
	if cc := admin.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	// The page's configuration: nothing secret, the admin permission named
	// so that an agent is told what to ask for.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="zoomcti-config">(.*?)</script>`).FindStringSubmatch(admin.Body.String())
	if m == nil {
		t.Fatal("no configuration in the page")
	}
	var cfg adminPageConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("configuration %q: %v", m[1], err)
	}
	if cfg.AdminPermission != "Phone_Admin" || len(cfg.SalesforceOrigins) != 2 || cfg.Demo {
		t.Errorf("configuration %+v", cfg)
	}
	for _, secret := range []string{s.cfg.SFClientSecret, s.cfg.ZoomClientSecret, s.cfg.ZoomWebhookSecret, s.cfg.OpsToken} {
		if secret != "" && strings.Contains(admin.Body.String(), secret) {
			t.Error("the page carries a secret")
		}
	}
	// The template is rendered, never served raw.
	if w := get("/static/admin.html"); w.Code != http.StatusNotFound {
		t.Errorf("GET /static/admin.html: %d, want 404", w.Code)
	}
	for _, path := range []string{"/static/admin.css", "/static/js/admin/main.js", "/static/vendor/uplot/uPlot.esm.js", "/static/vendor/uplot/uPlot.min.css"} {
		if w := get(path); w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", path, w.Code)
		}
	}
}

// The demo's admin page signs in as the demo's admin, and only in the
// demo: a server that is not one has no such route.
func TestDemoAdminSession(t *testing.T) {
	post := func(s *Server, path, token string) (int, map[string]any) {
		w := httptest.NewRecorder()
		method := http.MethodPost
		if token != "" {
			method = http.MethodGet
		}
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		s.Handler().ServeHTTP(w, req)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	admin := cti.Agent{OrgID: "00D5g00000DemoA", UserID: "0055g00000Admin", Name: "Avery Admin", Username: "admin@example.com"}
	for _, demo := range []bool{true, false} {
		t.Run(fmt.Sprintf("demo %v", demo), func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) { c.Demo = demo })
			if code, _ := post(s, "/api/demo/admin-session", ""); code != http.StatusNotFound {
				t.Fatalf("before the demo names its admin: %d, want 404", code)
			}
			rec := agentRecord{Agent: admin, Admin: true, AdminChecked: s.now()}
			if err := s.SaveAgent(t.Context(), rec, nil); err != nil {
				t.Fatal(err)
			}
			s.SetDemoAdmin(admin)
			code, out := post(s, "/api/demo/admin-session", "")
			if !demo {
				if code == http.StatusOK {
					t.Fatal("a server that is not the demo signs anyone in as its admin")
				}
				return
			}
			ag, _ := out["agent"].(map[string]any)
			token, _ := out["token"].(string)
			if code != http.StatusOK || ag["user_id"] != admin.UserID || ag["admin"] != true || token == "" {
				t.Fatalf("demo admin session: %d %v", code, out)
			}
			if code, out := post(s, "/api/admin/agents", token); code != http.StatusOK || out["org_id"] != admin.OrgID {
				t.Errorf("the demo admin's token on an admin API: %d %v", code, out)
			}
		})
	}
}
