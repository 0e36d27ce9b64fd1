package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Record is one sObject as the REST API returns it: field names to JSON
// values, with relationship fields as nested Records and the type under
// "attributes".
type Record map[string]any

// Type returns the sObject type from attributes.type, e.g. "Contact".
func (r Record) Type() string {
	if a, ok := r["attributes"].(map[string]any); ok {
		s, _ := a["type"].(string)
		return s
	}
	return ""
}

// ID returns the record's Id.
func (r Record) ID() string { return r.String("Id") }

// String returns a field as text ("" when absent or null). A dotted name
// follows relationships: r.String("Account.Name").
func (r Record) String(field string) string {
	switch v := r.value(field).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Time returns a date or datetime field ("2026-03-12T09:30:00.000+0000" or
// "2026-03-12"), or the zero time when absent or unreadable.
func (r Record) Time(field string) time.Time {
	s := r.String(field)
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (r Record) value(field string) any {
	var cur any = map[string]any(r)
	for name := range strings.SplitSeq(field, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			if rec, isRec := cur.(Record); isRec {
				m, ok = rec, true
			}
		}
		if !ok {
			return nil
		}
		cur = m[name]
	}
	return cur
}

// CreateOptions adjusts Create.
type CreateOptions struct {
	// Idempotent says that sending the same create twice cannot make two
	// records, because the caller checks first (a Task is looked up by its
	// CallObject before it is written) or the object has a unique field.
	//
	// Without it, a create whose outcome is unknown (a timeout, a dropped
	// connection, a 500) is not retried: the error comes back and the caller
	// decides. Failures that prove nothing was written (a refused dial,
	// 502, 503, UNABLE_TO_LOCK_ROW, 401 before the token refresh) are
	// retried either way.
	Idempotent bool
}

func createRepeatable(opts []CreateOptions) bool {
	for _, o := range opts {
		if o.Idempotent {
			return true
		}
	}
	return false
}

// Create inserts one record and returns its Id. See CreateOptions for when a
// failed create is retried.
func (c *Client) Create(ctx context.Context, sobject string, fields map[string]any, opts ...CreateOptions) (string, error) {
	var res struct {
		ID      string     `json:"id"`
		Success bool       `json:"success"`
		Errors  []apiError `json:"errors"`
	}
	req := request{method: http.MethodPost, path: "sobjects/" + url.PathEscape(sobject) + "/", body: fields, repeatable: createRepeatable(opts)}
	if err := c.do(ctx, req, &res); err != nil {
		return "", fmt.Errorf("salesforce: create %s: %w", sobject, err)
	}
	if len(res.Errors) > 0 {
		return "", fmt.Errorf("salesforce: create %s: %w", sobject, res.Errors[0].toError(0))
	}
	if res.ID == "" {
		return "", fmt.Errorf("salesforce: create %s: response carried no id", sobject)
	}
	return res.ID, nil
}

// Get reads one record, with only the given fields when any are named.
func (c *Client) Get(ctx context.Context, sobject, id string, fields ...string) (Record, error) {
	req := request{method: http.MethodGet, path: recordPath(sobject, id), repeatable: true}
	if len(fields) > 0 {
		req.query = url.Values{"fields": {strings.Join(fields, ",")}}
	}
	var rec Record
	if err := c.do(ctx, req, &rec); err != nil {
		return nil, fmt.Errorf("salesforce: get %s %s: %w", sobject, id, err)
	}
	return rec, nil
}

// Update sets the given fields of one record.
func (c *Client) Update(ctx context.Context, sobject, id string, fields map[string]any) error {
	req := request{method: http.MethodPatch, path: recordPath(sobject, id), body: fields, repeatable: true}
	if err := c.do(ctx, req, nil); err != nil {
		return fmt.Errorf("salesforce: update %s %s: %w", sobject, id, err)
	}
	return nil
}

// Delete deletes one record. A retried delete whose first try went through
// reports KindNotFound.
func (c *Client) Delete(ctx context.Context, sobject, id string) error {
	req := request{method: http.MethodDelete, path: recordPath(sobject, id), repeatable: true}
	if err := c.do(ctx, req, nil); err != nil {
		return fmt.Errorf("salesforce: delete %s %s: %w", sobject, id, err)
	}
	return nil
}

func recordPath(sobject, id string) string {
	return "sobjects/" + url.PathEscape(sobject) + "/" + url.PathEscape(id)
}
