package sfsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The SOQL subset: SELECT <fields | COUNT()> FROM <object> [WHERE <condition>]
// [ORDER BY <field> [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n].
// Conditions: <field> (= != <> < <= > >= LIKE) <literal>, <field> [NOT] IN (...),
// combined with AND, OR, NOT and parentheses. Fields may go one relationship up
// (PermissionSet.Name, Account.Name, Owner.Name). Text comparisons are
// case-insensitive as in Salesforce; Ids accept the 15- or 18-character form.

// fieldPath is a selected or filtered field, possibly through one relationship.
type fieldPath struct {
	rel      string   // relationship name, e.g. "Account" ("" for a field of the row)
	relField string   // the reference field, e.g. "AccountId"
	name     string   // canonical field name (on the related object when rel != "")
	f        *field   // the field's definition (of the first target that has it)
	targets  []string // the related object types
}

type nullLiteral struct{}

// predicate tests a record; it runs with o.mu held.
type predicate func(rec map[string]any) bool

type orderKey struct {
	path fieldPath
	desc bool
}

type query struct {
	obj    *sobject
	fields []fieldPath
	count  bool
	where  predicate
	order  []orderKey
	limit  int // -1: none
	offset int
}

// queryParser parses one SOQL statement (or a SOSL RETURNING clause) against
// the org's schema.
type queryParser struct {
	o *Org
	l *lexer
	v *viewer // whose objects and fields the statement may name
}

