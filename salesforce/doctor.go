package salesforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zoomcti/zoomcti/cti"
)

// DoctorInput is what the org's checks compare against.
type DoctorInput struct {
	// OrgID and UserID are the signed-in user the checks run as (an admin
	// where one is signed in).
	OrgID, UserID string
	// HasRefreshToken: the grant came with a refresh token.
	HasRefreshToken bool
	// AdapterURL is this server's softphone URL, which the org's call
	// center must name.
	AdapterURL string
	// CallCenterURL is where the definition to import is served.
	CallCenterURL string
	// AdminPermission is the custom permission that makes an admin.
	AdminPermission string
	// AsAdmin: the checks run as an admin. Only admins may read the org's
	// CustomPermission records (Object Reference, Special Access Rules).
	AsAdmin bool
	// TaskStatus is the closed status the admin picked ("": the org's own).
	TaskStatus string
	// Agent, when set, is a signed-in agent's client: the phone fields are
	// checked as an agent sees them. AgentName names them.
	Agent     *Client
	AgentName string
	// NewestVersion is the newest API version zoomcti asks for.
	NewestVersion string
	// E164Fields are the normalised-number fields the settings name
	// ("Contact.Phone_E164__c").
	E164Fields []string
}

// agentPhoneFields are the standard phone fields an inbound number may be
// stored in, per object; one hidden from agents means callers stored there
// do not pop for them.
var agentPhoneFields = []struct{ object, field, label string }{
	{"Contact", "Phone", "Business Phone"}, {"Contact", "MobilePhone", "Mobile Phone"}, {"Contact", "HomePhone", "Home Phone"},
	{"Contact", "OtherPhone", "Other Phone"}, {"Contact", "AssistantPhone", "Asst. Phone"},
	{"Lead", "Phone", "Phone"}, {"Lead", "MobilePhone", "Mobile Phone"},
	{"Account", "Phone", "Account Phone"},
}

// Doctor checks, with live calls as c's user, what an admin set up in the
// org for zoomcti.
func (c *Client) Doctor(ctx context.Context, in DoctorInput) []cti.Check {
	var out []cti.Check
	add := func(id string, checks ...cti.Check) {
		for _, ch := range checks {
			out = append(out, ch.WithID(id))
		}
	}
	add(cti.CheckSFScopes, c.checkScopes(ctx, in)...)
	add(cti.CheckSFVersion, c.checkVersion(ctx, in))
	add(cti.CheckSFPhoneFields, c.checkPhoneFields(ctx, in))
	if len(in.E164Fields) > 0 {
		add(cti.CheckSFE164Fields, c.checkE164Fields(ctx, in))
	}
	add(cti.CheckSFTaskStatus, c.checkTaskStatus(ctx, in))
	add(cti.CheckSFCallCenter, c.checkCallCenter(ctx, in))
	add(cti.CheckSFAdminPermission, c.checkAdminPermission(ctx, in))
	return out
}

// unreachable is a check that could not run because Salesforce did not
// answer; a refusal that names a scope says so.
func unreachable(name string, err error) cti.Check {
	var e *Error
	if errors.As(err, &e) && e.MissingScope() != "" {
		return cti.Failed(name, "Salesforce refused: the grant lacks the "+e.MissingScope()+" scope", MissingScopeMessage(e.MissingScope()))
	}
	return cti.Check{Name: name, State: cti.CheckUnknown, Detail: "Salesforce did not answer: " + err.Error()}
}

