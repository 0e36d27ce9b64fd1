package salesforce

import (
	"context"
	"fmt"
	"net/http"
)

// CollectionLimit is the most records one sObject Collections request takes.
const CollectionLimit = 200

// SaveResult is the outcome of one record of a CreateMany.
type SaveResult struct {
	ID  string // the new record's Id when Err is nil
	Err error  // a *Error (its Status is 0: collections report per-record codes only), or nil
}

// CreateMany inserts records through sObject Collections (composite/sobjects),
// CollectionLimit at a time, and returns one SaveResult per record in input
// order. Each record needs its type (see NewRecord) and no Id. Records may
// mix types.
//
// allOrNone makes Salesforce roll back a request if any of its records
// fails; the others then report ALL_OR_NONE_OPERATION_ROLLED_BACK. Since
// that holds per request only, allOrNone with more than CollectionLimit
// records is refused rather than half-honoured.
//
// A request-level failure stops the run: the results of requests already
// made come back with the error, the records not yet sent get no result.
// See CreateOptions for when a request is retried.
func (c *Client) CreateMany(ctx context.Context, allOrNone bool, records []Record, opts ...CreateOptions) ([]SaveResult, error) {
	if allOrNone && len(records) > CollectionLimit {
		return nil, fmt.Errorf("salesforce: create many: %w", &Error{Message: fmt.Sprintf("allOrNone cannot span %d records; at most %d are atomic", len(records), CollectionLimit)})
	}
	for i, r := range records {
		if r.Type() == "" {
			return nil, fmt.Errorf("salesforce: create many: %w", &Error{Message: fmt.Sprintf("record %d has no attributes.type", i)})
		}
	}
	results := make([]SaveResult, 0, len(records))
	for start := 0; start < len(records); start += CollectionLimit {
		chunk := records[start:min(start+CollectionLimit, len(records))]
		var res []struct {
			ID      string     `json:"id"`
			Success bool       `json:"success"`
			Errors  []apiError `json:"errors"`
		}
		req := request{
			method:     http.MethodPost,
			path:       "composite/sobjects",
			body:       map[string]any{"allOrNone": allOrNone, "records": chunk},
			repeatable: createRepeatable(opts),
		}
		if err := c.do(ctx, req, &res); err != nil {
			return results, fmt.Errorf("salesforce: create many (records %d-%d): %w", start, start+len(chunk)-1, err)
		}
		if len(res) != len(chunk) {
			return results, fmt.Errorf("salesforce: create many: %d results for %d records", len(res), len(chunk))
		}
		for _, r := range res {
			switch {
			case len(r.Errors) > 0:
				results = append(results, SaveResult{Err: r.Errors[0].toError(0)})
			case !r.Success:
				results = append(results, SaveResult{Err: &Error{Message: "record not saved"}})
			default:
				results = append(results, SaveResult{ID: r.ID})
			}
		}
	}
	return results, nil
}
