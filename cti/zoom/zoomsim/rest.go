package zoomsim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// throttle makes the next n API requests fail with 429.
type throttle struct {
	n          int
	retryAfter time.Time
}

// Throttle makes the next n REST requests answer 429 as Zoom's rate limiter
// does; a non-zero retryAfter is sent as Retry-After (an ISO date-time, as
// Zoom sends for daily limits), a zero one omits the header, as Zoom does on
// many per-second limits.
func (z *Zoom) Throttle(n int, retryAfter time.Time) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.throttle = throttle{n: n, retryAfter: retryAfter}
}

// api wraps a REST handler with the rate limiter, Zoom's bearer-token check
// and its scope check: a valid token holding none of scopes is answered
// 400 with code 4711 naming them. The handler gets the grant of the token.
func (z *Zoom) api(scopes []string, h func(http.ResponseWriter, *http.Request, *grant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		z.mu.Lock()
		if z.throttle.n > 0 {
			z.throttle.n--
			ra := z.throttle.retryAfter
			z.mu.Unlock()
			w.Header().Set("X-RateLimit-Category", "Medium")
			w.Header().Set("X-RateLimit-Type", "QPS")
			if !ra.IsZero() {
				w.Header().Set("X-RateLimit-Type", "Daily-limit")
				w.Header().Set("Retry-After", ra.UTC().Format(time.RFC3339))
			}
			writeJSON(w, http.StatusTooManyRequests, apiError{429, "You have reached the maximum per-second rate limit for this API. Try again later."})
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		g, ok := z.access[tok]
		var expired bool
		if ok {
			expired = !z.now().Before(g.expires)
		}
		z.mu.Unlock()
		switch {
		case !ok:
			writeJSON(w, http.StatusUnauthorized, apiError{124, "Invalid access token."})
		case expired:
			writeJSON(w, http.StatusUnauthorized, apiError{124, "Access token is expired."})
		case !hasAny(g.scopes, scopes):
			writeJSON(w, http.StatusBadRequest, missingScope(scopes))
		default:
			h(w, r, g)
		}
	}
}

// userFor resolves the {userId} path value: "me", an id or an email.
func (z *Zoom) userFor(w http.ResponseWriter, r *http.Request, g *grant) (User, bool) {
	key := r.PathValue("userId")
	if key == "me" {
		key = g.userID
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, u := range z.users {
		if u.ID == key || strings.EqualFold(u.Email, key) {
			return u, true
		}
	}
	writeJSON(w, http.StatusNotFound, apiError{1001, "User does not exist: " + key + "."})
	return User{}, false
}

// handleUser serves GET /v2/users/{userId}.
func (z *Zoom) handleUser(w http.ResponseWriter, r *http.Request, g *grant) {
	u, ok := z.userFor(w, r, g)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":             u.ID,
		"first_name":     u.FirstName,
		"last_name":      u.LastName,
		"display_name":   u.Name(),
		"email":          u.Email,
		"type":           2,
		"role_name":      "Member",
		"timezone":       u.Timezone,
		"verified":       1,
		"language":       "en-US",
		"status":         "active",
		"role_id":        "2",
		"account_id":     AccountID,
		"account_number": 10000001,
		"cluster":        "us06",
		"phone_numbers":  []map[string]any{{"code": "+1", "country": "US", "label": "Office", "number": u.Number, "verified": true}},
	})
}

// handlePhoneUser serves GET /v2/phone/users/{userId}.
func (z *Zoom) handlePhoneUser(w http.ResponseWriter, r *http.Request, g *grant) {
	u, ok := z.userFor(w, r, g)
	if !ok {
		return
	}
	ext, _ := strconv.Atoi(u.Extension)
	writeJSON(w, http.StatusOK, map[string]any{
		"id":               u.ID,
		"phone_user_id":    "FAKEphone" + u.ID,
		"email":            u.Email,
		"name":             u.Name(),
		"extension_id":     u.ExtensionID,
		"extension_number": ext,
		"phone_numbers":    []map[string]any{{"id": "FAKEnum" + u.Extension, "number": u.Number}},
		"calling_plans":    []map[string]any{{"type": 200, "name": "US/CA Unlimited Calling Plan"}},
		"site_id":          "FAKEsite0000000000001",
		"status":           "activate",
	})
}

