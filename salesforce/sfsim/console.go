package sfsim

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The console is the Lightning stand-in: one page (console.html + console.js)
// that renders every /lightning/... route in the browser, hosts the softphone
// frame in its utility bar, and answers the frame's sforce.opencti calls. Its
// helpers under /_sim/console/ are the console's own server side: they act as
// the demo user and are not counted as API requests, like Lightning's UI calls.

var consoleTemplate = template.Must(template.New("console").Parse(consoleHTML))

// softphoneWidth and softphoneHeight are the call center's panel size.
const softphoneWidth, softphoneHeight = 400, 640

// consoleConfig is what the page's script needs, embedded as JSON.
type consoleConfig struct {
	OrgID       string            `json:"orgId"`
	User        map[string]string `json:"user"`
	AdapterURL  string            `json:"adapterUrl"`
	FrameOrigin string            `json:"frameOrigin"`
	DemoCall    bool              `json:"demoCall"`
	KeyPrefixes map[string]string `json:"keyPrefixes"`
	CallCenter  map[string]string `json:"callCenterSettings"`
	Layout      map[string]any    `json:"softphoneLayout"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
}

type demoPhone struct{ Label, Phone string }

// handleConsole serves GET / and GET /lightning/...: the console page.
func (o *Org) handleConsole(w http.ResponseWriter, r *http.Request) {
	origin := instanceURL(r)
	cfg := consoleConfig{
		OrgID:       o.orgID,
		User:        map[string]string{"id": o.demoUser.ID, "name": o.demoUser.Name, "username": o.demoUser.Username},
		AdapterURL:  o.opts.AdapterURL,
		DemoCall:    o.opts.DemoCall != nil,
		KeyPrefixes: map[string]string{},
		CallCenter:  o.callCenterSettings(),
		Layout:      softphoneLayout(),
		Width:       softphoneWidth,
		Height:      softphoneHeight,
	}
	for name, p := range keyPrefixes {
		cfg.KeyPrefixes[p] = name
	}
	frameSrc := ""
	if o.opts.AdapterURL != "" {
		if u, err := url.Parse(origin + "/"); err == nil {
			if a, err := u.Parse(o.opts.AdapterURL); err == nil {
				cfg.FrameOrigin = a.Scheme + "://" + a.Host
			}
		}
		sep := "?"
		if strings.Contains(o.opts.AdapterURL, "?") {
			sep = "&"
		}
		frameSrc = o.opts.AdapterURL + sep + "sfdcIframeOrigin=" + url.QueryEscape(origin) + "&mode=Lightning"
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	consoleTemplate.Execute(w, map[string]any{
		"Config":     template.JS(cfgJSON), // json.Marshal escapes <, > and &
		"FrameSrc":   template.URL(frameSrc),
		"DemoCall":   o.opts.DemoCall != nil,
		"DemoPhones": o.demoPhones(),
		"User":       o.demoUser,
		"Initials":   initials(o.demoUser.Name),
		"Width":      softphoneWidth,
		"Height":     softphoneHeight,
	})
}

func initials(name string) string {
	var b strings.Builder
	for _, f := range strings.Fields(name) {
		b.WriteString(strings.ToUpper(f[:1]))
	}
	return b.String()
}

// demoPhones lists every phone of the Contacts, Leads and Accounts for the
// "Simulate inbound call" select.
func (o *Org) demoPhones() []demoPhone {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []demoPhone
	for _, name := range []string{"Contact", "Lead", "Account"} {
		s, t := o.schema[name], o.data[name]
		for _, id := range t.order {
			rec := t.byID[id]
			for _, pf := range s.phoneFields() {
				if p, _ := rec[pf].(string); p != "" {
					label := fmt.Sprintf("%s (%s %s) %s", rec["Name"], name, pf, p)
					if conv, _ := rec["IsConverted"].(bool); conv {
						label += " [converted]"
					}
					out = append(out, demoPhone{Label: label, Phone: p})
				}
			}
		}
	}
	return out
}

// callCenterSettings is what getCallCenterSettings returns: the call center
// definition as a flat map with /section/item keys.
func (o *Org) callCenterSettings() map[string]string {
	return map[string]string{
		"/reqGeneralInfo/label":                          "General Information",
		"/reqGeneralInfo/sortOrder":                      "0",
		"/reqGeneralInfo/reqInternalName":                "ZoomPhoneCTI",
		"/reqGeneralInfo/reqDisplayName":                 "Zoom Phone",
		"/reqGeneralInfo/reqAdapterUrl":                  o.opts.AdapterURL,
		"/reqGeneralInfo/reqUseApi":                      "true",
		"/reqGeneralInfo/reqSoftphoneHeight":             strconv.Itoa(softphoneHeight),
		"/reqGeneralInfo/reqSoftphoneWidth":              strconv.Itoa(softphoneWidth),
		"/reqGeneralInfo/reqSalesforceCompatibilityMode": "Lightning",
		"/reqDialingOptions/label":                       "Dialing Options",
		"/reqDialingOptions/sortOrder":                   "1",
		"/reqDialingOptions/reqOutsidePrefix":            "",
		"/reqDialingOptions/reqLongDistPrefix":           "",
		"/reqDialingOptions/reqInternationalPrefix":      "",
	}
}

// layoutFields are the display fields of the softphone layout, per call type
// and object; searchAndScreenPop returns only these (plus Id, Name, RecordType).
var layoutFields = map[string]map[string][]string{
	"Inbound":  {"Contact": {"Name", "Phone", "MobilePhone", "Email", "AccountId"}, "Lead": {"Name", "Company", "Phone", "MobilePhone"}, "Account": {"Name", "Phone"}},
	"Outbound": {"Contact": {"Name", "Phone", "MobilePhone", "Email", "AccountId"}, "Lead": {"Name", "Company", "Phone", "MobilePhone"}, "Account": {"Name", "Phone"}},
	"Internal": {"User": {"Name", "Phone", "Extension", "Email"}},
}

// softphoneLayout is what getSoftphoneLayout returns: the default layout with
// single match → detail page, several → search page, none → new Contact (when
// defaultFieldValues are given) or nothing.
func softphoneLayout() map[string]any {
	out := map[string]any{}
	for callType, objs := range layoutFields {
		objects := map[string]any{}
		for obj, fields := range objs {
			var list []map[string]string
			for _, f := range fields {
				list = append(list, map[string]string{"apiName": f, "displayName": f})
			}
			objects[obj] = list
		}
		noMatch := map[string]string{"screenPopType": "PopToEntity", "screenPopData": "Contact"}
		if callType == "Internal" {
			noMatch = map[string]string{"screenPopType": "DoNotPop"}
		}
		out[callType] = map[string]any{
			"callRelatedFields": []string{"ANI", "DNIS", "QUEUE", "SEGMENT"},
			"objects":           objects,
			"screenPopSettings": map[string]any{
				"NoMatch":         noMatch,
				"SingleMatch":     map[string]string{"screenPopType": "PopToEntity"},
				"MultipleMatches": map[string]string{"screenPopType": "PopToSearch"},
			},
			"screenPopsOpenWithin": "ExistingWindow",
		}
	}
	return out
}

// handleConsoleAsset serves the console's stylesheet and script.
func (o *Org) handleConsoleAsset(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("file") {
	case "console.css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write(consoleCSS)
	case "console.js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(consoleJS)
	default:
		http.NotFound(w, r)
	}
}

// handleOpenCTIScript serves GET /support/api/{NN.0}/lightning/opencti_min.js,
// the stand-in for Salesforce's library, for any version the org serves from
// 38.0 (the first Lightning Open CTI version).
func (o *Org) handleOpenCTIScript(w http.ResponseWriter, r *http.Request) {
	v := r.PathValue("version")
	major, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
	if err != nil || !strings.HasSuffix(v, ".0") || major < 38 || major > newestOpenCTI {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write([]byte("/* sfsim Open CTI stand-in, API " + v + " */\nvar SFSIM_OPENCTI_API_VERSION = \"" + v + "\";\n"))
	w.Write(openctiJS)
}

// handleConsoleRecord serves GET /_sim/console/record?id=: a record, the names
// of the records it references, and its activity (Tasks by WhoId or WhatId).
func (o *Org) handleConsoleRecord(w http.ResponseWriter, r *http.Request) {
	id, ok := normalizeID(r.URL.Query().Get("id"))
	o.mu.Lock()
	defer o.mu.Unlock()
	var s *sobject
	var rec map[string]any
	if ok {
		s, rec = o.getLocked(id)
	}
	if rec == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "record not found"})
		return
	}
	names := map[string]any{}
	for _, f := range s.fields {
		if ref, _ := rec[f.Name].(string); f.Type == "reference" && ref != "" {
			if rs, rr := o.getLocked(ref); rr != nil {
				names[f.Name] = map[string]any{"Id": ref, "Name": rr["Name"], "type": rs.Name}
			}
		}
	}
	tasks := []map[string]any{}
	t := o.data["Task"]
	for i := len(t.order) - 1; i >= 0; i-- {
		task := t.byID[t.order[i]]
		if task["WhoId"] == id || task["WhatId"] == id || s.Name == "Account" && task["AccountId"] == id {
			tasks = append(tasks, copyRecord(task))
		}
	}
	fields := []map[string]string{}
	for _, f := range s.fields {
		fields = append(fields, map[string]string{"name": f.Name, "label": f.Label})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"objectType": s.Name, "label": s.Label, "record": copyRecord(rec), "references": names,
		"fields": fields, "phoneFields": s.phoneFields(), "tasks": tasks,
	})
}

// handleConsoleList serves GET /_sim/console/list?type=: an object's records.
func (o *Org) handleConsoleList(w http.ResponseWriter, r *http.Request) {
	s, ok := o.lookupSObject(r.URL.Query().Get("type"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown object"})
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.data[s.Name]
	recs := make([]map[string]any, 0, len(t.order))
	for _, id := range t.order {
		recs = append(recs, copyRecord(t.byID[id]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"objectType": s.Name, "label": s.Plural, "phoneFields": s.phoneFields(), "records": recs})
}

// handleConsoleSearch serves GET /_sim/console/search?q=&callType=: the search
// behind searchAndScreenPop and the SEARCH screen pop. It uses the SOSL
// index and tokens (index.go: no digit normalization, whole-word names) over the
// layout's objects for the call type, skipping converted Leads as Lightning's
// search does. matches is keyed by Id with the layout's fields; order lists the
// Ids in result order.
func (o *Org) handleConsoleSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		q = strings.TrimSpace(r.URL.Query().Get("phone"))
	}
	callType := "Inbound"
	switch strings.ToLower(r.URL.Query().Get("callType")) {
	case "outbound":
		callType = "Outbound"
	case "internal":
		callType = "Internal"
	}
	term := plainTerm(q)
	matches := map[string]map[string]any{}
	order := []string{}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(strings.Trim(q, "*? ")) >= 2 {
		objs := layoutFields[callType]
		for _, name := range []string{"Contact", "Lead", "Account", "User"} {
			if objs[name] == nil {
				continue
			}
			s, t := o.schema[name], o.data[name]
			for _, id := range t.order {
				rec := t.byID[id]
				if conv, _ := rec["IsConverted"].(bool); conv || !o.matchesAny(s, nil, id, []searchTerm{term}, "ALL") {
					continue
				}
				m := map[string]any{"Id": id, "Name": rec["Name"], "RecordType": name, "LastModifiedDate": rec["LastModifiedDate"]}
				for _, f := range objs[name] {
					m[f] = rec[f]
				}
				matches[id] = m
				order = append(order, id)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"callType": callType, "matches": matches, "order": order})
}

// handleConsoleSave serves POST /_sim/console/save {"value":{...}}: saveLog and
// the new-record modal. With Id it updates, otherwise it creates entityApiName,
// as the demo user. Errors come back as the data API's error array.
func (o *Org) handleConsoleSave(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Value map[string]any `json:"value"`
	}
	if err := decodeBody(r, &body); err != nil || body.Value == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []apiError{{Message: "value is required", ErrorCode: "INVALID_PARAM"}}})
		return
	}
	fields := map[string]any{}
	for k, v := range body.Value {
		if k != "entityApiName" && k != "Id" {
			fields[k] = v
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var (
		id   string
		rerr *restError
	)
	if raw, _ := body.Value["Id"].(string); raw != "" {
		canon, ok := normalizeID(raw)
		s, rec := o.getLocked(canon)
		switch {
		case !ok:
			rerr = newError(http.StatusBadRequest, "MALFORMED_ID", "malformed id "+raw)
		case rec == nil:
			rerr = notFound()
		default:
			id, rerr = canon, o.updateLocked(s, rec, fields, o.demoUser.ID)
		}
	} else {
		name, _ := body.Value["entityApiName"].(string)
		s, ok := o.lookupSObject(name)
		if !ok {
			rerr = newError(http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", name))
		} else {
			id, rerr = o.createLocked(s, fields, o.demoUser.ID)
		}
	}
	if rerr != nil {
		writeJSON(w, rerr.status, map[string]any{"errors": []apiError{rerr.apiError}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "objectType": sobjectForID(id)})
}

// handleDemoCall serves POST /_sim/demo/call {"from": "+1..."}: the console's
// "Simulate inbound call" button, which hands the number to Options.DemoCall.
func (o *Org) handleDemoCall(w http.ResponseWriter, r *http.Request) {
	if o.opts.DemoCall == nil {
		http.NotFound(w, r)
		return
	}
	var body struct {
		From string `json:"from"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || strings.TrimSpace(body.From) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "from (the caller's number) is required"})
		return
	}
	if err := o.opts.DemoCall(r.Context(), strings.TrimSpace(body.From)); err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "from": body.From})
}
