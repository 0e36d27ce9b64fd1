package sfsim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sfTime formats a datetime the way the REST API does.
func sfTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

// get returns a record by canonical Id (nil if absent). Caller holds o.mu.
func (o *Org) getLocked(id string) (*sobject, map[string]any) {
	name := sobjectForID(id)
	t, ok := o.data[name]
	if !ok {
		return nil, nil
	}
	rec := t.byID[id]
	if rec == nil {
		return nil, nil
	}
	return o.schema[name], rec
}

// insertLocked stores a prepared record and returns its new Id. Caller holds o.mu.
func (o *Org) insertLocked(s *sobject, rec map[string]any, userID string) string {
	prefix := keyPrefixes[s.Name]
	o.serials[prefix]++
	id := newID(prefix, o.serials[prefix])
	now := sfTime(o.opts.Clock())
	for _, f := range s.fields {
		if _, set := rec[f.Name]; !set && f.Default != nil {
			rec[f.Name] = f.Default
		}
	}
	if _, has := s.field("OwnerId"); has && rec["OwnerId"] == nil {
		rec["OwnerId"] = userID
	}
	rec["Id"] = id
	// A CreatedDate given here comes from the seed or a test's Insert
	// (what Salesforce's "Set Audit Fields upon Record Creation" allows);
	// the API's create refuses the field before it gets here.
	created, _ := rec["CreatedDate"].(string)
	if created == "" {
		created = now
	}
	rec["CreatedDate"], rec["LastModifiedDate"] = created, now
	rec["CreatedById"], rec["LastModifiedById"] = userID, userID
	o.deriveLocked(s, rec)
	t := o.data[s.Name]
	t.order = append(t.order, id)
	t.byID[id] = rec
	o.indexLocked(s, rec)
	return id
}

// deriveLocked recomputes the fields Salesforce derives from others.
func (o *Org) deriveLocked(s *sobject, rec map[string]any) {
	switch s.Name {
	case "Contact", "Lead", "User":
		first, _ := rec["FirstName"].(string)
		last, _ := rec["LastName"].(string)
		rec["Name"] = strings.TrimSpace(first + " " + last)
	case "Case":
		if rec["CaseNumber"] == nil {
			rec["CaseNumber"] = fmt.Sprintf("%08d", 1000+len(o.data["Case"].order))
		}
	case "Task":
		rec["IsClosed"] = o.closedStatusLocked(rec["Status"])
		rec["AccountId"] = nil
		if what, _ := rec["WhatId"].(string); sobjectForID(what) == "Account" {
			rec["AccountId"] = what
		} else if who, _ := rec["WhoId"].(string); sobjectForID(who) == "Contact" {
			if _, c := o.getLocked(who); c != nil {
				rec["AccountId"] = c["AccountId"]
			}
		}
	}
}

// prepareWrite validates a create (rec == nil) or update body against the schema
// and returns the converted field values. Caller holds o.mu.
//
// A field the user (as) cannot read is no such column, exactly as a field that does not
// exist: "No such column 'X' on sobject of type Y" (observed for a field
// hidden by FLS in wadewegner/Force.com-Toolkit-for-NET#90; that the
// errorCode is INVALID_FIELD and not INVALID_FIELD_FOR_INSERT_UPDATE, which
// Salesforce gives for a visible read-only field, is UNCONFIRMED).
func (o *Org) prepareWrite(s *sobject, body map[string]any, existing map[string]any, as *viewer) (map[string]any, *restError) {
	create := existing == nil
	out := map[string]any{}
	for _, k := range sortedKeys(body) {
		v := body[k]
		if k == "attributes" {
			continue
		}
		f, ok := s.field(k)
		if !ok || !as.canSeeField(s, f) {
			return nil, newError(http.StatusBadRequest, "INVALID_FIELD",
				fmt.Sprintf("No such column '%s' on sobject of type %s", k, s.Name))
		}
		if f.Name == "Id" {
			verb := "insert"
			if !create {
				verb = "update"
			}
			return nil, newError(http.StatusBadRequest, "INVALID_FIELD", "cannot specify Id in an "+verb+" call", "Id")
		}
		if (create && !f.Create) || (!create && !f.Update) {
			return nil, newError(http.StatusBadRequest, "INVALID_FIELD_FOR_INSERT_UPDATE",
				fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name), f.Name)
		}
		cv, err := o.convertValue(f, v)
		if err != nil {
			return nil, err
		}
		out[f.Name] = cv
	}
	// Required fields: missing on create (Salesforce fills Task Status and
	// Priority with their defaults) or nulled on update.
	for _, f := range s.fields {
		if !f.Required {
			continue
		}
		v, set := out[f.Name]
		switch {
		case create && v == nil && f.Default != nil:
			delete(out, f.Name)
		case (create && v == nil) || (set && v == nil):
			return nil, newError(http.StatusBadRequest, "REQUIRED_FIELD_MISSING",
				fmt.Sprintf("Required fields are missing: [%s]", f.Name), f.Name)
		}
	}
	if s.Name == "Task" {
		merged := map[string]any{}
		for k, v := range existing {
			merged[k] = v
		}
		for k, v := range out {
			merged[k] = v
		}
		who, _ := merged["WhoId"].(string)
		what, _ := merged["WhatId"].(string)
		if sobjectForID(who) == "Lead" && what != "" {
			// Field types reference: if WhoId is a Lead, WhatId must be empty.
			return nil, newError(http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION",
				"Related To ID: You can't associate a lead with a related-to record (WhatId must be empty when WhoId is a lead)", "WhatId")
		}
	}
	return out, nil
}

