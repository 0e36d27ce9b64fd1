package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// While Salesforce cannot be asked about the caller, a ringing call shows
// at once with its number and Zoom's caller-id name, the card says the
// lookup is waiting (never "no match": the caller may well be in the org),
// and the match fills in once Salesforce answers.

// watchNotes records every text the call card's note shows from now on,
// in the page or frame evaluated in (in).
const watchNotes = `(() => {
	window.notesSeen = [];
	const note = document.getElementById("call-note");
	new MutationObserver(() => window.notesSeen.push(note.textContent)).observe(note, { childList: true, characterData: true, subtree: true });
	return true })()`

func TestRingingCallShowsAtOnceWhileSalesforceIsDown(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	ada := recordWithPhone(t, d, "Contact", adaPhone)
	evalJS[bool](t, ctx, watchNotes)

	d.Org.InjectFaults(http.StatusServiceUnavailable, 1_000_000) // Salesforce is down
	const callID = "7400000000000050001"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, FromName: "EXAMPLE CUSTOMER", To: DemoZoomUserID, Talk: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0]) // ringing
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && document.getElementById("call").dataset.lookup === "waiting"`, callID), 10*time.Second)
	card := evalJS[[]string](t, ctx, `["call-number", "call-name", "call-note"].map((id) => document.getElementById(id).textContent)`)
	if card[0] != adaPhone || card[1] != "EXAMPLE CUSTOMER" || !strings.Contains(card[2], "Salesforce is not answering") {
		t.Errorf("the ringing card shows %q, want the number, Zoom's caller-id name and that the lookup waits", card)
	}
	screenshot(t, ctx, "lookup-waiting")

	// Salesforce is back: the lookup job asks again and Ada fills in.
	d.Org.InjectFaults(0, 0)
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#call-matches button[data-record-id=%q]') && document.getElementById("call").dataset.lookup === ""`, ada), 30*time.Second)
	for _, b := range bodies[1:] {
		send(t, d, b)
	}
	drain(t, d)
	waitJS(t, ctx, `document.getElementById("call").dataset.state === "ended"`, 10*time.Second)
	if seen := evalJS[[]string](t, ctx, `window.notesSeen`); strings.Contains(strings.Join(seen, "|"), "No matching") {
		t.Errorf("the card said there was no match while Salesforce was down: %q", seen)
	}
	if tasks := tasksFor(d, callID); len(tasks) != 1 || tasks[0]["WhoId"] != ada {
		t.Errorf("Tasks %v, want one on Ada %s", tasks, ada)
	}
}

// A slow Salesforce holds no ring up either: the call shows, and says the
// lookup waits, once the lookup has taken 3 s (cti's RingLookupWait), and
// the match fills in when the lookup job's slower request answers.
func TestRingingCallShowsAtOnceWhileSalesforceIsSlow(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	ada := recordWithPhone(t, d, "Contact", adaPhone)
	evalJS[bool](t, ctx, watchNotes)
	d.Org.SetLatency(4 * time.Second) // every request: slower than a ring may wait
	const callID = "7400000000000050003"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, FromName: "EXAMPLE CUSTOMER", To: DemoZoomUserID, Talk: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0])
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && document.getElementById("call").dataset.lookup === "waiting"`, callID), 10*time.Second)
	if got := evalJS[string](t, ctx, `document.getElementById("call-name").textContent`); got != "EXAMPLE CUSTOMER" {
		t.Errorf("the ringing card names %q, want Zoom's caller-id name", got)
	}
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#call-matches button[data-record-id=%q]')`, ada), 20*time.Second)
	if seen := evalJS[[]string](t, ctx, `window.notesSeen`); strings.Contains(strings.Join(seen, "|"), "No matching") {
		t.Errorf("the card said there was no match while Salesforce was slow: %q", seen)
	}
	d.Org.SetLatency(0)
}

// Out of API requests: the console's own search pops, and finds the
// caller; the card says why it lists no match rather than "no match".
func TestAPILimitPopsTheConsolesSearchNotNoMatch(t *testing.T) {
	d := startDemo(t)
	ctx := openConsole(t, d)
	frame := softphoneFrame(t, ctx)
	in := func(p *runtime.EvaluateParams) { p.ContextID = frame }
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](watchNotes, in)); err != nil {
		t.Fatal(err)
	}
	ada := recordWithPhone(t, d, "Contact", adaPhone)
	// The one fault is for the ring's search: the describes the connected
	// softphone's agent has read first must be done, or one of them takes
	// it (a loaded CI machine showed the search answered and Ada popped).
	waitFor(t, 20*time.Second, func() bool {
		g, err := d.Server.Gauges(context.Background())
		return err == nil && g.Warming == 0
	}, "the agent's describes read")

	d.Org.InjectFaults(http.StatusForbidden, 1) // REQUEST_LIMIT_EXCEEDED: the org pauses
	const callID = "7400000000000050002"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, FromName: "EXAMPLE CUSTOMER", To: DemoZoomUserID, Talk: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0])
	waitFrame(t, ctx, frame, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && document.getElementById("call").dataset.lookup === "paused"`, callID))
	// The console searched for the number, and its search finds Ada.
	waitJS(t, ctx, fmt.Sprintf(`window.consoleState.view === "search" && !!document.querySelector('#search-results [data-record-id=%q]')`, ada), 10*time.Second)
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("call-note").textContent + "|" + window.notesSeen.join("|")`, in))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "API limit") || strings.Contains(note, "No matching") {
		t.Errorf("the card's note while the console's search shows the caller: %q", note)
	}
	name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("call-name").textContent`, in))
	if err != nil || name != "EXAMPLE CUSTOMER" {
		t.Errorf("caller-id name on the card = %q (%v)", name, err)
	}
}
