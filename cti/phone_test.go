package cti

import (
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	us := PhoneRules{DefaultRegion: "US"}
	gb := PhoneRules{DefaultRegion: "GB"}
	jp := PhoneRules{DefaultRegion: "JP"}
	pbx := PhoneRules{DefaultRegion: "US", StripPrefixes: []string{"9"}}
	addUK := PhoneRules{DefaultRegion: "US", AddPrefix: "+44"}

	tests := []struct {
		name     string
		raw      string
		rules    PhoneRules
		e164     string
		national string
		ext      string
		valid    bool
		internal bool
	}{
		// United States.
		{name: "US E.164", raw: "+12025550142", rules: us, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US E.164 in a GB org", raw: "+12025550142", rules: gb, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US bare 10 digits", raw: "2025550142", rules: us, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US digits with country code", raw: "12025550142", rules: us, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US digits with country code in a GB org", raw: "12025550142", rules: gb, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US parentheses", raw: "(202) 555-0177", rules: us, e164: "+12025550177", national: "2025550177", valid: true},
		{name: "US dots", raw: "202.555.0123", rules: us, e164: "+12025550123", national: "2025550123", valid: true},
		{name: "US dashes", raw: "202-555-0199", rules: us, e164: "+12025550199", national: "2025550199", valid: true},
		{name: "US spaced E.164", raw: " +1 202 555 0142 ", rules: us, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US 1- prefix", raw: "1-202-555-0142", rules: us, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US extension x", raw: "(202) 555-0142 x123", rules: us, e164: "+12025550142", national: "2025550142", ext: "123", valid: true},
		{name: "US extension ext.", raw: "202.555.0142 ext. 45", rules: us, e164: "+12025550142", national: "2025550142", ext: "45", valid: true},
		{name: "US E.164 with extension", raw: "+12025550142;ext=7", rules: us, e164: "+12025550142", national: "2025550142", ext: "7", valid: true},
		{name: "US toll free vanity", raw: "+1 800 FLOWERS", rules: us, e164: "+18003569377", national: "8003569377", valid: true},
		{name: "US outside-line 9 stripped", raw: "9-1-202-555-0142", rules: pbx, e164: "+12025550142", national: "2025550142", valid: true},
		{name: "US 9 area code kept when stripping breaks it", raw: "917-555-1234", rules: pbx, e164: "+19175551234", national: "9175551234", valid: true},
		{name: "US international prefix 011", raw: "011 44 20 7946 0018", rules: us, e164: "+442079460018", national: "02079460018", valid: true},

		// United Kingdom: trunk prefix 0.
		{name: "UK national in GB org", raw: "020 7946 0018", rules: gb, e164: "+442079460018", national: "02079460018", valid: true},
		{name: "UK E.164", raw: "+44 20 7946 0018", rules: us, e164: "+442079460018", national: "02079460018", valid: true},
		{name: "UK digits with country code", raw: "442079460018", rules: us, e164: "+442079460018", national: "02079460018", valid: true},
		{name: "UK 00 prefix", raw: "0044 20 7946 0018", rules: gb, e164: "+442079460018", national: "02079460018", valid: true},
		{name: "UK (0) in international form", raw: "+44 (0)20 7946 0018", rules: us, e164: "+442079460018", national: "02079460018", valid: true},
		{name: "UK national added prefix", raw: "20 7946 0018", rules: addUK, e164: "+442079460018", national: "02079460018", valid: true},

		// Japan: trunk prefix 0, area code 3.
		{name: "JP national", raw: "03-1234-5678", rules: jp, e164: "+81312345678", national: "0312345678", valid: true},
		{name: "JP E.164", raw: "+81312345678", rules: us, e164: "+81312345678", national: "0312345678", valid: true},
		{name: "JP E.164 spaced", raw: "+81 3 1234 5678", rules: gb, e164: "+81312345678", national: "0312345678", valid: true},
		{name: "JP digits with country code in US org", raw: "81312345678", rules: us, e164: "+81312345678", national: "0312345678", valid: true},
		{name: "JP national read in US org is not a number", raw: "03-1234-5678", rules: us},

		// Internal extensions.
		{name: "extension 4 digits", raw: "1001", rules: us, ext: "1001", internal: true},
		{name: "extension 3 digits", raw: "101", rules: us, ext: "101", internal: true},
		{name: "extension 6 digits", raw: "100 001", rules: gb, ext: "100001", internal: true},
		{name: "extension written x1001", raw: "x1001", rules: us, ext: "1001", internal: true},
		{name: "extension written ext 2002", raw: "ext 2002", rules: us, ext: "2002", internal: true},

		// Junk.
		{name: "empty", raw: "", rules: us},
		{name: "blank", raw: "   ", rules: us},
		{name: "two digits", raw: "12", rules: us},
		{name: "seven digit local", raw: "555-0142", rules: us},
		{name: "anonymous", raw: "anonymous", rules: us},
		{name: "restricted", raw: "Restricted", rules: us},
		{name: "unassigned area code", raw: "+1 000 555 0142", rules: us},
		{name: "too long", raw: "+1202555014212345", rules: us},
		{name: "plus short", raw: "+1001", rules: us},
		{name: "letters only plus", raw: "+abc", rules: us},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizePhone(tt.raw, tt.rules)
			want := Phone{Raw: tt.raw, E164: tt.e164, National: tt.national, Extension: tt.ext, Valid: tt.valid, Internal: tt.internal}
			if got != want {
				t.Errorf("NormalizePhone(%q) = %+v, want %+v", tt.raw, got, want)
			}
		})
	}
}

// The same line written every way an org might store it normalizes to one
// E.164 number, which is what caller matching relies on.
func TestNormalizePhoneSameLine(t *testing.T) {
	rules := PhoneRules{DefaultRegion: "US"}
	forms := []string{"+12025550142", "12025550142", "2025550142", "(202) 555-0142", "202-555-0142", "202.555.0142", "+1 (202) 555-0142", "1 202 555 0142 x9"}
	for _, f := range forms {
		if got := NormalizePhone(f, rules).E164; got != "+12025550142" {
			t.Errorf("NormalizePhone(%q).E164 = %q, want +12025550142", f, got)
		}
	}
}

// NormalizePhone remembers what it read per number and rules: a number read
// again, or under another org's rules, reads as it does afresh.
func TestNormalizePhoneRemembersPerRules(t *testing.T) {
	numbers := []string{"0312345678", "(202) 555-0142", "9 020 7946 0018", "+81 3-1234-5678", "1001", ""}
	rules := []PhoneRules{{}, {DefaultRegion: "JP"}, {DefaultRegion: "GB", StripPrefixes: []string{"9"}}, {AddPrefix: "+44"}}
	for range 2 { // the second pass answers from memory
		for _, n := range numbers {
			for _, r := range rules {
				if got, want := NormalizePhone(n, r), normalizePhone(n, r); got != want {
					t.Errorf("NormalizePhone(%q, %+v) = %+v, read afresh %+v", n, r, got, want)
				}
			}
		}
	}
	if a, b := NormalizePhone("0312345678", rules[1]), NormalizePhone("0312345678", rules[0]); a.E164 == b.E164 {
		t.Errorf("one reading for two regions: %+v", a)
	}
}
