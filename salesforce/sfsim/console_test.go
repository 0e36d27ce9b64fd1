package sfsim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestConsolePage(t *testing.T) {
	to := newTestOrg(t, Options{AdapterURL: "http://127.0.0.1:8080/softphone"})
	ada := to.recordID(t, "Contact", "Ada Lovelace")
	for _, path := range []string{"/", "/lightning/page/home", "/lightning/r/Contact/" + ada + "/view"} {
		resp, body := get(t, to.srv.URL+path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		src := `src="http://127.0.0.1:8080/softphone?sfdcIframeOrigin=` + url.QueryEscape(to.srv.URL) + `&amp;mode=Lightning"`
		for _, want := range []string{`<iframe id="softphone" ` + src, `allow="microphone; clipboard-write"`, `width:400px;height:640px`, `id="utility-phone"`, `"frameOrigin":"http://127.0.0.1:8080"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %s", path, want)
			}
		}
		if strings.Contains(body, `id="demo-call"`) {
			t.Errorf("%s: demo call control without Options.DemoCall", path)
		}
	}

	bare := newTestOrg(t, Options{})
	if _, body := get(t, bare.srv.URL+"/"); strings.Contains(body, "<iframe") || !strings.Contains(body, `id="softphone-missing"`) {
		t.Error("no AdapterURL: want a note instead of the frame")
	}
}

func TestConsoleAssetsAndOpenCTIScript(t *testing.T) {
	to := newTestOrg(t, Options{})
	tests := []struct {
		path, contentType, contains string
		status                      int
	}{
		{"/support/api/66.0/lightning/opencti_min.js", "text/javascript; charset=utf-8", "SCREENPOP_TYPE", 200},
		{"/support/api/38.0/lightning/opencti_min.js", "text/javascript; charset=utf-8", "searchAndScreenPop", 200},
		{"/support/api/37.0/lightning/opencti_min.js", "", "", 404},
		{"/_sim/console/assets/console.js", "text/javascript; charset=utf-8", "window.openctiCalls", 200},
		{"/_sim/console/assets/console.css", "text/css; charset=utf-8", ".sim-utility-bar", 200},
	}
	for _, tt := range tests {
		resp, body := get(t, to.srv.URL+tt.path)
		if resp.StatusCode != tt.status || (tt.status == 200 && (resp.Header.Get("Content-Type") != tt.contentType || !strings.Contains(body, tt.contains))) {
			t.Errorf("%s: %d %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	_, body := get(t, to.srv.URL+"/support/api/66.0/lightning/opencti_min.js")
	for _, m := range []string{"screenPop", "saveLog", "enableClickToDial", "onClickToDial", "onNavigationChange", "getAppViewInfo",
		"setSoftphonePanelVisibility", "notifyInitializationComplete", "onWorkStart", "completeWork", "'inbound'", "'sobject'"} {
		if !strings.Contains(body, m) {
			t.Errorf("opencti_min.js lacks %s", m)
		}
	}
}

func TestConsoleHelpers(t *testing.T) {
	to := newTestOrg(t, Options{})
	// The console's search skips converted Leads and returns layout fields.
	_, body := get(t, to.srv.URL+"/_sim/console/search?q="+url.QueryEscape("2025550188")+"&callType=inbound")
	res := decodeJSON[struct {
		Matches map[string]map[string]any `json:"matches"`
		Order   []string                  `json:"order"`
	}](t, []byte(body))
	babbage := to.recordID(t, "Contact", "Charles Babbage")
	if len(res.Order) != 1 || res.Order[0] != babbage || res.Matches[babbage]["RecordType"] != "Contact" || res.Matches[babbage]["Phone"] != "2025550188" {
		t.Errorf("console search: %s", body)
	}

	// saveLog creates through the org as the demo user; the record view lists it.
	resp, err := http.Post(to.srv.URL+"/_sim/console/save", "application/json", strings.NewReader(
		`{"value":{"entityApiName":"Task","Subject":"Call","CallType":"Inbound","CallDurationInSeconds":42,"WhoId":"`+babbage+`"}}`))
	if err != nil {
		t.Fatal(err)
	}
	saved := decodeJSON[map[string]string](t, mustRead(t, resp))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(saved["id"], "00T") {
		t.Fatalf("save: %d %v", resp.StatusCode, saved)
	}
	_, body = get(t, to.srv.URL+"/_sim/console/record?id="+babbage[:15])
	if !strings.Contains(body, saved["id"]) || !strings.Contains(body, `"objectType":"Contact"`) {
		t.Errorf("record view: %s", body)
	}
	resp, err = http.Post(to.srv.URL+"/_sim/console/save", "application/json", strings.NewReader(`{"value":{"entityApiName":"Task","CallType":"Nope"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if b := mustRead(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") {
		t.Errorf("bad save: %d %s", resp.StatusCode, b)
	}
	if to.APIRequests() != 0 {
		t.Errorf("console helpers counted API requests: %d", to.APIRequests())
	}
}

func TestDemoCall(t *testing.T) {
	var got []string
	fail := false
	to := newTestOrg(t, Options{DemoCall: func(ctx context.Context, from string) error {
		got = append(got, from)
		if fail {
			return errors.New("zoomsim is not running")
		}
		return nil
	}})
	if _, body := get(t, to.srv.URL+"/"); !strings.Contains(body, `id="demo-call"`) || !strings.Contains(body, `<option value="&#43;12025550142">`) {
		t.Error("console lacks the demo call control or Ada's number")
	}
	post := func() (int, string) {
		resp, err := http.Post(to.srv.URL+"/_sim/demo/call", "application/json", strings.NewReader(`{"from":"+12025550142"}`))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(mustRead(t, resp))
	}
	if status, body := post(); status != http.StatusOK || len(got) != 1 || got[0] != "+12025550142" {
		t.Errorf("demo call: %d %s %v", status, body, got)
	}
	fail = true
	if status, body := post(); status != http.StatusBadGateway || !strings.Contains(body, "zoomsim is not running") {
		t.Errorf("failing demo call: %d %s", status, body)
	}

	plain := newTestOrg(t, Options{})
	resp, err := http.Post(plain.srv.URL+"/_sim/demo/call", "application/json", strings.NewReader(`{"from":"+12025550142"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("demo call without DemoCall: %d", resp.StatusCode)
	}
}

func mustRead(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
