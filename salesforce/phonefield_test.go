package salesforce

import (
	"sync"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// handClock is a clock a test moves.
type handClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *handClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *handClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// e164Org is an org whose admin added Phone_E164__c to Contact, Lead and
// Account (setup guide), with an hour's index lag so that search cannot
// see what the test creates.
func e164Org(t *testing.T, objects ...string) (*env, *handClock) {
	t.Helper()
	clock := &handClock{t: time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)}
	var fields []sfsim.CustomField
	for _, o := range objects {
		fields = append(fields, sfsim.CustomField{Object: o, Name: "Phone_E164__c", Label: "Phone (E.164)", Length: 40, ExternalID: true})
	}
	return newEnvWith(t, sfsim.Options{Clock: clock.Now, IndexLag: time.Hour, CustomFields: fields}), clock
}

var e164Rules = cti.PhoneRules{DefaultRegion: "US", E164Fields: []string{"Contact.Phone_E164__c", "Lead.Phone_E164__c", "Account.Phone_E164__c"}}

// A record created a moment before the call: search cannot find it yet, the
// normalised field can, in one API request.
func TestFindByPhoneE164FieldSeesNewRecords(t *testing.T) {
	e, clock := e164Org(t, "Contact", "Lead", "Account")
	ctx := testContext(t)
	// What the admin's flow writes next to each number.
	berlin, err := e.client.Create(ctx, "Contact", map[string]any{"LastName": "Berlin", "Phone": "0049 30 901821", "Phone_E164__c": "+4930901821"})
	if err != nil {
		t.Fatal(err)
	}
	lead, err := e.client.Create(ctx, "Lead", map[string]any{"LastName": "Web Form", "Company": "Spree GmbH", "MobilePhone": "030 901821", "Phone_E164__c": "+4930901821"})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := e.client.Create(ctx, "Account", map[string]any{"Name": "Spree AG", "Phone": "+49 30 901821", "Phone_E164__c": "+4930901821"})
	if err != nil {
		t.Fatal(err)
	}
	// A converted Lead (conversion is no API write): its Contact is the live record.
	e.org.Insert("Lead", map[string]any{"LastName": "Old", "Company": "Old", "Phone": "+4930901821", "Phone_E164__c": "+4930901821",
		"Status": "Closed - Converted", "IsConverted": true})
	// The flow's reading, where ours differs: the field decides.
	clock.Advance(time.Second)
	odd, err := e.client.Create(ctx, "Contact", map[string]any{"LastName": "Odd", "Phone": "ask reception", "Phone_E164__c": "+4930901821"})
	if err != nil {
		t.Fatal(err)
	}

	if m, err := FindByPhone(ctx, e.client, "+4930901821", cti.PhoneRules{DefaultRegion: "US"}); err != nil || len(m) != 0 {
		t.Fatalf("search before the index caught up = %v, %v; want nothing (the lag)", m, err)
	}
	before := e.org.APIRequests()
	matches, err := FindByPhone(ctx, e.client, "+4930901821", e164Rules)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.org.APIRequests() - before; n != 1 {
		t.Errorf("lookup by the normalised field made %d API requests, want 1", n)
	}
	var got []string
	for _, m := range matches {
		got = append(got, m.ID)
	}
	// Those whose number reads as the caller's: the Contacts (most
	// recently modified first) and the Account; then the Lead, whose
	// "030 901821" is a German national number, no number in a US org.
	want := []string{odd, berlin, acct, lead}
	if len(got) != len(want) {
		t.Fatalf("matches = %+v, want %v", matches, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("matches = %v, want %v", got, want)
		}
	}
	if matches[0].Phone != "+4930901821" || matches[1].Phone != "0049 30 901821" || !matches[1].Exact {
		t.Errorf("stored phones = %q, %q (exact %v)", matches[0].Phone, matches[1].Phone, matches[1].Exact)
	}

	// Once indexed, search finds the same people.
	clock.Advance(time.Hour)
	if m, err := FindByPhone(ctx, e.client, "+4930901821", cti.PhoneRules{DefaultRegion: "US"}); err != nil || len(m) != 3 {
		t.Errorf("search after the lag = %+v, %v; want Berlin, the open Lead and the Account", m, err)
	}
}

// Only the objects with a listed field are looked up.
func TestFindByPhoneE164FieldOnlyListedObjects(t *testing.T) {
	e, _ := e164Org(t, "Contact", "Lead", "Account")
	ctx := testContext(t)
	e.org.Insert("Lead", map[string]any{"LastName": "Lead", "Company": "L", "Phone": "+4930901821", "Phone_E164__c": "+4930901821"})
	c := e.org.Insert("Contact", map[string]any{"LastName": "Contact", "Phone": "+4930901821", "Phone_E164__c": "+4930901821"})
	matches, err := FindByPhone(ctx, e.client, "+4930901821", cti.PhoneRules{E164Fields: []string{"Contact.Phone_E164__c"}})
	if err != nil || len(matches) != 1 || matches[0].ID != c {
		t.Errorf("matches = %+v, %v; want only the Contact", matches, err)
	}
}

// A listed field the org does not have (or hides from the user): the
// lookup searches instead, so the caller is still found once indexed.
func TestFindByPhoneE164FieldMissingFallsBackToSearch(t *testing.T) {
	e, clock := e164Org(t, "Contact") // not on Lead and Account
	ctx := testContext(t)
	c := e.org.Insert("Contact", map[string]any{"LastName": "Contact", "Phone": "0049 30 901821", "Phone_E164__c": "+4930901821"})
	clock.Advance(time.Hour)
	if err := e.client.LoadFields(ctx); err != nil { // the user's describes, read once
		t.Fatal(err)
	}
	before := e.org.APIRequests()
	matches, err := FindByPhone(ctx, e.client, "+4930901821", e164Rules)
	if err != nil || len(matches) != 1 || matches[0].ID != c {
		t.Errorf("matches = %+v, %v; want the Contact, found by search", matches, err)
	}
	if n := e.org.APIRequests() - before; n != 2 {
		t.Errorf("%d API requests, want 2 (the refused queries, then the search)", n)
	}
}
