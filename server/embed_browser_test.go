package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The softphone and Zoom Phone Smart Embed (zoomsim's, on its own origin):
// what the page takes from the embed, and what it does when the embed is
// silent.

// embedFrame returns the embed's iframe node once it is signed in and
// hears its user's calls.
func embedFrame(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#zoom-embeddable-phone-iframe")))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("no Zoom embed in the softphone: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`body[data-stream="open"]`), chromedp.FromNode(nodes[0]))); err != nil {
		t.Fatalf("the embed did not sign in: %v", err)
	}
	return nodes[0]
}

func clickEmbed(t *testing.T, ctx context.Context, frame *chromedp.Node, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(sel), chromedp.FromNode(frame))); err != nil {
		t.Fatalf("click %s in the embed: %v", sel, err)
	}
}

// Messages that do not come from the embed's window and origin change
// nothing, and nothing the browser says writes a Task: only the webhooks
// of the real hang-up do.
func TestForgedEmbedMessagesWriteNoTask(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	em := embedFrame(t, ctx)
	id, err := d.Zoom.Ring(context.Background(), zoomsim.CallSpec{From: adaPhone, To: DemoZoomUserID})
	if err != nil {
		t.Fatal(err)
	}
	// The embed's own ringing event brings the Phone tab forward.
	waitJS(t, ctx, `document.getElementById("tab-phone").getAttribute("aria-selected") === "true"`, 15*time.Second)
	clickEmbed(t, ctx, em, "#answer")
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && document.getElementById("call").dataset.state === "answered"`, id), 15*time.Second)
	screenshot(t, ctx, "embed-phone-tab-in-call")

	// The page posts the forgeries to itself (its own origin, its own
	// window), then a marker: messages to a window arrive in order, so
	// once the marker is in, the forgeries were handled.
	evalJS[bool](t, ctx, fmt.Sprintf(`(() => {
		window.addEventListener("message", (e) => { if (e.data === "marker") window.markerSeen = true; });
		const data = { callId: %q, direction: "inbound", result: "ended", duration: 61, callLogId: "forged",
			caller: { phoneNumber: %q }, callee: { phoneNumber: "+12025550101" } };
		for (const type of ["zp-call-ended-event", "zp-call-log-completed-event"]) window.postMessage({ type, data }, "*");
		window.postMessage("marker", "*");
		return true })()`, id, adaPhone))
	waitJS(t, ctx, `window.markerSeen === true`, 5*time.Second)
	if got := evalJS[string](t, ctx, `document.getElementById("call-state").textContent`); got != "On call" {
		t.Errorf("after forged messages the card says %q, want On call", got)
	}
	drain(t, d)
	if n := len(tasksFor(d, id)); n != 0 {
		t.Fatalf("%d Tasks after forged call-ended messages, want 0", n)
	}

	// The real hang-up, in the embed: its event may say Ended first, the
	// webhooks end the card and write exactly one Task.
	clickEmbed(t, ctx, em, "#hangup")
	waitJS(t, ctx, `document.getElementById("call").dataset.state === "ended"`, 15*time.Second)
	if task := waitTasks(t, d, id, 1)[0]; task["CallType"] != "Inbound" {
		t.Errorf("Task CallType = %v", task["CallType"])
	}
}

// An embed that never answers (here: zoomcti's domain not approved) shows
// one "not responding" state with what to check, and click to dial goes
// to the Zoom desktop app with the + kept.
func TestEmbedNotRespondingFallsBackToTheZoomApp(t *testing.T) {
	d := startDemo(t)
	d.Zoom.SetApprovedDomains([]string{"https://crm.example.com"})
	ctx := openSignedIn(t, d)
	embedFrame(t, ctx)
	// Nothing is due from the embed yet: no alarm.
	if evalJS[bool](t, ctx, `!document.getElementById("embed-down").hidden`) {
		t.Fatal("not responding before anything was asked of the embed")
	}
	bodies, err := sim().Inbound(simSpec("7400000000000000931"))
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0]) // ringing, from the webhook only
	waitJS(t, ctx, `document.body.dataset.embed === "silent"`, 15*time.Second)
	evalJS[bool](t, ctx, `(document.getElementById("tab-phone").click(), true)`)
	text := evalJS[string](t, ctx, `document.getElementById("embed-down").innerText`)
	for _, want := range []string{"Zoom softphone not responding", "Smart Embed", "approved domains", "desktop app", "Automatically Call From Third Party Apps"} {
		if !strings.Contains(text, want) {
			t.Errorf("not-responding state lacks %q: %s", want, text)
		}
	}
	screenshot(t, ctx, "embed-not-responding")
	// Click to dial now hands the number to the Zoom app, + kept.
	evalJS[bool](t, ctx, `(window.opened = [], window.open = (u, target) => { window.opened.push(u); return null; }, true)`)
	// The page's own embed module, as Open CTI's click to dial reaches it
	// (a module is one instance per page, so this is the page's).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`import("/static/js/embed.js").then((m) => (m.dial("+1 (202) 555-0177"), true))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	if got := evalJS[[]string](t, ctx, `window.opened`); len(got) != 1 || got[0] != "zoomphonecall://+12025550177" {
		t.Errorf("click to dial opened %v, want zoomphonecall://+12025550177", got)
	}
	if href := evalJS[string](t, ctx, `document.getElementById("embed-down-dial").getAttribute("href")`); href != "zoomphonecall://+12025550177" {
		t.Errorf("fallback link = %q", href)
	}
}

