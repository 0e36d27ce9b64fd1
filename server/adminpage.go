package server

import (
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/static"
)

// The admin page (issue 12): the settings cards laid out for a full page,
// the Set-up Guide and the org's health, for users holding the admin
// custom permission. Salesforce shows it as a Web Tab, in a frame, so it
// signs in as the softphone does (a popup, a bearer token in the page);
// the page itself is public and holds nothing: every figure comes from the
// admin APIs, which answer only an admin, and only about their own org.

// adminPageConfig is handed to the page; nothing secret goes in it.
type adminPageConfig struct {
	Demo bool `json:"demo"`
	// SalesforceOrigins are the consoles the page may be framed by: the
	// sign-in goes to the org of the one framing it.
	SalesforceOrigins []string `json:"salesforceOrigins"`
	// AdminPermission names the custom permission an admin holds, for the
	// page to tell an agent who lacks it what to ask for.
	AdminPermission string `json:"adminPermission"`
}

// handleAdminPage answers GET /admin, the admin page.
func (s *Server) handleAdminPage(w http.ResponseWriter, r *http.Request) {
	page, err := fs.ReadFile(static.Pages, "admin.html")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tmpl, err := template.New("admin").Parse(string(page))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg, _ := json.Marshal(adminPageConfig{Demo: s.cfg.Demo, SalesforceOrigins: s.cfg.FrameAncestors, AdminPermission: s.cfg.SFAdminCustomPermission})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", s.adminCSP())
	// html/template escapes the JSON for its <script> context.
	if err := tmpl.Execute(w, template.JS(cfg)); err != nil {
		s.log.Warn("render admin page", "err", err)
	}
}

// adminCSP lets the Salesforce domains frame the page as a Web Tab, as they
// frame the softphone (frame-ancestors, never X-Frame-Options), and lets the
// page load nothing but its own scripts, styles and API: it runs no
// Salesforce script and frames nothing.
func (s *Server) adminCSP() string {
	anc := strings.Join(s.cfg.FrameAncestors, " ")
	return "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-src 'none'; frame-ancestors 'self' " + anc + "; base-uri 'none'; form-action 'self'"
}

// SetDemoAdmin makes a the admin whom the demo's admin page signs in as
// (POST /api/demo/admin-session), as SetDemoAgent does for the softphone.
func (s *Server) SetDemoAdmin(a cti.Agent) { s.demoAdmin = &a }

// handleDemoAdminSession answers POST /api/demo/admin-session (demo only):
// signs the admin page in as the demo's admin, standing in for the
// Salesforce sign-in.
func (s *Server) handleDemoAdminSession(w http.ResponseWriter, r *http.Request) {
	s.demoSession(w, r, s.demoAdmin)
}