func (c *Client) checkScopes(ctx context.Context, in DoctorInput) []cti.Check {
	const name = "OAuth scopes"
	var granted, missing []string
	if err := c.CheckDataAPI(ctx, in.UserID); err != nil {
		if !errors.Is(err, KindMissingScope) {
			return []cti.Check{unreachable(name, err)}
		}
		missing = append(missing, "api")
	} else {
		granted = append(granted, "api")
	}
	if in.HasRefreshToken {
		granted = append(granted, "refresh_token")
	} else {
		missing = append(missing, "refresh_token")
	}
	info, err := c.UserInfo(ctx)
	switch {
	case errors.Is(err, KindMissingScope):
		missing = append(missing, "openid", "id")
	case err != nil:
		return []cti.Check{unreachable(name, err)}
	case info.Email == "" && info.Username == "":
		granted = append(granted, "openid")
		missing = append(missing, "id")
	default:
		granted = append(granted, "openid", "id")
	}
	id, err := c.Identity(ctx, in.OrgID, in.UserID)
	switch {
	case err == nil && id.CustomPermissions != nil:
		granted = append(granted, "custom_permissions")
	case err == nil || errors.Is(err, KindMissingScope):
		missing = append(missing, "custom_permissions")
	default:
		return []cti.Check{unreachable(name, err)}
	}
	if len(missing) > 0 {
		return []cti.Check{cti.Failed(name, "the grant lacks "+strings.Join(missing, ", "),
			"In Setup → External Client App Manager → the zoomcti app → Policies/Settings → OAuth Settings, add "+
				strings.Join(missing, ", ")+" to the Selected OAuth Scopes; agents then sign in again.")}
	}
	return []cti.Check{cti.Passed(name, strings.Join(granted, ", ")+" granted")}
}

func (c *Client) checkVersion(ctx context.Context, in DoctorInput) cti.Check {
	const name = "REST API version"
	v, err := c.APIVersion(ctx)
	if errors.Is(err, KindUnsupportedVersion) {
		return cti.Failed(name, err.Error(), "The org serves no REST API version zoomcti supports (36.0 or newer); ask Salesforce support, or lower ZOOMCTI_SF_API_VERSION.")
	}
	if err != nil {
		return unreachable(name, err)
	}
	detail := "v" + v
	if v == in.NewestVersion {
		detail += " (zoomcti's newest)"
	} else {
		detail += " (the org's newest; zoomcti would use up to v" + in.NewestVersion + ")"
	}
	return cti.Passed(name, detail)
}

func (c *Client) checkPhoneFields(ctx context.Context, in DoctorInput) cti.Check {
	const name = "Phone fields visible to agents"
	cl, who := in.Agent, in.AgentName
	if cl == nil {
		return cti.Check{Name: name, State: cti.CheckUnknown,
			Detail: "no agent of this org is signed in; field access differs per profile, so it is checked as an agent once one signs in"}
	}
	var hidden, searched []string
	for _, f := range agentPhoneFields {
		d, err := cl.describe(ctx, f.object, true)
		if err != nil {
			return unreachable(name, err)
		}
		if !d.has(f.field) {
			hidden = append(hidden, f.object+"."+f.field+" ("+f.label+")")
		}
	}
	for _, obj := range []string{"Contact", "Lead", "Account"} {
		d, err := cl.describe(ctx, obj, false)
		if err != nil {
			return unreachable(name, err)
		}
		for _, f := range d.fields {
			if f.Type == "phone" {
				searched = append(searched, obj+"."+f.Name)
			}
		}
	}
	if len(hidden) > 0 {
		return cti.Failed(name, "hidden from "+who+": "+strings.Join(hidden, ", ")+"; callers whose number is stored there do not pop",
			"Give the agents' profile or permission set Read access to each (Setup → Object Manager → the object → Fields & Relationships → the field → Set Field-Level Security).")
	}
	return cti.Passed(name, "as "+who+": "+strings.Join(searched, ", "))
}

func (c *Client) checkE164Fields(ctx context.Context, in DoctorInput) cti.Check {
	const name = "Normalised-number fields"
	cl, who := in.Agent, in.AgentName
	if cl == nil {
		cl, who = c, "the admin"
	}
	var missing []string
	for _, of := range in.E164Fields {
		obj, field, _ := strings.Cut(of, ".")
		d, err := cl.describe(ctx, obj, true)
		if err != nil {
			return unreachable(name, err)
		}
		if !d.has(field) {
			missing = append(missing, of)
		}
	}
	if len(missing) > 0 {
		return cti.Failed(name, strings.Join(missing, ", ")+" missing or hidden from "+who+": those lookups search instead (a request more, and records too new for the search index do not pop)",
			"Create the field as the README's \"Finding the caller\" says and give agents Read access to it, or remove it from zoomcti's settings.")
	}
	return cti.Passed(name, strings.Join(in.E164Fields, ", ")+" visible to "+who)
}

