package sfsim

import (
	"net/http"
)

// maxCollection is the most records one sObject Collections request takes.
const maxCollection = 200

// collectionError is an error inside a collection result: statusCode, not errorCode.
type collectionError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

type collectionResult struct {
	ID      *string           `json:"id,omitempty"`
	Success bool              `json:"success"`
	Errors  []collectionError `json:"errors"`
}

func toCollectionError(e *restError) collectionError {
	f := e.Fields
	if f == nil {
		f = []string{}
	}
	return collectionError{StatusCode: e.ErrorCode, Message: e.Message, Fields: f}
}

// handleCompositeCreate serves POST /services/data/vNN.0/composite/sobjects:
// up to 200 records of any types, each with attributes.type and no id. The
// answer is 200 with one result per record in input order. With allOrNone a
// single failure inserts nothing, and the records that were fine report
// ALL_OR_NONE_OPERATION_ROLLED_BACK. The whole request is one API call.
func (o *Org) handleCompositeCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AllOrNone bool             `json:"allOrNone"`
		Records   []map[string]any `json:"records"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if len(body.Records) == 0 {
		writeError(w, newError(http.StatusBadRequest, "INVALID_FIELD", "No records to process. The records array is empty or missing."))
		return
	}
	if len(body.Records) > maxCollection {
		writeError(w, newError(http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"))
		return
	}
	userID := sessionFrom(r).userID

	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.viewerLocked(userID)
	type prepared struct {
		obj *sobject
		rec map[string]any
	}
	results := make([]collectionResult, len(body.Records))
	ready := make([]prepared, len(body.Records))
	failed := false
	for i, in := range body.Records {
		obj, rerr := o.collectionRecord(in, v)
		var rec map[string]any
		if rerr == nil {
			rec, rerr = o.prepareWrite(obj, withoutAttributes(in), nil, v)
		}
		if rerr != nil {
			results[i] = collectionResult{Errors: []collectionError{toCollectionError(rerr)}}
			failed = true
			continue
		}
		ready[i] = prepared{obj, rec}
	}
	for i, p := range ready {
		if p.obj == nil {
			continue
		}
		if failed && body.AllOrNone {
			results[i] = collectionResult{Errors: []collectionError{{
				StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
				Message:    "Record rolled back because not all records were valid and the request was using AllOrNone header",
				Fields:     []string{},
			}}}
			continue
		}
		id := o.insertLocked(p.obj, p.rec, userID)
		results[i] = collectionResult{ID: &id, Success: true, Errors: []collectionError{}}
	}
	writeJSON(w, http.StatusOK, results)
}

// collectionRecord checks the attributes of one collection record.
func (o *Org) collectionRecord(in map[string]any, v *viewer) (*sobject, *restError) {
	attrs, _ := in["attributes"].(map[string]any)
	typ, _ := attrs["type"].(string)
	if typ == "" {
		return nil, newError(http.StatusBadRequest, "INVALID_TYPE", "Must send a concrete entity type.")
	}
	obj, ok := o.lookupSObject(typ)
	if !ok || !v.canSeeObject(obj) {
		return nil, newError(http.StatusBadRequest, "INVALID_TYPE", "sObject type '"+typ+"' is not supported.")
	}
	for k := range in {
		if k == "id" || k == "Id" {
			return nil, newError(http.StatusBadRequest, "INVALID_FIELD", "cannot specify Id in an insert call", "Id")
		}
	}
	return obj, nil
}

func withoutAttributes(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if k != "attributes" {
			out[k] = v
		}
	}
	return out
}
