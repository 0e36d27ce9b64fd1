package server

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// ring plays the ringing of an inbound call from number and returns the
// pop the softphone gets.
func (e *env) ring(t *testing.T, ws *websocket.Conn, callID, from string) map[string]any {
	t.Helper()
	bodies, err := sim().Inbound(simSpecFrom(callID, from))
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0])
	m := readMsg(t, ws, "call", 10*time.Second)
	pop, _ := m["pop"].(map[string]any)
	return pop
}

// A Contact stored as "0049 30 901821" pops for a call from +49 30 901821
// once Salesforce has indexed it; created a moment before the call, it is
// not yet searchable and the agent gets the no-match pop (a new Contact
// with the number filled in), as in a real org without a normalised-number
// field (README, "Phone search").
func TestCallerStoredWithInternationalPrefixPops(t *testing.T) {
	clock := &shiftClock{}
	e := newEnvWith(t, sfsim.Options{Clock: clock.Now, IndexLag: 30 * time.Second})
	berlin := e.org.Insert("Contact", map[string]any{"FirstName": "Berta", "LastName": "Berlin", "Phone": "0049 30 901821"})
	clock.Advance(31 * time.Second)
	fresh := e.org.Insert("Contact", map[string]any{"FirstName": "Frida", "LastName": "Fresh", "Phone": "0049 30 901822"})
	ws := e.connectSoftphone()

	if pop := e.ring(t, ws, "7400000000000002001", "+4930901821"); pop["kind"] != "record" || pop["record_id"] != berlin {
		t.Errorf("pop for +4930901821 = %v, want record %s (stored as 0049 30 901821)", pop, berlin)
	}
	if pop := e.ring(t, ws, "7400000000000002002", "+4930901822"); pop["kind"] != "new" {
		t.Errorf("pop for a Contact created before the index caught up = %v, want the no-match pop (not %s yet)", pop, fresh)
	}
}

// With the admin's normalised-number field listed in the settings, a
// Contact created a moment before the call pops: the lookup reads the
// database, not the search index.
func TestNormalisedNumberFieldPopsNewRecords(t *testing.T) {
	clock := &shiftClock{}
	var fields []sfsim.CustomField
	for _, o := range []string{"Contact", "Lead", "Account"} {
		fields = append(fields, sfsim.CustomField{Object: o, Name: "Phone_E164__c", Length: 40, ExternalID: true})
	}
	e := newEnvWith(t, sfsim.Options{Clock: clock.Now, IndexLag: time.Hour, CustomFields: fields})
	e.setSettings(func(s *cti.Settings) {
		s.PhoneE164Fields = []string{"Contact.Phone_E164__c", "Lead.Phone_E164__c", "Account.Phone_E164__c"}
	})
	fresh := e.org.Insert("Contact", map[string]any{"FirstName": "Frida", "LastName": "Fresh", "Phone": "0049 30 901822", "Phone_E164__c": "+4930901822"})
	ws := e.connectSoftphone()
	e.loadDescribes() // read by the agent's first call, once an hour
	before := e.org.APIRequests()
	if pop := e.ring(t, ws, "7400000000000002101", "+4930901822"); pop["kind"] != "record" || pop["record_id"] != fresh {
		t.Errorf("pop for a Contact created a moment ago = %v, want record %s", pop, fresh)
	}
	if n := e.org.APIRequests() - before; n != 1 {
		t.Errorf("the lookup cost %d API requests, want 1 (one Composite request)", n)
	}
}
