package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// smsDay is 10:00 in New York (the demo agent's time zone) on 4 March 2026.
var smsDay = time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)

// A burst of texts, delivered shuffled and partly twice, is one Task on the
// Contact with the conversation in order, for one search and one write.
func TestSMSBurstIsOneTask(t *testing.T) {
	slow(t)
	e := newEnv(t)
	ada := e.contact("+12025550142")
	var bodies [][]byte
	var want []string
	for i := range 10 {
		spec := zoomsim.SMSSpec{From: "+12025550142", To: DemoZoomUserID, Text: fmt.Sprintf("message %d", i),
			At: smsDay.Add(time.Duration(i) * time.Minute), MessageID: fmt.Sprintf("burst-%d", i)}
		dir := "Received"
		if i%3 == 1 {
			spec.From, spec.To, dir = DemoZoomUserID, "+12025550142", "Sent"
		}
		bodies = append(bodies, e.smsBody(spec))
		want = append(want, fmt.Sprintf("10:%02d %s: message %d", i, dir, i))
	}
	// One duplicate as the very same delivery, one as a redelivery in a new
	// envelope: the intake dedupes the first, the thread the second.
	deliveries := append(bodies, bodies[4], redeliver(t, bodies[7]))
	rand.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

	e.loadDescribes() // read by the agent's first lookup, once an hour
	before := e.org.APIRequests()
	for _, b := range deliveries {
		e.send(b)
	}
	e.drain()
	tasks := e.smsTasks()
	if len(tasks) != 1 {
		t.Fatalf("%d SMS Tasks, want 1: %v", len(tasks), tasks)
	}
	task := tasks[0]
	if task["WhoId"] != ada || task["Subject"] != "SMS with Ada Lovelace (+12025550142)" || task["ActivityDate"] != "2026-03-04" ||
		task["Status"] != "Completed" || task["TaskSubtype"] != "Task" || task["CallObject"] != "zoom-sms:+12025550142:2026-03-04" {
		t.Errorf("Task %v", task)
	}
	if got := task["Description"]; got != strings.Join(want, "\n") {
		t.Errorf("Description\n%v\nwant\n%s", got, strings.Join(want, "\n"))
	}
	// One search, one read of the org's closed Task status (once per org)
	// and one create; a burst split by a slow machine may add one update,
	// never a write per message.
	if n := e.org.APIRequests() - before; n < 3 || n > 4 {
		t.Errorf("%d API requests, want a search, a status read, a create and at most one update", n)
	}
}

// A thread is one agent, one number, one local day: later texts update its
// Task, another day or another number gets its own.
func TestSMSThreadsByNumberAndLocalDay(t *testing.T) {
	slow(t)
	e := newEnv(t)
	ada := e.contact("+12025550142")
	text := func(from, to string, at time.Time, id, body string) {
		t.Helper()
		e.send(e.smsBody(zoomsim.SMSSpec{From: from, To: to, Text: body, At: at, MessageID: id}))
		e.drain()
	}
	find := func(callObject string) map[string]any {
		t.Helper()
		for _, r := range e.smsTasks() {
			if r["CallObject"] == callObject {
				return r
			}
		}
		t.Fatalf("no Task %s in %v", callObject, e.smsTasks())
		return nil
	}

	text("+12025550142", DemoZoomUserID, smsDay, "d1", "Is Thursday fine?")
	first := find("zoom-sms:+12025550142:2026-03-04")

	t.Run("later the same local day updates the Task", func(t *testing.T) {
		before := e.org.APIRequests()
		// 23:30 in New York, already 5 March in UTC.
		text(DemoZoomUserID, "+12025550142", time.Date(2026, 3, 5, 4, 30, 0, 0, time.UTC), "d2", "Yes, see you then.")
		if n := len(e.smsTasks()); n != 1 {
			t.Fatalf("%d SMS Tasks, want 1", n)
		}
		task := find("zoom-sms:+12025550142:2026-03-04")
		if task["Id"] != first["Id"] || task["Description"] != "10:00 Received: Is Thursday fine?\n23:30 Sent: Yes, see you then." {
			t.Errorf("Task %v", task)
		}
		if n := e.org.APIRequests() - before; n != 1 {
			t.Errorf("%d API requests, want 1 (the update)", n)
		}
	})
	t.Run("the next local day is a new Task", func(t *testing.T) {
		text("+12025550142", DemoZoomUserID, time.Date(2026, 3, 5, 5, 30, 0, 0, time.UTC), "d3", "Running late")
		task := find("zoom-sms:+12025550142:2026-03-05")
		if n := len(e.smsTasks()); n != 2 || task["ActivityDate"] != "2026-03-05" || task["WhoId"] != ada ||
			task["Description"] != "00:30 Received: Running late" {
			t.Errorf("%d SMS Tasks; new one %v", n, task)
		}
	})
	t.Run("another number is its own Task", func(t *testing.T) {
		text("+12025550177", DemoZoomUserID, smsDay.Add(time.Hour), "h1", "Call me?")
		task := find("zoom-sms:+12025550177:2026-03-04")
		if n := len(e.smsTasks()); n != 3 || task["WhoId"] != e.record("Lead", "Hedy Lamarr") ||
			task["Subject"] != "SMS with Hedy Lamarr (+12025550177)" {
			t.Errorf("%d SMS Tasks; Hedy's %v", n, task)
		}
	})
	t.Run("a group text is one Task on the first known participant", func(t *testing.T) {
		body := e.smsBody(zoomsim.SMSSpec{From: "+12025550142", To: DemoZoomUserID, Text: "Hello both", At: smsDay.Add(2 * time.Hour), MessageID: "g1"})
		body = toGroup(t, body, "group-session-1", "+12025550177")
		e.send(body)
		e.drain()
		task := find("zoom-sms:session:group-session-1:2026-03-04")
		if task["WhoId"] != ada || task["Subject"] != "Group SMS (3 people)" ||
			task["Description"] != "12:00 Received from +12025550142: Hello both" {
			t.Errorf("group Task %v", task)
		}
	})
	t.Run("an unlinked Zoom user's text is not logged", func(t *testing.T) {
		before, tasks := e.org.APIRequests(), len(e.smsTasks())
		text("+12025550142", zoomsim.BobID, smsDay, "b1", "Hi Bob")
		if n := len(e.smsTasks()); n != tasks {
			t.Errorf("%d SMS Tasks, want %d", n, tasks)
		}
		if n := e.org.APIRequests() - before; n != 0 {
			t.Errorf("%d API requests, want none", n)
		}
	})
}

