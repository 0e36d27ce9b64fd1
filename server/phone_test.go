package server

import (
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

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

	ring := func(callID, from string) map[string]any {
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
	if pop := ring("7400000000000002001", "+4930901821"); pop["kind"] != "record" || pop["record_id"] != berlin {
		t.Errorf("pop for +4930901821 = %v, want record %s (stored as 0049 30 901821)", pop, berlin)
	}
	if pop := ring("7400000000000002002", "+4930901822"); pop["kind"] != "new" {
		t.Errorf("pop for a Contact created before the index caught up = %v, want the no-match pop (not %s yet)", pop, fresh)
	}
}
