package salesforce

import (
	"strings"
	"testing"
)

// soslTerm reads the text between FIND { and the closing brace the way the
// SOSL parser does: a backslash takes the next byte literally. It returns the
// unescaped term and fails if an unescaped reserved character (which would
// close the braces or act as an operator) appears, or if anything follows the
// closing brace.
func soslTerm(t *testing.T, query string) string {
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
		if got := soslTerm(t, q); got != s {
			t.Fatalf("term of %q = %q, want the input back", q, got)
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