// smsBody is the webhook the emulated Zoom sends for spec.
func (e *env) smsBody(spec zoomsim.SMSSpec) []byte {
	e.t.Helper()
	bodies, err := e.zoom.SMS(spec)
	if err != nil || len(bodies) != 1 {
		e.t.Fatalf("zoomsim SMS: %d bodies, %v", len(bodies), err)
	}
	return bodies[0]
}

// smsTasks are the org's SMS Tasks, oldest first.
func (e *env) smsTasks() []map[string]any {
	var out []map[string]any
	for _, r := range e.org.Records("Task") {
		if s, _ := r["CallObject"].(string); strings.HasPrefix(s, "zoom-sms:") {
			out = append(out, r)
		}
	}
	return out
}

// record is the id of the named record of sobject.
func (e *env) record(sobject, name string) string {
	e.t.Helper()
	for _, r := range e.org.Records(sobject) {
		if fmt.Sprint(r["FirstName"], " ", r["LastName"]) == name || r["Name"] == name {
			return r["Id"].(string)
		}
	}
	e.t.Fatalf("no %s named %s", sobject, name)
	return ""
}

// redeliver wraps the same message in a new envelope (another event_ts),
// which the webhook intake cannot tell from a new event.
func redeliver(t *testing.T, body []byte) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	env["event_ts"] = env["event_ts"].(float64) + 61_000
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toGroup turns a received text into a group text that number also got.
func toGroup(t *testing.T, body []byte, session, number string) []byte {
	t.Helper()
	var env struct {
		Event   string         `json:"event"`
		EventTS int64          `json:"event_ts"`
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	obj := env.Payload["object"].(map[string]any)
	obj["to_members"] = append(obj["to_members"].([]any), map[string]any{"phone_number": number})
	obj["session_id"], obj["message_type"] = session, 3
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The day's SMS Task was deleted in Salesforce: the next text starts a new
// one instead of retrying a dead Task forever.
func TestSMSTaskDeletedInSalesforce(t *testing.T) {
	slow(t)
	e := newEnv(t)
	text := func(msg string) {
		bodies, err := e.zoom.SMS(zoomsim.SMSSpec{From: "+12025550142", To: DemoZoomUserID, Text: msg})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bodies {
			e.send(b)
		}
		e.drain()
	}
	smsTasks := func() []map[string]any {
		var out []map[string]any
		for _, r := range e.org.Records("Task") {
			if s, _ := r["Subject"].(string); strings.HasPrefix(s, "SMS with") {
				out = append(out, r)
			}
		}
		return out
	}
	text("first")
	tasks := smsTasks()
	if len(tasks) != 1 {
		t.Fatalf("%d SMS Tasks, want 1", len(tasks))
	}
	cl, err := e.s.crm.client(context.Background(), *e.s.demoAgent)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Delete(context.Background(), "Task", tasks[0]["Id"].(string)); err != nil {
		t.Fatal(err)
	}
	text("second")
	tasks = smsTasks()
	if len(tasks) != 1 || !strings.Contains(tasks[0]["Description"].(string), "second") {
		t.Fatalf("after the deletion: %v", tasks)
	}
}
