package sfsim

import (
	"net/http"
	"strconv"
	"strings"
)

// handleSearch serves GET /services/data/vNN.0/search?q=<SOSL>.
func (o *Org) handleSearch(w http.ResponseWriter, r *http.Request) {
	src := r.URL.Query().Get("q")
	o.mu.Lock()
	o.lastSearch = src
	o.mu.Unlock()
	s, err := o.parseSOSL(src, o.viewerFor(sessionFrom(r).userID))
	if err != nil {
		writeError(w, err)
		return
	}
	version := r.PathValue("version")
	o.mu.Lock()
	rows := o.runSearchLocked(s, version)
	o.mu.Unlock()
	if v, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(version, "v"), ".0")); v <= 35 {
		writeJSON(w, http.StatusOK, rows) // before v36.0 the result was a bare array
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"searchRecords": rows})
}

// runSearchLocked runs a parsed search: each RETURNING object in order, its
// WHERE, ORDER BY and LIMIT applied, then the overall LIMIT.
func (o *Org) runSearchLocked(s *search, version string) []orderedRecord {
	out := []orderedRecord{}
	for _, spec := range s.specs {
		q := *spec.q
		where := q.where
		obj := q.obj
		// A field the user cannot read is not searched for them either.
		// UNCONFIRMED (reference salesforce-phone-search.md §8): whether
		// Salesforce matches on a phone field hidden from the user; sfsim
		// takes the strict side, so a client must not rely on it.
		q.where = func(rec map[string]any) bool {
			id, _ := rec["Id"].(string)
			return o.matchesAny(obj, s.viewer, id, s.terms, s.scope) && (where == nil || where(rec))
		}
		for _, rec := range o.runLocked(&q) {
			if len(out) >= s.limit {
				return out
			}
			out = append(out, o.renderRowLocked(obj, rec, q.fields, version))
		}
	}
	return out
}

// matchesAny reports whether any of terms matches record id as the index
// holds it now, in the fields in scope that v reads. Caller holds o.mu.
func (o *Org) matchesAny(s *sobject, v *viewer, id string, terms []searchTerm, scope string) bool {
	doc := o.indexedLocked(id)
	if doc == nil {
		return false // not yet indexed: found by nothing
	}
	for _, t := range terms {
		if termMatches(s, v, doc, t, scope) {
			return true
		}
	}
	return false
}

// termMatches applies one alternative to an indexed record: each phrase
// must appear in one of the fields in scope that v reads.
func termMatches(s *sobject, v *viewer, doc *indexDoc, t searchTerm, scope string) bool {
	if len(t.phrases) == 0 {
		return false
	}
	for _, phrase := range t.phrases {
		found := false
		for _, in := range doc.fields {
			f := &s.fields[in.field]
			if inScope(f, scope) && phraseIn(in.stream, phrase) && v.canSeeField(s, f) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// inScope reports whether a search IN scope FIELDS looks at f.
func inScope(f *field, scope string) bool {
	switch scope {
	case "NAME":
		return f.Name == "Name" || f.Name == "FirstName" || f.Name == "LastName"
	case "EMAIL":
		return f.Type == "email"
	case "PHONE":
		return f.Type == "phone"
	}
	return searchable(f)
}
