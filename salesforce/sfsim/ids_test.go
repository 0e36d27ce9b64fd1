package sfsim

import (
	"strings"
	"testing"
)

func TestIDChecksum(t *testing.T) {
	tests := []struct {
		name, id15, want string
	}{
		// No upper-case letters in any 5-character chunk: mask 0,0,0 -> "AAA".
		{"all digits", "001000000000001", "001000000000001AAA"},
		// Chunks "001D0" (D at 3 -> 8 -> I), "00000" (-> A), "IqhSL" (I at 0,
		// S at 3, L at 4 -> 1+8+16 = 25 -> Z): the documented example.
		{"documented example", "001D000000IqhSL", "001D000000IqhSLIAZ"},
		// "0035g" -> A, "00000" -> A, "ARBRM" (all five upper -> 31 -> 5).
		{"all upper last chunk", "0035g00000ARBRM", "0035g00000ARBRMAA5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := to18(tt.id15); got != tt.want {
				t.Errorf("to18(%q) = %q, want %q", tt.id15, got, tt.want)
			}
			if got, ok := normalizeID(tt.id15); !ok || got != tt.want {
				t.Errorf("normalizeID(%q) = %q, %v", tt.id15, got, ok)
			}
			// The 18-character form is case-safe: its suffix restores the case.
			if got, ok := normalizeID(strings.ToLower(tt.want)); !ok || got != tt.want {
				t.Errorf("normalizeID(lower %q) = %q, %v", tt.want, got, ok)
			}
		})
	}
}

func TestNormalizeIDRejectsGarbage(t *testing.T) {
	for _, s := range []string{"", "abc", "001D000000IqhS!", "001D000000IqhSLIA", "001D000000IqhSL999", "0010000000000019AB"} {
		if got, ok := normalizeID(s); ok {
			t.Errorf("normalizeID(%q) = %q, want rejection", s, got)
		}
	}
}

func TestSeededIDs(t *testing.T) {
	o := New(Options{})
	prefixes := map[string]string{"Account": "001", "Contact": "003", "Lead": "00Q", "User": "005"}
	seen := map[string]bool{}
	for sobject, prefix := range prefixes {
		for _, r := range o.Records(sobject) {
			id := r["Id"].(string)
			if len(id) != 18 || !strings.HasPrefix(id, prefix) || to18(id[:15]) != id {
				t.Errorf("%s Id %q is not a valid 18-character %s Id", sobject, id, prefix)
			}
			if seen[id] {
				t.Errorf("duplicate Id %s", id)
			}
			seen[id] = true
		}
	}
	if id := o.OrgID(); len(id) != 18 || !strings.HasPrefix(id, "00D") || to18(id[:15]) != id {
		t.Errorf("OrgID() = %q", id)
	}
	// Deterministic: a second org has the same Ids.
	if a, b := New(Options{}).Records("Contact")[0]["Id"], o.Records("Contact")[0]["Id"]; a != b {
		t.Errorf("seed Ids differ between orgs: %v vs %v", a, b)
	}
}
