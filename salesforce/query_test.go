package salesforce

import (
	"errors"
	"fmt"
	"testing"
)

func TestQueryFollowsNextRecordsURL(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	const n = 2345 // more than one 2,000-record batch
	for i := range n {
		e.org.Insert("Task", map[string]any{"Subject": "Call", "CallObject": fmt.Sprintf("zoom-page-%04d", i)})
	}
	before := e.org.APIRequests()

	recs, err := e.client.Query(ctx, "SELECT Id, CallObject FROM Task WHERE Subject = '"+EscapeSOQL("Call")+"'")
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(recs) != n {
		t.Fatalf("Query returned %d records, want %d", len(recs), n)
	}
	seen := make(map[string]bool, n)
	for _, r := range recs {
		seen[r.String("CallObject")] = true
	}
	if len(seen) != n {
		t.Errorf("Query returned %d distinct records, want %d", len(seen), n)
	}
	if calls := e.org.APIRequests() - before; calls != 2 {
		t.Errorf("Query made %d requests, want 2 (one per batch)", calls)
	}
}

func TestQueryEscapedLiteral(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.Insert("Task", map[string]any{"Subject": "Call", "CallObject": `it's a "test" \ call`})

	recs, err := e.client.Query(ctx, "SELECT Id, CallObject FROM Task WHERE CallObject = '"+EscapeSOQL(`it's a "test" \ call`)+"'")
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(recs) != 1 || recs[0].String("CallObject") != `it's a "test" \ call` {
		t.Errorf("Query = %v, want the one Task", recs)
	}
}

func TestQueryMalformed(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.Query(testContext(t), "SELEKT nothing"); !errors.Is(err, KindInvalidInput) {
		t.Errorf("err = %v, want invalid input", err)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)

	recs, err := e.client.Search(ctx, "FIND {12025550142} IN PHONE FIELDS RETURNING Contact(Id, Name, Phone, Account.Name), Lead(Id, Name)")
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(recs) != 1 {
		t.Fatalf("Search returned %d records, want 1: %v", len(recs), recs)
	}
	r := recs[0]
	if r.Type() != "Contact" || r.String("Name") != "Ada Lovelace" || r.String("Account.Name") != "Analytical Engines Ltd" {
		t.Errorf("Search = %v, want Ada Lovelace of Analytical Engines Ltd", r)
	}

	recs, err = e.client.Search(ctx, "FIND {"+EscapeSOSL("no-such-number")+"} IN PHONE FIELDS RETURNING Contact(Id)")
	if err != nil {
		t.Fatalf("Search with no match: %v", err)
	}
	if len(recs) != 0 {
		t.Errorf("Search with no match = %v", recs)
	}
}
