package salesforce

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// phoneBook is an org holding the same numbers in the many formats a real
// org accumulates, and the Ids of those records by a short key.
type phoneBook struct {
	*env
	ids map[string]string
}

// newPhoneBook inserts the records TestFindByPhoneTable needs into a seeded
// org whose clock moves a minute per record, so that a later insert is more
// recently modified.
func newPhoneBook(t *testing.T) *phoneBook {
	t.Helper()
	var tick atomic.Int64
	base := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	e := newEnvWith(t, sfsim.Options{Clock: func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Minute) }})
	if err := e.client.loadFields(testContext(t)); err != nil {
		t.Fatal(err)
	}
	pb := &phoneBook{env: e, ids: map[string]string{
		"ada":     findRecord(t, e.org, "Contact", "Name", "Ada Lovelace"),
		"alan":    findRecord(t, e.org, "Contact", "Name", "Alan Turing"),
		"kenji":   findRecord(t, e.org, "Contact", "Name", "Kenji Sato"),
		"tokyo":   findRecord(t, e.org, "Account", "Name", "Tokyo Trading KK"),
		"globex":  findRecord(t, e.org, "Account", "Name", "Globex Corporation"),
		"engines": findRecord(t, e.org, "Account", "Name", "Analytical Engines Ltd"),
	}}
	add := func(key, sobject string, fields map[string]any) {
		pb.ids[key] = e.org.Insert(sobject, fields)
	}

	// One US number on a Contact (with an extension), a Lead, an Account
	// and, inserted last so most recently modified, a second Contact.
	add("c150ext", "Contact", map[string]any{"FirstName": "Ext", "LastName": "Twelve", "Phone": "(202) 555-0150 x12"})
	add("l150", "Lead", map[string]any{"FirstName": "Dot", "LastName": "Fifty", "Company": "Dots Inc", "MobilePhone": "202.555.0150"})
	add("a150", "Account", map[string]any{"Name": "Fifty Corp", "Phone": "+1 202-555-0150"})
	add("c150", "Contact", map[string]any{"FirstName": "Plain", "LastName": "Fifty", "HomePhone": "2025550150"})
	add("c151", "Contact", map[string]any{"FirstName": "Seven", "LastName": "Ext", "Phone": "202-555-0151 ext. 7"})
	add("l152", "Lead", map[string]any{"LastName": "Dotted", "Company": "Dotted Country", "Phone": "+1.202.555.0152"})
	add("a153", "Account", map[string]any{"Name": "Spaced Ltd", "Phone": "202 555 0153"})

	// Ada's number (seeded as E.164) again, as a US org stores it by hand.
	add("c142", "Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "OtherPhone": "(202) 555-0142"})
	add("l142", "Lead", map[string]any{"LastName": "Byron", "Company": "Poets Ltd", "MobilePhone": "202-555-0142"})
	add("a142", "Account", map[string]any{"Name": "Lovelace Holdings", "Phone": "1-202-555-0142"})

	// Two Contacts; the first inserted is then edited, so it is the more
	// recently modified.
	add("c160first", "Contact", map[string]any{"FirstName": "First", "LastName": "Inserted", "Phone": "202-555-0160"})
	add("c160second", "Contact", map[string]any{"FirstName": "Second", "LastName": "Inserted", "MobilePhone": "+1 202 555 0160"})
	if err := e.client.Update(testContext(t), "Contact", pb.ids["c160first"], map[string]any{"Title": "Edited"}); err != nil {
		t.Fatalf("touch c160first: %v", err)
	}

	// A converted Lead next to its Contact, and one alone.
	add("c170", "Contact", map[string]any{"FirstName": "Convert", "LastName": "Target", "Phone": "(202) 555-0170"})
	add("l170", "Lead", map[string]any{"LastName": "Converted", "Company": "Gone Co", "Phone": "202-555-0170",
		"Status": "Closed - Converted", "IsConverted": true, "ConvertedContactId": pb.ids["c170"]})
	add("l171", "Lead", map[string]any{"LastName": "Lonely", "Company": "Gone Too", "Phone": "(202) 555-0171",
		"Status": "Closed - Converted", "IsConverted": true})

	// Japan: national numbers with the trunk 0, as a Japanese office types them.
	add("yuki", "Contact", map[string]any{"FirstName": "Yuki", "LastName": "Tanaka", "Phone": "03-1234-5678"}) // Tokyo Trading's number
	add("haruto", "Lead", map[string]any{"FirstName": "Haruto", "LastName": "Suzuki", "Company": "Suzuki Shoji", "MobilePhone": "090-1234-5678"})
	add("kyoto", "Account", map[string]any{"Name": "Kyoto Ceramics", "Phone": "075-123-4567 ext. 5"})

	// United Kingdom: national numbers with the trunk 0.
	add("holmes", "Contact", map[string]any{"FirstName": "Sherlock", "LastName": "Holmes", "Phone": "020 7946 0123"})
	add("mary", "Lead", map[string]any{"FirstName": "Mary", "LastName": "Morstan", "Company": "Camberwell", "MobilePhone": "07400 123456"})
	add("drama", "Contact", map[string]any{"FirstName": "Drama", "LastName": "Range", "MobilePhone": "07700 900123"})
	return pb
}

