package salesforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zoomcti/zoomcti/cti"
)

// The normalised-number pattern (reference salesforce-phone-search.md §7):
// the admin adds a Text field such as Phone_E164__c (External ID, so it is
// indexed) to Contact, Lead and Account, kept in E.164 by a record-triggered
// flow, and lists it in the settings as "Contact.Phone_E164__c" and so on.
// A SOQL equality on it is exact and sees new records at once; search
// would not see them until Salesforce has indexed them.

// errE164Refused: Salesforce refused a normalised-number field (missing,
// misspelt, or hidden from the user by field-level security).
var errE164Refused = errors.New("salesforce: a normalised-number field was refused")

// maxE164Matches bounds each object's answer: a number shared by more
// records than this is no caller to pop.
const maxE164Matches = 50

// e164Objects are the objects a caller is looked up in, in rank order,
// with what each query reads back besides the phone fields the user sees,
// and keeps out.
var e164Objects = []struct {
	name, extra, where string
}{
	{"Contact", "AccountId, Account.Name, ", ""},
	{"Lead", "Company, ", " AND IsConverted = false"},
	{"Account", "", ""},
}

// e164Fields returns the fields rules list for object ("Contact.Phone_E164__c").
func e164Fields(rules cti.PhoneRules, object string) []string {
	var out []string
	for _, of := range rules.E164Fields {
		// A field name is no literal SOQL can escape: one that is not
		// a plain API name is left out.
		if obj, f, ok := strings.Cut(of, "."); ok && strings.EqualFold(obj, object) && apiName.MatchString(f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// findByE164Fields looks want up with one SOQL query per object that has a
// normalised-number field, all in one Composite request (one API call). An
// object with none listed is not looked up. Every record found is checked
// on its phone fields as a search hit is; one whose phone fields do not
// read as the number (the flow's rule differs from ours) still matches on
// the normalised field, which is the org's own reading.
func findByE164Fields(ctx context.Context, c *Client, want cti.Phone, digits numberForms, rules cti.PhoneRules) ([]Match, error) {
	ps, err := c.phoneSearchFor(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("salesforce: find by phone: %w", err)
	}
	var soqls []string
	var fieldsOf, phonesOf [][]string
	for _, o := range e164Objects {
		fields := e164Fields(rules, o.name)
		if len(fields) == 0 {
			continue
		}
		conds := make([]string, len(fields))
		for i, f := range fields {
			conds[i] = f + " = '" + EscapeSOQL(want.E164) + "'"
		}
		cols := append([]string{"Id", "Name"}, ps.fields[o.name]...)
		soqls = append(soqls, "SELECT "+strings.Join(cols, ", ")+", "+o.extra+"LastModifiedDate, "+strings.Join(fields, ", ")+" FROM "+o.name+
			" WHERE ("+strings.Join(conds, " OR ")+")"+o.where+" ORDER BY LastModifiedDate DESC LIMIT "+strconv.Itoa(maxE164Matches))
		fieldsOf = append(fieldsOf, fields)
		phonesOf = append(phonesOf, ps.fields[o.name])
	}
	if len(soqls) == 0 {
		return nil, errE164Refused
	}
	results, err := c.QueryEach(ctx, soqls)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind() == KindInvalidField {
			return nil, errE164Refused
		}
		return nil, err
	}
	var matches []Match
	for i, recs := range results {
		for _, r := range recs {
			m, ok := matchRecord(r, phonesOf[i], want, digits, rules)
			if !ok {
				m, ok = matchE164Field(r, want, fieldsOf[i])
			}
			if ok {
				matches = append(matches, m)
			}
		}
	}
	sortMatches(matches)
	return matches, nil
}

// matchE164Field describes r by the normalised field holding want.
func matchE164Field(r Record, want cti.Phone, fields []string) (Match, bool) {
	for _, f := range fields {
		if r.String(f) == want.E164 {
			m := describeMatch(r)
			m.Phone, m.Exact, m.tier = r.String(f), true, tierSame
			return m, true
		}
	}
	return Match{}, false
}
