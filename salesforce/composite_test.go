package salesforce

import (
	"fmt"
	"testing"
)

func TestCreateManyMixedResults(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	records := []Record{
		NewRecord("Task", map[string]any{"Subject": "SMS with +12025550142", "CallObject": "sms-1"}),
		NewRecord("Task", map[string]any{"Subject": "bad", "CallType": "Sideways"}),
		NewRecord("Contact", map[string]any{"LastName": "Noether", "Phone": "+49 30 1234567"}),
		NewRecord("Task", map[string]any{"Subject": "bad field", "NoSuchField__c": "x"}),
	}

	res, err := e.client.CreateMany(ctx, false, records)
	if err != nil {
		t.Fatalf("CreateMany: %v", err)
	}
	if len(res) != len(records) {
		t.Fatalf("CreateMany returned %d results for %d records", len(res), len(records))
	}
	if res[0].Err != nil || res[0].ID == "" || res[2].Err != nil || res[2].ID == "" {
		t.Errorf("good records failed: %+v, %+v", res[0], res[2])
	}
	if res[1].Err == nil || res[1].ID != "" {
		t.Errorf("bad picklist record = %+v, want an error", res[1])
	}
	if !IsKind(res[3].Err, KindInvalidField) {
		t.Errorf("unknown field record err = %v, want kind invalid field", res[3].Err)
	}
	if n := len(e.org.Records("Task")); n != 1 {
		t.Errorf("Tasks in the org = %d, want 1", n)
	}
}

func TestCreateManyAllOrNone(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	records := []Record{
		NewRecord("Task", map[string]any{"Subject": "ok"}),
		NewRecord("Task", map[string]any{"Subject": "bad", "CallType": "Sideways"}),
	}
	res, err := e.client.CreateMany(ctx, true, records)
	if err != nil {
		t.Fatalf("CreateMany: %v", err)
	}
	for i, r := range res {
		if r.Err == nil {
			t.Errorf("record %d saved under allOrNone with a failing sibling", i)
		}
	}
	if n := len(e.org.Records("Task")); n != 0 {
		t.Errorf("Tasks in the org = %d, want 0", n)
	}

	many := make([]Record, CollectionLimit+1)
	for i := range many {
		many[i] = NewRecord("Task", map[string]any{"Subject": "ok"})
	}
	if _, err := e.client.CreateMany(ctx, true, many); !IsKind(err, KindInvalidInput) {
		t.Errorf("allOrNone over %d records: err = %v, want invalid input", len(many), err)
	}
}

func TestCreateManyChunks(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	const n = 2*CollectionLimit + 50
	records := make([]Record, n)
	for i := range records {
		records[i] = NewRecord("Task", map[string]any{"Subject": "Call", "CallObject": fmt.Sprintf("bulk-%03d", i)})
	}
	before := e.org.APIRequests()

	res, err := e.client.CreateMany(ctx, false, records)
	if err != nil {
		t.Fatalf("CreateMany: %v", err)
	}
	if calls := e.org.APIRequests() - before; calls != 3 {
		t.Errorf("CreateMany made %d requests for %d records, want 3", calls, n)
	}
	ids := make(map[string]bool, n)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
		ids[r.ID] = true
	}
	if len(ids) != n || len(e.org.Records("Task")) != n {
		t.Errorf("created %d distinct Ids, org holds %d Tasks, want %d", len(ids), len(e.org.Records("Task")), n)
	}
	// Results keep input order.
	got, err := e.client.Get(ctx, "Task", res[n-1].ID, "CallObject")
	if err != nil {
		t.Fatal(err)
	}
	if got.String("CallObject") != fmt.Sprintf("bulk-%03d", n-1) {
		t.Errorf("last result is %q, want bulk-%03d", got.String("CallObject"), n-1)
	}
}

func TestCreateManyNeedsType(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.CreateMany(testContext(t), false, []Record{{"Subject": "untyped"}})
	if !IsKind(err, KindInvalidInput) {
		t.Errorf("err = %v, want invalid input", err)
	}
	if e.org.APIRequests() != 0 {
		t.Error("an untyped record was sent")
	}
}
