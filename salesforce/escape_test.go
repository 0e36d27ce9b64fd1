package salesforce

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// soslTerm reads the text between FIND { and the closing brace the way the
// SOSL parser does: a backslash takes the next byte literally. It returns the
// unescaped term and fails if an unescaped reserved character (which would
// close the braces or act as an operator) appears, or if anything follows the
// closing brace. With phrases, unescaped double quotes delimiting phrases
// are allowed and kept.
func soslTerm(t *testing.T, query string, phrases bool) string {
	t.Helper()
	rest, ok := strings.CutPrefix(query, "FIND {")
	if !ok {
		t.Fatalf("query %q does not start with FIND {", query)
	}
	var term strings.Builder
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '\\':
			if i+1 >= len(rest) {
				t.Fatalf("query %q: dangling backslash", query)
			}
			i++
			term.WriteByte(rest[i])
		case c == '"' && phrases:
			term.WriteByte(c)
		case c == '}':
			if i != len(rest)-1 {
				t.Fatalf("query %q: term closed early at byte %d", query, i+6)
			}
			return term.String()
		case strings.IndexByte(soslReserved, c) >= 0:
			t.Fatalf("query %q: unescaped reserved %q at byte %d", query, c, i+6)
		default:
			term.WriteByte(c)
		}
	}
	t.Fatalf("query %q: braces never closed", query)
	return ""
}

func FuzzEscapeSOSL(f *testing.F) {
	for _, s := range []string{
		"", "+1 (202) 555-0142", `a}b`, `\`, `\}`, `"quoted"`, "it's", "a*b?c", "{}[]()",
		"x OR y", "~!^&|:", "日本語", "\xff\xfe", `\\\`, "end\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := "FIND {" + EscapeSOSL(s) + "}"
		if got := soslTerm(t, q, false); got != s {
			t.Fatalf("term of %q = %q, want the input back", q, got)
		}
	})
}

// digitTerms is the only FIND expression FindByPhone may send (unescaped):
// the E.164 form, digit runs and quoted phrases of digit groups, joined by
// OR.
var digitTerms = regexp.MustCompile(`^\+[0-9]+( OR ([0-9]+|"[0-9]+( [0-9]+)+"))+$`)

// FindByPhone builds its FIND clause from the number's digits, never from the
// text it was given, so nothing a caller ID or a click-to-dial value carries
// (braces, backslashes, quotes, wildcards, OR / AND NOT) can change the query:
// the org receives the searched forms of the number joined by OR, and the
// fixed rest of the statement.
func FuzzFindByPhoneQuery(f *testing.F) {
	for _, s := range []string{
		"+12025550142", "2025550142}", `+1 (202) 555-0142 \`, `"+12025550142"`, "'2025550142'",
		"202555014*", "+1 202 555 0142 OR Name", "+1 202 555 0142 AND NOT 4155550100",
		"} OR {*", `2025550142} RETURNING User(Id) {`, "+81 3-1234-5678 ext. 5", "020 7946 0018",
		"", "1001", `\}`, "+44 (0)20 7946 0018 x*",
	} {
		f.Add(s, uint8(0))
	}
	f.Add("020 7946 0018 OR 1", uint8(1))
	f.Add(`03-1234-5678\}`, uint8(2))

	// A fuzzing run makes far more requests than a day's default limit.
	e := newEnvWith(f, sfsim.Options{DailyLimit: 1 << 62})
	if err := e.client.LoadFields(context.Background()); err != nil {
		f.Fatal(err)
	}
	regions := []string{"US", "GB", "JP"}
	f.Fuzz(func(t *testing.T, number string, region uint8) {
		rules := cti.PhoneRules{DefaultRegion: regions[int(region)%len(regions)]}
		before := e.org.APIRequests()
		matches, err := FindByPhone(testContext(t), e.client, number, rules)
		if err != nil {
			t.Fatalf("FindByPhone(%q): %v (the query must always parse)", number, err)
		}
		want := cti.NormalizePhone(number, rules)
		switch n := e.org.APIRequests() - before; {
		case n == 0 && !want.Valid:
			if matches != nil {
				t.Fatalf("FindByPhone(%q) matched %v without searching", number, matches)
			}
			return
		case n != 1:
			t.Fatalf("FindByPhone(%q) made %d requests, want 1 (valid %v)", number, n, want.Valid)
		}
		q := e.org.LastSearch()
		ps, err := e.client.phoneSearchFor(testContext(t), false)
		if err != nil {
			t.Fatal(err)
		}
		find, ok := strings.CutSuffix(q, " IN PHONE FIELDS "+ps.returning)
		if !ok {
			t.Fatalf("FindByPhone(%q) sent %q: the statement after FIND changed", number, q)
		}
		// Over 4,000 characters Salesforce drops every OR (reference
		// salesforce-phone-search.md §4).
		if len(find) > 4000 {
			t.Fatalf("FindByPhone(%q) sent a search term of %d characters", number, len(find))
		}
		terms := soslTerm(t, find, true)
		if !digitTerms.MatchString(terms) {
			t.Fatalf("FindByPhone(%q) searched {%s}, want digit terms joined by OR", number, terms)
		}
		got := strings.Split(strings.ReplaceAll(terms, `"`, ""), " OR ")
		if forms := searchForms(want); !slices.Equal(got, forms) {
			t.Fatalf("FindByPhone(%q) searched %q, want the number's forms %q", number, got, forms)
		}
		if !slices.Contains(got, want.E164) || !slices.Contains(got, phonenumbers.NormalizeDigitsOnly(want.E164)) {
			t.Fatalf("FindByPhone(%q) searched %q, not the number's E.164 form and digits", number, got)
		}
	})
}

