package salesforce

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

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
	// the org's rules. A false Exact means the stored digits equal one of
	// the searched forms but are not a valid number on their own (a
	// national number stored without its country in an org of another
	// country, say).
	Exact bool
}

// FindByPhone finds the Contacts, Leads and Accounts whose phone fields hold
// number, however each was formatted when stored.
//
// It makes one SOSL request, searching phone fields for every digit-only form
// of the number (cti.Phone.SearchTerms), then keeps only the records with a
// phone field that is really that number: search tokenizing can match more
// than asked. The fields it returns and reads back are the phone fields the
// user's describes show (describe.go), custom ones included; when Salesforce
// refuses one anyway it describes again and searches once more. Matches come exact first, then Contacts, Leads, Accounts, then
// the most recently modified first.
//
// An internal extension or a number that is not valid under rules makes no
// request and matches nothing.
func FindByPhone(ctx context.Context, c *Client, number string, rules cti.PhoneRules) ([]Match, error) {
	want := cti.NormalizePhone(number, rules)
	terms := want.SearchTerms()
	if want.Internal || !want.Valid || len(terms) == 0 {
		return nil, nil
	}
	escaped := make([]string, len(terms))
	for i, t := range terms {
		escaped[i] = EscapeSOSL(t)
	}
	find := "FIND {" + strings.Join(escaped, " OR ") + "} IN PHONE FIELDS "
	ps, err := c.phoneSearchFor(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("salesforce: find by phone: %w", err)
	}
	recs, err := c.Search(ctx, find+ps.returning)
	if refusedField(err) {
		if ps, err = c.phoneSearchFor(ctx, true); err == nil {
			recs, err = c.Search(ctx, find+ps.returning)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("salesforce: find by phone: %w", err)
	}

	var matches []Match
	for _, r := range recs {
		m, ok := matchRecord(r, ps.fields[r.Type()], want, terms, rules)
		if ok {
			matches = append(matches, m)
		}
	}
	slices.SortStableFunc(matches, func(a, b Match) int {
		if a.Exact != b.Exact {
			if a.Exact {
				return -1
			}
			return 1
		}
		return cmp.Or(
			cmp.Compare(rank(a.Type), rank(b.Type)),
			b.LastModified.Compare(a.LastModified),
			strings.Compare(a.ID, b.ID),
		)
	})
	return matches, nil
}

// matchRecord checks r's phone fields (fields) against want and describes r
// when one of them is the number.
func matchRecord(r Record, fields []string, want cti.Phone, terms []string, rules cti.PhoneRules) (Match, bool) {
	typ := r.Type()
	var stored string
	exact, found := false, false
	for _, f := range fields {
		v := r.String(f)
		if v == "" {
			continue
		}
		got := cti.NormalizePhone(v, rules)
		if got.Valid && got.E164 == want.E164 {
			stored, exact, found = v, true, true
			break
		}
		if !got.Valid && !found && holdsTerm(v, terms) {
			stored, found = v, true
		}
	}
	if !found {
		return Match{}, false
	}
	m := Match{
		ID:           r.ID(),
		Type:         typ,
		Name:         r.String("Name"),
		Phone:        stored,
		LastModified: r.Time("LastModifiedDate"),
		Exact:        exact,
	}
	switch typ {
	case "Contact":
		m.AccountID, m.AccountName = r.String("AccountId"), r.String("Account.Name")
	case "Lead":
		m.AccountName = r.String("Company")
	case "Account":
		m.AccountID, m.AccountName = m.ID, m.Name
	}
	return m, true
}

// holdsTerm reports whether a stored value that is not a valid number under
// the org's rules still holds one of the searched digit forms: all its
// digits, or the digits before an extension. Search finds "03-1234-5678 ext.
// 5" by its base number, so the check must accept it too.
func holdsTerm(v string, terms []string) bool {
	if slices.Contains(terms, phonenumbers.NormalizeDigitsOnly(v)) {
		return true
	}
	number, ext := phonenumbers.MaybeSeparateExtensionFromPhone(v)
	return ext != "" && slices.Contains(terms, phonenumbers.NormalizeDigitsOnly(number))
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
