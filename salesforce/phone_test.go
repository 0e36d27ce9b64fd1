package salesforce

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

func TestFindByPhone(t *testing.T) {
	e := newEnv(t)
	us := cti.PhoneRules{DefaultRegion: "US"}
	tests := []struct {
		name        string
		number      string
		rules       cti.PhoneRules
		wantType    string
		wantName    string
		wantAccount string
		wantPhone   string
		exact       bool
	}{
		{name: "E.164", number: "+12025550142", rules: us, wantType: "Contact", wantName: "Ada Lovelace", wantAccount: "Analytical Engines Ltd", wantPhone: "+12025550142", exact: true},
		{name: "national digits", number: "2025550142", rules: us, wantType: "Contact", wantName: "Ada Lovelace", wantAccount: "Analytical Engines Ltd", wantPhone: "+12025550142", exact: true},
		{name: "digits with country code", number: "12025550142", rules: us, wantType: "Contact", wantName: "Ada Lovelace", wantAccount: "Analytical Engines Ltd", wantPhone: "+12025550142", exact: true},
		{name: "lead stored with parentheses", number: "+12025550177", rules: us, wantType: "Lead", wantName: "Hedy Lamarr", wantAccount: "Frequency Hopping Inc", wantPhone: "(202) 555-0177", exact: true},
		{name: "mobile stored with dots", number: "+1 202 555 0123", rules: us, wantType: "Contact", wantName: "Grace Hopper", wantAccount: "Globex Corporation", wantPhone: "202.555.0123", exact: true},
		{name: "account stored with dashes", number: "(202) 555-0199", rules: us, wantType: "Account", wantName: "Globex Corporation", wantAccount: "Globex Corporation", wantPhone: "202-555-0199", exact: true},
		{name: "home phone", number: "+12025550189", rules: us, wantType: "Contact", wantName: "Charles Babbage", wantAccount: "Analytical Engines Ltd", wantPhone: "(202) 555-0189", exact: true},
		{name: "JP account in a JP org", number: "+81312345678", rules: cti.PhoneRules{DefaultRegion: "JP"}, wantType: "Account", wantName: "Tokyo Trading KK", wantAccount: "Tokyo Trading KK", wantPhone: "03-1234-5678", exact: true},
		{name: "JP account in a US org matches on digits", number: "+81312345678", rules: us, wantType: "Account", wantName: "Tokyo Trading KK", wantAccount: "Tokyo Trading KK", wantPhone: "03-1234-5678", exact: false},
		{name: "UK national in a GB org", number: "020 7946 0018", rules: cti.PhoneRules{DefaultRegion: "GB"}, wantType: "Contact", wantName: "Alan Turing", wantAccount: "Britannia Widgets plc", wantPhone: "+44 20 7946 0018", exact: true},
		{name: "outside-line prefix stripped", number: "9 202 555 0142", rules: cti.PhoneRules{DefaultRegion: "US", StripPrefixes: []string{"9"}}, wantType: "Contact", wantName: "Ada Lovelace", wantAccount: "Analytical Engines Ltd", wantPhone: "+12025550142", exact: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matches, err := FindByPhone(testContext(t), e.client, tt.number, tt.rules)
			if err != nil {
				t.Fatalf("FindByPhone(%q): %v", tt.number, err)
			}
			if len(matches) != 1 {
				t.Fatalf("FindByPhone(%q) = %d matches, want 1: %+v", tt.number, len(matches), matches)
			}
			m := matches[0]
			if m.Type != tt.wantType || m.Name != tt.wantName || m.AccountName != tt.wantAccount || m.Phone != tt.wantPhone || m.Exact != tt.exact {
				t.Errorf("FindByPhone(%q) = %+v, want %s %q of %q by %q (exact %v)", tt.number, m, tt.wantType, tt.wantName, tt.wantAccount, tt.wantPhone, tt.exact)
			}
			if m.ID == "" || m.LastModified.IsZero() {
				t.Errorf("match lacks Id or LastModified: %+v", m)
			}
			if m.Type != "Lead" && m.AccountID == "" {
				t.Errorf("match lacks AccountID: %+v", m)
			}
		})
	}
}

func TestFindByPhoneSkipsConvertedLead(t *testing.T) {
	e := newEnv(t)
	matches, err := FindByPhone(testContext(t), e.client, "+12025550188", cti.PhoneRules{DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 || matches[0].Type != "Contact" || matches[0].Name != "Charles Babbage" {
		t.Errorf("matches = %+v, want only the Contact Charles Babbage (his Lead is converted)", matches)
	}
}

func TestFindByPhoneNoRequest(t *testing.T) {
	e := newEnv(t)
	for _, number := range []string{"1001", "x2002", "", "anonymous", "555-0142", "+1 000 555 0142"} {
		matches, err := FindByPhone(testContext(t), e.client, number, cti.PhoneRules{DefaultRegion: "US"})
		if err != nil || matches != nil {
			t.Errorf("FindByPhone(%q) = %v, %v; want nothing", number, matches, err)
		}
	}
	if n := e.org.APIRequests(); n != 0 {
		t.Errorf("API requests = %d, want 0 for extensions and invalid numbers", n)
	}
}

func TestFindByPhoneOneRequestNoMatch(t *testing.T) {
	e := newEnv(t)
	// The first lookup describes Contact, Lead and Account for the user's
	// phone fields; every later one is one request.
	for i, want := range []int{4, 1} {
		before := e.org.APIRequests()
		matches, err := FindByPhone(testContext(t), e.client, "+1 202 555 0111", cti.PhoneRules{DefaultRegion: "US"})
		if err != nil || len(matches) != 0 {
			t.Errorf("FindByPhone = %v, %v; want no matches", matches, err)
		}
		if n := e.org.APIRequests() - before; n != want {
			t.Errorf("lookup %d: API requests = %d, want %d", i+1, n, want)
		}
	}
}

// Several records with the caller's number: Contacts before Leads before
// Accounts, the most recently modified first within a type.
func TestFindByPhoneRanking(t *testing.T) {
	var tick atomic.Int64
	base := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	e := newEnvWith(t, sfsim.Options{Clock: func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Minute) }})
	acct := e.org.Insert("Account", map[string]any{"Name": "Lovelace Holdings", "Phone": "+1 202-555-0142"})
	e.org.Insert("Lead", map[string]any{"LastName": "Byron", "Company": "Poets Ltd", "MobilePhone": "2025550142"})
	e.org.Insert("Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "OtherPhone": "(202) 555-0142", "AccountId": acct})
	e.org.Insert("Contact", map[string]any{"FirstName": "Not", "LastName": "Her", "Phone": "+1 202 555 0143"})

	matches, err := FindByPhone(testContext(t), e.client, "+12025550142", cti.PhoneRules{DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range matches {
		got = append(got, m.Type+" "+m.Name)
	}
	want := []string{"Contact Augusta King", "Contact Ada Lovelace", "Lead Byron", "Account Lovelace Holdings"}
	if len(got) != len(want) {
		t.Fatalf("matches = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("matches = %q, want %q", got, want)
		}
	}
	if matches[0].AccountName != "Lovelace Holdings" || matches[0].AccountID != acct {
		t.Errorf("Augusta's account = %q %q, want Lovelace Holdings %s", matches[0].AccountID, matches[0].AccountName, acct)
	}
}