func TestEscapeSOSL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "digits untouched", in: "12025550142", want: "12025550142"},
		{name: "phone punctuation", in: "+1 (202) 555-0142", want: `\+1 \(202\) 555\-0142`},
		{name: "every reserved", in: `?&|!{}[]()^~*:\"'+-`, want: `\?\&\|\!\{\}\[\]\(\)\^\~\*\:\\\"\'\+\-`},
		{name: "unicode passes", in: "Zoë", want: "Zoë"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeSOSL(tt.in); got != tt.want {
				t.Errorf("EscapeSOSL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeSOQL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "Ada Lovelace", want: "Ada Lovelace"},
		{name: "quote", in: "O'Brien", want: `O\'Brien`},
		{name: "backslash before quote", in: `\' OR Name != '`, want: `\\\' OR Name != \'`},
		{name: "double quote", in: `say "hi"`, want: `say \"hi\"`},
		{name: "newline and tab", in: "a\nb\r\tc", want: `a\nb\r\tc`},
		{name: "other control dropped", in: "a\x00b\x1bc", want: "abc"},
		{name: "like wildcards kept", in: "50%_", want: "50%_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeSOQL(tt.in); got != tt.want {
				t.Errorf("EscapeSOQL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// An escaped value can never end the literal: every quote left in the output
// is preceded by an odd run of backslashes.
func FuzzEscapeSOQL(f *testing.F) {
	for _, s := range []string{"", "'", `\'`, `\\'`, "a\nb", "x' OR '1'='1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := EscapeSOQL(s)
		backslashes := 0
		for i := 0; i < len(out); i++ {
			switch c := out[i]; {
			case c == '\\':
				backslashes++
				continue
			case c == '\'' && backslashes%2 == 0:
				t.Fatalf("EscapeSOQL(%q) = %q: unescaped quote at %d", s, out, i)
			case c == '\n' || c == '\r':
				t.Fatalf("EscapeSOQL(%q) = %q: raw line break", s, out)
			}
			backslashes = 0
		}
		if backslashes%2 == 1 {
			t.Fatalf("EscapeSOQL(%q) = %q: ends in a dangling backslash", s, out)
		}
	})
}
