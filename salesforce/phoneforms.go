package salesforce

import (
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/zoomcti/zoomcti/cti"
)

// How the number a caller id names is typed into Salesforce, and how
// search finds it (reference salesforce-phone-search.md §1-§3, §6).
//
// People store numbers in every format: "+12025550142", "(202) 555-0142",
// "202.555.0142", "+1 202-555-0142 x123", "03-1234-5678", "020 7946 0018",
// "+44 20 7946 0018", "0049 30 901821", "011 44 20 7946 0018". Search
// splits a value into tokens at every space and punctuation mark, so each
// of those is found only by a term whose tokens follow the same grouping;
// a run of digits is one token. searchForms lists the runs and groupings
// worth asking for; phoneTier then checks each hit on its digits.

// maxMergedBoundaries bounds how many group boundaries of a formatted
// number searchForms tries both with and without a separator: 2^n forms.
const maxMergedBoundaries = 4

// minSuffixDigits is the fewest digits the trailing groups of a number
// must hold to be searched on their own ("555 0142", "7946 0018"): fewer
// would find too many other numbers.
const minSuffixDigits = 7

// numberForms are a valid number's digit strings.
type numberForms struct {
	intl  string // country code and national significant number: 442079460018
	nsn   string // national significant number: 2079460018
	trunk string // national digits as dialled at home, trunk prefix included: 02079460018
	// natGroups and intlGroups are the digit groups of the number in the
	// national ("020 7946 0018") and international ("+44 20 7946 0018",
	// without the country code) formats.
	natGroups, intlGroups []string
}

// internationalPrefixes are the international access codes people type
// in front of a country code: 00 (most of the world) and 011 (the North
// American Numbering Plan).
var internationalPrefixes = []string{"00", "011"}

// numberDigits returns the digit forms of a Valid number.
func numberDigits(p cti.Phone) numberForms {
	n, err := phonenumbers.Parse(p.E164, "")
	if err != nil {
		return numberForms{}
	}
	n.Extension = nil
	f := numberForms{
		intl:  phonenumbers.NormalizeDigitsOnly(p.E164),
		nsn:   phonenumbers.GetNationalSignificantNumber(n),
		trunk: p.National,
	}
	f.natGroups = digitGroups(phonenumbers.Format(n, phonenumbers.NATIONAL))
	if g := digitGroups(phonenumbers.Format(n, phonenumbers.INTERNATIONAL)); len(g) > 1 {
		f.intlGroups = g[1:] // the country code first
	}
	return f
}

// searchForms are the FIND alternatives for a Valid number, most specific
// first and without duplicates: the E.164 form ("+12025550142"), digit runs
// ("12025550142", "0012025550142",
// "2025550142", "02079460018") and groups separated by spaces, searched as
// phrases ("202 555 0142", "20 7946 0018", "020 7946 0018", "3 1234 5678"):
// the national and international groupings, each group boundary with and
// without its separator, and the trailing groups alone ("555 0142") when
// they hold enough digits, which find the number behind any prefix.
func searchForms(p cti.Phone) []string {
	f := numberDigits(p)
	if f.intl == "" {
		return nil
	}
	// "+12025550142" is the token 12025550142 under the documented rules;
	// sent as written too, as Salesforce's own and vendors' samples do
	// (§3, §6), in case phone fields are indexed otherwise.
	forms := []string{p.E164, f.intl}
	for _, idd := range internationalPrefixes {
		forms = append(forms, idd+f.intl)
	}
	forms = append(forms, f.trunk, f.nsn)
	forms = append(forms, merges(f.natGroups)...)
	forms = append(forms, merges(f.intlGroups)...)
	if s := trailingGroups(f.intlGroups); s != "" {
		forms = append(forms, s)
	}
	out := forms[:0]
	for _, s := range forms {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// digitGroups returns the runs of digits in a formatted number.
func digitGroups(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// merges returns groups joined by spaces, with each of the first
// maxMergedBoundaries boundaries kept or closed up: "202 555 0142",
// "202555 0142", "202 5550142", "2025550142".
func merges(groups []string) []string {
	if len(groups) == 0 {
		return nil
	}
	n := min(len(groups)-1, maxMergedBoundaries)
	var out []string
	for mask := 0; mask < 1<<n; mask++ {
		var b strings.Builder
		b.WriteString(groups[0])
		for i, g := range groups[1:] {
			if i >= n || mask&(1<<i) == 0 {
				b.WriteByte(' ')
			}
			b.WriteString(g)
		}
		out = append(out, b.String())
	}
	return out
}

// trailingGroups returns the shortest run of last groups holding at least
// minSuffixDigits digits, as a phrase, or "" when only the whole number
// does.
func trailingGroups(groups []string) string {
	digits := 0
	for i := len(groups) - 1; i > 0; i-- {
		digits += len(groups[i])
		if digits >= minSuffixDigits {
			if i == len(groups)-1 {
				return "" // one group: a run, not a phrase, too broad
			}
			return strings.Join(groups[i:], " ")
		}
	}
	return ""
}

// How well a stored value reads as the number looked up; -1 is not at all.
const (
	tierSame     = 0 // the same number, or its digits with the country code
	tierNational = 1 // the national digits, no number on their own under the org's rules
	tierSuffix   = 2 // digits ending with the national significant number
)

// phoneTier checks a stored phone value against the number wanted, on
// digits: what search matched on tokens may be another number that shares
// some (the trailing groups, an extension).
func phoneTier(v string, want cti.Phone, f numberForms, rules cti.PhoneRules) int {
	got := cti.NormalizePhone(v, rules)
	if got.Valid && got.E164 == want.E164 {
		return tierSame
	}
	base, _ := phonenumbers.MaybeSeparateExtensionFromPhone(v)
	d := phonenumbers.NormalizeDigitsOnly(base)
	if d == f.intl {
		return tierSame
	}
	for _, idd := range internationalPrefixes {
		if d == idd+f.intl {
			return tierSame
		}
	}
	if got.Valid {
		return -1 // a different number
	}
	switch {
	case d == f.nsn || d == f.trunk:
		return tierNational
	case len(f.nsn) >= minSuffixDigits && strings.HasSuffix(d, f.nsn):
		return tierSuffix
	}
	return -1
}
