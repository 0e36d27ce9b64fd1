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
	if err := e.client.LoadFields(testContext(t)); err != nil {
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

	// Another area code with Ada's last groups: search's trailing-groups
	// phrase "555 0142" finds it, the digit check must drop it.
	add("sf142", "Contact", map[string]any{"LastName": "Elsewhere", "Phone": "(415) 555-0142"})

	// More United States forms: country code, parentheses and an
	// extension; an odd grouping; no space after the area code.
	add("c161", "Contact", map[string]any{"LastName": "Extended", "Phone": "1 (202) 555-0161 x123"})
	add("a163", "Account", map[string]any{"Name": "Odd Groups Inc", "Phone": "202 5550163"})
	add("c164", "Contact", map[string]any{"LastName": "Tight", "Phone": "(202)555-0164"})

	// More United Kingdom forms: international access prefixes 00 and 011,
	// the "(0)" some write after the country code, an extension, E.164.
	add("gb00", "Contact", map[string]any{"LastName": "Zero Zero", "Phone": "00 44 20 7946 0200"})
	add("gb011", "Lead", map[string]any{"LastName": "Oh Eleven", "Company": "Transatlantic", "Phone": "011 44 20 7946 0201"})
	add("gb0", "Account", map[string]any{"Name": "Bracket Zero plc", "Phone": "+44 (0)20 7946 0202"})
	add("gbext", "Contact", map[string]any{"LastName": "Switchboard", "Phone": "020 7946 0203 ext. 44"})
	// Country and area code run together: only the trailing groups are
	// tokens of the number.
	add("gbrun", "Contact", map[string]any{"LastName": "Run Together", "Phone": "+4420 7946 0207"})
	add("gbmob", "Lead", map[string]any{"LastName": "Mobile", "Company": "Mobile Ltd", "MobilePhone": "+447400123458"})

	// More Japan forms: spaces, hyphens after the country code, 00 and the
	// number as one run after 00, a mobile with spaces.
	add("jp03", "Contact", map[string]any{"LastName": "Yamada", "Phone": "03 1234 5600"})
	add("jpintl", "Lead", map[string]any{"LastName": "Ito", "Company": "Ito KK", "Phone": "+81-3-1234-5601"})
	add("jp00", "Account", map[string]any{"Name": "Osaka Imports", "Phone": "00 81 3 1234 5602"})
	add("jp0081", "Contact", map[string]any{"LastName": "Kobayashi", "Phone": "0081312345603"})
	add("jpmob", "Contact", map[string]any{"LastName": "Nakamura", "MobilePhone": "090 1234 5604"})

	// Germany: the "0049 30 901821", with the same number stored
	// twice more, and other forms.
	add("berlin", "Contact", map[string]any{"FirstName": "Berta", "LastName": "Berlin", "Phone": "0049 30 901821"})
	add("berlinLead", "Lead", map[string]any{"LastName": "Ohne Null", "Company": "Spree GmbH", "Phone": "30 901821"})
	add("berlinAcct", "Account", map[string]any{"Name": "Spree AG", "Phone": "+49 30 901821"})
	add("de030", "Lead", map[string]any{"LastName": "Trunk", "Company": "Trunk GmbH", "Phone": "030 901822"})
	add("deintl", "Account", map[string]any{"Name": "Klammer AG", "Phone": "+49 (0)30 901823"})
	add("demob", "Contact", map[string]any{"LastName": "Handy", "MobilePhone": "+49 1512 3456789"})
	add("de011", "Contact", map[string]any{"LastName": "Amerika", "Phone": "011 49 30 901824"})

	// France: pairs of digits with spaces or dots, international, 0033, a
	// mobile, the national number as one run.
	add("fr01", "Contact", map[string]any{"LastName": "Dupont", "Phone": "01 23 45 67 89"})
	add("frdots", "Lead", map[string]any{"LastName": "Martin", "Company": "Points SARL", "Phone": "01.23.45.67.90"})
	add("frintl", "Account", map[string]any{"Name": "Paris SA", "Phone": "+33 1 23 45 67 91"})
	add("fr0033", "Contact", map[string]any{"LastName": "Bernard", "Phone": "0033 1 23 45 67 92"})
	add("frmob", "Contact", map[string]any{"LastName": "Petit", "MobilePhone": "06 12 34 56 78"})
	add("frrun", "Lead", map[string]any{"LastName": "Durand", "Company": "Durand SARL", "Phone": "0123456793"})

	// Australia: area code in parentheses, international, mobiles, and
	// Australia's own international access prefix 0011.
	add("au02", "Contact", map[string]any{"LastName": "Smith", "Phone": "(02) 9876 5432"})
	add("auintl", "Lead", map[string]any{"LastName": "Jones", "Company": "Jones Pty", "Phone": "+61 2 9876 5433"})
	add("aumob", "Contact", map[string]any{"LastName": "Brown", "MobilePhone": "0412 345 678"})
	add("aumobintl", "Account", map[string]any{"Name": "Harbour Pty", "Phone": "+61 412 345 679"})
	add("au0011", "Contact", map[string]any{"LastName": "Wilson", "Phone": "0011 61 2 9876 5434"})

	// India: mobiles without and with the trunk 0, international, a Delhi
	// landline with its trunk 0 (011, also the North American access
	// prefix), 0091.
	add("inmob", "Contact", map[string]any{"LastName": "Sharma", "MobilePhone": "98765 43210"})
	add("inmob0", "Lead", map[string]any{"LastName": "Verma", "Company": "Verma Pvt", "Phone": "098765-43212"})
	add("inintl", "Account", map[string]any{"Name": "Mumbai Traders", "Phone": "+91 98765 43211"})
	add("indelhi", "Contact", map[string]any{"LastName": "Gupta", "Phone": "011 2345 6789"})
	add("in0091", "Contact", map[string]any{"LastName": "Singh", "Phone": "0091 11 2345 6790"})
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
	de := cti.PhoneRules{DefaultRegion: "DE"}
	fr := cti.PhoneRules{DefaultRegion: "FR"}
	au := cti.PhoneRules{DefaultRegion: "AU"}
	in := cti.PhoneRules{DefaultRegion: "IN"}
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

		{name: "US stored with country code, parentheses and x123", number: "+12025550161", rules: us, want: []string{"c161"}},
		{name: "US stored with x123, dialled with another extension", number: "202-555-0161 x9", rules: us, want: []string{"c161"}},
		{name: "another area code with the same last groups", number: "+14155550142", rules: us, want: []string{"sf142"}},
		{name: "US stored in odd groups", number: "+12025550163", rules: us, want: []string{"a163"}},
		{name: "US stored without a space after the area code", number: "+1 202 555 0164", rules: us, want: []string{"c164"}},

		{name: "GB stored after 00, US org", number: "+442079460200", rules: us, want: []string{"gb00"}},
		{name: "GB stored after 00, dialled after 00 in a GB org", number: "00 44 20 7946 0200", rules: gb, want: []string{"gb00"}},
		{name: "GB stored after 011, dialled after 011 in a US org", number: "011 44 20 7946 0201", rules: us, want: []string{"gb011"}},
		{name: "GB stored with (0)", number: "+442079460202", rules: gb, want: []string{"gb0"}},
		{name: "GB stored with trunk 0 and ext.", number: "+442079460203", rules: us, want: []string{"gbext"}},
		{name: "GB national dialled, stored with ext.", number: "020 7946 0203", rules: gb, want: []string{"gbext"}},
		{name: "GB stored with country and area code run together", number: "+442079460207", rules: gb, want: []string{"gbrun"}},
		{name: "GB mobile stored E.164", number: "+447400123458", rules: gb, want: []string{"gbmob"}},

		{name: "JP stored national with spaces", number: "+81312345600", rules: us, want: []string{"jp03"}},
		{name: "JP national with hyphens dialled in a JP org", number: "03-1234-5600", rules: jp, want: []string{"jp03"}},
		{name: "JP stored international with hyphens", number: "+81312345601", rules: jp, want: []string{"jpintl"}},
		{name: "JP stored after 00 with spaces", number: "+81312345602", rules: us, want: []string{"jp00"}},
		{name: "JP stored after 00 as one run", number: "+81312345603", rules: us, want: []string{"jp0081"}},
		{name: "JP mobile stored with spaces", number: "+819012345604", rules: jp, want: []string{"jpmob"}},

		// The number: a Contact stored as "0049 30 901821".
		{name: "DE stored after 00, US org", number: "+4930901821", rules: us, want: []string{"berlin", "berlinAcct", "berlinLead"}},
		{name: "DE dialled after 00 in a GB org", number: "0049 30 901821", rules: gb, want: []string{"berlin", "berlinAcct", "berlinLead"}},
		{name: "DE national dialled in a DE org", number: "030 901821", rules: de, want: []string{"berlin", "berlinLead", "berlinAcct"}},
		{name: "DE stored with trunk 0", number: "+4930901822", rules: us, want: []string{"de030"}},
		{name: "DE stored with (0)", number: "+4930901823", rules: de, want: []string{"deintl"}},
		{name: "DE mobile stored international", number: "+4915123456789", rules: de, want: []string{"demob"}},
		{name: "DE stored after 011, dialled after 011 in a US org", number: "011 49 30 901824", rules: us, want: []string{"de011"}},

		{name: "FR stored national pairs, US org", number: "+33123456789", rules: us, want: []string{"fr01"}},
		{name: "FR national pairs dialled in a FR org", number: "01 23 45 67 89", rules: fr, want: []string{"fr01"}},
		{name: "FR stored with dots", number: "+33123456790", rules: fr, want: []string{"frdots"}},
		{name: "FR stored international", number: "+33123456791", rules: us, want: []string{"frintl"}},
		{name: "FR stored after 0033", number: "+33123456792", rules: fr, want: []string{"fr0033"}},
		{name: "FR mobile stored national", number: "+33612345678", rules: fr, want: []string{"frmob"}},
		{name: "FR stored as one run with trunk 0, US org", number: "+33123456793", rules: us, want: []string{"frrun"}},

		{name: "AU stored with (02), US org", number: "+61298765432", rules: us, want: []string{"au02"}},
		{name: "AU national dialled in an AU org", number: "(02) 9876 5432", rules: au, want: []string{"au02"}},
		{name: "AU stored international", number: "+61298765433", rules: au, want: []string{"auintl"}},
		{name: "AU mobile stored national", number: "+61412345678", rules: us, want: []string{"aumob"}},
		{name: "AU mobile national dialled, stored international", number: "0412 345 679", rules: au, want: []string{"aumobintl"}},
		{name: "AU stored after 0011", number: "+61298765434", rules: au, want: []string{"au0011"}},

		{name: "IN mobile stored without trunk, US org", number: "+919876543210", rules: us, want: []string{"inmob"}},
		{name: "IN mobile dialled with trunk in an IN org", number: "098765 43210", rules: in, want: []string{"inmob"}},
		{name: "IN mobile stored with trunk and hyphen", number: "+919876543212", rules: in, want: []string{"inmob0"}},
		{name: "IN mobile stored international", number: "+919876543211", rules: us, want: []string{"inintl"}},
		{name: "IN Delhi stored with trunk 011, IN org", number: "+911123456789", rules: in, want: []string{"indelhi"}},
		{name: "IN Delhi stored with trunk 011, US org", number: "+911123456789", rules: us, want: []string{"indelhi"}},
		{name: "IN stored after 0091", number: "+911123456790", rules: us, want: []string{"in0091"}},

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
