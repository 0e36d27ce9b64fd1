package salesforce

import "strings"

// soslReserved are the characters SOSL gives a meaning to; each must be
// preceded by a backslash to be searched for literally, even inside quotes.
const soslReserved = `?&|!{}[]()^~*:\"'+-`

// EscapeSOSL makes s safe inside the braces of FIND {…}: every reserved
// character (? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -) gets a backslash, so s
// can neither close the braces nor add wildcards, grouping or negation.
// Words such as OR and AND keep their meaning; quote a phrase
// (`FIND {"` + EscapeSOSL(s) + `"}`) to search for them literally.
func EscapeSOSL(s string) string {
	if !strings.ContainsAny(s, soslReserved) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	// Byte-wise: every reserved character is ASCII, and other bytes
	// (including invalid UTF-8) pass through unchanged.
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(soslReserved, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// EscapeSOQL makes s safe between the single quotes of a SOQL string
// literal: backslash and quotes are escaped, and line breaks, tabs, form
// feeds and backspaces become their escape sequences (\n, \r, \t, \f, \b),
// which is how SOQL writes them. Other control characters cannot appear in a
// literal and are dropped. LIKE wildcards (% and _) are left alone.
func EscapeSOQL(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < 0x20 || c == 0x7f {
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
