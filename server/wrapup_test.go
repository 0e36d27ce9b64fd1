package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// api makes an authenticated JSON request and decodes the answer.
func (e *env) api(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *env) setSettings(mod func(*cti.Settings)) {
	e.t.Helper()
	set := cti.DefaultSettings()
	mod(&set)
	if err := set.Validate(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.saveSettings(context.Background(), e.org.OrgID(), set); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) playCall(callID string) {
	e.t.Helper()
	bodies, err := sim().Inbound(simSpec(callID))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	e.drain()
}

func TestWrapUpWhenAutoSaveIsOff(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *cti.Settings) {
		s.AutoSaveCallLogs = false
		s.SalesEngagement = true
		s.CallLogFields = []cti.CallLogField{{Name: "Call_Outcome__c", Label: "Outcome", Type: "picklist",
			Options: []string{"Meaningful Connect", "Left Voicemail"}, Required: true}}
	})
	ws := e.connectSoftphone()
	token := e.session()
	e.playCall("7700000000000000001")
	if m := readMsg(t, ws, "wrapup", 5*time.Second); m["wrapup"] == nil {
		t.Fatal("no wrap-up pushed")
	}
	if n := len(e.tasks("7700000000000000001")); n != 0 {
		t.Fatalf("%d Tasks before the wrap-up", n)
	}
	status, list := e.api(http.MethodGet, "/api/calllogs", token, nil)
	wraps, _ := list["wrapups"].([]any)
	if status != 200 || len(wraps) != 1 {
		t.Fatalf("unlinked call logs: %d %v", status, list)
	}

	// Invalid input: every field says what is wrong; nothing is written.
	status, out := e.api(http.MethodPost, "/api/calllogs/7700000000000000001", token, map[string]any{
		"who_id": "001000000000001AAA", "disposition": "Sold a bridge", "fields": map[string]string{"Nope__c": "x"},
	})
	fields, _ := out["fields"].(map[string]any)
	for _, k := range []string{"who_id", "disposition", "fields.Call_Outcome__c", "fields.Nope__c"} {
		if fields[k] == nil {
			t.Errorf("no error for %s: %v", k, out)
		}
	}
	if status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", status)
	}

	status, _ = e.api(http.MethodPost, "/api/calllogs/7700000000000000001", token, map[string]any{
		"notes": "Wants a demo on Thursday", "disposition": "Meaningful Connect",
		"fields": map[string]string{"Call_Outcome__c": "Meaningful Connect"},
	})
	if status != http.StatusAccepted {
		t.Fatalf("save: status %d", status)
	}
	e.drain()
	tasks := e.tasks("7700000000000000001")
	if len(tasks) != 1 {
		t.Fatalf("%d Tasks after the wrap-up, want 1", len(tasks))
	}
	task := tasks[0]
	if !strings.HasPrefix(task["Description"].(string), "Wants a demo on Thursday") || task["CallDisposition"] != "Meaningful Connect" ||
		task["Call_Outcome__c"] != "Meaningful Connect" || task["WhoId"] != e.contact("+12025550142") {
		t.Fatalf("Task = %v", task)
	}
	if _, list = e.api(http.MethodGet, "/api/calllogs", token, nil); len(list["wrapups"].([]any)) != 0 {
		t.Fatalf("still listed after saving: %v", list)
	}
	if status, _ := e.api(http.MethodPost, "/api/calllogs/7700000000000000001", token, map[string]any{}); status != http.StatusNotFound {
		t.Fatalf("saving twice: status %d, want 404", status)
	}
}