// historyEntry is one call_logs[] record the emulator holds for a user.
type historyEntry struct {
	id    string
	start time.Time
	raw   json.RawMessage
}

// pageCursor is what a next_page_token stands for. Zoom's tokens expire
// after 15 minutes.
type pageCursor struct {
	userID   string
	from, to time.Time
	offset   int
	expires  time.Time
}

const pageTokenTTL = 15 * time.Minute

// parseRange reads the from / to query of the history API: yyyy-mm-dd (a
// whole day, to inclusive) or yyyy-MM-dd'T'HH:mm:ss'Z'.
func parseRange(q map[string][]string, now time.Time) (from, to time.Time, msg string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	parse := func(s string, endOfDay bool) (time.Time, bool) {
		if t, err := time.Parse("2006-01-02T15:04:05Z", s); err == nil {
			return t, true
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return time.Time{}, false
		}
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, true
	}
	fs, ts := get("from"), get("to")
	switch {
	case fs == "" && ts == "":
		return now.Add(-24 * time.Hour), now, ""
	case fs == "" || ts == "":
		return time.Time{}, time.Time{}, "Invalid parameter: from and to must be given together."
	}
	from, ok1 := parse(fs, false)
	to, ok2 := parse(ts, true)
	switch {
	case !ok1 || !ok2:
		return time.Time{}, time.Time{}, "Invalid parameter: from/to must be yyyy-MM-dd or yyyy-MM-dd'T'HH:mm:ss'Z'."
	case to.Before(from):
		return time.Time{}, time.Time{}, "Invalid parameter: to must be after from."
	case to.Sub(from) > 31*24*time.Hour:
		return time.Time{}, time.Time{}, "The date range must not exceed one month."
	}
	return from, to, ""
}

// handleCallHistory serves GET /v2/phone/users/{userId}/call_history: the
// call_logs the emulator recorded from played call-history events, newest
// first, paged by next_page_token.
func (z *Zoom) handleCallHistory(w http.ResponseWriter, r *http.Request, g *grant) {
	u, ok := z.userFor(w, r, g)
	if !ok {
		return
	}
	q := r.URL.Query()
	size := 30
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, apiError{300, "Invalid parameter: page_size."})
			return
		}
		size = min(n, 300)
	}
	now := z.now()
	z.mu.Lock()
	defer z.mu.Unlock()
	var cur pageCursor
	if tok := q.Get("next_page_token"); tok != "" {
		c, ok := z.pages[tok]
		delete(z.pages, tok)
		if !ok || !now.Before(c.expires) || c.userID != u.ID {
			writeJSON(w, http.StatusBadRequest, apiError{300, "Invalid next_page_token."})
			return
		}
		cur = *c
	} else {
		from, to, msg := parseRange(q, now)
		if msg != "" {
			writeJSON(w, http.StatusBadRequest, apiError{300, msg})
			return
		}
		cur = pageCursor{userID: u.ID, from: from, to: to}
	}
	var match []historyEntry
	for _, e := range z.history[u.ID] {
		if !e.start.Before(cur.from) && !e.start.After(cur.to) {
			match = append(match, e)
		}
	}
	slices.SortStableFunc(match, func(a, b historyEntry) int { return cmp.Compare(b.start.UnixNano(), a.start.UnixNano()) })
	end := min(cur.offset+size, len(match))
	logs := make([]json.RawMessage, 0, end-cur.offset)
	for _, e := range match[min(cur.offset, end):end] {
		logs = append(logs, e.raw)
	}
	next := ""
	if end < len(match) {
		next = randomHex(16)
		z.pages[next] = &pageCursor{userID: u.ID, from: cur.from, to: cur.to, offset: end, expires: now.Add(pageTokenTTL)}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"call_logs":       logs,
		"from":            cur.from.UTC().Format("2006-01-02"),
		"to":              cur.to.UTC().Format("2006-01-02"),
		"next_page_token": next,
		"page_size":       size,
		"total_records":   len(match),
	})
}
