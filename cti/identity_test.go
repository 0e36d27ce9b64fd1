package cti

import "testing"

func TestIdentityMatches(t *testing.T) {
	tests := []struct {
		name                  string
		zoom, username, email string
		byUsername, want      bool
	}{
		{"username, same", "alice@example.com", "alice@example.com", "a@x.com", true, true},
		{"username, case and spaces", "  Alice@Example.com ", "alice@example.COM", "", true, true},
		{"username rule ignores the email", "a@x.com", "alice@example.com", "a@x.com", true, false},
		{"email rule", "a@x.com", "alice@example.com.sandbox", "A@X.com", false, true},
		{"email rule ignores the username", "alice@example.com", "alice@example.com", "other@example.com", false, false},
		{"empty Zoom email never matches", "", "", "", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := IdentityMatches(tc.zoom, tc.username, tc.email, tc.byUsername); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com": "al***@example.com",
		"bo@example.com":    "b***@example.com",
		"x@example.com":     "x***@example.com",
		"no-at-sign":        "no***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizePresence(t *testing.T) {
	for raw, want := range map[string]string{
		"Available": "available", "Away": "away", "Do_Not_Disturb": "dnd", "In_Meeting": "meeting",
		"In_A_Meeting": "meeting", "Presenting": "meeting", "On_Phone_Call": "call", "In_A_Call": "call",
		"Offline": "offline", "Out_of_Office": "other", "": "other",
	} {
		if got := NormalizePresence(raw).Status; got != want {
			t.Errorf("%q → %q, want %q", raw, got, want)
		}
	}
	if got := NormalizePresence("Out_of_Office").Label; got != "Out of Office" {
		t.Errorf("unknown values are shown as they came: %q", got)
	}
}
