package sfsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The REST API versions an org serves by default: from 31.0, the oldest
// Salesforce still supports (21.0-30.0 were retired in 2022), to
// DefaultNewestVersion.
const (
	DefaultOldestVersion = "31.0"
	// DefaultNewestVersion is one release behind zoomcti's default
	// (salesforce.DefaultAPIVersion, Summer '26 = 67.0), as an org still on
	// Spring '26 is while Summer '26 rolls out: zoomcti must negotiate.
	DefaultNewestVersion = "66.0"
)

// newestOpenCTI is the newest Open CTI library version the console serves
// (Winter '27 preview); the library is versioned apart from the data API.
const newestOpenCTI = 68

// faults are the failures and delay tests ask the data API to show.
type faults struct {
	status  int
	count   int
	latency time.Duration
}

// InjectFaults makes the next count data-API calls answer with status (503 gives
// [{"errorCode":"SERVER_ERROR",...}]).
func (o *Org) InjectFaults(status, count int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults.status, o.faults.count = status, count
}

// SetLatency delays every data-API call by d (0 removes the delay).
func (o *Org) SetLatency(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults.latency = d
}

type ctxKey struct{}

// sessionFrom returns the session the data-API middleware authenticated.
func sessionFrom(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}

// versionMajor reads "NN.0" as NN.
func versionMajor(v string) (int, bool) {
	major, ok := strings.CutSuffix(v, ".0")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(major)
	return n, err == nil && n > 0
}

// SetVersions changes the REST API versions the org serves, e.g. to make a
// version disappear mid-run. Both are "NN.0"; it panics on anything else.
func (o *Org) SetVersions(oldest, newest string) {
	lo, ok1 := versionMajor(oldest)
	hi, ok2 := versionMajor(newest)
	if !ok1 || !ok2 || lo > hi {
		panic(fmt.Sprintf("sfsim: bad version range %q..%q", oldest, newest))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.oldest, o.newest = lo, hi
}

// versionRange returns the majors of the oldest and newest versions served.
func (o *Org) versionRange() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.oldest, o.newest
}

// servesVersion accepts "vNN.0" for the versions the org serves.
func (o *Org) servesVersion(v string) bool {
	num, ok := strings.CutPrefix(v, "v")
	if !ok {
		return false
	}
	n, ok := versionMajor(num)
	lo, hi := o.versionRange()
	return ok && n >= lo && n <= hi
}

