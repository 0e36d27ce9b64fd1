package sfsim

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
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

// TestSearchPhoneTokens: phone values are found by their tokens (index.go,
// reference salesforce-phone-search.md §2), never by digit equality.
func TestSearchPhoneTokens(t *testing.T) {
	to := newTestOrg(t, Options{IndexLag: -1})
	to.Insert("Contact", map[string]any{"LastName": "Extension", "Phone": "(202) 555-0150 x12"})
	to.Insert("Lead", map[string]any{"LastName": "Ext Lead", "Company": "Ext Co", "MobilePhone": "202-555-0151 ext. 7"})
	to.Insert("Contact", map[string]any{"LastName": "Berlin", "Phone": "0049 30 901821"})
	to.Insert("Contact", map[string]any{"LastName": "Joined", "Phone": "00442079460018"})
	to.Insert("Account", map[string]any{"Name": "Trunk London", "Phone": "020 7946 0018"})
	tests := []struct {
		name  string
		terms string // inside the braces
		want  []string
	}{
		{"E.164 store, escaped plus", `\+12025550142`, []string{"Contact:Ada Lovelace"}},
		{"E.164 store, its one token", `12025550142`, []string{"Contact:Ada Lovelace"}},
		{"E.164 store, national digits are another token", `2025550142`, nil},
		{"E.164 store, no phrase inside one token", `"202 555 0142"`, nil},
		{"parentheses store, digits are no token of it", `2025550177`, nil},
		{"parentheses store, its tokens as a phrase", `"202 555 0177"`, []string{"Lead:Hedy Lamarr"}},
		{"parentheses store, escaped as stored", `\(202\) 555\-0177`, []string{"Lead:Hedy Lamarr"}},
		{"parentheses store, quoted and escaped", `"\(202\) 555\-0177"`, []string{"Lead:Hedy Lamarr"}},
		{"parentheses store, trailing groups", `"555 0177"`, []string{"Lead:Hedy Lamarr"}},
		{"parentheses store, one hyphenated word is a phrase", `555\-0177`, []string{"Lead:Hedy Lamarr"}},
		{"parentheses store, groups out of order", `"555 202 0177"`, nil},
		{"bare words must all match, anywhere", `0177 202`, []string{"Lead:Hedy Lamarr"}},
		{"dotted store, phrase", `"202 555 0123"`, []string{"Contact:Grace Hopper"}},
		{"dotted store, digits", `2025550123`, nil},
		{"dashed store, escaped as stored", `202\-555\-0199`, []string{"Account:Globex Corporation"}},
		{"international store with spaces", `\+44 20 7946 0018`, []string{"Contact:Alan Turing"}},
		{"international store, national phrase without trunk", `"20 7946 0018"`, []string{"Contact:Alan Turing"}},
		{"trunk 0 store, national phrase with trunk", `"020 7946 0018"`, []string{"Account:Trunk London"}},
		{"trailing groups find both UK forms", `"7946 0018"`, []string{"Account:Trunk London", "Contact:Alan Turing"}},
		{"international store, digits", `442079460018`, nil},
		{"access prefix joined to the number", `00442079460018`, []string{"Contact:Joined"}},
		{"access prefix store, number after it", `"30 901821"`, []string{"Contact:Berlin"}},
		{"access prefix store, E.164 digits", `4930901821`, nil},
		{"Japanese national", `03\-1234\-5678`, []string{"Account:Tokyo Trading KK"}},
		{"Japanese national, without trunk", `"3 1234 5678"`, nil},
		{"Japanese international with spaces", `"3 1234 5670"`, []string{"Contact:Kenji Sato"}},
		{"digits store", `2025550189`, nil},
		{"digits store, its token", `2025550188`, []string{"Contact:Charles Babbage", "Lead:Charles Babbage"}},
		{"OR of variants", `\+12025550177 OR "202 555 0177" OR 12025550142`, []string{"Contact:Ada Lovelace", "Lead:Hedy Lamarr"}},
		{"wildcard at the end of a token", `017*`, []string{"Lead:Hedy Lamarr"}},
		{"wildcard does not cross tokens", `202555017*`, nil},
		{"wildcard over a whole token", `120255501*`, []string{"Contact:Ada Lovelace"}},
		{"no match", `4155550000`, nil},
		{"stored x extension, base number", `"202 555 0150"`, []string{"Contact:Extension"}},
		{"stored x extension, with the extension", `"0150 x12"`, []string{"Contact:Extension"}},
		{"stored x extension, letters and digits split", `"0150 x 12"`, []string{"Contact:Extension"}},
		{"stored x extension, the extension alone", `12`, []string{"Contact:Extension"}},
		{"stored x extension, digits", `202555015012`, nil},
		{"stored ext., base number", `"202 555 0151"`, []string{"Lead:Ext Lead"}},
		{"stored ext., its word", `"0151 ext 7"`, []string{"Lead:Ext Lead"}},
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

// TestSearchIndexLag: a new or changed record reaches the search index only
// after the org's lag; SOQL sees it at once.
func TestSearchIndexLag(t *testing.T) {
	clock := newFakeClock()
	to := newTestOrg(t, Options{Clock: clock.Now, IndexLag: 30 * time.Second})
	find := func(terms string) []string {
		t.Helper()
		status, recs, b := to.search(t, "FIND {"+terms+"}"+phoneReturning)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, b)
		}
		return typedNames(recs)
	}
	soql := func(phone string) int {
		t.Helper()
		status, _, b := to.api(t, "GET", "query?q="+url.QueryEscape("SELECT Id FROM Contact WHERE Phone = '"+phone+"'"), nil)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, b)
		}
		return int(decodeJSON[struct{ TotalSize float64 }](t, b).TotalSize)
	}

	// Seeded records are indexed from the start.
	if got := find(`"202 555 0177"`); len(got) != 1 {
		t.Fatalf("seeded Lead not searchable at start: %v", got)
	}

	status, _, b := to.api(t, "POST", "sobjects/Contact", map[string]any{"LastName": "Fresh", "Phone": "030 901821"})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, b)
	}
	id := decodeJSON[struct{ ID string }](t, b).ID
	if n := soql("030 901821"); n != 1 {
		t.Errorf("SOQL right after create: %d records, want 1", n)
	}
	if got := find(`"030 901821"`); got != nil {
		t.Errorf("searchable right after create: %v", got)
	}
	clock.Advance(29 * time.Second)
	if got := find(`"030 901821"`); got != nil {
		t.Errorf("searchable 29 s after create with a 30 s lag: %v", got)
	}
	clock.Advance(time.Second)
	if got := find(`"030 901821"`); strings.Join(got, "|") != "Contact:Fresh" {
		t.Errorf("30 s after create: %v, want Contact:Fresh", got)
	}

	// An edit: until it is indexed, search finds the old number, not the new.
	status, _, b = to.api(t, "PATCH", "sobjects/Contact/"+id, map[string]any{"Phone": "+49 40 123456"})
	if status != http.StatusNoContent {
		t.Fatalf("update: %d %s", status, b)
	}
	if n := soql("+49 40 123456"); n != 1 {
		t.Errorf("SOQL right after the edit: %d records, want 1", n)
	}
	if got := find(`"40 123456"`); got != nil {
		t.Errorf("new number searchable right after the edit: %v", got)
	}
	if got := find(`"030 901821"`); strings.Join(got, "|") != "Contact:Fresh" {
		t.Errorf("old number right after the edit: %v, want Contact:Fresh (a stale index)", got)
	}
	clock.Advance(30 * time.Second)
	if got := find(`"40 123456"`); strings.Join(got, "|") != "Contact:Fresh" {
		t.Errorf("new number after the lag: %v, want Contact:Fresh", got)
	}
	if got := find(`"030 901821"`); got != nil {
		t.Errorf("old number after the lag: %v, want nothing", got)
	}

	// A lag changed later applies to later writes; CatchUpIndex empties the queue.
	to.SetIndexLag(time.Hour)
	to.Insert("Lead", map[string]any{"LastName": "Queued", "Company": "Q", "Phone": "+33 1 23 45 67 89"})
	clock.Advance(59 * time.Minute)
	if got := find(`"1 23 45 67 89"`); got != nil {
		t.Errorf("searchable before an hour's lag: %v", got)
	}
	to.CatchUpIndex()
	if got := find(`"1 23 45 67 89"`); strings.Join(got, "|") != "Lead:Queued" {
		t.Errorf("after CatchUpIndex: %v, want Lead:Queued", got)
	}
}

func TestDefaultIndexLag(t *testing.T) {
	clock := newFakeClock()
	to := newTestOrg(t, Options{Clock: clock.Now})
	to.Insert("Contact", map[string]any{"LastName": "Default", "Phone": "+61 2 9876 5432"})
	_, recs, _ := to.search(t, `FIND {"2 9876 5432"}`+phoneReturning)
	if len(recs) != 0 {
		t.Fatalf("searchable at once with the default lag: %v", typedNames(recs))
	}
	clock.Advance(DefaultIndexLag)
	if _, recs, _ = to.search(t, `FIND {"2 9876 5432"}`+phoneReturning); len(recs) != 1 {
		t.Fatalf("not searchable after DefaultIndexLag (%v): %v", DefaultIndexLag, typedNames(recs))
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
	status, _, b = to.api(t, "GET", "/services/data/v35.0/search?q="+url.QueryEscape(`FIND {"202 555 0177"} IN PHONE FIELDS RETURNING Lead(Name)`), nil)
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
