package cti

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for numbers without a country code when
// PhoneRules.DefaultRegion is empty.
const DefaultRegion = "US"

// PhoneRules are an org's phone-number translation settings: how to read a
// number that arrives without a country code, or with a PBX prefix in front.
type PhoneRules struct {
	DefaultRegion string   // ISO 3166 region for national numbers, e.g. "US", "GB", "JP"; empty means DefaultRegion
	StripPrefixes []string // dial prefixes to remove, e.g. "9" for an outside line; the first that matches is removed
	AddPrefix     string   // prepended after stripping, e.g. "+44" when the PBX hands over bare national numbers
	// E164Fields name the org's normalised-number fields as
	// "Object.Field" ("Contact.Phone_E164__c"): text fields the org keeps
	// in E.164. When set, callers are looked up by them instead of by
	// search.
	E164Fields []string
}

// Phone is a number read for matching. Two numbers are the same line when
// their E164 fields are equal.
type Phone struct {
	Raw       string // as received
	E164      string // "+12025550142"; empty unless Valid
	National  string // digits as dialled domestically, trunk prefix included: "2025550142" (US), "0312345678" (JP), "02079460018" (UK)
	Extension string // "123" for "… x123"; for an Internal number, its digits
	Valid     bool   // a real, dialable number (libphonenumber's IsValidNumber)
	Internal  bool   // 3 to 6 bare digits: an extension inside the phone system, never a Salesforce lookup
}

// NormalizePhone reads a number as a caller ID, a Salesforce phone field or a
// click-to-dial target may carry it: E.164 ("+12025550142"), digits with a
// country code ("12025550142"), national forms with spaces, dashes, dots or
// parentheses ("(202) 555-0142", "03-1234-5678"), international dialling
// prefixes ("011 44 …", "00 44 …") and extensions ("x123", "ext. 123").
//
// The org's translation rules are tried first, then the number as received;
// a number without "+" that is not valid in the default region is finally
// tried as if it carried a country code. The first reading that is a valid
// number wins. 3 to 6 bare digits are an Internal extension. Anything else
// comes back with Valid false.
func NormalizePhone(raw string, rules PhoneRules) Phone {
	// The same callers ring again, and reading a number (libphonenumber's
	// regular expressions) is most of a ringing call's own CPU before its
	// lookup: what was read is remembered, per reading rule.
	key := phoneMemoKey{raw, rules.DefaultRegion, rules.AddPrefix, strings.Join(rules.StripPrefixes, "\x00")}
	phoneMemo.Lock()
	p, ok := phoneMemo.m[key]
	phoneMemo.Unlock()
	if ok {
		return p
	}
	p = normalizePhone(raw, rules)
	phoneMemo.Lock()
	if len(phoneMemo.m) >= phoneMemoMax {
		clear(phoneMemo.m) // start over: a bound, not an eviction policy
	}
	phoneMemo.m[key] = p
	phoneMemo.Unlock()
	return p
}

// phoneMemo holds the numbers NormalizePhone has read, at most phoneMemoMax.
var phoneMemo = struct {
	sync.Mutex
	m map[phoneMemoKey]Phone
}{m: map[phoneMemoKey]Phone{}}

// phoneMemoKey is a number as received and the rules it was read by (the
// prefixes to strip are digits, joined with NUL).
type phoneMemoKey struct{ raw, region, add, strip string }

const phoneMemoMax = 10_000

func normalizePhone(raw string, rules PhoneRules) Phone {
	p := Phone{Raw: raw}
	s := strings.TrimSpace(raw)
	if s == "" {
		return p
	}
	if ext, ok := internalDigits(s); ok {
		p.Extension, p.Internal = ext, true
		return p
	}
	region := strings.ToUpper(strings.TrimSpace(rules.DefaultRegion))
	if region == "" {
		region = DefaultRegion
	}
	var candidates []string
	if t, ok := translate(s, rules); ok {
		candidates = append(candidates, t)
	}
	candidates = append(candidates, s)
	for _, c := range candidates {
		if n := parseValid(c, region); n != nil {
			p.Extension = n.GetExtension()
			n.Extension = nil // formats below must not carry " ext. 123"
			p.E164 = phonenumbers.Format(n, phonenumbers.E164)
			p.National = phonenumbers.NormalizeDigitsOnly(phonenumbers.Format(n, phonenumbers.NATIONAL))
			p.Valid = true
			return p
		}
	}
	if _, ext := phonenumbers.MaybeSeparateExtensionFromPhone(s); ext != "" {
		p.Extension = ext
	}
	return p
}

// parseValid returns the number s denotes in region, or nil when no reading of
// it is a valid number.
func parseValid(s, region string) *phonenumbers.PhoneNumber {
	if n, err := phonenumbers.Parse(s, region); err == nil && phonenumbers.IsValidNumber(n) {
		return n
	}
	if strings.HasPrefix(s, "+") {
		return nil
	}
	// "12025550142" in a GB org, "81312345678" in a US org: digits that
	// already start with a country code.
	number, ext := phonenumbers.MaybeSeparateExtensionFromPhone(s)
	d := phonenumbers.NormalizeDigitsOnly(number)
	if len(d) < 8 {
		return nil
	}
	intl := "+" + d
	if ext != "" {
		intl += " ext. " + ext
	}
	if n, err := phonenumbers.Parse(intl, ""); err == nil && phonenumbers.IsValidNumber(n) {
		return n
	}
	return nil
}

// translate applies the org's prefix rules to a number dialled without "+".
// It reports false when the rules change nothing.
func translate(s string, rules PhoneRules) (string, bool) {
	if strings.HasPrefix(s, "+") || (len(rules.StripPrefixes) == 0 && rules.AddPrefix == "") {
		return "", false
	}
	number, ext := phonenumbers.MaybeSeparateExtensionFromPhone(s)
	d := phonenumbers.NormalizeDigitsOnly(number)
	if d == "" {
		return "", false
	}
	for _, prefix := range rules.StripPrefixes {
		prefix = phonenumbers.NormalizeDigitsOnly(prefix)
		if prefix != "" && strings.HasPrefix(d, prefix) && len(d) > len(prefix) {
			d = d[len(prefix):]
			break
		}
	}
	t := strings.TrimSpace(rules.AddPrefix) + d
	if ext != "" {
		t += " ext. " + ext
	}
	return t, t != s
}

// internalDigits reports whether s is a short internal extension: 3 to 6
// digits, possibly written "x1001" or with separators, and nothing else.
func internalDigits(s string) (string, bool) {
	s = strings.ToLower(s)
	for _, label := range []string{"ext.", "ext", "x"} {
		if rest, ok := strings.CutPrefix(s, label); ok {
			s = rest
			break
		}
	}
	s = strings.TrimSpace(s)
	d := phonenumbers.NormalizeDigitsOnly(s)
	if len(d) < 3 || len(d) > 6 {
		return "", false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) && !strings.ContainsRune(" -.()", r) {
			return "", false
		}
	}
	return d, true
}

// CountryCodes are the regions numbers can be read in (ISO 3166-1
// alpha-2, as libphonenumber knows them), sorted: what the settings' default
// country may be.
func CountryCodes() []string {
	codes := make([]string, 0, 256)
	for r := range phonenumbers.GetSupportedRegions() {
		codes = append(codes, r)
	}
	slices.Sort(codes)
	return codes
}

// IsCountry says whether code is one of CountryCodes.
func IsCountry(code string) bool {
	return phonenumbers.GetSupportedRegions()[code]
}
