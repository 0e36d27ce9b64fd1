package sfsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The SOSL subset: FIND {terms} [IN ALL|NAME|EMAIL|PHONE FIELDS]
// [RETURNING Object[(fields [WHERE ...] [ORDER BY ...] [LIMIT n])], ...] [LIMIT n].
//
// Terms are one or more alternatives joined by OR; an alternative is a word, a
// "quoted phrase" or several words (all must match). A backslash escapes the
// next character. The reserved characters ? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -
// must be escaped, even inside quotes, except * and ? used as wildcards and the
// quotes of a phrase; any other unescaped reserved character is MALFORMED_SEARCH.
//
// Matching runs against the search index (index.go): the term is tokenized
// as the index is, and a record matches when its indexed fields hold the
// term's tokens. IN PHONE FIELDS looks at phone-type fields only, NAME at
// the name fields, EMAIL at email fields, ALL at every searchable field.
// There is no digit normalization: "(202) 555-0142" is not found by
// {2025550142} (see index.go for the sources and what is UNCONFIRMED).

const soslReserved = `?&|!{}[]()^~*:\"'+-`

// searchTerm is one OR alternative: every one of its phrases must match.
// A bare word is a phrase of the tokens it splits into.
type searchTerm struct {
	phrases [][]queryToken
	raw     string // the words as written, for messages
}

// searchSpec is one object of a RETURNING clause.
type searchSpec struct {
	q        *query
	explicit bool // a field list was given
}

type search struct {
	terms []searchTerm
	scope string // ALL, NAME, EMAIL, PHONE
	specs []searchSpec
	limit int
	// viewer is whose search it is: fields they cannot read are neither
	// matched nor returned (access.go).
	viewer *viewer
}

func malformedSearch(format string, args ...any) *restError {
	return newError(http.StatusBadRequest, "MALFORMED_SEARCH", fmt.Sprintf(format, args...))
}

// parseSOSL parses a FIND statement as v sees the org (see parseSOQL).
func (o *Org) parseSOSL(src string, v *viewer) (*search, *restError) {
	trimmed := strings.TrimSpace(src)
	if len(trimmed) < 4 || !strings.EqualFold(trimmed[:4], "FIND") {
		return nil, malformedSearch("No search term found. The search term must be enclosed in braces.")
	}
	rest := strings.TrimSpace(trimmed[4:])
	if !strings.HasPrefix(rest, "{") {
		return nil, malformedSearch("No search term found. The search term must be enclosed in braces.")
	}
	terms, end, rerr := parseTerms(rest[1:])
	if rerr != nil {
		return nil, rerr
	}
	s := &search{terms: terms, scope: "ALL", limit: 2000, viewer: v}
	l, err := lex(rest[1+end+1:])
	if err != nil {
		return nil, malformedSearch("%v", err)
	}
	p := &queryParser{o: o, l: l, v: v}
	if l.accept("IN") {
		scope, err := l.ident()
		if err != nil || l.expect("FIELDS") != nil {
			return nil, malformedSearch("unexpected token after IN")
		}
		s.scope = strings.ToUpper(scope)
		if s.scope == "SIDEBAR" {
			s.scope = "ALL"
		}
		if s.scope != "ALL" && s.scope != "NAME" && s.scope != "EMAIL" && s.scope != "PHONE" {
			return nil, malformedSearch("unexpected token: '%s'", scope)
		}
	}
	if l.accept("RETURNING") {
		for {
			spec, rerr := p.returning()
			if rerr != nil {
				return nil, rerr
			}
			s.specs = append(s.specs, spec)
			if !l.accept(",") {
				break
			}
		}
	} else {
		for _, n := range []string{"Account", "Contact", "Lead"} {
			s.specs = append(s.specs, searchSpec{q: &query{obj: o.schema[n], limit: -1}})
		}
	}
	if l.accept("LIMIT") {
		t := l.next()
		n, err := strconv.Atoi(t.text)
		if err != nil || n < 0 {
			return nil, malformedSearch("unexpected token: '%s'", t.text)
		}
		s.limit = min(n, 2000)
	}
	if l.peek().kind != tokEOF {
		return nil, malformedSearch("%v", l.unexpected())
	}
	return s, nil
}

