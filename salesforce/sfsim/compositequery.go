package sfsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// The Composite resource (POST /services/data/vNN.0/composite): a series of
// subrequests in one call that "counts as a single call toward your API
// limits", at most 25 subrequests of which at most 5 are queries, run as
// the same user (REST API Developer Guide, "Send Multiple Requests Using
// Composite"). The answer is 200 with compositeResponse: one {body,
// httpHeaders, httpStatusCode, referenceId} per subrequest, in order; a
// failed subrequest carries its error array. With allOrNone, one failure
// makes every other subrequest answer 400 PROCESSING_HALTED.
//
// sfsim runs query subrequests only (GET .../query?q=); any other
// subrequest is answered 400 with a message saying so, and references
// (@{ref.field}) are not supported. The error codes for a malformed
// composite body and for too many subrequests are UNCONFIRMED
// (JSON_PARSER_ERROR and LIMIT_EXCEEDED here).

const (
	maxCompositeSubrequests = 25
	maxCompositeQueries     = 5
)

type compositeSubrequest struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	ReferenceID string `json:"referenceId"`
}

type compositeSubresponse struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    string            `json:"referenceId"`
}

// handleComposite serves POST /services/data/vNN.0/composite.
func (o *Org) handleComposite(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AllOrNone        bool                  `json:"allOrNone"`
		CompositeRequest []compositeSubrequest `json:"compositeRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.CompositeRequest) == 0 {
		writeError(w, newError(http.StatusBadRequest, "JSON_PARSER_ERROR", "The request body must hold a non-empty compositeRequest array."))
		return
	}
	if len(body.CompositeRequest) > maxCompositeSubrequests {
		writeError(w, newError(http.StatusBadRequest, "LIMIT_EXCEEDED", "A composite request can have at most 25 subrequests."))
		return
	}
	seen := map[string]bool{}
	queries := 0
	for _, sub := range body.CompositeRequest {
		if sub.ReferenceID == "" || seen[sub.ReferenceID] {
			writeError(w, newError(http.StatusBadRequest, "JSON_PARSER_ERROR", "Each subrequest needs its own referenceId."))
			return
		}
		seen[sub.ReferenceID] = true
		if _, ok := queryPath(sub.URL); ok {
			queries++
		}
	}
	if queries > maxCompositeQueries {
		writeError(w, newError(http.StatusBadRequest, "LIMIT_EXCEEDED", "A composite request can have at most 5 query subrequests."))
		return
	}
	out := make([]compositeSubresponse, len(body.CompositeRequest))
	failed := false
	for i, sub := range body.CompositeRequest {
		out[i] = o.compositeSubrequest(r, sub)
		failed = failed || out[i].HTTPStatusCode >= 300
	}
	if failed && body.AllOrNone {
		halted, _ := json.Marshal([]apiError{{ErrorCode: "PROCESSING_HALTED", Message: "The transaction was rolled back since another operation in the same transaction failed."}})
		for i := range out {
			if out[i].HTTPStatusCode < 300 {
				out[i].Body, out[i].HTTPStatusCode = halted, http.StatusBadRequest
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"compositeResponse": out})
}

// queryPath returns the version of a query subrequest's URL
// (/services/data/vNN.0/query?q=... or .../query/?q=...).
func queryPath(u string) (string, bool) {
	p, _, _ := strings.Cut(u, "?")
	rest, ok := strings.CutPrefix(p, "/services/data/")
	if !ok {
		return "", false
	}
	version, res, _ := strings.Cut(rest, "/")
	return version, res == "query" || res == "query/"
}

// compositeSubrequest runs one subrequest as the composite's own user.
func (o *Org) compositeSubrequest(r *http.Request, sub compositeSubrequest) compositeSubresponse {
	res := compositeSubresponse{HTTPHeaders: map[string]string{}, ReferenceID: sub.ReferenceID}
	fail := func(e *restError) compositeSubresponse {
		res.Body, _ = json.Marshal([]apiError{e.apiError})
		res.HTTPStatusCode = e.status
		return res
	}
	version, isQuery := queryPath(sub.URL)
	if !strings.EqualFold(sub.Method, http.MethodGet) || !isQuery || strings.Contains(sub.URL, "@{") {
		return fail(newError(http.StatusBadRequest, "INVALID_INPUT", "sfsim's composite resource runs only GET query subrequests, without references"))
	}
	if !o.servesVersion(version) {
		return fail(notFound())
	}
	u, err := url.Parse(sub.URL)
	if err != nil {
		return fail(newError(http.StatusBadRequest, "MALFORMED_QUERY", "invalid subrequest url"))
	}
	req := httptest.NewRequestWithContext(r.Context(), http.MethodGet, u.RequestURI(), nil)
	req.SetPathValue("version", version)
	rec := httptest.NewRecorder()
	o.handleQuery(rec, req)
	res.HTTPStatusCode = rec.Code
	res.Body = json.RawMessage(strings.TrimSpace(rec.Body.String()))
	return res
}
