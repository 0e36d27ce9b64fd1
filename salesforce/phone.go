package salesforce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// Match is a record whose phone field holds the number looked up.
type Match struct {
	ID   string
	Type string // Contact, Lead or Account
	Name string
	// Phone is the stored value of the field that matched, as entered.
	Phone string
	// AccountID and AccountName: a Contact's Account; a Lead's Company (no
	// Id); an Account's own Id and Name. They feed a Task's WhatId.
	AccountID, AccountName string
	LastModified           time.Time
	// Exact is true when the stored value reads as the same number under
	// the org's rules, or its digits are the number with its country code
	// (after 00 or 011, say). A false Exact means the stored digits are the
	// national number, which is no valid number on its own in the org's
	// country, or end with it ("+44 (0)20 7946 0018").
	Exact bool
	tier  int // tierSame, tierNational or tierSuffix
}

// FindByPhone finds the Contacts, Leads and Accounts whose phone fields hold
// number, however each was formatted when stored.
//
// Salesforce search matches tokens, not digits (reference
// salesforce-phone-search.md §2-§3): "(202) 555-0142" is the tokens 202 555
// 0142, "+12025550142" the one token 12025550142, and whether a digits-only
// term finds a formatted value is UNCONFIRMED. So FindByPhone makes one SOSL
// request that ORs together every form the number is commonly typed in
// (searchForms: digit runs with and without country code, trunk prefix or
// international access prefix, and the national and international groupings
// as phrases), then keeps only the records with a phone field that really
// is that number (phoneTier). Matches come best reading first (the same
// number, then national digits, then a stored value ending in the number),
// then Contacts, Leads, Accounts, then the most recently modified. The
// fields it returns and reads back are the phone fields the user's
// describes show (describe.go), custom ones included; when Salesforce
// refuses one anyway it describes again and searches once more.
//
// When rules name normalised-number fields (E164Fields), one Composite
// request of SOQL queries on them replaces the search (findByE164Fields):
// SOQL reads the database, so a record created a moment ago is found, where
// search sees it only once Salesforce has indexed it (§5, minutes).
//
// An internal extension or a number that is not valid under rules makes no
// request and matches nothing.
func FindByPhone(ctx context.Context, c *Client, number string, rules cti.PhoneRules) ([]Match, error) {
	want := cti.NormalizePhone(number, rules)
	if want.Internal || !want.Valid {
		return nil, nil
	}
	digits := numberDigits(want)
	if len(rules.E164Fields) > 0 {
		matches, err := findByE164Fields(ctx, c, want, digits, rules)
		if !errors.Is(err, errE164Refused) {
			return matches, err
		}
		// A listed field is missing or hidden from this user: search
		// instead, so the caller is still found (one request more).
	}
	forms := searchForms(want)
	if len(forms) == 0 {
		return nil, nil
	}
	ps, err := c.phoneSearchFor(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("salesforce: find by phone: %w", err)
	}
	recs, err := c.Search(ctx, phoneSOSL(forms, ps.returning))
	if refusedField(err) {
		if ps, err = c.phoneSearchFor(ctx, true); err == nil {
			recs, err = c.Search(ctx, phoneSOSL(forms, ps.returning))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("salesforce: find by phone: %w", err)
	}
	var matches []Match
	for _, r := range recs {
		if m, ok := matchRecord(r, ps.fields[r.Type()], want, digits, rules); ok {
			matches = append(matches, m)
		}
	}
	sortMatches(matches)
	return matches, nil
}

// phoneSOSL is the caller lookup: the forms ORed, a form of several groups
// as a quoted phrase, then the RETURNING clause.
func phoneSOSL(forms []string, returning string) string {
	alts := make([]string, len(forms))
	for i, f := range forms {
		alts[i] = EscapeSOSL(f)
		if strings.Contains(f, " ") {
			alts[i] = `"` + alts[i] + `"`
		}
	}
	return "FIND {" + strings.Join(alts, " OR ") + "} IN PHONE FIELDS " + returning
}

// sortMatches orders matches best reading first, then by type, then the
// most recently modified first.
func sortMatches(matches []Match) {
	slices.SortStableFunc(matches, func(a, b Match) int {
		return cmp.Or(
			cmp.Compare(a.tier, b.tier),
			cmp.Compare(rank(a.Type), rank(b.Type)),
			b.LastModified.Compare(a.LastModified),
			strings.Compare(a.ID, b.ID),
		)
	})
}

// matchRecord checks r's phone fields against want and describes r when one
// of them is the number, by the best reading among them.
func matchRecord(r Record, fields []string, want cti.Phone, digits numberForms, rules cti.PhoneRules) (Match, bool) {
	var stored string
	best := -1
	for _, f := range fields {
		v := r.String(f)
		if v == "" {
			continue
		}
		if t := phoneTier(v, want, digits, rules); t >= 0 && (best < 0 || t < best) {
			stored, best = v, t
		}
	}
	if best < 0 {
		return Match{}, false
	}
	m := describeMatch(r)
	m.Phone, m.Exact, m.tier = stored, best == tierSame, best
	return m, true
}

// describeMatch is the Match for record r, its phone yet to be filled in.
func describeMatch(r Record) Match {
	m := Match{ID: r.ID(), Type: r.Type(), Name: r.String("Name"), LastModified: r.Time("LastModifiedDate")}
	switch m.Type {
	case "Contact":
		m.AccountID, m.AccountName = r.String("AccountId"), r.String("Account.Name")
	case "Lead":
		m.AccountName = r.String("Company")
	case "Account":
		m.AccountID, m.AccountName = m.ID, m.Name
	}
	return m
}

// rank orders matches by type: a person before a company.
func rank(typ string) int {
	switch typ {
	case "Contact":
		return 0
	case "Lead":
		return 1
	case "Account":
		return 2
	}
	return 3
}