// returning parses Object[(fields [clauses])].
func (p *queryParser) returning() (searchSpec, *restError) {
	name, err := p.l.ident()
	if err != nil {
		return searchSpec{}, malformedSearch("%v", err)
	}
	obj, ok := p.o.lookupSObject(name)
	if !ok || !p.v.canSeeObject(obj) {
		return searchSpec{}, newError(http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", name))
	}
	spec := searchSpec{q: &query{obj: obj, limit: -1}}
	if !p.l.accept("(") {
		spec.q.fields = []fieldPath{{name: "Id", f: &obj.fields[0]}}
		return spec, nil
	}
	spec.explicit = true
	for {
		n, err := p.l.ident()
		if err != nil {
			return searchSpec{}, malformedSearch("%v", err)
		}
		fp, rerr := p.o.resolvePath(obj, n, p.v)
		if rerr != nil {
			return searchSpec{}, rerr
		}
		spec.q.fields = append(spec.q.fields, fp)
		if !p.l.accept(",") {
			break
		}
	}
	if rerr := p.clauses(spec.q); rerr != nil {
		if rerr.ErrorCode == "MALFORMED_QUERY" {
			rerr.ErrorCode = "MALFORMED_SEARCH"
		}
		return searchSpec{}, rerr
	}
	if err := p.l.expect(")"); err != nil {
		return searchSpec{}, malformedSearch("%v", err)
	}
	return spec, nil
}

// parseTerms reads the search expression up to its closing brace and returns
// the alternatives and the index of that brace.
func parseTerms(src string) ([]searchTerm, int, *restError) {
	type lexeme struct {
		text   string
		quoted bool
	}
	var (
		lexemes []lexeme
		cur     strings.Builder
		have    bool
		inQuote bool
		end     = -1
	)
	flush := func() {
		if have {
			lexemes = append(lexemes, lexeme{cur.String(), inQuote})
		}
		cur.Reset()
		have = false
	}
scan:
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			if i+1 >= len(src) {
				break scan
			}
			i++
			// An escaped character is literal: punctuation, which the
			// tokenizer drops like any other, or a literal * or ?, which no
			// token contains.
			if src[i] == '*' || src[i] == '?' {
				cur.WriteByte(' ')
			} else {
				cur.WriteByte(src[i])
			}
			have = true
		case c == '}' && !inQuote:
			flush()
			end = i
			break scan
		case c == '"':
			flush()
			inQuote = !inQuote
		case (c == ' ' || c == '\t' || c == '\n' || c == '\r') && !inQuote:
			flush()
		case c == '*' || c == '?':
			cur.WriteByte(c)
			have = true
		case strings.IndexByte(soslReserved, c) >= 0:
			return nil, 0, malformedSearch("line 1:%d, unexpected reserved character '%c' in the search term; escape it with a backslash", i+7, c)
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if end < 0 || inQuote {
		return nil, 0, malformedSearch("No search term found. The search term must be enclosed in braces.")
	}

	var terms []searchTerm
	var words []string
	var phrases [][]queryToken
	closeTerm := func() *restError {
		raw := strings.Join(words, " ")
		if len(words) == 0 {
			return malformedSearch("No search term found. The search term must be enclosed in braces.")
		}
		if len(strings.Trim(raw, "*? ")) < 2 || len(phrases) == 0 {
			return malformedSearch("search term must be longer than one character: %s", raw)
		}
		terms = append(terms, searchTerm{phrases: phrases, raw: raw})
		words, phrases = nil, nil
		return nil
	}
	for i, lx := range lexemes {
		switch {
		case !lx.quoted && strings.EqualFold(lx.text, "OR"):
			if err := closeTerm(); err != nil {
				return nil, 0, err
			}
		case !lx.quoted && strings.EqualFold(lx.text, "AND"):
			if len(words) == 0 || i == len(lexemes)-1 {
				return nil, 0, malformedSearch("unexpected AND in the search term")
			}
		case !lx.quoted && strings.EqualFold(lx.text, "NOT"):
			return nil, 0, malformedSearch("sfsim supports OR and AND between search terms, not NOT")
		default:
			words = append(words, lx.text)
			if p := queryPhrase(lx.text); len(p) > 0 {
				phrases = append(phrases, p)
			}
		}
	}
	if err := closeTerm(); err != nil {
		return nil, 0, err
	}
	return terms, end, nil
}

// queryPhrase tokenizes one word or quoted phrase of a search term.
func queryPhrase(text string) []queryToken {
	var p []queryToken
	for _, pos := range tokenize(text, true) {
		p = append(p, newQueryToken(pos[0]))
	}
	return p
}

// plainTerm reads free text as the console's search box does: its words
// must all match, each as the tokens it splits into.
func plainTerm(q string) searchTerm {
	t := searchTerm{raw: q}
	for _, w := range strings.Fields(q) {
		if p := queryPhrase(w); len(p) > 0 {
			t.phrases = append(t.phrases, p)
		}
	}
	return t
}
