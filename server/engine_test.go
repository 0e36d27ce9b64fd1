package server

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// Zoom guarantees neither order nor single delivery: any shuffle of a call's
// events, each delivered up to three times, gives the same one Task.
func TestShuffledAndDuplicatedDeliveriesGiveOneTask(t *testing.T) {
	e := newEnv(t)
	ada := e.contact("+12025550142")
	for i := range 5 {
		callID := "74000000000000010" + string(rune('0'+i)) + "0"
		bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: "+12025550142", To: DemoZoomUserID, Talk: 61 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var deliveries [][]byte
		for _, b := range bodies {
			for range 1 + rand.IntN(3) {
				deliveries = append(deliveries, b)
			}
		}
		rand.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
		for _, b := range deliveries {
			e.send(b)
		}
		e.drain()
		tasks := e.tasks(callID)
		if len(tasks) != 1 {
			t.Fatalf("call %s: %d Tasks, want 1", callID, len(tasks))
		}
		if tasks[0]["WhoId"] != ada || tasks[0]["CallType"] != "Inbound" {
			t.Errorf("call %s: Task %v", callID, tasks[0])
		}
		if d := tasks[0]["CallDurationInSeconds"]; d != 61 && d != 61.0 {
			t.Errorf("call %s: CallDurationInSeconds %v, want 61", callID, d)
		}
	}
}

func TestCallsLogWithTheirDirectionAndResult(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		build    func(zoomsim.CallSpec) ([][]byte, error)
		spec     zoomsim.CallSpec
		callType string
		duration float64
	}{
		{"outbound", sim().Outbound, zoomsim.CallSpec{CallID: "7400000000000000201", From: DemoZoomUserID, To: "+12025550177", Talk: 20 * time.Second}, "Outbound", 20},
		{"missed", sim().Missed, zoomsim.CallSpec{CallID: "7400000000000000202", From: "+12025550142", To: DemoZoomUserID}, "Inbound", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bodies, err := tc.build(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bodies {
				e.send(b)
			}
			e.drain()
			tasks := e.tasks(tc.spec.CallID)
			if len(tasks) != 1 {
				t.Fatalf("%d Tasks, want 1", len(tasks))
			}
			if tasks[0]["CallType"] != tc.callType {
				t.Errorf("CallType %v, want %s", tasks[0]["CallType"], tc.callType)
			}
			if d := tasks[0]["CallDurationInSeconds"]; d != int(tc.duration) && d != tc.duration {
				t.Errorf("CallDurationInSeconds %v, want %v", d, tc.duration)
			}
		})
	}
}

func TestCallsOfUnlinkedZoomUsersAreIgnored(t *testing.T) {
	e := newEnv(t)
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: "7400000000000000301", From: "+12025550142", To: "FAKEuserBob0000000002"})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		e.send(b)
	}
	e.drain()
	if n := len(e.tasks("7400000000000000301")); n != 0 {
		t.Fatalf("%d Tasks for a call of an unlinked user", n)
	}
}

// Salesforce failing does not lose the log: the outbox retries it.
func TestCallLogSurvivesSalesforceOutage(t *testing.T) {
	slow(t)
	e := newEnv(t)
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: "7400000000000000401", From: "+12025550142", To: DemoZoomUserID, Talk: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.send(bodies[0])
	e.drain()
	e.org.InjectFaults(503, 8) // more than the client's own retries
	for _, b := range bodies[1:] {
		e.send(b)
	}
	waitFor(t, 30*time.Second, func() bool { return len(e.tasks("7400000000000000401")) > 0 }, "the call log written after Salesforce came back")
	e.drain()
	if n := len(e.tasks("7400000000000000401")); n != 1 {
		t.Fatalf("%d Tasks, want 1", n)
	}
}
