package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// maxCompositeQueries is the most query subrequests one Composite request
// may carry (REST API Developer Guide, "Send Multiple Requests Using
// Composite": 25 subrequests, of which at most 5 queries).
const maxCompositeQueries = 5

// QueryEach runs up to five SOQL queries in one Composite request, which
// counts as a single call toward the org's API limit, and returns each
// query's records in order (the first batch only: keep each under 2,000
// with LIMIT). A query Salesforce refuses fails the whole call with its
// error.
func (c *Client) QueryEach(ctx context.Context, soqls []string) ([][]Record, error) {
	if len(soqls) == 0 || len(soqls) > maxCompositeQueries {
		return nil, fmt.Errorf("salesforce: composite query: %d queries, want 1 to %d", len(soqls), maxCompositeQueries)
	}
	ver, err := c.APIVersion(ctx)
	if err != nil {
		return nil, err
	}
	base := "/services/data/v" + ver + "/"
	subs := make([]map[string]string, len(soqls))
	for i, q := range soqls {
		subs[i] = map[string]string{"method": http.MethodGet, "url": base + "query?q=" + url.QueryEscape(q), "referenceId": "q" + strconv.Itoa(i)}
	}
	var res struct {
		CompositeResponse []struct {
			Body           json.RawMessage `json:"body"`
			HTTPStatusCode int             `json:"httpStatusCode"`
		} `json:"compositeResponse"`
	}
	req := request{method: http.MethodPost, path: base + "composite", body: map[string]any{"compositeRequest": subs}, repeatable: true}
	if err := c.do(ctx, req, &res); err != nil {
		return nil, fmt.Errorf("salesforce: composite query: %w", err)
	}
	if len(res.CompositeResponse) != len(soqls) {
		return nil, fmt.Errorf("salesforce: composite query: %d answers to %d queries", len(res.CompositeResponse), len(soqls))
	}
	out := make([][]Record, len(soqls))
	for i, sub := range res.CompositeResponse {
		if sub.HTTPStatusCode/100 != 2 {
			return nil, fmt.Errorf("salesforce: composite query: %w", parseError(sub.HTTPStatusCode, sub.Body))
		}
		var page struct {
			Records []Record `json:"records"`
		}
		if err := json.Unmarshal(sub.Body, &page); err != nil {
			return nil, fmt.Errorf("salesforce: composite query: decode answer %d: %w", i, err)
		}
		out[i] = page.Records
	}
	return out, nil
}
