package cti

// Check is one line of zoomcti doctor: something an admin set up in
// Salesforce or Zoom, checked with a live call where an API can tell, and
// shown as evidence (or as "can't check from here") where none can — never
// as passed because the configuration says so.
type Check struct {
	// ID names the check for the admin page's Set-up Guide, which groups
	// the checks into its steps (CheckSF… and CheckZoom… below).
	ID     string     `json:"id,omitempty"`
	Name   string     `json:"name"`
	State  CheckState `json:"state"`
	Detail string     `json:"detail"`
	// Fix says what to do when State is CheckFailed.
	Fix string `json:"fix,omitempty"`
}

// CheckState is how a check came out.
type CheckState string

const (
	CheckPassed CheckState = "ok"
	CheckFailed CheckState = "fail"
	// CheckEvidence: no API can say; Detail shows what zoomcti saw.
	CheckEvidence CheckState = "evidence"
	// CheckUnknown: it could not be checked now (Detail says why).
	CheckUnknown CheckState = "unknown"
)

// Passed is a passed check.
func Passed(name, detail string) Check { return Check{Name: name, State: CheckPassed, Detail: detail} }

// Failed is a failed check with its fix.
func Failed(name, detail, fix string) Check {
	return Check{Name: name, State: CheckFailed, Detail: detail, Fix: fix}
}

// The checks' ids.
const (
	CheckSFScopes          = "sf.scopes"
	CheckSFVersion         = "sf.api_version"
	CheckSFPhoneFields     = "sf.phone_fields"
	CheckSFE164Fields      = "sf.e164_fields"
	CheckSFTaskStatus      = "sf.task_status"
	CheckSFCallCenter      = "sf.call_center"
	CheckSFAdminPermission = "sf.admin_permission"
	CheckSFAdminSignedIn   = "sf.admin_signed_in"
	CheckSFSignedIn        = "sf.signed_in"
	CheckSFUtilityBar      = "sf.utility_bar"
	CheckZoomScopes        = "zoom.scopes"
	CheckZoomWebhookURL    = "zoom.webhook_url"
	CheckZoomEvents        = "zoom.events"
	CheckZoomEmbed         = "zoom.embed"
)

// WithID is c named id.
func (c Check) WithID(id string) Check { c.ID = id; return c }
