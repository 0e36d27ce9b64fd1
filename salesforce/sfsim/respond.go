package sfsim

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// apiError is one entry of Salesforce's REST error array.
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

// restError is a failure with its HTTP status, as the data API reports it.
type restError struct {
	status int
	apiError
}

func (e *restError) Error() string { return e.ErrorCode + ": " + e.Message }

func newError(status int, code, msg string, fields ...string) *restError {
	return &restError{status: status, apiError: apiError{Message: msg, ErrorCode: code, Fields: fields}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError sends a data-API error: the status and a one-element array body.
func writeError(w http.ResponseWriter, err *restError) {
	writeJSON(w, err.status, []apiError{err.apiError})
}

// orderedRecord is a JSON object that keeps its keys in the order given, so
// records come back as Salesforce sends them: attributes first, then the fields
// in the order they were selected.
type orderedRecord struct {
	keys []string
	vals map[string]any
}

func newOrderedRecord() orderedRecord { return orderedRecord{vals: map[string]any{}} }

func (r *orderedRecord) set(k string, v any) {
	if _, ok := r.vals[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = v
}

func (r orderedRecord) get(k string) any { return r.vals[k] }

func (r orderedRecord) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range r.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.vals[k]); err != nil {
			return nil, err
		}
		buf.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// instanceURL is the scheme and host the request came in on: the org is reached
// on whatever address it is served at, like a My Domain.
func instanceURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
