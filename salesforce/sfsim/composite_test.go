package sfsim

import (
	"net/http"
	"strings"
	"testing"
)

func taskRecord(fields map[string]any) map[string]any {
	rec := map[string]any{"attributes": map[string]any{"type": "Task"}}
	for k, v := range fields {
		rec[k] = v
	}
	return rec
}

type collectionResultJSON struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	} `json:"errors"`
}

func TestCompositeCreateMixed(t *testing.T) {
	to := newTestOrg(t, Options{})
	before := to.APIRequests()
	status, hdr, b := to.api(t, "POST", "composite/sobjects", map[string]any{
		"allOrNone": false,
		"records": []any{
			taskRecord(map[string]any{"Subject": "Call 1", "CallType": "Inbound"}),
			taskRecord(map[string]any{"Subject": "Call 2", "CallType": "Sideways"}),
			map[string]any{"attributes": map[string]any{"type": "Contact"}, "LastName": "Newcomer", "Phone": "+15550100"},
		},
	})
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, b)
	}
	if strings.Contains(string(b), "errorCode") || !strings.Contains(string(b), `"statusCode":"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"`) {
		t.Errorf("collection errors must use statusCode: %s", b)
	}
	res := decodeJSON[[]collectionResultJSON](t, b)
	if len(res) != 3 || !res[0].Success || res[1].Success || !res[2].Success ||
		!strings.HasPrefix(res[0].ID, "00T") || !strings.HasPrefix(res[2].ID, "003") || res[1].ID != "" {
		t.Fatalf("results %s", b)
	}
	if e := res[1].Errors; len(e) != 1 || e[0].Fields[0] != "CallType" {
		t.Errorf("record 2 errors %+v", e)
	}
	if len(to.Records("Task")) != 1 {
		t.Errorf("Tasks = %d, want 1", len(to.Records("Task")))
	}
	if got := to.APIRequests() - before; got != 1 || !strings.HasPrefix(hdr.Get("Sforce-Limit-Info"), "api-usage=") {
		t.Errorf("counted %d requests, want 1", got)
	}
}

func TestCompositeAllOrNone(t *testing.T) {
	to := newTestOrg(t, Options{})
	status, _, b := to.api(t, "POST", "composite/sobjects", map[string]any{
		"allOrNone": true,
		"records": []any{
			taskRecord(map[string]any{"Subject": "ok"}),
			taskRecord(map[string]any{"Subject": "bad", "Colour": "red"}),
			taskRecord(map[string]any{"Subject": "has id", "id": "00T000000000001"}),
		},
	})
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, b)
	}
	res := decodeJSON[[]collectionResultJSON](t, b)
	codes := []string{res[0].Errors[0].StatusCode, res[1].Errors[0].StatusCode, res[2].Errors[0].StatusCode}
	if want := "ALL_OR_NONE_OPERATION_ROLLED_BACK|INVALID_FIELD|INVALID_FIELD"; strings.Join(codes, "|") != want {
		t.Errorf("codes %v, want %s", codes, want)
	}
	if len(to.Records("Task")) != 0 {
		t.Error("allOrNone inserted records despite a failure")
	}
}

func TestCompositeLimits(t *testing.T) {
	to := newTestOrg(t, Options{})
	var recs []any
	for i := 0; i < 201; i++ {
		recs = append(recs, taskRecord(map[string]any{"Subject": "x"}))
	}
	status, _, b := to.api(t, "POST", "composite/sobjects", map[string]any{"records": recs})
	if status != http.StatusBadRequest || errorCode(t, b) != "EXCEEDED_ID_LIMIT" {
		t.Errorf("201 records: %d %s", status, b)
	}
	status, _, b = to.api(t, "POST", "composite/sobjects", map[string]any{"records": recs[:200]})
	if status != http.StatusOK || len(to.Records("Task")) != 200 {
		t.Errorf("200 records: %d %.200s", status, b)
	}
	status, _, b = to.api(t, "POST", "composite/sobjects", map[string]any{"records": []any{map[string]any{"Subject": "no type"}}})
	if res := decodeJSON[[]collectionResultJSON](t, b); status != http.StatusOK || res[0].Errors[0].StatusCode != "INVALID_TYPE" {
		t.Errorf("missing type: %d %s", status, b)
	}
}
