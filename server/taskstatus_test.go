package server

import (
	"net/http"
	"testing"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// doneStatuses are an org's Task statuses after its admin renamed
// "Completed" to "Done" and added a later closed value.
var doneStatuses = []sfsim.TaskStatus{
	{APIName: "Not Started", Default: true},
	{APIName: "In Progress"},
	{APIName: "Done", Closed: true},
	{APIName: "Closed - Logged", Closed: true},
}

// callTask plays an answered inbound call and returns its one Task.
func (e *env) callTask(callID string) map[string]any {
	e.t.Helper()
	e.playCall(callID)
	tasks := e.tasks(callID)
	if len(tasks) != 1 {
		e.t.Fatalf("call %s: %d Tasks, want 1", callID, len(tasks))
	}
	return tasks[0]
}

// An org without "Completed" gets its call logs with its own closed status.
func TestCallLogUsesTheOrgsClosedStatus(t *testing.T) {
	e := newEnvWith(t, sfsim.Options{TaskStatuses: doneStatuses})
	before := e.org.APIRequests()
	task := e.callTask("7600000000000000001")
	if task["Status"] != "Done" || task["IsClosed"] != true {
		t.Errorf("Task Status %v (closed %v), want Done", task["Status"], task["IsClosed"])
	}
	if task["Priority"] != "Normal" {
		t.Errorf("Task Priority %v, want the org's default, Normal", task["Priority"])
	}
	// Written right the first time: no create refused for its status.
	if n := e.org.APIRequests() - before; n != 3+agentDescribes {
		t.Errorf("%d API requests, want the agent's describes, a search, a status read and one create", n)
	}
}

// The closed status the admin picks wins over the org's first one; a pick
// the org no longer has falls back to the org's own rather than losing logs.
func TestCallLogUsesTheAdminsStatus(t *testing.T) {
	tests := []struct {
		name, pick, want string
	}{
		{"a closed status of the org", "Closed - Logged", "Closed - Logged"},
		{"a status the org does not have", "Completed", "Done"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, sfsim.Options{TaskStatuses: doneStatuses})
			if status, out := e.api(http.MethodPut, "/api/settings", e.adminSession(), map[string]any{"task_status": tc.pick}); status != http.StatusOK {
				t.Fatalf("PUT settings: %d %v", status, out)
			}
			task := e.callTask("760000000000000010" + string(rune('0'+i)))
			if task["Status"] != tc.want {
				t.Errorf("Task Status %v, want %s", task["Status"], tc.want)
			}
		})
	}
}

// The org's closed status is read once; when the admin renames it later,
// Salesforce's refusal makes zoomcti read it again and the log is written.
func TestCallLogAfterTheOrgRenamesItsClosedStatus(t *testing.T) {
	e := newEnv(t)
	if task := e.callTask("7600000000000000201"); task["Status"] != "Completed" {
		t.Fatalf("first Task Status %v, want Completed", task["Status"])
	}
	e.org.SetTaskStatuses(doneStatuses)
	if task := e.callTask("7600000000000000202"); task["Status"] != "Done" {
		t.Errorf("Task Status after the rename %v, want Done", task["Status"])
	}
	// Read once per org: the third call asks for no status.
	before := e.org.APIRequests()
	e.callTask("7600000000000000203")
	if n := e.org.APIRequests() - before; n > 2 {
		t.Errorf("%d API requests for a known caller's log, want a search and a create at most", n)
	}
}

// A text thread's Task is closed with the org's own status too.
func TestSMSLogUsesTheOrgsClosedStatus(t *testing.T) {
	e := newEnvWith(t, sfsim.Options{TaskStatuses: doneStatuses})
	e.send(e.smsBody(zoomsim.SMSSpec{From: "+12025550142", To: DemoZoomUserID, Text: "hello", At: smsDay, MessageID: "done-1"}))
	e.drain()
	tasks := e.smsTasks()
	if len(tasks) != 1 || tasks[0]["Status"] != "Done" {
		t.Fatalf("SMS Tasks %v, want one with Status Done", tasks)
	}
}
