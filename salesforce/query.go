package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Query runs a SOQL query and returns every matching record, following
// nextRecordsUrl through all batches. Build literals with EscapeSOQL.
func (c *Client) Query(ctx context.Context, soql string) ([]Record, error) {
	var all []Record
	req := request{method: http.MethodGet, path: "query/", query: url.Values{"q": {soql}}, repeatable: true}
	for {
		var page struct {
			Done           bool     `json:"done"`
			NextRecordsURL string   `json:"nextRecordsUrl"`
			Records        []Record `json:"records"`
		}
		if err := c.do(ctx, req, &page); err != nil {
			return nil, fmt.Errorf("salesforce: query: %w", err)
		}
		all = append(all, page.Records...)
		if page.Done || page.NextRecordsURL == "" || page.NextRecordsURL == req.path {
			return all, nil
		}
		// nextRecordsUrl is a path from the instance root:
		// /services/data/vNN.0/query/<locator>-<n>.
		req = request{method: http.MethodGet, path: page.NextRecordsURL, repeatable: true}
	}
}

// Search runs a SOSL search and returns the records of every type in one
// list; tell them apart with Record.Type. Build the FIND term with
// EscapeSOSL.
func (c *Client) Search(ctx context.Context, sosl string) ([]Record, error) {
	var raw json.RawMessage
	req := request{method: http.MethodGet, path: "search/", query: url.Values{"q": {sosl}}, repeatable: true}
	if err := c.do(ctx, req, &raw); err != nil {
		return nil, fmt.Errorf("salesforce: search: %w", err)
	}
	var recs []Record
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' { // API v35.0 and older answer a bare array
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("salesforce: search: decode: %w", err)
		}
		return recs, nil
	}
	var res struct {
		SearchRecords []Record `json:"searchRecords"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, fmt.Errorf("salesforce: search: decode: %w", err)
		}
	}
	return res.SearchRecords, nil
}
