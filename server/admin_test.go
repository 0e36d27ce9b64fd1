package server

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// signInAs runs Salesforce's web-server flow as username against the org,
// the consent approved, and completes zoomcti's sign-in with the code, as
// the popup's callback does. It returns the stored agent, or nil and what
// the agent is told.
func (e *env) signInAs(username string) (*agentRecord, string) {
	e.t.Helper()
	verifier := oauth2.GenerateVerifier()
	u, err := url.Parse(e.s.orgs.oauth[0].AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		e.t.Fatal(err)
	}
	form := u.Query()
	form.Set("decision", "allow")
	form.Set("username", username)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(e.sfURL+"/services/oauth2/authorize", form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		e.t.Fatalf("consent answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return e.s.completeSignin(context.Background(), loc.Query().Get("code"), verifier, 0)
}

// sessionFor starts a softphone session for a signed-in agent.
func (e *env) sessionFor(a *agentRecord) string {
	e.t.Helper()
	token, err := e.s.newSession(context.Background(), a.Agent)
	if err != nil {
		e.t.Fatal(err)
	}
	return token
}

// An agent's profile has none of View Setup and Configuration, Assign
// Permission Sets or Manage Users, so Salesforce refuses them
// PermissionSetAssignment; they sign in all the same, as agents.
func TestAgentWithoutSetupPermissionsSignsIn(t *testing.T) {
	e := newEnv(t)
	alice := e.org.DemoUser()
	if p := e.org.Profile(alice.ID); p != sfsim.ProfileStandardUser {
		t.Fatalf("Alice's profile is %q", p)
	}
	a, msg := e.signInAs(alice.Username)
	if a == nil {
		t.Fatalf("agent refused: %s", msg)
	}
	if a.Admin {
		t.Error("an agent is taken for an admin")
	}
	if status, _ := e.api(http.MethodGet, "/api/settings", e.sessionFor(a), nil); status != http.StatusForbidden {
		t.Errorf("agent's GET /api/settings: %d, want 403", status)
	}
	admin, msg := e.signInAs(e.org.AdminUser().Username)
	if admin == nil || !admin.Admin {
		t.Fatalf("admin signed in as %+v (%s), want an admin", admin, msg)
	}
}

// adminEnv is an env whose server clock the test moves.
type adminEnv struct {
	*env
	mu  sync.Mutex
	now time.Time
}

func newAdminEnv(t *testing.T) *adminEnv {
	ae := &adminEnv{now: time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)}
	ae.env = newEnvTuned(t, sfsim.New(sfsim.Options{}), func(s *Server) {
		s.now = func() time.Time { ae.mu.Lock(); defer ae.mu.Unlock(); return ae.now }
	})
	return ae
}

func (ae *adminEnv) tick(d time.Duration) { ae.mu.Lock(); ae.now = ae.now.Add(d); ae.mu.Unlock() }

// settingsStatus is what the admin's GET /api/settings answers.
func (ae *adminEnv) settingsStatus(token string) int {
	status, _ := ae.api(http.MethodGet, "/api/settings", token, nil)
	return status
}

// An admin whose custom permission is taken away in Salesforce (out of the
// permission set, the set unassigned, or the app no longer associated with
// it) loses admin rights within ten minutes.
func TestAdminLosesRightsWithinTenMinutes(t *testing.T) {
	tests := []struct {
		name   string
		revoke func(org *sfsim.Org)
	}{
		{"custom permission out of the permission set", func(org *sfsim.Org) {
			org.SetCustomPermission("Zoom_Admin", sfsim.DefaultAdminCustomPermission, false)
		}},
		{"permission set unassigned", func(org *sfsim.Org) { org.UnassignPermissionSet(org.AdminUser().ID, "Zoom_Admin") }},
		{"app no longer associated", func(org *sfsim.Org) { org.SetAppCustomPermissions() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ae := newAdminEnv(t)
			a, msg := ae.signInAs(ae.org.AdminUser().Username)
			if a == nil || !a.Admin {
				t.Fatalf("admin signed in as %+v (%s)", a, msg)
			}
			token := ae.sessionFor(a)
			if s := ae.settingsStatus(token); s != http.StatusOK {
				t.Fatalf("admin's settings: %d", s)
			}
			tt.revoke(ae.org)
			ae.tick(9 * time.Minute)
			if s := ae.settingsStatus(token); s != http.StatusOK {
				t.Fatalf("9 minutes on: %d, want 200 (rights read at sign-in still trusted)", s)
			}
			ae.tick(time.Minute)
			if s := ae.settingsStatus(token); s != http.StatusForbidden {
				t.Fatalf("10 minutes on: %d, want 403", s)
			}
			_, me := ae.api(http.MethodGet, "/api/me", token, nil)
			if me["admin"] != false {
				t.Errorf("/api/me admin = %v, want false", me["admin"])
			}
		})
	}
}

// An admin who keeps the permission stays one across re-checks, and a token
// refresh makes the next admin request ask Salesforce at once.
func TestAdminRightsAreReadAgainAfterARefresh(t *testing.T) {
	ae := newAdminEnv(t)
	admin := ae.org.AdminUser()
	a, msg := ae.signInAs(admin.Username)
	if a == nil || !a.Admin {
		t.Fatalf("admin signed in as %+v (%s)", a, msg)
	}
	token := ae.sessionFor(a)
	ae.tick(11 * time.Minute)
	if s := ae.settingsStatus(token); s != http.StatusOK {
		t.Fatalf("admin still holding the permission: %d", s)
	}
	// The session times out at Salesforce; the admin's next call refreshes.
	ae.org.SetCustomPermission("Zoom_Admin", sfsim.DefaultAdminCustomPermission, false)
	ae.org.ExpireAccessTokens()
	if _, err := ae.s.crm.FindByPhone(context.Background(), a.Agent, "+12025550142"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := ae.s.agent(context.Background(), a.OrgID, a.UserID); rec == nil || !rec.AdminChecked.IsZero() {
		t.Fatalf("after the refresh the admin check is not due: %+v", rec)
	}
	if s := ae.settingsStatus(token); s != http.StatusForbidden {
		t.Fatalf("right after the refresh: %d, want 403", s)
	}
}
