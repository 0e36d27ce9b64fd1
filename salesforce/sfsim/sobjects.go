package sfsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// sobjectFromPath resolves {type}; an unknown object, or one the user may
// not access, is 404 NOT_FOUND.
func (o *Org) sobjectFromPath(w http.ResponseWriter, r *http.Request) (*sobject, bool) {
	s, ok := o.lookupSObject(r.PathValue("type"))
	if !ok || !o.viewerFor(sessionFrom(r).userID).canSeeObject(s) {
		writeError(w, notFound())
		return nil, false
	}
	return s, ok
}

// recordFromPath resolves {type}/{id} under o.mu: a malformed Id is 400
// MALFORMED_ID, an Id of another object or of no record is 404 NOT_FOUND.
func (o *Org) recordFromPathLocked(s *sobject, raw string) (map[string]any, *restError) {
	id, ok := normalizeID(raw)
	if !ok {
		return nil, newError(http.StatusBadRequest, "MALFORMED_ID", fmt.Sprintf("%s ID: id value of incorrect type: %s", s.Label, raw), "Id")
	}
	if sobjectForID(id) != s.Name {
		return nil, newError(http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+raw)
	}
	rec := o.data[s.Name].byID[id]
	if rec == nil {
		return nil, notFound()
	}
	return rec, nil
}

// decodeBody reads a JSON object body; a bad body is 400 JSON_PARSER_ERROR.
func decodeBody(r *http.Request, v any) *restError {
	b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return newError(http.StatusBadRequest, "JSON_PARSER_ERROR", "could not read the request body")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return newError(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character in the request body: "+err.Error())
	}
	return nil
}

// handleCreate serves POST /services/data/vNN.0/sobjects/{type}/ → 201
// {"id","success":true,"errors":[]}.
func (o *Org) handleCreate(w http.ResponseWriter, r *http.Request) {
	s, ok := o.sobjectFromPath(w, r)
	if !ok {
		return
	}
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if body == nil {
		writeError(w, newError(http.StatusBadRequest, "JSON_PARSER_ERROR", "the request body must be a JSON object"))
		return
	}
	o.mu.Lock()
	id, err := o.createLocked(s, body, sessionFrom(r).userID)
	o.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/services/data/"+r.PathValue("version")+"/sobjects/"+s.Name+"/"+id)
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "success": true, "errors": []any{}})
}

// handleRead serves GET /services/data/vNN.0/sobjects/{type}/{id}[?fields=a,b].
func (o *Org) handleRead(w http.ResponseWriter, r *http.Request) {
	s, ok := o.sobjectFromPath(w, r)
	if !ok {
		return
	}
	v := o.viewerFor(sessionFrom(r).userID)
	var names []string
	if fs := r.URL.Query().Get("fields"); fs != "" {
		for _, n := range strings.Split(fs, ",") {
			f, ok := s.field(strings.TrimSpace(n))
			if !ok || !v.canSeeField(s, f) {
				writeError(w, newError(http.StatusBadRequest, "INVALID_FIELD",
					fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", strings.TrimSpace(n), s.Name)))
				return
			}
			names = append(names, f.Name)
		}
	}
	o.mu.Lock()
	rec, err := o.recordFromPathLocked(s, r.PathValue("id"))
	var out orderedRecord
	if err == nil {
		if names == nil {
			names = v.visibleFields(s)
		}
		out = o.renderRecord(s, rec, r.PathValue("version"), names)
	}
	o.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleUpdate serves PATCH /services/data/vNN.0/sobjects/{type}/{id} → 204.
func (o *Org) handleUpdate(w http.ResponseWriter, r *http.Request) {
	s, ok := o.sobjectFromPath(w, r)
	if !ok {
		return
	}
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	o.mu.Lock()
	rec, err := o.recordFromPathLocked(s, r.PathValue("id"))
	if err == nil {
		err = o.updateLocked(s, rec, body, sessionFrom(r).userID)
	}
	o.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDelete serves DELETE /services/data/vNN.0/sobjects/{type}/{id} → 204.
func (o *Org) handleDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := o.sobjectFromPath(w, r)
	if !ok {
		return
	}
	o.mu.Lock()
	rec, err := o.recordFromPathLocked(s, r.PathValue("id"))
	if err == nil {
		o.deleteLocked(s, rec["Id"].(string))
	}
	o.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDescribe serves GET /services/data/vNN.0/sobjects/{type}/describe.
func (o *Org) handleDescribe(w http.ResponseWriter, r *http.Request) {
	s, ok := o.sobjectFromPath(w, r)
	if !ok {
		return
	}
	o.mu.Lock() // the Task Status values may change (SetTaskStatuses)
	d := s.describe("/services/data/"+r.PathValue("version"), o.viewerLocked(sessionFrom(r).userID))
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, d)
}

// handleGlobalDescribe serves GET /services/data/vNN.0/sobjects/.
func (o *Org) handleGlobalDescribe(w http.ResponseWriter, r *http.Request) {
	base := "/services/data/" + r.PathValue("version")
	v := o.viewerFor(sessionFrom(r).userID)
	var list []map[string]any
	for _, n := range sortedNames(o.schema) {
		s := o.schema[n]
		if !v.canSeeObject(s) {
			continue
		}
		list = append(list, map[string]any{
			"name": s.Name, "label": s.Label, "labelPlural": s.Plural, "keyPrefix": keyPrefixes[s.Name],
			"custom": false, "createable": true, "queryable": true, "searchable": true,
			"urls": map[string]string{"sobject": base + "/sobjects/" + s.Name, "describe": base + "/sobjects/" + s.Name + "/describe"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
}