func malformedQuery(err error) *restError {
	return newError(http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
}

func noSuchColumn(s *sobject, name string) *restError {
	return newError(http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf(
		"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, s.Name))
}

// parseSOQL parses a whole SELECT statement as v sees the org: an object v
// cannot access is INVALID_TYPE, a field v cannot read INVALID_FIELD, each
// exactly as if it did not exist.
func (o *Org) parseSOQL(src string, v *viewer) (*query, *restError) {
	l, err := lex(src)
	if err != nil {
		return nil, malformedQuery(err)
	}
	p := &queryParser{o: o, l: l, v: v}
	if !l.accept("SELECT") {
		return nil, malformedQuery(l.unexpected())
	}
	var names []string
	count := false
	if l.peek().is("COUNT") {
		l.next()
		if l.expect("(") != nil || l.expect(")") != nil {
			return nil, malformedQuery(l.unexpected())
		}
		count = true
	} else {
		for {
			n, err := l.ident()
			if err != nil {
				return nil, malformedQuery(err)
			}
			names = append(names, n)
			if !l.accept(",") {
				break
			}
		}
	}
	if err := l.expect("FROM"); err != nil {
		return nil, malformedQuery(err)
	}
	objName, err := l.ident()
	if err != nil {
		return nil, malformedQuery(err)
	}
	s, ok := o.lookupSObject(objName)
	if !ok || !v.canSeeObject(s) {
		return nil, unsupportedType(objName)
	}
	q := &query{obj: s, count: count, limit: -1}
	for _, n := range names {
		fp, rerr := p.o.resolvePath(s, n, p.v)
		if rerr != nil {
			return nil, rerr
		}
		q.fields = append(q.fields, fp)
	}
	if rerr := p.clauses(q); rerr != nil {
		return nil, rerr
	}
	if l.peek().kind != tokEOF {
		return nil, malformedQuery(l.unexpected())
	}
	return q, nil
}

// clauses parses the optional WHERE, ORDER BY, LIMIT and OFFSET clauses.
func (p *queryParser) clauses(q *query) *restError {
	l := p.l
	if l.accept("WHERE") {
		pred, rerr := p.or(q.obj)
		if rerr != nil {
			return rerr
		}
		q.where = pred
	}
	if l.accept("ORDER") {
		if err := l.expect("BY"); err != nil {
			return malformedQuery(err)
		}
		for {
			n, err := l.ident()
			if err != nil {
				return malformedQuery(err)
			}
			fp, rerr := p.o.resolvePath(q.obj, n, p.v)
			if rerr != nil {
				return rerr
			}
			k := orderKey{path: fp}
			if l.accept("DESC") {
				k.desc = true
			} else {
				l.accept("ASC")
			}
			if l.accept("NULLS") && !l.accept("FIRST") && !l.accept("LAST") {
				return malformedQuery(l.unexpected())
			}
			q.order = append(q.order, k)
			if !l.accept(",") {
				break
			}
		}
	}
	for _, kw := range []string{"LIMIT", "OFFSET"} {
		if !l.accept(kw) {
			continue
		}
		t := l.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tokNumber || err != nil || n < 0 {
			return malformedQuery(fmt.Errorf("unexpected token: '%s' after %s", t.text, kw))
		}
		if kw == "LIMIT" {
			q.limit = n
		} else {
			q.offset = n
		}
	}
	return nil
}

// resolvePath resolves "Field" or "Relationship.Field" against an object,
// as v sees it: a field v cannot read is no such column (field-level
// security; reference salesforce-phone-search.md §8: "No such column 'X'
// on entity 'Y'", the same error as a misspelt field, observed in
// omniphx/forrest#307 and forcedotcom/cli#1876).
func (o *Org) resolvePath(s *sobject, path string, v *viewer) (fieldPath, *restError) {
	rel, name, dotted := strings.Cut(path, ".")
	if !dotted {
		f, ok := s.field(path)
		if !ok || !v.canSeeField(s, f) {
			return fieldPath{}, noSuchColumn(s, path)
		}
		return fieldPath{name: f.Name, f: f}, nil
	}
	ref, ok := s.field(rel + "Id")
	if !ok || ref.Type != "reference" || strings.Contains(name, ".") || !v.canSeeField(s, ref) {
		return fieldPath{}, noSuchColumn(s, path)
	}
	for _, t := range ref.RefTo {
		if f, ok := o.schema[t].field(name); ok && v.canSeeObject(o.schema[t]) && v.canSeeField(o.schema[t], f) {
			return fieldPath{rel: strings.TrimSuffix(ref.Name, "Id"), relField: ref.Name, name: f.Name, f: f, targets: ref.RefTo}, nil
		}
	}
	return fieldPath{}, noSuchColumn(s, path)
}

func (p *queryParser) or(s *sobject) (predicate, *restError) {
	left, err := p.and(s)
	if err != nil {
		return nil, err
	}
	for p.l.accept("OR") {
		right, err := p.and(s)
		if err != nil {
			return nil, err
		}
		a, b := left, right
		left = func(r map[string]any) bool { return a(r) || b(r) }
	}
	return left, nil
}

func (p *queryParser) and(s *sobject) (predicate, *restError) {
	left, err := p.factor(s)
	if err != nil {
		return nil, err
	}
	for p.l.accept("AND") {
		right, err := p.factor(s)
		if err != nil {
			return nil, err
		}
		a, b := left, right
		left = func(r map[string]any) bool { return a(r) && b(r) }
	}
	return left, nil
}

func (p *queryParser) factor(s *sobject) (predicate, *restError) {
	l := p.l
	if l.accept("NOT") {
		inner, err := p.factor(s)
		if err != nil {
			return nil, err
		}
		return func(r map[string]any) bool { return !inner(r) }, nil
	}
	if l.accept("(") {
		inner, err := p.or(s)
		if err != nil {
			return nil, err
		}
		if err := l.expect(")"); err != nil {
			return nil, malformedQuery(err)
		}
		return inner, nil
	}
	name, err := l.ident()
	if err != nil {
		return nil, malformedQuery(err)
	}
	fp, rerr := p.o.resolvePath(s, name, p.v)
	if rerr != nil {
		return nil, rerr
	}
	negate := l.accept("NOT")
	if l.accept("IN") {
		if err := l.expect("("); err != nil {
			return nil, malformedQuery(err)
		}
		var lits []any
		for {
			lit, rerr := p.literal(fp)
			if rerr != nil {
				return nil, rerr
			}
			lits = append(lits, lit)
			if !l.accept(",") {
				break
			}
		}
		if err := l.expect(")"); err != nil {
			return nil, malformedQuery(err)
		}
		return func(r map[string]any) bool {
			v := p.o.valueLocked(r, fp)
			for _, lit := range lits {
				if compare(fp.f, v, "=", lit) {
					return !negate
				}
			}
			return negate
		}, nil
	}
	if negate {
		return nil, malformedQuery(l.unexpected())
	}
	op := l.next()
	if !(op.kind == tokPunct && op.text != "(" && op.text != ")" && op.text != ",") && !op.is("LIKE") {
		l.i--
		return nil, malformedQuery(l.unexpected())
	}
	opText := strings.ToUpper(op.text)
	lit, rerr := p.literal(fp)
	if rerr != nil {
		return nil, rerr
	}
	return func(r map[string]any) bool { return compare(fp.f, p.o.valueLocked(r, fp), opText, lit) }, nil
}

// literal reads one literal and checks it fits the field's type.
func (p *queryParser) literal(fp fieldPath) (any, *restError) {
	t := p.l.next()
	f := fp.f
	typeErr := func(want string) *restError {
		return newError(http.StatusBadRequest, "INVALID_QUERY_FILTER_OPERATOR",
			fmt.Sprintf("value of filter criterion for field '%s' must be of type %s", f.Name, want))
	}
	switch {
	case t.is("null"):
		return nullLiteral{}, nil
	case t.is("true") || t.is("false"):
		if f.Type != "boolean" {
			return nil, typeErr(f.Type + " and should be enclosed in quotes")
		}
		return t.is("true"), nil
	case t.kind == tokNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil || f.Type != "int" {
			return nil, typeErr(f.Type)
		}
		return n, nil
	case t.kind == tokString:
		switch f.Type {
		case "boolean":
			return nil, typeErr("boolean and should not be enclosed in quotes")
		case "int":
			return nil, typeErr("int and should not be enclosed in quotes")
		case "id", "reference":
			id, ok := normalizeID(plainLiteral(t.text))
			if !ok {
				return nil, newError(http.StatusBadRequest, "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: "+plainLiteral(t.text))
			}
			return id, nil
		}
		return t.text, nil
	}
	p.l.i--
	return nil, malformedQuery(p.l.unexpected())
}
