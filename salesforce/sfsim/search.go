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
			return o.matchesAny(obj, s.viewer.redact(obj, rec), s.terms, s.scope) && (where == nil || where(rec))
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

func (o *Org) matchesAny(s *sobject, rec map[string]any, terms []searchTerm, scope string) bool {
	for _, t := range terms {
		if o.termMatches(s, rec, t, scope) {
			return true
		}
	}
	return false
}

// termMatches applies one alternative to a record as the index holds it
// now (index.go): each phrase must appear in one of the fields in scope. A
// record not yet indexed matches nothing. Caller holds o.mu.
func (o *Org) termMatches(s *sobject, rec map[string]any, t searchTerm, scope string) bool {
	id, _ := rec["Id"].(string)
	doc := o.indexedLocked(id)
	if doc == nil || len(t.phrases) == 0 {
		return false
	}
	for _, phrase := range t.phrases {
		found := false
		for name, stream := range doc.fields {
			f, ok := s.field(name)
			if ok && inScope(f, scope) && phraseIn(stream, phrase) {
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