func TestDiscardedWrapUpIsNeverLogged(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *cti.Settings) { s.AutoSaveCallLogs = false })
	token := e.session()
	start := time.Now()
	e.zoom.SetWebhookURL(e.url + "/webhooks/zoom")
	bodies, err := e.zoom.Inbound(simSpec("7700000000000000002"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.zoom.Play(context.Background(), bodies); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if status, _ := e.api(http.MethodDelete, "/api/calllogs/7700000000000000002", token, nil); status != http.StatusOK {
		t.Fatalf("discard: status %d", status)
	}
	// Reconcile sees the call in Zoom's history and leaves it alone.
	sum := e.reconcile(start.Add(-time.Hour), time.Now().Add(time.Hour))
	e.drain()
	if n := len(e.tasks("7700000000000000002")); n != 0 || sum.LoggedNow != 0 {
		t.Fatalf("%d Tasks after discarding (reconcile: %+v)", n, sum)
	}
}

func TestRecordSearchForTheWrapUpForm(t *testing.T) {
	e := newEnv(t)
	token := e.session()
	status, out := e.api(http.MethodGet, "/api/records?for=what&q=Globex", token, nil)
	recs, _ := out["records"].([]any)
	types := map[string]bool{}
	for _, r := range recs {
		types[r.(map[string]any)["type"].(string)] = true
	}
	if status != 200 || !types["Account"] || !types["Opportunity"] {
		t.Fatalf("Related To search: %d %v", status, out)
	}
	if status, _ := e.api(http.MethodGet, "/api/records?for=who&q=Ada", token, nil); status != http.StatusForbidden {
		t.Fatalf("Name search while Editable Contact/Lead is off: %d, want 403", status)
	}
	e.setSettings(func(s *cti.Settings) { s.EditableContactLead = true })
	status, out = e.api(http.MethodGet, "/api/records?for=who&q=ada%20love", token, nil)
	recs, _ = out["records"].([]any)
	if status != 200 || len(recs) != 1 || recs[0].(map[string]any)["name"] != "Ada Lovelace" {
		t.Fatalf("Name search: %d %v", status, out)
	}
	if status, _ := e.api(http.MethodGet, "/api/records?for=who&q=a", token, nil); status != http.StatusBadRequest {
		t.Fatalf("one letter: %d, want 400", status)
	}
	// Reserved SOSL characters are searched for, not obeyed.
	if status, _ := e.api(http.MethodGet, "/api/records?for=who&q=%7D%20OR%20%7Bx", token, nil); status != 200 {
		t.Fatalf("hostile search: %d", status)
	}
}

func TestSettingsAPI(t *testing.T) {
	e := newEnv(t)
	agent := e.session()
	admin := e.adminSession()
	if status, _ := e.api(http.MethodGet, "/api/settings", agent, nil); status != http.StatusForbidden {
		t.Fatalf("agent GET: %d, want 403", status)
	}
	if status, _ := e.api(http.MethodPut, "/api/settings", agent, map[string]any{}); status != http.StatusForbidden {
		t.Fatalf("agent PUT: %d, want 403", status)
	}
	status, out := e.api(http.MethodPut, "/api/settings", admin, map[string]any{
		"pop_on": "hangup", "softphone_height": 100, "no_match": "flow",
		"call_log_fields": []map[string]any{{"name": "Subject", "label": "S", "type": "text"}, {"name": "X__c", "label": "X", "type": "picklist"}},
	})
	fields, _ := out["fields"].(map[string]any)
	for _, k := range []string{"pop_on", "softphone_height", "no_match_flow", "call_log_fields[0].name", "call_log_fields[1].options"} {
		if fields[k] == nil {
			t.Errorf("no error for %s: %v", k, out)
		}
	}
	if status != http.StatusBadRequest {
		t.Fatalf("invalid PUT: %d", status)
	}
	if status, _ := e.api(http.MethodPut, "/api/settings", admin, map[string]any{"no_such_setting": true}); status != http.StatusBadRequest {
		t.Fatalf("unknown setting: %d, want 400", status)
	}
	status, _ = e.api(http.MethodPut, "/api/settings", admin, map[string]any{"no_match": "new_lead", "pop_on": "answered"})
	if status != 200 {
		t.Fatalf("valid PUT: %d", status)
	}
	status, out = e.api(http.MethodGet, "/api/settings", admin, nil)
	set, _ := out["settings"].(map[string]any)
	if status != 200 || set["no_match"] != "new_lead" || set["pop_on"] != "answered" || set["auto_save_call_logs"] != true {
		t.Fatalf("GET after PUT: %d %v", status, out)
	}

	// The next call uses it: no pop while ringing, then a new-Lead form on answer.
	ws := e.connectSoftphone()
	bodies, err := sim().Inbound(simSpecFrom("7700000000000000003", "+19995550123"))
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0])
	if m := readMsg(t, ws, "call", 5*time.Second); m["pop"] != nil {
		t.Fatalf("popped while ringing: %v", m["pop"])
	}
	e.send(bodies[1])
	m := readMsg(t, ws, "call", 5*time.Second)
	pop, _ := m["pop"].(map[string]any)
	if pop["kind"] != "new" || pop["entity_name"] != "Lead" {
		t.Fatalf("pop on answer = %v, want a new Lead", m["pop"])
	}
}

