package cti

// Settings are one Salesforce org's admin settings (the settings cards).
// A field missing from a stored document keeps its default.
type Settings struct {
	// MatchZoomEmailToUsername is the Common Settings card: link an agent's
	// Zoom account when its login email equals the Salesforce username
	// (true) or the Salesforce email (false).
	MatchZoomEmailToUsername bool `json:"match_zoom_email_to_username"`
}

// DefaultSettings are the settings of an org whose admin changed nothing.
func DefaultSettings() Settings {
	return Settings{MatchZoomEmailToUsername: true}
}
