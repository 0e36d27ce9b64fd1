package sfsim

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// The search index: what SOSL (and the console's search) match against.
//
// Salesforce searches its own token index, built asynchronously from the
// database (reference salesforce-phone-search.md §2, §5, sources S3-S8):
//
//   - Text is split into tokens at spaces, punctuation and changes from
//     letters to digits and back [C, S5 S7 S8]. An alphanumeric word that
//     splits is indexed whole as well (blue1: blue1, blue, 1) [P, S10].
//     Matching ignores case.
//   - No document says phone fields get a digits-only, suffix or
//     country-aware index (§3: UNCONFIRMED either way). The emulator takes
//     the documented generic rule and nothing more, the stricter reading:
//     "(202) 555-0142" is the tokens 202 555 0142, found by {202 555 0142}
//     or {"202 555 0142"} or {"555 0142"}, never by {2025550142};
//     "+12025550142" is the one token 12025550142, found by {\+12025550142}
//     or {12025550142}, never by {2025550142}. "020 7946 0018" and
//     "+44 20 7946 0018" share no token holding 20 and 7946 together with
//     the trunk 0, so {"020 7946 0018"} finds only the first.
//   - A search term is tokenized the same way. A quoted phrase matches its
//     tokens in sequence within one field; a bare word that splits into
//     several tokens ("555\-0142") is taken as a phrase of them too
//     (UNCONFIRMED: the documentation does not say; a phrase is the plainer
//     reading of one word). Several bare words must all match (AND), each
//     in any field of the record.
//   - New and changed records reach the index only after a lag: "about 15
//     minutes or more" in the LDV guide [C, S3], 1-3 minutes for small
//     queues in its older wording [P, S22]. Until then a new record is not
//     found and a changed one is found by its old values. SOQL reads the
//     database and sees every change at once. The org's records at start
//     (seed.go) are indexed already, as a real org's existing records are.

// DefaultIndexLag is how long a new or changed record takes to become
// searchable when Options.IndexLag is zero: short enough for a demo, long
// enough that a record created just before a call is visibly missed by
// search. Real orgs take minutes (see above).
const DefaultIndexLag = 10 * time.Second

// position is one place in a field's token stream: the token there and, for
// a word indexed whole as well as split, the whole word.
type position []string

// indexDoc is one indexed version of a record: its fields' token streams,
// searchable from at on.
type indexDoc struct {
	at     time.Time
	fields []indexedField
}

// indexedField is one field's token stream; field is its index in the
// object's fields.
type indexedField struct {
	field  int
	stream []position
}

// searchable reports whether a field of this type is in the search index.
func searchable(f *field) bool {
	switch f.Type {
	case "string", "textarea", "email", "combobox", "phone":
		return true
	}
	return false
}

// indexLocked queues rec's current values for the index: searchable after
// the org's lag, or at once while seeding. Caller holds o.mu.
func (o *Org) indexLocked(s *sobject, rec map[string]any) {
	id, _ := rec["Id"].(string)
	if id == "" {
		return
	}
	doc := indexDoc{}
	if !o.seeding {
		doc.at = o.opts.Clock().Add(o.indexLag)
	}
	for i := range s.fields {
		f := &s.fields[i]
		v, _ := rec[f.Name].(string)
		if v == "" || !searchable(f) {
			continue
		}
		stream := tokenize(v, false)
		if f.Type == "email" && len(stream) > 0 {
			// An address is found whole as well as by its parts.
			stream[0] = append(position{strings.ToLower(v)}, stream[0]...)
		}
		doc.fields = append(doc.fields, indexedField{field: i, stream: stream})
	}
	docs := o.index[id]
	// Versions already searchable are superseded by the newest of them;
	// keep only that one and those still queued.
	now := o.opts.Clock()
	keep := docs[:0]
	for i, d := range docs {
		if d.at.After(now) || i+1 == len(docs) || docs[i+1].at.After(now) {
			keep = append(keep, d)
		}
	}
	o.index[id] = append(keep, doc)
}

// indexedLocked returns the version of record id that search sees now, or
// nil when the record has not reached the index yet. Caller holds o.mu.
func (o *Org) indexedLocked(id string) *indexDoc {
	docs := o.index[id]
	now := o.opts.Clock()
	for i := len(docs) - 1; i >= 0; i-- {
		if !docs[i].at.After(now) {
			return &docs[i]
		}
	}
	return nil
}

// SetIndexLag changes how long new and changed records take to become
// searchable from now on; d <= 0 makes them searchable at once. Records
// already queued keep the time they were given.
func (o *Org) SetIndexLag(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.indexLag = max(d, 0)
}

// CatchUpIndex makes every queued change searchable now, as the indexing
// servers do once their queue is empty: for a demo or benchmark that adds
// its records after New, like a real org's existing data.
func (o *Org) CatchUpIndex() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for id, docs := range o.index {
		last := docs[len(docs)-1]
		last.at = time.Time{}
		o.index[id] = []indexDoc{last}
	}
}

// tokenize splits text into its token stream: runs of letters and digits
// (and the wildcards * and ?, when query) between other characters, each
// split again where letters turn to digits or back. In the index (query
// false) a run that splits is also kept whole at its first position.
func tokenize(text string, query bool) []position {
	var out []position
	for _, run := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !(query && (r == '*' || r == '?'))
	}) {
		parts := splitAlnum(run)
		for i, p := range parts {
			pos := position{p}
			if i == 0 && len(parts) > 1 && !query {
				pos = append(pos, run)
			}
			out = append(out, pos)
		}
	}
	return out
}

// splitAlnum splits a run of letters and digits where one turns into the
// other; a wildcard stays with what it follows.
func splitAlnum(run string) []string {
	var parts []string
	start, prev := 0, 0 // prev: 1 letter, 2 digit, 0 none yet
	for i, r := range run {
		kind := prev
		switch {
		case unicode.IsDigit(r):
			kind = 2
		case unicode.IsLetter(r):
			kind = 1
		}
		if prev != 0 && kind != prev {
			parts = append(parts, run[start:i])
			start = i
		}
		prev = kind
	}
	return append(parts, run[start:])
}

// queryToken is one token of a search term: literal text, or a pattern when
// it holds a wildcard.
type queryToken struct {
	text string
	re   *regexp.Regexp
}

func newQueryToken(text string) queryToken {
	t := queryToken{text: text}
	if strings.ContainsAny(text, "*?") {
		t.re = wildcardRegexp(text)
	}
	return t
}

func (t queryToken) matches(p position) bool {
	for _, tok := range p {
		if tok == t.text || t.re != nil && t.re.MatchString(tok) {
			return true
		}
	}
	return false
}

// phraseIn reports whether the phrase's tokens appear in sequence in stream.
func phraseIn(stream []position, phrase []queryToken) bool {
	for start := 0; start+len(phrase) <= len(stream); start++ {
		ok := true
		for i, q := range phrase {
			if !q.matches(stream[start+i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// wildcardRegexp turns a token with * (any characters) and ? (one
// character) into an anchored pattern.
func wildcardRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
