package sfsim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLimitInfoAndExhaustion(t *testing.T) {
	to := newTestOrg(t, Options{DailyLimit: 3})
	for i := 1; i <= 3; i++ {
		status, hdr, b := to.api(t, "GET", "limits/", nil)
		if want := fmt.Sprintf("api-usage=%d/3", i); status != http.StatusOK || hdr.Get("Sforce-Limit-Info") != want {
			t.Fatalf("call %d: %d %q %s, want %s", i, status, hdr.Get("Sforce-Limit-Info"), b, want)
		}
	}
	status, hdr, b := to.api(t, "GET", "limits/", nil)
	if status != http.StatusForbidden || string(b) != `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`+"\n" {
		t.Errorf("over the limit: %d %s", status, b)
	}
	if hdr.Get("Retry-After") != "" {
		t.Error("Salesforce sends no Retry-After")
	}
	if to.APIRequests() != 3 {
		t.Errorf("APIRequests() = %d, want 3", to.APIRequests())
	}
}

func TestVersionsListIsFree(t *testing.T) {
	to := newTestOrg(t, Options{NewestVersion: "68.0"})
	status, hdr, b := to.call(t, "GET", "/services/data/", "", nil)
	if status != http.StatusOK || hdr.Get("Sforce-Limit-Info") != "" || to.APIRequests() != 0 {
		t.Fatalf("versions: %d %q counted %d", status, hdr.Get("Sforce-Limit-Info"), to.APIRequests())
	}
	versions := decodeJSON[[]map[string]string](t, b)
	last := versions[len(versions)-1]
	if versions[0]["version"] != "31.0" || last["version"] != "68.0" || last["url"] != "/services/data/v68.0" || last["label"] != "Winter '27" {
		t.Errorf("versions %v ... %v", versions[0], last)
	}
	for _, v := range versions {
		if v["version"] == "67.0" && v["label"] != "Summer '26" {
			t.Errorf("v67.0 label %q", v["label"])
		}
	}
	if status, _, b := to.api(t, "GET", "/services/data/v30.0/limits/", nil); status != http.StatusNotFound || errorCode(t, b) != "NOT_FOUND" {
		t.Errorf("v30.0: %d %s", status, b)
	}
}

// An org serves versions up to its release and no further: by default one
// behind zoomcti's 67.0, as an org still on Spring '26. Any other version
// is Salesforce's plain 404 NOT_FOUND, before the token is even looked at,
// and is not counted.
func TestUnservedVersionIsNotFound(t *testing.T) {
	to := newTestOrg(t, Options{})
	_, _, b := to.call(t, "GET", "/services/data/", "", nil)
	versions := decodeJSON[[]map[string]string](t, b)
	if last := versions[len(versions)-1]; versions[0]["version"] != "31.0" || last["version"] != "66.0" || last["url"] != "/services/data/v66.0" || last["label"] != "Spring '26" {
		t.Errorf("default versions %v ... %v", versions[0], last)
	}
	want := `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]` + "\n"
	for _, path := range []string{"/services/data/v67.0/limits/", "/services/data/v99.0/sobjects/Task/", "/services/data/v30.0/query/?q=SELECT+Id+FROM+Task"} {
		status, hdr, b := to.api(t, "GET", path, nil)
		if status != http.StatusNotFound || string(b) != want || hdr.Get("Sforce-Limit-Info") != "" {
			t.Errorf("%s: %d %q %s", path, status, hdr.Get("Sforce-Limit-Info"), b)
		}
	}
	if status, _, b := to.api(t, "GET", "/services/data/v66.0/limits/", nil); status != http.StatusOK {
		t.Errorf("v66.0: %d %s", status, b)
	}
	if to.APIRequests() != 1 {
		t.Errorf("APIRequests() = %d, want 1 (only the served version counts)", to.APIRequests())
	}

	// The org moves: v66.0 goes away, the list follows.
	to.SetVersions("31.0", "65.0")
	if status, _, b := to.api(t, "GET", "/services/data/v66.0/limits/", nil); status != http.StatusNotFound || errorCode(t, b) != "NOT_FOUND" {
		t.Errorf("v66.0 after SetVersions: %d %s", status, b)
	}
	_, _, b = to.call(t, "GET", "/services/data/", "", nil)
	versions = decodeJSON[[]map[string]string](t, b)
	if last := versions[len(versions)-1]; last["version"] != "65.0" {
		t.Errorf("after SetVersions the list ends at %v", last)
	}
}

func TestUnauthorized(t *testing.T) {
	to := newTestOrg(t, Options{})
	want := `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]` + "\n"
	for _, tok := range []string{"", "00Dbogus!token"} {
		status, hdr, b := to.call(t, "GET", apiBase+"sobjects/Contact/describe", tok, nil)
		if status != http.StatusUnauthorized || string(b) != want || hdr.Get("Sforce-Limit-Info") != "" {
			t.Errorf("token %q: %d %s", tok, status, b)
		}
	}
	if to.APIRequests() != 0 {
		t.Errorf("unauthorized calls were counted: %d", to.APIRequests())
	}
}

func TestFaultInjection(t *testing.T) {
	to := newTestOrg(t, Options{})
	resp, err := http.Post(to.srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"status":503,"count":2}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"count":2`) {
		t.Fatalf("POST /_sim/faults: %d %s", resp.StatusCode, b)
	}
	for i := 0; i < 2; i++ {
		status, _, b := to.api(t, "GET", "limits/", nil)
		if status != http.StatusServiceUnavailable || errorCode(t, b) != "SERVER_ERROR" {
			t.Fatalf("fault %d: %d %s", i, status, b)
		}
	}
	if status, _, _ := to.api(t, "GET", "limits/", nil); status != http.StatusOK {
		t.Errorf("after the faults: %d", status)
	}

	to.InjectFaults(http.StatusInternalServerError, 1)
	if status, _, b := to.api(t, "POST", "sobjects/Task/", map[string]any{"Subject": "x"}); status != 500 || errorCode(t, b) != "SERVER_ERROR" {
		t.Errorf("InjectFaults(500): %d %s", status, b)
	}
	if len(to.Records("Task")) != 0 {
		t.Error("a failed call wrote a record")
	}

	// Latency delays but does not fail the call.
	to.SetLatency(5 * time.Millisecond)
	if status, _, _ := to.api(t, "GET", "limits/", nil); status != http.StatusOK {
		t.Errorf("with latency: %d", status)
	}
	resp, err = http.Post(to.srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"latency_ms":0}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"latency_ms":0`) {
		t.Errorf("latency reset: %s", b)
	}
}