// convertValue checks one JSON value against a field and converts it to the
// stored form.
func (o *Org) convertValue(f *field, v any) (any, *restError) {
	if v == nil {
		return nil, nil
	}
	parseErr := func(kind string) *restError {
		return newError(http.StatusBadRequest, "JSON_PARSER_ERROR",
			fmt.Sprintf("Cannot deserialize instance of %s from %v value for field %s", kind, v, f.Name))
	}
	switch f.Type {
	case "boolean":
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if pb, err := strconv.ParseBool(b); err == nil {
				return pb, nil
			}
		}
		return nil, parseErr("boolean")
	case "int":
		switch n := v.(type) {
		case float64:
			if n == math.Trunc(n) {
				return int(n), nil
			}
		case int:
			return n, nil
		case string:
			if i, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
				return i, nil
			}
		}
		return nil, parseErr("int")
	case "date":
		s, ok := v.(string)
		if !ok {
			return nil, parseErr("date")
		}
		if len(s) > 10 {
			s = s[:10] // a datetime is accepted; the time part is dropped
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, parseErr("date")
		}
		return s, nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		s = strconv.Itoa(x)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return nil, parseErr("string")
	}
	if f.Length > 0 && len([]rune(s)) > f.Length {
		return nil, newError(http.StatusBadRequest, "STRING_TOO_LONG",
			fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, truncate(s, 40), f.Length), f.Name)
	}
	switch f.Type {
	case "picklist":
		if f.Restricted && !contains(f.Values, s) {
			return nil, newError(http.StatusBadRequest, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
				fmt.Sprintf("%s: bad value for restricted picklist field: %s", f.Label, s), f.Name)
		}
	case "email":
		if s != "" && (!strings.Contains(s, "@") || strings.ContainsAny(s, " ,;")) {
			return nil, newError(http.StatusBadRequest, "INVALID_EMAIL_ADDRESS",
				fmt.Sprintf("%s: invalid email address: %s", f.Label, s), f.Name)
		}
	case "reference":
		if s == "" {
			return nil, nil
		}
		id, ok := normalizeID(s)
		if !ok {
			return nil, newError(http.StatusBadRequest, "MALFORMED_ID",
				fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, s), f.Name)
		}
		if !contains(f.RefTo, sobjectForID(id)) {
			return nil, newError(http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION",
				fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, s), f.Name)
		}
		if _, rec := o.getLocked(id); rec == nil {
			return nil, newError(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY",
				fmt.Sprintf("invalid cross reference id: %s", s), f.Name)
		}
		return id, nil
	}
	return s, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}

// createLocked validates and inserts one record from an API body.
func (o *Org) createLocked(s *sobject, body map[string]any, userID string) (string, *restError) {
	rec, err := o.prepareWrite(s, body, nil, o.viewerLocked(userID))
	if err != nil {
		return "", err
	}
	return o.insertLocked(s, rec, userID), nil
}

// updateLocked validates and applies an update to an existing record.
func (o *Org) updateLocked(s *sobject, rec map[string]any, body map[string]any, userID string) *restError {
	vals, err := o.prepareWrite(s, body, rec, o.viewerLocked(userID))
	if err != nil {
		return err
	}
	for k, v := range vals {
		rec[k] = v
	}
	rec["LastModifiedDate"] = sfTime(o.opts.Clock())
	rec["LastModifiedById"] = userID
	o.deriveLocked(s, rec)
	o.indexLocked(s, rec)
	return nil
}

// deleteLocked removes a record.
func (o *Org) deleteLocked(s *sobject, id string) {
	t := o.data[s.Name]
	delete(t.byID, id)
	delete(o.index, id)
	for i, v := range t.order {
		if v == id {
			t.order = append(t.order[:i], t.order[i+1:]...)
			break
		}
	}
}

// renderRecord returns a record as the REST API shows it: attributes, then the
// requested fields (all fields when names is nil) with nulls for empty ones.
func (o *Org) renderRecord(s *sobject, rec map[string]any, version string, names []string) orderedRecord {
	out := newOrderedRecord()
	out.set("attributes", map[string]string{
		"type": s.Name,
		"url":  "/services/data/" + version + "/sobjects/" + s.Name + "/" + rec["Id"].(string),
	})
	if names == nil {
		for _, f := range s.fields {
			out.set(f.Name, rec[f.Name])
		}
		return out
	}
	for _, n := range names {
		out.set(n, rec[n])
	}
	return out
}
