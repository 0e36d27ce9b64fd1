package demo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// Call control in the demo, in headless Chromium: the console frames the
// softphone, which frames the emulated Zoom Phone Smart Embed. The agent
// answers, holds and hangs up an inbound call in the embed, and dials an
// outbound one from its keypad; zoomsim's call model sends the webhooks,
// and the pop, the card and exactly one Task per call follow. A forged
// "call ended" message posted into the softphone changes nothing.

// frames returns the softphone's and the embed's iframe nodes, once the
// embed is signed in and hears its user's calls.
func frames(t *testing.T, ctx context.Context) (softphone, embed *chromedp.Node) {
	t.Helper()
	sp, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#softphone")))
	if err != nil || len(sp) == 0 {
		t.Fatalf("no softphone frame: %v", err)
	}
	em, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#zoom-embeddable-phone-iframe"), chromedp.FromNode(sp[0])))
	if err != nil || len(em) == 0 {
		t.Fatalf("no Zoom embed in the softphone: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`body[data-stream="open"]`), chromedp.FromNode(em[0]))); err != nil {
		t.Fatalf("the embed did not sign in: %v", err)
	}
	return sp[0], em[0]
}

// click presses a button in a frame once it is visible.
func click(t *testing.T, ctx context.Context, frame *chromedp.Node, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(sel), chromedp.FromNode(frame))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// waitReady waits until sel exists in the frame.
func waitReady(t *testing.T, ctx context.Context, frame *chromedp.Node, sel string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel), chromedp.FromNode(frame))); err != nil {
		t.Fatalf("waiting for %s: %v", sel, err)
	}
}

func attr(t *testing.T, ctx context.Context, frame *chromedp.Node, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name, chromedp.FromNode(frame)))
	if err != nil {
		t.Fatalf("%s[%s]: %v", sel, name, err)
	}
	return v.Value
}

// waitTasks waits until the org holds n Tasks for the call, then checks
// that no more follow once the server is idle.
func waitTasks(t *testing.T, d *Demo, callID string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(tasksFor(d, callID)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d Tasks for call %s, want %d", len(tasksFor(d, callID)), callID, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	drain(t, d)
	got := tasksFor(d, callID)
	if len(got) != n {
		t.Fatalf("%d Tasks for call %s, want %d: %v", len(got), callID, n, got)
	}
	return got
}

func TestDemoCallControlThroughTheZoomEmbed(t *testing.T) {
	d := startDemo(t)
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 150*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(d.ConsoleURL)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `(window.openctiCalls || []).some(c => c.method === "notifyInitializationComplete")`, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for connected(d) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("softphone never connected its websocket")
		}
		time.Sleep(50 * time.Millisecond)
	}
	sp, em := frames(t, ctx)
	ada := recordWithPhone(t, d, "Contact", "+12025550142")

	// --- inbound: the console's demo button rings the embed -------------
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#demo-from"), "+12025550142"),
		chromedp.Click(chromedp.CSS("#demo-call-button"))); err != nil {
		t.Fatal(err)
	}
	// The embed's ringing event brings the Phone tab forward; the
	// webhook pops Ada and fills the card.
	waitReady(t, ctx, sp, `#tab-phone[aria-selected="true"]`)
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`window.openctiCalls.some(c => c.method === "screenPop" && c.args.params && c.args.params.recordId === %q)`, ada), 15*time.Second)
	waitReady(t, ctx, sp, `#call[data-state="ringing"]`)
	callID := attr(t, ctx, sp, "#call", "data-call-id")
	click(t, ctx, em, "#answer")
	waitReady(t, ctx, sp, fmt.Sprintf(`#call[data-call-id=%q][data-state="answered"]`, callID))

	// A forged "call ended" (and "log completed") from another window
	// than the embed's: ignored by the page, and no Task.
	forge := fmt.Sprintf(`(() => { const w = document.getElementById("softphone").contentWindow;
		const data = { callId: %q, direction: "inbound", result: "ended", duration: 61, callLogId: "forged",
			caller: { phoneNumber: "+12025550142" }, callee: { phoneNumber: "+12025550101" } };
		w.postMessage({ type: "zp-call-ended-event", data }, "*");
		w.postMessage({ type: "zp-call-log-completed-event", data }, "*");
		return true })()`, callID)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](forge)); err != nil {
		t.Fatal(err)
	}
	// Hold after the forgery: the card follows the webhooks, not it.
	click(t, ctx, em, "#hold")
	waitReady(t, ctx, sp, fmt.Sprintf(`#call[data-call-id=%q][data-state="held"]`, callID))
	drain(t, d)
	if n := len(tasksFor(d, callID)); n != 0 {
		t.Fatalf("%d Tasks after a forged call-ended message, want 0", n)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#call-state"), chromedp.FromNode(sp))); strings.Contains(got, "Ended") {
		t.Errorf("the card says %q after a forged message", got)
	}
	click(t, ctx, em, "#hold") // resume
	click(t, ctx, em, "#hangup")
	waitReady(t, ctx, sp, fmt.Sprintf(`#call[data-call-id=%q][data-state="ended"]`, callID))
	task := waitTasks(t, d, callID, 1)[0]
	for k, v := range map[string]any{"CallType": "Inbound", "WhoId": ada, "Status": "Completed"} {
		if task[k] != v {
			t.Errorf("inbound Task %s = %v, want %v", k, task[k], v)
		}
	}

	// --- outbound: dialled from the embed's keypad ------------------------
	click(t, ctx, em, "#tab-keypad")
	for _, k := range "+12025550177" {
		click(t, ctx, em, fmt.Sprintf(`[data-key=%q]`, string(k)))
	}
	click(t, ctx, em, "#dial")
	waitReady(t, ctx, sp, `#call[data-state="answered"]`) // the far end picks up
	outID := attr(t, ctx, sp, "#call", "data-call-id")
	if outID == callID || outID == "" {
		t.Fatalf("the card shows call %q, want the new outbound call", outID)
	}
	click(t, ctx, em, "#hangup")
	out := waitTasks(t, d, outID, 1)[0]
	if out["CallType"] != "Outbound" {
		t.Errorf("outbound Task CallType = %v, want Outbound: %v", out["CallType"], out)
	}
	// Still exactly one Task for the inbound call.
	if n := len(tasksFor(d, callID)); n != 1 {
		t.Errorf("%d Tasks for the inbound call, want 1", n)
	}

	// --- a text from the embed's SMS tab lands in the day's SMS Task ------
	click(t, ctx, em, "#tab-sms")
	const text = "See you on Tuesday"
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#sms-to"), "+12025550142", chromedp.FromNode(em)),
		chromedp.SendKeys(chromedp.CSS("#sms-text"), text, chromedp.FromNode(em))); err != nil {
		t.Fatal(err)
	}
	click(t, ctx, em, "#sms-send")
	deadline = time.Now().Add(20 * time.Second)
	for {
		var sms []map[string]any
		for _, r := range d.Org.Records("Task") {
			if r["Subject"] == "SMS with Ada Lovelace (+12025550142)" {
				sms = append(sms, r)
			}
		}
		if len(sms) == 1 {
			if desc, _ := sms[0]["Description"].(string); !strings.Contains(desc, text) || sms[0]["WhoId"] != ada {
				t.Errorf("SMS Task = %v, want Ada's with %q", sms[0], text)
			}
			break
		}
		if len(sms) > 1 || time.Now().After(deadline) {
			t.Fatalf("%d SMS Tasks for Ada, want 1", len(sms))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