// The agent may log a call on no one, though the number matched a Contact.
func TestWrapUpCanClearTheName(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *cti.Settings) { s.AutoSaveCallLogs = false })
	token := e.session()
	e.playCall("7700000000000000004")
	if status, out := e.api(http.MethodPost, "/api/calllogs/7700000000000000004", token, map[string]any{"who_id": "none"}); status != http.StatusAccepted {
		t.Fatalf("save: %d %v", status, out)
	}
	e.drain()
	tasks := e.tasks("7700000000000000004")
	if len(tasks) != 1 || tasks[0]["WhoId"] != nil {
		t.Fatalf("Tasks %v, want one on no one", tasks)
	}
}

// An auto-saved call's log is changed through the API: the Task in
// Salesforce is updated, and no second Task is written.
func TestEditAutoSavedCallLogThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *cti.Settings) { s.SalesEngagement = true })
	token := e.session()
	const id = "7700000000000000009"
	if status, _ := e.api(http.MethodPatch, "/api/calllogs/"+id, token, map[string]any{"notes": "too early"}); status != http.StatusConflict {
		t.Fatalf("editing a call zoomcti does not know: %d, want 409", status)
	}
	e.playCall(id)
	if n := len(e.tasks(id)); n != 1 {
		t.Fatalf("%d Tasks after the call, want 1", n)
	}
	status, out := e.api(http.MethodPatch, "/api/calllogs/"+id, token, map[string]any{"who_id": "003000000000001AAA"})
	if fields, _ := out["fields"].(map[string]any); status != http.StatusBadRequest || fields["who_id"] == nil {
		t.Fatalf("a Name that is not a match: %d %v", status, out)
	}
	status, _ = e.api(http.MethodPatch, "/api/calllogs/"+id, token, map[string]any{
		"notes": "Wants a demo on Thursday", "disposition": "Meaningful Connect", "who_id": "none",
	})
	if status != http.StatusAccepted {
		t.Fatalf("edit: status %d", status)
	}
	e.drain()
	// The edit form reads the log back: the call's own and the agent's edit.
	if status, got := e.api(http.MethodGet, "/api/calllogs/"+id, token, nil); status != http.StatusOK {
		t.Errorf("GET the saved log: %d %v", status, got)
	} else if edit, _ := got["edit"].(map[string]any); edit["notes"] != "Wants a demo on Thursday" || edit["who_id"] != "none" {
		t.Errorf("GET the saved log: edit %v", got["edit"])
	} else if draft, _ := got["draft"].(map[string]any); !strings.HasPrefix(draft["subject"].(string), "Call from") {
		t.Errorf("GET the saved log: draft %v", got["draft"])
	}
	if status, _ := e.api(http.MethodGet, "/api/calllogs/7700000000000000099", token, nil); status != http.StatusConflict {
		t.Errorf("GET the log of a call zoomcti does not know: %d, want 409", status)
	}
	tasks := e.tasks(id)
	if len(tasks) != 1 {
		t.Fatalf("%d Tasks after the edit, want 1", len(tasks))
	}
	task := tasks[0]
	if !strings.HasPrefix(task["Description"].(string), "Wants a demo on Thursday") || task["CallDisposition"] != "Meaningful Connect" || task["WhoId"] != nil {
		t.Fatalf("Task after the edit = %v", task)
	}
}

// The console's navigation to a Contact created during a call without a
// match logs the call on it.
func TestAdoptTheContactCreatedDuringTheCall(t *testing.T) {
	e := newEnv(t)
	ws := e.connectSoftphone()
	const id = "7700000000000000010"
	bodies, err := sim().Inbound(simSpecFrom(id, "+13125550123"))
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0]) // ringing: nobody has this number
	e.drain()
	readMsg(t, ws, "call", 5*time.Second)
	contact := e.org.Insert("Contact", map[string]any{"LastName": "Newcomer", "Phone": "+13125550123"})
	old := e.contact("+12025550142")
	for _, rec := range []string{old, contact} { // an old record is refused; the new one taken
		if err := ws.WriteJSON(map[string]string{"type": "adopt", "call_id": id, "record_id": rec}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		m := readMsg(t, ws, "call", 5*time.Second)
		call, _ := m["call"].(map[string]any)
		if matches, _ := call["matches"].([]any); len(matches) == 1 {
			if got := matches[0].(map[string]any)["id"]; got != contact {
				t.Fatalf("the card shows %v, want the new Contact %s", got, contact)
			}
			break
		}
	}
	for _, b := range bodies[1:] {
		e.send(b)
	}
	e.drain()
	tasks := e.tasks(id)
	if len(tasks) != 1 || tasks[0]["WhoId"] != contact {
		t.Fatalf("Tasks %v, want one on the new Contact %s", tasks, contact)
	}
}
