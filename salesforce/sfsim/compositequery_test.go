package sfsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func compositeQuery(ref, soql string) map[string]any {
	return map[string]any{"method": "GET", "url": "/services/data/v66.0/query?q=" + url.QueryEscape(soql), "referenceId": ref}
}

type compositeAnswer struct {
	CompositeResponse []struct {
		Body           json.RawMessage `json:"body"`
		HTTPStatusCode int             `json:"httpStatusCode"`
		ReferenceID    string          `json:"referenceId"`
	} `json:"compositeResponse"`
}

// Queries in one composite request: one API call; a custom field is plain
// stored text that SOQL filters on at once, with no index lag.
func TestCompositeQueries(t *testing.T) {
	clock := newFakeClock()
	to := newTestOrg(t, Options{Clock: clock.Now, IndexLag: time.Hour, CustomFields: []CustomField{
		{Object: "Contact", Name: "Phone_E164__c", Length: 40, ExternalID: true},
		{Object: "Lead", Name: "Phone_E164__c", Length: 40, ExternalID: true},
	}})
	status, _, b := to.api(t, "POST", "sobjects/Contact", map[string]any{"LastName": "Fresh", "Phone": "0049 30 901821", "Phone_E164__c": "+4930901821"})
	if status != http.StatusCreated {
		t.Fatalf("create with the custom field: %d %s", status, b)
	}
	before := to.APIRequests()
	status, _, b = to.api(t, "POST", "composite", map[string]any{"compositeRequest": []any{
		compositeQuery("contacts", "SELECT Id, Name, Phone FROM Contact WHERE Phone_E164__c = '+4930901821'"),
		compositeQuery("leads", "SELECT Id, Name FROM Lead WHERE Phone_E164__c = '+4930901821'"),
		compositeQuery("accounts", "SELECT Id, Name FROM Account WHERE Phone_E164__c = '+4930901821'"),
	}})
	if status != http.StatusOK {
		t.Fatalf("composite: %d %s", status, b)
	}
	if n := to.APIRequests() - before; n != 1 {
		t.Errorf("composite of three queries counted %d API requests, want 1", n)
	}
	res := decodeJSON[compositeAnswer](t, b)
	if len(res.CompositeResponse) != 3 {
		t.Fatalf("compositeResponse: %s", b)
	}
	c, l, a := res.CompositeResponse[0], res.CompositeResponse[1], res.CompositeResponse[2]
	if c.ReferenceID != "contacts" || c.HTTPStatusCode != 200 || !strings.Contains(string(c.Body), `"Name":"Fresh"`) {
		t.Errorf("contacts (created a moment ago, not yet searchable, found by SOQL) = %d %s", c.HTTPStatusCode, c.Body)
	}
	if l.HTTPStatusCode != 200 || !strings.Contains(string(l.Body), `"totalSize":0`) {
		t.Errorf("leads = %d %s", l.HTTPStatusCode, l.Body)
	}
	if a.HTTPStatusCode != 400 || !strings.Contains(string(a.Body), "INVALID_FIELD") {
		t.Errorf("accounts (no such field on Account) = %d %s, want 400 INVALID_FIELD", a.HTTPStatusCode, a.Body)
	}

	// With allOrNone, the failure halts the others.
	_, _, b = to.api(t, "POST", "composite", map[string]any{"allOrNone": true, "compositeRequest": []any{
		compositeQuery("contacts", "SELECT Id FROM Contact WHERE Phone_E164__c = '+4930901821'"),
		compositeQuery("accounts", "SELECT Id FROM Account WHERE Phone_E164__c = '+4930901821'"),
	}})
	res = decodeJSON[compositeAnswer](t, b)
	if len(res.CompositeResponse) != 2 || res.CompositeResponse[0].HTTPStatusCode != 400 || !strings.Contains(string(res.CompositeResponse[0].Body), "PROCESSING_HALTED") {
		t.Errorf("allOrNone: %s", b)
	}

	// The emulator computes nothing into the field: a record written
	// without it has none.
	to.Insert("Contact", map[string]any{"LastName": "No Flow", "Phone": "+4930901822"})
	status, _, b = to.api(t, "GET", "query?q="+url.QueryEscape("SELECT Id FROM Contact WHERE Phone_E164__c = '+4930901822'"), nil)
	if status != http.StatusOK || !strings.Contains(string(b), `"totalSize":0`) {
		t.Errorf("custom field filled by the emulator: %d %s", status, b)
	}
}

func TestCompositeRefuses(t *testing.T) {
	to := newTestOrg(t, Options{})
	q := compositeQuery("q", "SELECT Id FROM Contact")
	many := func(n int, sub func(i int) map[string]any) []any {
		var out []any
		for i := range n {
			out = append(out, sub(i))
		}
		return out
	}
	tests := []struct {
		name string
		body map[string]any
		code string
	}{
		{"empty", map[string]any{"compositeRequest": []any{}}, "JSON_PARSER_ERROR"},
		{"duplicate referenceId", map[string]any{"compositeRequest": []any{q, q}}, "JSON_PARSER_ERROR"},
		{"six queries", map[string]any{"compositeRequest": many(6, func(i int) map[string]any {
			return compositeQuery(string(rune('a'+i)), "SELECT Id FROM Contact")
		})}, "LIMIT_EXCEEDED"},
		{"26 subrequests", map[string]any{"compositeRequest": many(26, func(i int) map[string]any {
			return map[string]any{"method": "GET", "url": "/services/data/v66.0/sobjects/Contact/describe", "referenceId": "r" + string(rune('a'+i))}
		})}, "LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, b := to.api(t, "POST", "composite", tt.body)
			if status != http.StatusBadRequest || errorCode(t, b) != tt.code {
				t.Errorf("%d %s, want 400 %s", status, b, tt.code)
			}
		})
	}
}
