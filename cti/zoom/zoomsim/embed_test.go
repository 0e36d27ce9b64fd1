package zoomsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The embed's HTTP side: its page carries the approved domains, and its
// API answers only a signed-in embed.

func embedCall(t *testing.T, method, url, session string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if session != "" {
		req.Header.Set("Authorization", "Bearer "+session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestEmbedPageAndAPI(t *testing.T) {
	s, rc := phoneSim(t, zoomsim.Options{ApprovedDomains: []string{"https://crm.example.com/some/path", "not a url"}, RemoteAnswer: -1})
	resp, err := http.Get(s.srv.URL + zoomsim.EmbedPath)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `"approvedDomains":["https://crm.example.com"]`) ||
		!strings.Contains(string(page), `"signedIn":false`) {
		t.Errorf("embed page %d: %s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("embed page CSP = %q", csp)
	}

	api := s.srv.URL + "/integration/phone/embeddablephone/api"
	if code, _ := embedCall(t, "GET", api+"/me", "", nil); code != http.StatusUnauthorized {
		t.Errorf("me without a session: %d", code)
	}
	if code, _ := embedCall(t, "POST", api+"/calls", "forged", map[string]string{"number": "+12025550177"}); code != http.StatusUnauthorized {
		t.Errorf("dial with a forged session: %d", code)
	}
	if code, _ := embedCall(t, "POST", api+"/session", "", map[string]string{"email": "nobody@example.com"}); code != http.StatusUnauthorized {
		t.Errorf("sign in as nobody: %d", code)
	}
	code, out := embedCall(t, "POST", api+"/session", "", map[string]string{"email": "alice@example.com"})
	session, _ := out["session"].(string)
	if code != http.StatusOK || session == "" {
		t.Fatalf("sign in: %d %v", code, out)
	}
	if code, me := embedCall(t, "GET", api+"/me", session, nil); code != http.StatusOK || me["userId"] != zoomsim.AliceID {
		t.Errorf("me: %d %v", code, me)
	}
	code, out = embedCall(t, "POST", api+"/calls", session, map[string]string{"number": "+12025550177", "callerId": "+19995550000"})
	if code != http.StatusBadRequest {
		t.Errorf("dial from a number Alice does not own: %d %v", code, out)
	}
	code, out = embedCall(t, "POST", api+"/calls", session, map[string]string{"number": "+12025550177"})
	id, _ := out["callId"].(string)
	if code != http.StatusCreated || id == "" {
		t.Fatalf("dial: %d %v", code, out)
	}
	if code, _ := embedCall(t, "POST", api+"/calls/"+id+"/hold", session, nil); code != http.StatusConflict {
		t.Errorf("hold a call still ringing: %d, want 409", code)
	}
	if code, _ := embedCall(t, "POST", api+"/calls/7000000000000000000/hangup", session, nil); code != http.StatusNotFound {
		t.Errorf("hang up a call that does not exist: %d, want 404", code)
	}
	if code, _ := embedCall(t, "POST", api+"/calls/"+id+"/hangup", session, nil); code != http.StatusNoContent {
		t.Errorf("hang up: %d", code)
	}
	if code, _ := embedCall(t, "POST", api+"/sms", session, map[string]string{"number": "+12025550177", "message": "On my way"}); code != http.StatusNoContent {
		t.Errorf("sms: %d", code)
	}
	got := waitEvents(t, rc, 4)
	want := []string{"phone.caller_ringing", "phone.caller_ended", "phone.caller_call_history_completed", "phone.sms_sent"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("webhooks = %v, want %v", got, want)
	}
	// An outbound call hung up while ringing was never connected.
	if b := string(rc.received()[1]); !strings.Contains(b, `"handup_result":"Call Cancel"`) || strings.Contains(b, "answer_start_time") {
		t.Errorf("caller_ended of a cancelled call: %s", b)
	}
}
