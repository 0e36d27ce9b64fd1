package sfsim

import (
	"regexp"
	"sort"
	"strings"
)

// Running a parsed query: reading field paths, comparing, sorting, and
// rendering rows as the REST API returns them.

// value reads a path from a record; caller holds o.mu.
func (o *Org) valueLocked(rec map[string]any, fp fieldPath) any {
	if fp.rel == "" {
		return rec[fp.name]
	}
	id, _ := rec[fp.relField].(string)
	if _, related := o.getLocked(id); related != nil {
		return related[fp.name]
	}
	return nil
}

// compare applies one operator to a record value and a literal.
func compare(f *field, v any, op string, lit any) bool {
	if _, isNull := lit.(nullLiteral); isNull {
		switch op {
		case "=":
			return v == nil
		case "!=", "<>":
			return v != nil
		}
		return false
	}
	if v == nil {
		return op == "!=" || op == "<>"
	}
	var c int
	switch x := v.(type) {
	case bool:
		b, _ := lit.(bool)
		if x == b {
			c = 0
		} else {
			c = 1
		}
	case int:
		n, _ := lit.(float64)
		c = cmpFloat(float64(x), n)
	case string:
		s, _ := lit.(string)
		if op == "LIKE" {
			return likeMatch(x, s)
		}
		if f.Type == "id" || f.Type == "reference" {
			c = strings.Compare(x, s)
		} else {
			c = strings.Compare(strings.ToLower(x), strings.ToLower(plainLiteral(s)))
		}
	default:
		return false
	}
	switch op {
	case "=":
		return c == 0
	case "!=", "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// likeMatch implements LIKE: % any run, _ one character, case-insensitive.
func likeMatch(s, pattern string) bool {
	var re strings.Builder
	re.WriteString("(?is)^")
	for _, r := range pattern {
		switch string(r) {
		case "%":
			re.WriteString(".*")
		case "_":
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(plainLiteral(string(r))))
		}
	}
	re.WriteString("$")
	ok, _ := regexp.MatchString(re.String(), s)
	return ok
}

// runLocked filters, sorts and limits the rows of a query. Caller holds o.mu.
func (o *Org) runLocked(q *query) []map[string]any {
	var rows []map[string]any
	t := o.data[q.obj.Name]
	for _, id := range t.order {
		rec := t.byID[id]
		if q.where == nil || q.where(rec) {
			rows = append(rows, rec)
		}
	}
	if len(q.order) > 0 {
		sort.SliceStable(rows, func(i, j int) bool {
			for _, k := range q.order {
				c := cmpValues(o.valueLocked(rows[i], k.path), o.valueLocked(rows[j], k.path))
				if c != 0 {
					return (c < 0) != k.desc
				}
			}
			return false
		})
	}
	if q.offset > 0 {
		rows = rows[min(q.offset, len(rows)):]
	}
	if q.limit >= 0 && len(rows) > q.limit {
		rows = rows[:q.limit]
	}
	return rows
}

// cmpValues orders values for ORDER BY; nulls sort first.
func cmpValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case int:
		y, _ := b.(int)
		return cmpFloat(float64(x), float64(y))
	case bool:
		y, _ := b.(bool)
		return cmpFloat(boolNum(x), boolNum(y))
	case string:
		y, _ := b.(string)
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	}
	return 0
}

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// renderRow returns one result row with the selected fields; relationship fields
// nest under the relationship name with their own attributes, or null.
func (o *Org) renderRowLocked(s *sobject, rec map[string]any, fields []fieldPath, version string) orderedRecord {
	out := newOrderedRecord()
	out.set("attributes", map[string]string{"type": s.Name, "url": "/services/data/" + version + "/sobjects/" + s.Name + "/" + rec["Id"].(string)})
	for _, fp := range fields {
		if fp.rel == "" {
			out.set(fp.name, rec[fp.name])
			continue
		}
		id, _ := rec[fp.relField].(string)
		rs, related := o.getLocked(id)
		if related == nil {
			out.set(fp.rel, nil)
			continue
		}
		nested, ok := out.get(fp.rel).(orderedRecord)
		if !ok {
			nested = newOrderedRecord()
			nested.set("attributes", map[string]string{"type": rs.Name, "url": "/services/data/" + version + "/sobjects/" + rs.Name + "/" + id})
		}
		nested.set(fp.name, related[fp.name])
		out.set(fp.rel, nested)
	}
	return out
}