// Two console tabs each load the softphone (and its embed) and hear the
// call: it is popped in one of them only, and logged once. The tabs used
// to settle it with a mark in their shared localStorage under a Web Lock,
// which is not atomic across the browser's processes: a tab could read the
// storage before the other's mark reached its process, and both popped
// (once in a full run of this test). Tabs whose storage has not seen the
// other's mark at all (another browser profile) make that race certain;
// the server settles it now, for both.
func TestTwoConsoleTabsPopACallOnce(t *testing.T) {
	for i, tc := range []struct {
		name     string
		separate bool // the second tab shares no storage with the first
	}{
		{name: "one browser", separate: false},
		{name: "storage not shared", separate: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDemo(t)
			ctx1 := openConsole(t, d)
			var opts []chromedp.ContextOption
			if tc.separate {
				opts = append(opts, chromedp.WithNewBrowserContext())
			}
			ctx2, cancel := chromedp.NewContext(ctx1, opts...) // a second tab of the same browser
			t.Cleanup(cancel)
			if err := chromedp.Do(ctx2, chromedp.Navigate(d.ConsoleURL)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx2, `(window.openctiCalls || []).some(c => c.method === "notifyInitializationComplete")`, 20*time.Second)
			deadline := time.Now().Add(10 * time.Second)
			for d.Server.hub.count() < 2 {
				if time.Now().After(deadline) {
					t.Fatalf("%d softphones connected, want 2", d.Server.hub.count())
				}
				time.Sleep(50 * time.Millisecond)
			}
			callID := fmt.Sprintf("740000000000000093%d", 2+i)
			bodies, err := sim().Inbound(simSpec(callID))
			playCall(t, d, bodies, err)
			waitTasks(t, d, callID, 1)
			// Both softphones showed the whole call and know which tab popped it.
			var where []string
			for _, ctx := range []context.Context{ctx1, ctx2} {
				frame := softphoneFrame(t, ctx)
				waitFrame(t, ctx, frame, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && document.getElementById("call").dataset.state === "ended" && !!document.getElementById("call").dataset.pop`, callID))
				w, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("call").dataset.pop`, func(p *runtime.EvaluateParams) { p.ContextID = frame }))
				if err != nil {
					t.Fatal(err)
				}
				where = append(where, w)
			}
			if !slices.Contains(where, "here") || !slices.Contains(where, "elsewhere") {
				t.Errorf("the tabs say the call popped %v, want here in one and elsewhere in the other", where)
			}
			pops := 0
			for _, ctx := range []context.Context{ctx1, ctx2} {
				pops += evalJS[int](t, ctx, `window.openctiCalls.filter(c => c.method === "screenPop" || c.method === "searchAndScreenPop").length`)
			}
			if pops != 1 {
				t.Errorf("%d screen pops across two console tabs, want 1", pops)
			}
		})
	}
}

// The first word from Zoom's embed tells the server that the embed's
// approved domains admit this console: the Set-up Guide's and zoomcti
// doctor's evidence. A message that only claims to be the embed's does not.
func TestTheEmbedsFirstAnswerIsEvidence(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	embedFrame(t, ctx)
	seen := func() bool { return !d.Server.lastEvidence(context.Background(), d.Org.OrgID(), factEmbed).IsZero() }

	evalJS[bool](t, ctx, `(() => {
		window.addEventListener("message", (e) => { if (e.data === "marker") window.markerSeen = true; });
		window.postMessage({ type: "zp-call-ringing-event", data: { callId: "1" } }, "*");
		window.postMessage("marker", "*");
		return true })()`)
	waitJS(t, ctx, `window.markerSeen === true`, 5*time.Second)
	// The server reads the page's websocket in order: a "ready" sent for the
	// forgery would be noted before this round trip comes back.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`import("/static/js/connection.js").then((m) => {
		m.on("dial_preview", () => { window.roundTrip = true; });
		return m.send({ type: "dial_preview", number: "1" }) })`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `window.roundTrip === true`, 5*time.Second)
	if seen() {
		t.Fatal("a forged embed message counted as the embed answering")
	}

	if _, err := d.Zoom.Ring(context.Background(), zoomsim.CallSpec{From: adaPhone, To: DemoZoomUserID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !seen() {
		if time.Now().After(deadline) {
			t.Fatal("the embed answered, and the server never heard of it")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
