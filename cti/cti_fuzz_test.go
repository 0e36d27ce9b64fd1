package cti

import (
	"encoding/json"
	"strings"
	"testing"
)

// onlyDigits reports whether s is non-empty and all ASCII digits.
func onlyDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FuzzNormalizePhone reads whatever a caller ID, a phone field or a
// click-to-dial value carries: never a panic; a valid number comes out as
// E.164 and digit-only search terms (the only text that reaches a SOSL
// query), reading its own E.164 gives it back, and an internal extension is
// 3 to 6 digits.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"+12025550142", "12025550142", "(202) 555-0142", "03-1234-5678", "011 44 20 7946 0018",
		"00 44 20 7946 0018", "+1 202 555 0142 x123", "ext. 1001", "x1001", "1001", "",
		"+", "+0", "٠١٢٣٤٥", "2025550142}", "+44 (0)20 7946 0018", "９０１２３４５６７８",
	} {
		f.Add(s, "US", "9", "")
		f.Add(s, "JP", "", "+81")
	}
	f.Fuzz(func(t *testing.T, raw, region, strip, add string) {
		rules := PhoneRules{DefaultRegion: region, AddPrefix: add}
		if strip != "" {
			rules.StripPrefixes = []string{strip}
		}
		p := NormalizePhone(raw, rules)
		if p.Raw != raw {
			t.Fatalf("Raw %q, want %q", p.Raw, raw)
		}
		if p.Internal {
			if p.Valid || !onlyDigits(p.Extension) || len(p.Extension) < 3 || len(p.Extension) > 6 {
				t.Fatalf("NormalizePhone(%q) internal extension %+v", raw, p)
			}
			return
		}
		if !p.Valid {
			return
		}
		if !strings.HasPrefix(p.E164, "+") || !onlyDigits(p.E164[1:]) || !onlyDigits(p.National) {
			t.Fatalf("NormalizePhone(%q) = %+v: not E.164 and digits", raw, p)
		}
		again := NormalizePhone(p.E164, PhoneRules{})
		if !again.Valid || again.E164 != p.E164 {
			t.Fatalf("NormalizePhone(%q) = %q, which reads back as %+v", raw, p.E164, again)
		}
	})
}

// FuzzIdentity checks the identity rule (equal ignoring case and
// surrounding spaces, never on an empty address) and the email mask.
func FuzzIdentity(f *testing.F) {
	f.Add("alice@example.com", "Alice@Example.com ", "other@example.com", true)
	f.Add(" bob@example.com", "x@example.com", "BOB@example.com", false)
	f.Add("", "", "", true)
	f.Add("ab@x", "ab@x", "", true)
	f.Add("a", "a@b@c", "", false)
	f.Add("İ@example.com", "i̇@example.com", "", true)
	f.Fuzz(func(t *testing.T, zoomEmail, username, email string, byUsername bool) {
		ok, with := IdentityMatches(zoomEmail, username, email, byUsername)
		want := email
		if byUsername {
			want = username
		}
		if with != want {
			t.Fatalf("compared with %q, want %q", with, want)
		}
		if ok && strings.TrimSpace(zoomEmail) == "" {
			t.Fatal("an empty Zoom email matched")
		}
		// Symmetric: swapping the two sides, or changing case and
		// surrounding space on either, gives the same answer.
		if back, _ := IdentityMatches(want, zoomEmail, zoomEmail, true); strings.TrimSpace(want) != "" && back != ok {
			t.Fatalf("IdentityMatches(%q, %q) = %v but swapped = %v", zoomEmail, want, ok, back)
		}
		if up, _ := IdentityMatches(" "+strings.ToUpper(zoomEmail)+"\t", strings.ToUpper(want), strings.ToUpper(want), true); strings.ToLower(strings.ToUpper(zoomEmail)) == strings.ToLower(zoomEmail) && strings.ToLower(strings.ToUpper(want)) == strings.ToLower(want) && up != ok {
			t.Fatalf("case or space changed the match of %q and %q", zoomEmail, want)
		}

		for _, s := range []string{zoomEmail, username, email} {
			checkMask(t, s)
		}
	})
}

// checkMask holds MaskEmail to its promise: the domain is shown, at most two
// characters of the local part are, and a local part longer than one
// character is never shown whole.
func checkMask(t *testing.T, s string) {
	t.Helper()
	m := MaskEmail(s)
	trimmed := strings.TrimSpace(s)
	local, domain, hasAt := strings.Cut(trimmed, "@")
	if !hasAt {
		shown, ok := strings.CutSuffix(m, "***")
		if !ok || len(shown) > 2 || !strings.HasPrefix(trimmed, shown) || (len(trimmed) <= 2 && shown != "") {
			t.Fatalf("MaskEmail(%q) = %q: shows more than it should", s, m)
		}
		return
	}
	shown, rest, ok := strings.Cut(m, "***@")
	if !ok || rest != domain {
		t.Fatalf("MaskEmail(%q) = %q: not <prefix>***@<domain>", s, m)
	}
	if len(shown) > 2 || !strings.HasPrefix(local, shown) || (len(local) > 1 && shown == local) {
		t.Fatalf("MaskEmail(%q) = %q: reveals %q of local part %q", s, m, shown, local)
	}
}

// FuzzSettings decodes a PUT /api/settings body over the defaults, as the
// server does, and validates it: never a panic, and settings that validate
// give phone rules that normalize numbers without panicking.
func FuzzSettings(f *testing.F) {
	def, _ := json.Marshal(DefaultSettings())
	f.Add(def)
	f.Add([]byte(`{"pop_on":"answered","multiple_match":"search","no_match":"flow","no_match_flow":"New_Caller"}`))
	f.Add([]byte(`{"default_country":"gb","strip_prefixes":["9","0000000"],"add_prefix":"+44"}`))
	f.Add([]byte(`{"call_log_fields":[{"name":"Call_Outcome__c","label":"Outcome","type":"picklist","options":["A","B"],"default":"C","required":true}]}`))
	f.Add([]byte(`{"call_log_fields":[{"name":"OwnerId","type":"text"}],"dispositions":["", "x"],"related_to_objects":["Account","Nope__c"]}`))
	f.Add([]byte(`{"softphone_height":-1,"softphone_width":1e9}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := DefaultSettings()
		if json.Unmarshal(body, &s) != nil {
			return
		}
		err := s.Validate()
		if err == nil {
			_ = NormalizePhone("+1 202 555 0142", s.PhoneRules())
			_ = NormalizePhone("9 202 555 0142", s.PhoneRules())
			return
		}
		_ = err.Error()
	})
}