// notFound is the data API's 404 for an unknown resource or record.
func notFound() *restError {
	return newError(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

// dataAPI wraps a data-API handler the way Salesforce's front door behaves: a
// version the org does not serve is 404 NOT_FOUND "The requested resource
// does not exist", the same answer as for a missing record (reference §5.3;
// observed for a version not yet enabled or made up, e.g. electricimp/Salesforce#11,
// tprouvot/Salesforce-Inspector-reloaded#744), before the token is looked at; then injected latency and faults, then the Bearer token
// (401 INVALID_SESSION_ID), then the user's "API Enabled" permission (403
// API_DISABLED_FOR_ORG), then the daily request limit (403
// REQUEST_LIMIT_EXCEEDED). A request that gets through is counted and its
// response carries Sforce-Limit-Info.
func (o *Org) dataAPI(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !o.servesVersion(r.PathValue("version")) {
			writeError(w, notFound())
			return
		}
		o.mu.Lock()
		latency := o.faults.latency
		o.mu.Unlock()
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}

		o.mu.Lock()
		if o.faults.count > 0 {
			o.faults.count--
			status := o.faults.status
			o.mu.Unlock()
			writeError(w, faultError(status))
			return
		}
		sess := o.sessionLocked(bearer(r))
		if sess == nil {
			o.mu.Unlock()
			writeError(w, newError(http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid"))
			return
		}
		if !canUseAPI(sess.scope) {
			o.mu.Unlock()
			writeError(w, notRESTSession())
			return
		}
		// A user without "API Enabled" is refused before the limit and
		// without being counted: the request never reached the API.
		if o.noAPI[sess.userID] {
			o.mu.Unlock()
			writeError(w, apiDisabled())
			return
		}
		if o.apiUsed >= o.opts.DailyLimit {
			usage := fmt.Sprintf("api-usage=%d/%d", o.apiUsed, o.opts.DailyLimit)
			o.mu.Unlock()
			w.Header().Set("Sforce-Limit-Info", usage)
			writeError(w, newError(http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
			return
		}
		o.apiUsed++
		usage := fmt.Sprintf("api-usage=%d/%d", o.apiUsed, o.opts.DailyLimit)
		o.mu.Unlock()

		w.Header().Set("Sforce-Limit-Info", usage)
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	})
}

// faultError is the body an injected failure answers with.
func faultError(status int) *restError {
	switch status {
	case http.StatusUnauthorized:
		return newError(status, "INVALID_SESSION_ID", "Session expired or invalid")
	case http.StatusForbidden:
		return newError(status, "REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests (Concurrent API Requests) Limit exceeded.")
	case http.StatusNotFound:
		return newError(status, "NOT_FOUND", "The requested resource does not exist")
	}
	if status < 400 || status > 599 {
		status = http.StatusServiceUnavailable
	}
	return newError(status, "SERVER_ERROR", "An unexpected error occurred. Please include this ErrorId if you contact support: 0000000000-00000 (-1) [injected by sfsim]")
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "OAuth "} {
		if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

// handleFaults serves POST /_sim/faults {"status":503,"count":N,"latency_ms":M}.
// status and count replace the pending faults; latency_ms, when present,
// replaces the delay. The answer is the resulting state.
func (o *Org) handleFaults(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status    *int `json:"status"`
		Count     *int `json:"count"`
		LatencyMS *int `json:"latency_ms"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON: " + err.Error()})
		return
	}
	o.mu.Lock()
	if body.Status != nil || body.Count != nil {
		o.faults.status, o.faults.count = http.StatusServiceUnavailable, 1
		if body.Status != nil {
			o.faults.status = *body.Status
		}
		if body.Count != nil {
			o.faults.count = *body.Count
		}
	}
	if body.LatencyMS != nil {
		o.faults.latency = time.Duration(*body.LatencyMS) * time.Millisecond
	}
	state := map[string]int{"status": o.faults.status, "count": o.faults.count, "latency_ms": int(o.faults.latency / time.Millisecond)}
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, state)
}

// handleVersions serves GET /services/data/: the versions list, which needs no
// token, is not counted and sends no Sforce-Limit-Info.
func (o *Org) handleVersions(w http.ResponseWriter, r *http.Request) {
	var out []map[string]string
	lo, hi := o.versionRange()
	for v := lo; v <= hi; v++ {
		idx := v - 65 // v65.0 is Winter '26
		season := [...]string{"Winter", "Spring", "Summer"}[((idx%3)+3)%3]
		year := 26 + floorDiv(idx, 3)
		out = append(out, map[string]string{
			"label":   fmt.Sprintf("%s '%02d", season, year),
			"url":     fmt.Sprintf("/services/data/v%d.0", v),
			"version": fmt.Sprintf("%d.0", v),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// handleResources serves GET /services/data/vNN.0/.
func (o *Org) handleResources(w http.ResponseWriter, r *http.Request) {
	base := "/services/data/" + r.PathValue("version")
	out := map[string]string{}
	for _, k := range []string{"sobjects", "query", "search", "composite", "limits"} {
		out[k] = base + "/" + k
	}
	writeJSON(w, http.StatusOK, out)
}

// handleLimits serves GET /services/data/vNN.0/limits/.
func (o *Org) handleLimits(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	used, max := o.apiUsed, o.opts.DailyLimit
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"DailyApiRequests": map[string]int{"Max": max, "Remaining": max - used},
	})
}

// handleDataNotFound answers any other data-API path.
func (o *Org) handleDataNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, notFound())
}
