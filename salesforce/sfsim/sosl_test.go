package sfsim

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

const phoneReturning = " IN PHONE FIELDS RETURNING Contact(Id, Name, Phone, MobilePhone, AccountId), Lead(Id, Name, Phone, Company, IsConverted), Account(Id, Name, Phone)"

func (to *testOrg) search(t *testing.T, sosl string) (int, []map[string]any, []byte) {
	t.Helper()
	status, _, b := to.api(t, "GET", "search?q="+url.QueryEscape(sosl), nil)
	if status != http.StatusOK {
		return status, nil, b
	}
	res := decodeJSON[struct {
		SearchRecords []map[string]any `json:"searchRecords"`
	}](t, b)
	return status, res.SearchRecords, b
}

// typedNames lists search results as "Type:Name", sorted.
func typedNames(records []map[string]any) []string {
	var out []string
	for _, r := range records {
		attrs, _ := r["attributes"].(map[string]any)
		out = append(out, attrs["type"].(string)+":"+r["Name"].(string))
	}
	sort.Strings(out)
	return out
}

func TestSearchPhoneFormats(t *testing.T) {
	to := newTestOrg(t, Options{})
	to.Insert("Contact", map[string]any{"LastName": "Extension", "Phone": "(202) 555-0150 x12"})
	to.Insert("Lead", map[string]any{"LastName": "Ext Lead", "Company": "Ext Co", "MobilePhone": "202-555-0151 ext. 7"})
	tests := []struct {
		name  string
		terms string // inside the braces
		want  []string
	}{
		{"E.164 escaped", `\+12025550142`, []string{"Contact:Ada Lovelace"}},
		{"E.164 digits", `12025550142`, []string{"Contact:Ada Lovelace"}},
		{"national digits do not match an E.164 store", `2025550142`, nil},
		{"parenthesized lead, digits", `2025550177`, []string{"Lead:Hedy Lamarr"}},
		{"parenthesized lead, escaped as stored", `\(202\) 555\-0177`, []string{"Lead:Hedy Lamarr"}},
		{"quoted and escaped", `"\(202\) 555\-0177"`, []string{"Lead:Hedy Lamarr"}},
		{"dotted mobile", `2025550123`, []string{"Contact:Grace Hopper"}},
		{"hyphenated account", `202\-555\-0199`, []string{"Account:Globex Corporation"}},
		{"UK number", `\+44 20 7946 0018`, []string{"Contact:Alan Turing"}},
		{"UK digits", `442079460018`, []string{"Contact:Alan Turing"}},
		{"Japanese national", `03\-1234\-5678`, []string{"Account:Tokyo Trading KK"}},
		{"home phone", `2025550189`, []string{"Contact:Charles Babbage"}},
		{"converted lead shares the contact's number", `2025550188`, []string{"Contact:Charles Babbage", "Lead:Charles Babbage"}},
		{"OR of variants", `\+12025550177 OR 2025550177 OR 12025550142`, []string{"Contact:Ada Lovelace", "Lead:Hedy Lamarr"}},
		{"wildcard", `202555017*`, []string{"Lead:Hedy Lamarr"}},
		{"no match", `4155550000`, nil},
		{"stored extension, base number", `2025550150`, []string{"Contact:Extension"}},
		{"stored extension, E.164 digits do not match a national store", `12025550150`, nil},
		{"stored extension, with the extension", `202555015012`, []string{"Contact:Extension"}},
		{"stored extension, the extension alone", `12`, nil},
		{"ext. on a lead mobile", `2025550151`, []string{"Lead:Ext Lead"}},
		{"wildcard over a stored extension", `202555015*`, []string{"Contact:Extension", "Lead:Ext Lead"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, recs, b := to.search(t, "FIND {"+tt.terms+"}"+phoneReturning)
			if status != http.StatusOK {
				t.Fatalf("%d %s", status, b)
			}
			if got := typedNames(recs); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSearchShapeAndClauses(t *testing.T) {
	to := newTestOrg(t, Options{})
	status, recs, b := to.search(t, "FIND {2025550188} IN PHONE FIELDS RETURNING Contact(Id, Name), Lead(Id, Name WHERE IsConverted = false)")
	if status != http.StatusOK || len(recs) != 1 {
		t.Fatalf("converted lead filter: %d %s", status, b)
	}
	babbage := to.recordID(t, "Contact", "Charles Babbage")
	if !strings.Contains(string(b), `{"searchRecords":[{"attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/`+babbage+`"},"Id":"`+babbage+`","Name":"Charles Babbage"}]}`) {
		t.Errorf("shape: %s", b)
	}

	// Without a field list only the Id comes back; LIMIT per object and overall.
	_, recs, _ = to.search(t, "FIND {2025550188} IN PHONE FIELDS RETURNING Lead, Contact LIMIT 1")
	if len(recs) != 1 || len(recs[0]) != 2 || recs[0]["Id"] == nil {
		t.Errorf("Id-only, overall limit: %v", recs)
	}

	// IN ALL FIELDS matches names (whole words, any case) and email addresses.
	_, recs, _ = to.search(t, "FIND {ada LOVELACE} RETURNING Contact(Name), Lead(Name)")
	if got := typedNames(recs); strings.Join(got, "|") != "Contact:Ada Lovelace" {
		t.Errorf("name search: %v", got)
	}
	_, recs, _ = to.search(t, "FIND {hedy@example.com} IN EMAIL FIELDS RETURNING Lead(Name)")
	if got := typedNames(recs); strings.Join(got, "|") != "Lead:Hedy Lamarr" {
		t.Errorf("email search: %v", got)
	}
	// Before v36.0 the result was a bare array.
	status, _, b = to.api(t, "GET", "/services/data/v35.0/search?q="+url.QueryEscape("FIND {2025550177} IN PHONE FIELDS RETURNING Lead(Name)"), nil)
	if status != http.StatusOK || !strings.HasPrefix(string(b), `[{"attributes"`) {
		t.Errorf("v35.0: %d %s", status, b)
	}
}

func TestLastSearch(t *testing.T) {
	to := newTestOrg(t, Options{})
	if got := to.LastSearch(); got != "" {
		t.Errorf("LastSearch before any search = %q", got)
	}
	const sosl = `FIND {\+12025550142 OR 2025550142} IN PHONE FIELDS RETURNING Contact(Id)`
	to.search(t, sosl)
	if got := to.LastSearch(); got != sosl {
		t.Errorf("LastSearch = %q, want %q", got, sosl)
	}
	// A malformed search is what the client sent, too.
	to.search(t, "FIND {(202)}")
	if got := to.LastSearch(); got != "FIND {(202)}" {
		t.Errorf("LastSearch after a malformed search = %q", got)
	}
	// A refused request never reached the search.
	to.call(t, "GET", apiBase+"search?q="+url.QueryEscape("FIND {999}"), "bogus", nil)
	if got := to.LastSearch(); got != "FIND {(202)}" {
		t.Errorf("LastSearch after an unauthenticated search = %q", got)
	}
}

func TestSearchErrors(t *testing.T) {
	to := newTestOrg(t, Options{})
	tests := []struct {
		name, sosl string
		code       string
	}{
		{"unescaped parentheses", "FIND {(202) 555-0177} IN PHONE FIELDS", "MALFORMED_SEARCH"},
		{"unescaped plus", "FIND {+12025550142} IN PHONE FIELDS", "MALFORMED_SEARCH"},
		{"unescaped hyphen", "FIND {202-555-0199}", "MALFORMED_SEARCH"},
		{"reserved inside quotes", `FIND {"555-0177"}`, "MALFORMED_SEARCH"},
		{"no braces", "FIND 2025550142 IN PHONE FIELDS", "MALFORMED_SEARCH"},
		{"unclosed brace", "FIND {2025550142 IN PHONE FIELDS", "MALFORMED_SEARCH"},
		{"one character", "FIND {a}", "MALFORMED_SEARCH"},
		{"dangling OR", "FIND {2025550142 OR}", "MALFORMED_SEARCH"},
		{"bad scope", "FIND {2025550142} IN SHOE FIELDS", "MALFORMED_SEARCH"},
		{"bad RETURNING", "FIND {2025550142} RETURNING Contact(Id", "MALFORMED_SEARCH"},
		{"not SOSL", "SELECT Id FROM Contact", "MALFORMED_SEARCH"},
		{"unknown field", "FIND {2025550142} RETURNING Contact(Shoe_Size)", "INVALID_FIELD"},
		{"unknown object", "FIND {2025550142} RETURNING Widget(Id)", "INVALID_TYPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, b := to.search(t, tt.sosl)
			if status != http.StatusBadRequest || errorCode(t, b) != tt.code {
				t.Errorf("%d %s, want 400 %s", status, b, tt.code)
			}
		})
	}
}