func (c *Client) checkTaskStatus(ctx context.Context, in DoctorInput) cti.Check {
	const name = "Task status"
	recs, err := c.Query(ctx, "SELECT ApiName FROM TaskStatus WHERE IsClosed = true ORDER BY SortOrder")
	if err != nil {
		return unreachable(name, err)
	}
	var closed []string
	for _, r := range recs {
		closed = append(closed, r.String("ApiName"))
	}
	if len(closed) == 0 {
		return cti.Failed(name, "the org has no closed Task status", "Add a closed value to Task Status (Setup → Object Manager → Task → Fields → Status); call logs are saved closed.")
	}
	if in.TaskStatus != "" {
		if !slices.Contains(closed, in.TaskStatus) {
			return cti.Failed(name, fmt.Sprintf("call logs are set to be saved with Status %q, which is not one of the org's closed statuses (%s)", in.TaskStatus, strings.Join(closed, ", ")),
				"In zoomcti's settings (Call logs card), pick one of "+strings.Join(closed, ", ")+", or leave it empty for the org's own.")
		}
		return cti.Passed(name, fmt.Sprintf("call logs are saved with Status %q (picked by an admin)", in.TaskStatus))
	}
	return cti.Passed(name, fmt.Sprintf("call logs are saved with Status %q (the org's first closed status)", closed[0]))
}

func (c *Client) checkCallCenter(ctx context.Context, in DoctorInput) cti.Check {
	const name = "Call center"
	recs, err := c.Query(ctx, "SELECT Id, Name, InternalName, AdapterUrl FROM CallCenter")
	if err != nil {
		return unreachable(name, err)
	}
	var others []string
	for _, r := range recs {
		u := r.String("AdapterUrl")
		if base, _, _ := strings.Cut(u, "?"); strings.EqualFold(strings.TrimRight(base, "/"), strings.TrimRight(in.AdapterURL, "/")) {
			return cti.Passed(name, fmt.Sprintf("%q points at this server (%s)", r.String("Name"), u))
		}
		others = append(others, fmt.Sprintf("%q → %s", r.String("Name"), u))
	}
	fix := "In Setup → Call Centers → Import, import " + in.CallCenterURL + ", then add the agents to it (Manage Call Center Users)."
	if len(others) > 0 {
		return cti.Failed(name, "no call center points at "+in.AdapterURL+" (the org has "+strings.Join(others, ", ")+")", fix)
	}
	return cti.Failed(name, "the org has no call center", fix)
}

func (c *Client) checkAdminPermission(ctx context.Context, in DoctorInput) cti.Check {
	name := "Admin custom permission " + in.AdminPermission
	if !in.AsAdmin {
		return cti.Check{Name: name, State: cti.CheckUnknown,
			Detail: "only a user with View Setup and Configuration may read the org's custom permissions; sign in as an admin and run zoomcti doctor again"}
	}
	recs, err := c.Query(ctx, fmt.Sprintf("SELECT Id FROM CustomPermission WHERE DeveloperName = '%s'", EscapeSOQL(in.AdminPermission)))
	if err != nil {
		return unreachable(name, err)
	}
	if len(recs) == 0 {
		return cti.Failed(name, "the org has no custom permission "+in.AdminPermission,
			"Create it (Setup → Custom Permissions → New, API name "+in.AdminPermission+"), include it in the admins' permission set and associate it with the zoomcti External Client App.")
	}
	id, err := c.Identity(ctx, in.OrgID, in.UserID)
	if err != nil {
		return unreachable(name, err)
	}
	if id.CustomPermissions == nil {
		return cti.Check{Name: name, State: cti.CheckUnknown, Detail: "exists; whether the app is associated with it shows only with the custom_permissions scope (see OAuth scopes)"}
	}
	if _, ok := id.CustomPermissions[in.AdminPermission]; !ok {
		return cti.Failed(name, "exists but is not associated with the zoomcti External Client App, so nobody is recognised as an admin",
			"In Setup → External Client App Manager → the zoomcti app → Policies → App Policies, add "+in.AdminPermission+" to its custom permissions.")
	}
	return cti.Passed(name, "exists and is associated with the app")
}
