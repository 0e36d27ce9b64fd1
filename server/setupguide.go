package server

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// The admin page's Set-up Guide walks an admin through connecting their org
// and their Zoom account, each step with the live result of zoomcti
// doctor's checks for it (the same checks, run for the admin's own org with
// the admin's tokens) and the fix for what failed. Steps no API can check
// show evidence or say they can't be checked from here.

// SetupStep is one step of the guide.
type SetupStep struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Where is the console the step is done in: Salesforce or Zoom.
	Where string `json:"where"`
	// How says what to do, in short; Guide names the section of the
	// setup guide (docs/setup.md) that says it in full.
	How    string         `json:"how"`
	Guide  string         `json:"guide"`
	State  cti.CheckState `json:"state"` // the worst of its checks
	Checks []cti.Check    `json:"checks"`
}

// SetupGuide is what GET /api/admin/setup answers.
type SetupGuide struct {
	Org     string      `json:"org"`
	OrgID   string      `json:"org_id"`
	AsUser  string      `json:"as_user"`
	Checked time.Time   `json:"checked"`
	Steps   []SetupStep `json:"steps"`
}

// setupSteps are the guide's steps in the order an admin takes them, with
// the doctor checks each shows.
var setupSteps = []struct {
	SetupStep
	checks []string
}{
	{SetupStep{ID: "sf-app", Where: "Salesforce", Title: "External Client App",
		How:   "Create the External Client App with OAuth enabled, zoomcti's callback URL and the scopes api, refresh_token, id and custom_permissions; then sign in from the softphone.",
		Guide: "docs/setup.md#31-the-external-client-app"},
		[]string{cti.CheckSFSignedIn, cti.CheckSFScopes, cti.CheckSFVersion}},
	{SetupStep{ID: "sf-permissions", Where: "Salesforce", Title: "Permission sets and the admin custom permission",
		How:   "Create the custom permission, associate it with the app, put it in an admin permission set, and assign the agents' and admins' permission sets.",
		Guide: "docs/setup.md#32-permission-sets-and-the-admin-custom-permission"},
		[]string{cti.CheckSFAdminPermission, cti.CheckSFAdminSignedIn}},
	{SetupStep{ID: "sf-call-center", Where: "Salesforce", Title: "Call center",
		How:   "Import /callcenter.xml in Setup → Call Centers and add the agents to it.",
		Guide: "docs/setup.md#33-the-call-center"},
		[]string{cti.CheckSFCallCenter}},
	{SetupStep{ID: "sf-utility-bar", Where: "Salesforce", Title: "Softphone in the utility bar",
		How:   "Add Open CTI Softphone to the utility bar of the apps the agents use (Lightning App Builder).",
		Guide: "docs/setup.md#34-the-utility-bar"},
		[]string{cti.CheckSFUtilityBar}},
	{SetupStep{ID: "sf-fields", Where: "Salesforce", Title: "Phone fields and Task status",
		How:   "Let agents read the phone fields callers' numbers are stored in; keep a closed Task status for call logs.",
		Guide: "docs/setup.md#35-optional"},
		[]string{cti.CheckSFPhoneFields, cti.CheckSFE164Fields, cti.CheckSFTaskStatus}},
	{SetupStep{ID: "zoom-app", Where: "Zoom", Title: "Zoom Marketplace app and its scopes",
		How:   "Create the General app with user-managed OAuth and the granular scopes the guide lists; agents link Zoom from the softphone.",
		Guide: "docs/setup.md#41-the-marketplace-app"},
		[]string{cti.CheckZoomScopes}},
	{SetupStep{ID: "zoom-events", Where: "Zoom", Title: "Event subscriptions",
		How:   "Subscribe the webhook URL to the phone events the guide lists, with the app's secret token.",
		Guide: "docs/setup.md#41-the-marketplace-app"},
		[]string{cti.CheckZoomWebhookURL, cti.CheckZoomEvents}},
	{SetupStep{ID: "zoom-embed", Where: "Zoom", Title: "Smart Embed approved domain and third-party calling",
		How:   "Install Zoom Phone Smart Embed, add zoomcti's address to its approved domains, and turn on \"Automatically Call From 3rd Party Apps\" in the Zoom account's phone settings.",
		Guide: "docs/setup.md#42-account-settings"},
		[]string{cti.CheckZoomEmbed}},
}

// handleSetupGuide answers GET /api/admin/setup: the guide for the
// admin's own org.
func (s *Server) handleSetupGuide(w http.ResponseWriter, r *http.Request) {
	admin, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	guide, err := s.setupGuide(ctx, *admin)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "cannot read the org's signed-in agents", err))
		return
	}
	writeJSON(w, http.StatusOK, guide)
}

// setupGuide runs the doctor's checks for admin's org, as admin, and
// groups them into the guide's steps.
func (s *Server) setupGuide(ctx context.Context, admin agentRecord) (*SetupGuide, error) {
	agents, err := s.signedInAgents(ctx)
	if err != nil {
		return nil, err
	}
	// The admin first: the org's checks run as them. Only this org's
	// agents take part; another org's are none of this admin's business.
	list := []agentRecord{admin}
	for _, a := range agents {
		if a.OrgID == admin.OrgID && a.UserID != admin.UserID {
			list = append(list, a)
		}
	}
	name := s.orgs.list[s.orgs.forLoginURL(admin.LoginURL)].Name
	org := s.doctorOrg(ctx, name, list)
	checks := append(org.Checks, s.doctorZoom(ctx, list)...)
	return &SetupGuide{Org: name, OrgID: admin.OrgID, AsUser: admin.Username, Checked: s.now().UTC(), Steps: groupSetupChecks(checks)}, nil
}

// groupSetupChecks puts each check under its step; a check no step names
// (a newer doctor check) gets a step of its own rather than going unseen.
func groupSetupChecks(checks []cti.Check) []SetupStep {
	var steps []SetupStep
	used := map[int]bool{}
	for _, def := range setupSteps {
		st := def.SetupStep
		for i, c := range checks {
			if slices.Contains(def.checks, c.ID) {
				st.Checks = append(st.Checks, c)
				used[i] = true
			}
		}
		if len(st.Checks) == 0 {
			continue // a check that does not apply (no normalised-number fields set)
		}
		st.State = worstState(st.Checks)
		steps = append(steps, st)
	}
	for i, c := range checks {
		if !used[i] {
			steps = append(steps, SetupStep{ID: "other-" + c.ID, Where: "zoomcti", Title: c.Name, State: c.State, Checks: []cti.Check{c}})
		}
	}
	return steps
}

// worstState is the state that needs the admin most: a failure, then what
// could not be checked, then evidence, then passed.
func worstState(checks []cti.Check) cti.CheckState {
	rank := map[cti.CheckState]int{cti.CheckPassed: 0, cti.CheckEvidence: 1, cti.CheckUnknown: 2, cti.CheckFailed: 3}
	worst := cti.CheckPassed
	for _, c := range checks {
		if rank[c.State] > rank[worst] {
			worst = c.State
		}
	}
	return worst
}
