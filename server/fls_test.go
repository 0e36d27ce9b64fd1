package server

import (
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// popAndTask plays an answered inbound call from `from` with the agent's
// softphone open and returns the record it popped and the call's one Task.
func (e *env) popAndTask(callID, from string) (string, map[string]any) {
	e.t.Helper()
	ws := e.connectSoftphone()
	bodies, err := sim().Inbound(simSpecFrom(callID, from))
	if err != nil {
		e.t.Fatal(err)
	}
	e.send(bodies[0])
	m := readMsg(e.t, ws, "call", 10*time.Second)
	pop, _ := m["pop"].(map[string]any)
	for _, b := range bodies[1:] {
		e.send(b)
	}
	e.drain()
	tasks := e.tasks(callID)
	if len(tasks) != 1 {
		e.t.Fatalf("%d Tasks, want 1", len(tasks))
	}
	id, _ := pop["record_id"].(string)
	return id, tasks[0]
}

// An agent whose profile hides AssistantPhone (and the Task's Comments)
// still gets the caller popped and the call logged: zoomcti names only the
// fields the agent's describes show.
func TestAgentWithHiddenFieldsGetsPopAndTask(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AssistantPhone", false)
	org.SetFieldAccess(sfsim.ProfileStandardUser, "Task.Description", false)
	e := newEnvOrg(t, org)
	ada := e.contact("+12025550142")
	popped, task := e.popAndTask("7400000000000009001", "+12025550142")
	if popped != ada {
		t.Errorf("popped %q, want Ada %s", popped, ada)
	}
	if task["WhoId"] != ada || task["Description"] != nil || task["CallType"] != "Inbound" {
		t.Errorf("Task = %v, want one on Ada without Comments", task)
	}
}

// A custom phone field that only describe tells of finds its record.
func TestCustomPhoneFieldFindsTheCaller(t *testing.T) {
	org := sfsim.New(sfsim.Options{})
	dora := org.Insert("Contact", map[string]any{"FirstName": "Dora", "LastName": "Direct", "Direct_Line__c": "(415) 555-0123"})
	org.CatchUpIndex() // an existing record, indexed long ago
	e := newEnvOrg(t, org)
	popped, task := e.popAndTask("7400000000000009002", "+14155550123")
	if popped != dora {
		t.Errorf("popped %q, want Dora Direct %s (by Direct_Line__c)", popped, dora)
	}
	if task["WhoId"] != dora {
		t.Errorf("Task WhoId = %v, want %s", task["WhoId"], dora)
	}
}
