package sfsim

import (
	"net/http"
	"strconv"
	"strings"
)

// handleQuery serves GET /services/data/vNN.0/query?q=<SOQL>.
func (o *Org) handleQuery(w http.ResponseWriter, r *http.Request) {
	src := r.URL.Query().Get("q")
	if strings.TrimSpace(src) == "" {
		writeError(w, newError(http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified"))
		return
	}
	q, err := o.parseSOQL(src, o.viewerFor(sessionFrom(r).userID))
	if err != nil {
		writeError(w, err)
		return
	}
	version := r.PathValue("version")
	o.mu.Lock()
	rows := o.runLocked(q)
	if q.count {
		o.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"totalSize": len(rows), "done": true, "records": []any{}})
		return
	}
	all := make([]orderedRecord, len(rows))
	for i, rec := range rows {
		all[i] = o.renderRowLocked(q.obj, rec, q.fields, version)
	}
	locator := ""
	if len(all) > o.pageSize {
		o.cursorN++
		locator = newID("01g", o.cursorN)
		o.cursors[locator] = all
	}
	pageSize := o.pageSize
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, queryPage(all, 0, pageSize, locator, version))
}

// queryPage is one batch of a query result; nextRecordsUrl points at the next.
func queryPage(all []orderedRecord, from, size int, locator, version string) orderedRecord {
	to := min(from+size, len(all))
	out := newOrderedRecord()
	out.set("totalSize", len(all))
	out.set("done", to >= len(all))
	if to < len(all) {
		out.set("nextRecordsUrl", "/services/data/"+version+"/query/"+locator+"-"+strconv.Itoa(to))
	}
	page := all[from:to]
	if page == nil {
		page = []orderedRecord{}
	}
	out.set("records", page)
	return out
}

// handleQueryMore serves GET /services/data/vNN.0/query/<locator>-<n>.
func (o *Org) handleQueryMore(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("locator")
	i := strings.LastIndexByte(raw, '-')
	var all []orderedRecord
	from := -1
	if i > 0 {
		o.mu.Lock()
		all = o.cursors[raw[:i]]
		o.mu.Unlock()
		if n, err := strconv.Atoi(raw[i+1:]); err == nil {
			from = n
		}
	}
	if all == nil || from < 0 || from > len(all) {
		writeError(w, newError(http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator"))
		return
	}
	o.mu.Lock()
	size := o.pageSize
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, queryPage(all, from, size, raw[:i], r.PathValue("version")))
}
