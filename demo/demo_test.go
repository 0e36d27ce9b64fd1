package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// startDemo runs the demo on loopback ports for one test.
func startDemo(t *testing.T) *Demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := Start(ctx, "127.0.0.1:0", "", log)
	if err != nil {
		cancel()
		t.Fatalf("start demo: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := d.Wait(); err != nil {
			t.Errorf("demo stopped with: %v", err)
		}
	})
	return d
}

// recordWithPhone finds a seeded record of the emulated org by phone.
func recordWithPhone(t *testing.T, d *Demo, sobject, phone string) string {
	t.Helper()
	for _, r := range d.Org.Records(sobject) {
		if r["Phone"] == phone {
			return r["Id"].(string)
		}
	}
	t.Fatalf("no seeded %s with Phone %s", sobject, phone)
	return ""
}

// tasksFor lists the Tasks in the emulated org logged for a Zoom call.
func tasksFor(d *Demo, callID string) []map[string]any {
	var out []map[string]any
	for _, r := range d.Org.Records("Task") {
		if r["CallObject"] == callID {
			out = append(out, r)
		}
	}
	return out
}

// drain waits until the server has nothing left to do.
func drain(t *testing.T, d *Demo) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, err := d.Server.Gauges(context.Background())
		if err == nil && g.Events == 0 && g.Outbox == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not drain: %+v, err %v", g, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func send(t *testing.T, d *Demo, body []byte) {
	t.Helper()
	s := &zoomsim.Sender{URL: d.ServerURL + "/webhooks/zoom", Secret: WebhookSecret, Client: http.DefaultClient}
	d2, err := s.Send(context.Background(), body)
	if err != nil || d2.StatusCode != http.StatusOK {
		t.Fatalf("send webhook: %v, err %v", d2, err)
	}
}

// The foundation's promise, end to end in a real browser: an inbound call
// from a Contact's number pops that Contact in the console before the agent
// picks up, and leaves exactly one Task after the hang-up, even when Zoom
// delivers the hang-up twice.
func TestDemoInboundCallPopsContactAndLogsOneTask(t *testing.T) {
	d := startDemo(t)
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate(d.ConsoleURL)); err != nil {
		t.Fatalf("open console: %v", err)
	}
	// The softphone loaded Open CTI from the console's origin and is ready.
	browsertest.WaitJS(t, ctx, `(window.openctiCalls || []).some(c => c.method === "notifyInitializationComplete")`, 20*time.Second)
	// The admin's softphone size from the settings cards is applied.
	browsertest.WaitJS(t, ctx, `window.openctiCalls.some(c => c.method === "setSoftphonePanelHeight" && c.args.heightPX === 640)`, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for connected(d) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("softphone never connected its websocket")
		}
		time.Sleep(50 * time.Millisecond)
	}

	ada := recordWithPhone(t, d, "Contact", "+12025550142")
	const callID = "7400000000000000777"
	bodies, err := zoomsim.New(zoomsim.Options{}).Inbound(zoomsim.CallSpec{CallID: callID, From: "+12025550142", To: ZoomUserID, Talk: 95 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// Ringing alone pops the Contact: before the agent picks up.
	send(t, d, bodies[0])
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`(window.openctiCalls || []).some(c => c.method === "screenPop" && c.args && c.args.params && c.args.params.recordId === %q)`, ada), 15*time.Second)
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`window.consoleState && window.consoleState.recordId === %q`, ada), 5*time.Second)
	if got := tasksFor(d, callID); len(got) != 0 {
		t.Fatalf("a Task exists before the call ended: %v", got)
	}

	for _, b := range bodies[1:] {
		send(t, d, b)
	}
	drain(t, d)
	tasks := tasksFor(d, callID)
	if len(tasks) != 1 {
		t.Fatalf("want exactly 1 Task for the call, got %d: %v", len(tasks), tasks)
	}
	task := tasks[0]
	want := map[string]any{"CallType": "Inbound", "Status": "Completed", "TaskSubtype": "Call", "WhoId": ada}
	for k, v := range want {
		if task[k] != v {
			t.Errorf("Task %s = %v, want %v", k, task[k], v)
		}
	}
	if dur := fmt.Sprint(task["CallDurationInSeconds"]); dur != "95" {
		t.Errorf("CallDurationInSeconds = %s, want 95", dur)
	}
	if task["Subject"] == nil || task["Subject"] == "" || task["ActivityDate"] == nil {
		t.Errorf("Task lacks Subject or ActivityDate: %v", task)
	}

	// The agent sees it: the softphone refreshes the console, and Ada's
	// Activity lists the new Task.
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`document.body.innerText.includes(%q)`, task["Subject"]), 10*time.Second)
	browsertest.WaitJS(t, ctx, `window.openctiCalls.some(c => c.method === "refreshView")`, 5*time.Second)

	// Zoom delivers callee_ended again: once byte for byte (a retry) and
	// once as a fresh delivery with another event_ts. Still one Task.
	ended := findEvent(t, bodies, "phone.callee_ended")
	send(t, d, ended)
	send(t, d, bytes.Replace(ended, []byte(`"event_ts":`), []byte(`"event_ts":1`), 1))
	drain(t, d)
	if n := len(tasksFor(d, callID)); n != 1 {
		t.Fatalf("after a redelivered hang-up: %d Tasks, want 1", n)
	}

	// One call, one pop, however often its events came.
	pops, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.openctiCalls.filter(c => c.method === "screenPop").length`))
	if err != nil {
		t.Fatal(err)
	}
	if pops != 1 {
		t.Errorf("screenPop called %d times for one call, want 1", pops)
	}
}

func findEvent(t *testing.T, bodies [][]byte, name string) []byte {
	t.Helper()
	for _, b := range bodies {
		if bytes.Contains(b, []byte(`"event":"`+name+`"`)) {
			return b
		}
	}
	t.Fatalf("scenario has no %s", name)
	return nil
}

// connected counts the softphones the server holds.
func connected(d *Demo) int {
	g, _ := d.Server.Gauges(context.Background())
	return g.Softphones
}
