package cti

import "strings"

// IdentityMatches applies the Common Settings rule for linking an agent's
// Zoom account: the Zoom login email must equal the Salesforce username
// (byUsername, the default) or the Salesforce email, ignoring case and
// surrounding spaces. It returns what the Zoom email was compared with.
func IdentityMatches(zoomEmail, sfUsername, sfEmail string, byUsername bool) (ok bool, comparedWith string) {
	comparedWith = sfEmail
	if byUsername {
		comparedWith = sfUsername
	}
	z := strings.ToLower(strings.TrimSpace(zoomEmail))
	return z != "" && z == strings.ToLower(strings.TrimSpace(comparedWith)), comparedWith
}

// MaskEmail shows enough of an address for its owner to recognise it
// without spelling it out: "alice@example.com" → "al***@example.com".
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	local, domain, ok := strings.Cut(s, "@")
	if !ok {
		if len(s) <= 2 {
			return "***"
		}
		return s[:2] + "***"
	}
	keep := min(2, len(local))
	if len(local) <= 2 {
		keep = min(1, len(local)) // "@x" has no local part to show
	}
	return local[:keep] + "***@" + domain
}

// Presence is an agent's Zoom presence as the softphone shows it.
type Presence struct {
	Status string `json:"status"` // available, away, dnd, meeting, call, offline, other
	Label  string `json:"label"`
	Raw    string `json:"raw,omitempty"`
}

// NormalizePresence maps Zoom's presence values (the webhook's and the REST
// API's vocabularies differ, and neither is fully documented) to the six the
// softphone shows; anything else is shown neutrally as it came.
func NormalizePresence(raw string) Presence {
	key := strings.ToLower(strings.NewReplacer("_", "", " ", "", "-", "").Replace(raw))
	switch key {
	case "available":
		return Presence{Status: "available", Label: "Available", Raw: raw}
	case "away":
		return Presence{Status: "away", Label: "Away", Raw: raw}
	case "donotdisturb", "dnd":
		return Presence{Status: "dnd", Label: "Do not disturb", Raw: raw}
	case "inmeeting", "inameeting", "inazoommeeting", "presenting":
		return Presence{Status: "meeting", Label: "In a meeting", Raw: raw}
	case "onphonecall", "inacall", "onacall", "oncall":
		return Presence{Status: "call", Label: "On a call", Raw: raw}
	case "offline":
		return Presence{Status: "offline", Label: "Offline", Raw: raw}
	}
	label := strings.TrimSpace(strings.ReplaceAll(raw, "_", " "))
	if label == "" {
		label = "Unknown"
	}
	return Presence{Status: "other", Label: label, Raw: raw}
}