// TestFindByPhoneTable runs numbers as Zoom and agents present them through
// FindByPhone against records stored in every common format, and checks the
// records that come back, in order: exact readings first, then Contacts,
// Leads, Accounts, then the most recently modified.
func TestFindByPhoneTable(t *testing.T) {
	pb := newPhoneBook(t)
	us := cti.PhoneRules{DefaultRegion: "US"}
	gb := cti.PhoneRules{DefaultRegion: "GB"}
	jp := cti.PhoneRules{DefaultRegion: "JP"}
	fifty := []string{"c150", "c150ext", "l150", "a150"}
	tests := []struct {
		name   string
		number string
		rules  cti.PhoneRules
		want   []string // keys of pb.ids, in order
		noCall bool     // no request at all
	}{
		// The forms Zoom sends for one US caller, and the forms an agent types.
		{name: "E.164", number: "+12025550150", rules: us, want: fifty},
		{name: "bare digits with country code", number: "12025550150", rules: us, want: fifty},
		{name: "national digits", number: "2025550150", rules: us, want: fifty},
		{name: "national with parentheses", number: "(202) 555-0150", rules: us, want: fifty},
		{name: "national with dots", number: "202.555.0150", rules: us, want: fifty},
		{name: "national with dashes", number: "202-555-0150", rules: us, want: fifty},
		{name: "international with spaces and dashes", number: "+1 202-555-0150", rules: us, want: fifty},
		{name: "country code and parentheses", number: "1 (202) 555-0150", rules: us, want: fifty},
		{name: "dialled with an extension", number: "+1 202 555 0150 ext. 99", rules: us, want: fifty},

		{name: "stored with ext.", number: "+12025550151", rules: us, want: []string{"c151"}},
		{name: "stored with ext., national dialled", number: "202-555-0151", rules: us, want: []string{"c151"}},
		{name: "stored with dots and country code", number: "+12025550152", rules: us, want: []string{"l152"}},
		{name: "stored with spaces", number: "+12025550153", rules: us, want: []string{"a153"}},
		{name: "account with dashes", number: "+12025550199", rules: us, want: []string{"globex"}},
		{name: "account with parentheses", number: "2025550140", rules: us, want: []string{"engines"}},
		{name: "fax is not a caller's line", number: "+12025550198", rules: us},
		{name: "no record", number: "+12025550111", rules: us},

		{name: "E.164 and national stores, newest Contact first", number: "+12025550142", rules: us, want: []string{"c142", "ada", "l142", "a142"}},
		// In a GB org "(202) 555-0142" is not a US number: the stores that
		// say their country read as exact and come first.
		{name: "GB org ranks stores with a country code first", number: "+12025550142", rules: gb, want: []string{"ada", "a142", "c142", "l142"}},
		{name: "two Contacts, most recently modified first", number: "+12025550160", rules: us, want: []string{"c160first", "c160second"}},
		{name: "converted Lead left out", number: "+12025550170", rules: us, want: []string{"c170"}},
		{name: "only a converted Lead", number: "+12025550171", rules: us},

		{name: "JP stored national, dialled E.164, US org", number: "+81312345678", rules: us, want: []string{"yuki", "tokyo"}},
		{name: "JP stored national, dialled E.164, JP org", number: "+81312345678", rules: jp, want: []string{"yuki", "tokyo"}},
		{name: "JP national dialled in a JP org", number: "03-1234-5678", rules: jp, want: []string{"yuki", "tokyo"}},
		{name: "JP stored E.164 with spaces", number: "+81312345670", rules: us, want: []string{"kenji"}},
		{name: "JP assistant phone stored national", number: "+81312345671", rules: us, want: []string{"kenji"}},
		{name: "JP mobile on a Lead", number: "+819012345678", rules: us, want: []string{"haruto"}},
		{name: "JP mobile dialled national in a JP org", number: "090-1234-5678", rules: jp, want: []string{"haruto"}},
		{name: "JP national stored with an extension", number: "+81751234567", rules: us, want: []string{"kyoto"}},
		{name: "JP national in a US org is no number", number: "09012345678", rules: us, noCall: true},

		{name: "UK stored with trunk 0, US org", number: "+442079460123", rules: us, want: []string{"holmes"}},
		{name: "UK stored with trunk 0, GB org", number: "+442079460123", rules: gb, want: []string{"holmes"}},
		{name: "UK national dialled in a GB org", number: "020 7946 0123", rules: gb, want: []string{"holmes"}},
		{name: "UK stored E.164, national dialled in a GB org", number: "020 7946 0018", rules: gb, want: []string{"alan"}},
		{name: "UK mobile stored with trunk 0", number: "+447400123456", rules: us, want: []string{"mary"}},
		// Ofcom keeps 07700 900xxx for drama; libphonenumber calls it no
		// number, so no real caller ID carries it and nothing is searched.
		{name: "UK drama range is no number", number: "+447700900123", rules: gb, noCall: true},

		{name: "internal extension", number: "1001", rules: us, noCall: true},
		{name: "extension with x", number: "x1002", rules: us, noCall: true},
		{name: "empty", number: "", rules: us, noCall: true},
		{name: "withheld", number: "anonymous", rules: us, noCall: true},
		{name: "seven digits", number: "555-0150", rules: us, noCall: true},
		{name: "SOSL junk", number: `2025550150} OR {*`, rules: us, noCall: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := pb.org.APIRequests()
			matches, err := FindByPhone(testContext(t), pb.client, tt.number, tt.rules)
			if err != nil {
				t.Fatalf("FindByPhone(%q): %v", tt.number, err)
			}
			var want []string
			for _, k := range tt.want {
				id, ok := pb.ids[k]
				if !ok {
					t.Fatalf("no record %q in the phone book", k)
				}
				want = append(want, id)
			}
			var got []string
			for _, m := range matches {
				got = append(got, m.ID)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("FindByPhone(%q) = %s\nwant %s", tt.number, pb.describe(matches), strings.Join(tt.want, ", "))
			}
			wantCalls := 1
			if tt.noCall {
				wantCalls = 0
			}
			if n := pb.org.APIRequests() - before; n != wantCalls {
				t.Errorf("FindByPhone(%q) made %d API requests, want %d", tt.number, n, wantCalls)
			}
		})
	}
}

// describe names matches by their phone-book keys, for failure messages.
func (pb *phoneBook) describe(matches []Match) string {
	keys := make(map[string]string, len(pb.ids))
	for k, id := range pb.ids {
		keys[id] = k
	}
	var out []string
	for _, m := range matches {
		k := keys[m.ID]
		if k == "" {
			k = m.Type + " " + m.Name
		}
		if !m.Exact {
			k += " (digits)"
		}
		out = append(out, k+" "+m.Phone)
	}
	return "[" + strings.Join(out, ", ") + "]"
}
