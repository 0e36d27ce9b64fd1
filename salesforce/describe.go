package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Field-level security: a user sees and writes only the fields their profile
// and permission sets give them. Describe answers with those fields alone,
// and a SOQL, SOSL or write naming any other fails with 400 INVALID_FIELD,
// the same error as a misspelt field (reference
// salesforce-phone-search.md §8). So the fields zoomcti names are taken from
// the user's describe of each object, kept per Client (one user) and read
// again when Salesforce refuses a field anyway (an admin changed access
// since), so a lookup or a write is tried once more rather than lost.

// describeTTL is how long a describe is trusted: a field an admin makes
// visible (a new custom phone field, say) is picked up within it.
const describeTTL = time.Hour

// describedField is one field as describe shows it to the user.
type describedField struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Createable bool   `json:"createable"`
	Updateable bool   `json:"updateable"`
}

// described is one object's describe as the user sees it, read at at.
type described struct {
	*fieldSet
	at time.Time
}

// fieldSet is the fields one describe shows. Users with the same access see
// the same set, so it is shared among them (Versions.internFields): every
// connected agent holds its describes, and ten thousand copies of the same
// few hundred fields would be most of the server's memory.
type fieldSet struct {
	fields []describedField
	byName map[string]describedField // by lower-case name
}

// has reports whether the user sees the field name.
func (d *described) has(name string) bool {
	_, ok := d.byName[strings.ToLower(name)]
	return ok
}

// fieldCache holds a Client's describes.
type fieldCache struct {
	mu   sync.Mutex
	objs map[string]*described
	// refreshing marks the objects whose expired describe is being read
	// again in the background.
	refreshing map[string]bool
}

// apiName matches the names a field list may carry into SOQL or SOSL
// unescaped: an API name (custom ones end in __c, namespaced ones hold a
// double underscore).
var apiName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)

// describe returns the user's describe of sobject, from the cache unless
// fresh is set. One older than describeTTL is still answered, while it is
// read again in the background: a ringing call never waits for a describe
// once the agent's first has been read (see LoadFields).
func (c *Client) describe(ctx context.Context, sobject string, fresh bool) (*described, error) {
	now := c.versions.now()
	c.fields.mu.Lock()
	d := c.fields.objs[sobject]
	stale := d != nil && !fresh && now.Sub(d.at) >= describeTTL && !c.fields.refreshing[sobject]
	if stale {
		if c.fields.refreshing == nil {
			c.fields.refreshing = map[string]bool{}
		}
		c.fields.refreshing[sobject] = true
	}
	c.fields.mu.Unlock()
	if stale {
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_, _ = c.readDescribe(ctx, sobject)
			c.fields.mu.Lock()
			delete(c.fields.refreshing, sobject)
			c.fields.mu.Unlock()
		}()
	}
	if d != nil && !fresh {
		return d, nil
	}
	return c.readDescribe(ctx, sobject)
}

// readDescribe reads the user's describe of sobject and keeps it.
func (c *Client) readDescribe(ctx context.Context, sobject string) (*described, error) {
	now := c.versions.now()
	var res struct {
		Fields []describedField `json:"fields"`
	}
	req := request{method: http.MethodGet, path: "sobjects/" + url.PathEscape(sobject) + "/describe", repeatable: true}
	if err := c.do(ctx, req, &res); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", sobject, err)
	}
	set := &fieldSet{byName: map[string]describedField{}}
	for _, f := range res.Fields {
		if !apiName.MatchString(f.Name) {
			continue // never seen; kept out of any statement all the same
		}
		set.fields = append(set.fields, f)
		set.byName[strings.ToLower(f.Name)] = f
	}
	d := &described{fieldSet: c.versions.internFields(sobject, set), at: now}
	c.fields.mu.Lock()
	if c.fields.objs == nil {
		c.fields.objs = map[string]*described{}
	}
	c.fields.objs[sobject] = d
	c.fields.mu.Unlock()
	return d, nil
}

// phoneSearch is what the caller lookup asks for, built from the user's
// describes: its RETURNING clause and, per object, the phone fields it reads
// back.
type phoneSearch struct {
	returning string
	fields    map[string][]string // object → its phone fields the user sees
}

// phoneObjects are the objects the caller lookup searches, in its order.
var phoneObjects = []string{"Contact", "Lead", "Account"}

// phoneSearchFor builds the lookup's RETURNING clause from the user's
// describes: every field of type phone they see (custom phone fields
// included) but Fax, plus the fields a match shows when they see them. Converted
// Leads are left out because their Contact is the live record.
func (c *Client) phoneSearchFor(ctx context.Context, fresh bool) (phoneSearch, error) {
	ps := phoneSearch{fields: map[string][]string{}}
	descs, err := c.describeAll(ctx, phoneObjects, fresh)
	if err != nil {
		return phoneSearch{}, err
	}
	var parts []string
	for i, obj := range phoneObjects {
		d := descs[i]
		var phones []string
		for _, f := range d.fields {
			// A fax number is not a caller's line.
			if f.Type == "phone" && f.Name != "Fax" {
				phones = append(phones, f.Name)
			}
		}
		ps.fields[obj] = phones
		cols := append([]string{"Id", "Name"}, phones...)
		var where string
		switch obj {
		case "Contact":
			if d.has("AccountId") {
				cols = append(cols, "AccountId", "Account.Name")
			}
		case "Lead":
			if d.has("Company") {
				cols = append(cols, "Company")
			}
			if d.has("IsConverted") {
				where = " WHERE IsConverted = false"
			}
		}
		cols = append(cols, "LastModifiedDate")
		parts = append(parts, obj+"("+strings.Join(cols, ", ")+where+")")
	}
	ps.returning = "RETURNING " + strings.Join(parts, ", ")
	return ps, nil
}

// describeAll returns the user's describes of objs, reading the ones it
// must read at the same time: an agent's first lookup of the hour waits for
// one round trip to Salesforce, not one per object.
func (c *Client) describeAll(ctx context.Context, objs []string, fresh bool) ([]*described, error) {
	out := make([]*described, len(objs))
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for i, obj := range objs {
		wg.Go(func() { out[i], errs[i] = c.describe(ctx, obj, fresh) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// writableTaskFields keeps the fields of a Task create (create) or update
// that the user sees and may write, and says which it dropped. A field
// zoomcti adds on its own is left out when the user cannot see it (the
// Task is worth more than, say, its comments); the call fields zoomcti
// needs are outside field-level security (reference salesforce.md §4).
func (c *Client) writableTaskFields(ctx context.Context, fields map[string]any, create, fresh bool) (map[string]any, []string, error) {
	d, err := c.describe(ctx, "Task", fresh)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]any, len(fields))
	var dropped []string
	for k, v := range fields {
		f, ok := d.byName[strings.ToLower(k)]
		if !ok || (create && !f.Createable) || (!create && !f.Updateable) {
			dropped = append(dropped, k)
			continue
		}
		out[k] = v
	}
	return out, dropped, nil
}

// refusedField reports whether Salesforce refused err's request for naming
// a field the user may not see or write.
func refusedField(err error) bool { return errors.Is(err, KindInvalidField) }

// LoadFields reads the user's describes of the objects the caller lookup
// and the call logs use, as the first lookup and the first Task would: done
// when the agent's softphone connects, it spares their first call's pop
// the wait.
func (c *Client) LoadFields(ctx context.Context) error {
	_, err := c.describeAll(ctx, append(slices.Clone(phoneObjects), "Task"), false)
	return err
}
