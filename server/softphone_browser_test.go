package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The softphone as the agent uses it: the wrap-up form and the unlinked
// call logs when Auto Save Call Logs is off, the flow and layout pops, click
// to dial and Sales Engagement, each driven in a real Chromium.

const adaPhone = "+12025550142" // Ada Lovelace, a seeded Contact of Analytical Engines Ltd

// setSettings changes the org's settings as an admin's PUT would: the
// defaults with mod applied.
func setSettings(t *testing.T, d *Demo, mod func(*cti.Settings)) {
	t.Helper()
	set := cti.DefaultSettings()
	mod(&set)
	if err := set.Validate(); err != nil {
		t.Fatalf("test settings are invalid: %v", err)
	}
	if err := d.Server.saveSettings(context.Background(), d.Org.OrgID(), set); err != nil {
		t.Fatal(err)
	}
}

// manualLogs turns Auto Save Call Logs off, with mod for the rest.
func manualLogs(mod func(*cti.Settings)) func(*cti.Settings) {
	return func(s *cti.Settings) {
		s.AutoSaveCallLogs = false
		if mod != nil {
			mod(s)
		}
	}
}

// outcomeField is the admin's Call Outcome picklist (sfsim's Task has it).
var outcomeField = cti.CallLogField{
	Name: "Call_Outcome__c", Label: "Outcome", Type: "picklist",
	Options: []string{"Meaningful Connect", "Left Voicemail", "Call Back Later", "Not Interested", "Unqualified"},
}

// playCall sends a whole call's webhooks and waits until the server is done.
func playCall(t *testing.T, d *Demo, bodies [][]byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		send(t, d, b)
	}
	drain(t, d)
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func setValue(t *testing.T, ctx context.Context, css, value string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(css), value)); err != nil {
		t.Fatalf("set %s: %v", css, err)
	}
}

func typeInto(t *testing.T, ctx context.Context, css, text string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(css), text)); err != nil {
		t.Fatalf("type into %s: %v", css, err)
	}
}

// waitForm waits until the wrap-up form shows callID's log.
func waitForm(t *testing.T, ctx context.Context, callID string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`!document.getElementById("wrapup").hidden && document.getElementById("wrapup").dataset.callId === %q`, callID), 15*time.Second)
}

// waitTasks waits until the org holds n Tasks for the call; the save is
// queued, so the Task follows the 202 by a moment.
func waitTasks(t *testing.T, d *Demo, callID string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		drain(t, d)
		got := tasksFor(d, callID)
		if len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Tasks for call %s, want %d: %v", len(got), callID, n, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func unlinkedCount(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evalJS[string](t, ctx, `document.getElementById("unlinked-count").textContent`)
}

// screenshot saves the page as a PNG for a person to look at, when
// ZOOMCTI_SCREENSHOTS names a folder; tests do not depend on it.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ZOOMCTI_SCREENSHOTS")
	if dir == "" {
		return
	}
	// The utility bar's panel: 400 × 640.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 640)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// The agent logs a call by hand: the form opens when the call ends, a
// required field left empty is named next to its control, and the save
// writes exactly one Task with the notes, the disposition and the admin's
// fields.
func TestWrapUpSavesNotesDispositionAndFields(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(func(s *cti.Settings) {
		s.SalesEngagement = true
		s.CallLogFields = []cti.CallLogField{
			outcomeField,
			{Name: "Notes_Summary__c", Label: "Summary", Type: "textarea", Required: true},
		}
	}))
	ctx := openSignedIn(t, d)
	ada := recordWithPhone(t, d, "Contact", adaPhone)
	engines := recordWithPhone(t, d, "Account", "(202) 555-0140")

	const callID = "7400000000000000901"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitForm(t, ctx, callID)
	if n := unlinkedCount(t, ctx); n != "1" {
		t.Errorf("unlinked call logs badge = %s, want 1", n)
	}
	if n := len(tasksFor(d, callID)); n != 0 {
		t.Fatalf("%d Tasks before the agent saved, want 0", n)
	}

	// Prefilled from the draft: the subject, Ada as Name, her Account as
	// Related To.
	if got := evalJS[string](t, ctx, `document.getElementById("wu-subject").value`); !strings.Contains(got, "Call from") {
		t.Errorf("subject = %q, want the draft's", got)
	}
	if got := evalJS[string](t, ctx, `document.getElementById("wu-who").value`); got != ada {
		t.Errorf("Name = %q, want Ada %s", got, ada)
	}
	what := evalJS[[]string](t, ctx, `[document.getElementById("wu-what-q").value, document.getElementById("wu-what-q").dataset.recordId]`)
	if what[0] != "Analytical Engines Ltd" || what[1] != engines {
		t.Errorf("Related To = %q (%s), want Analytical Engines Ltd (%v)", what[0], what[1], engines)
	}
	// Every control has a label.
	if unlabeled := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#wu-form input, #wu-form textarea, #wu-form select")]
		.filter(c => !c.closest("[hidden]") && c.labels.length === 0 && !c.getAttribute("aria-labelledby")).map(c => c.id)`); len(unlabeled) > 0 {
		t.Errorf("controls without a label: %v", unlabeled)
	}

	const notes = "Wants the difference engine demo <b>next week</b>"
	typeInto(t, ctx, "#wu-notes", notes)
	setValue(t, ctx, "#wu-disposition", "Left Voicemail")
	setValue(t, ctx, `[data-field="Call_Outcome__c"]`, "Call Back Later")
	screenshot(t, ctx, "wrapup-form")

	// Summary is required and empty: the server says so, next to it.
	click(t, ctx, "wu-save")
	waitJS(t, ctx, `(() => { const e = document.querySelector('[data-error-for="fields.Notes_Summary__c"]'); return e && !e.hidden && e.textContent.includes("Summary is required") })()`, 10*time.Second)
	next := evalJS[bool](t, ctx, `(() => {
		const c = document.querySelector('[data-field="Notes_Summary__c"]');
		const e = c.closest(".slds-form-element").querySelector("[data-error-for]");
		return e.dataset.errorFor === "fields.Notes_Summary__c" && !e.hidden && c.getAttribute("aria-invalid") === "true" && document.activeElement === c })()`)
	if !next {
		t.Error("the error is not next to the Summary box, or the box is not marked invalid and focused")
	}
	screenshot(t, ctx, "wrapup-form-error")
	if n := len(tasksFor(d, callID)); n != 0 {
		t.Fatalf("%d Tasks after a refused save, want 0", n)
	}

	typeInto(t, ctx, `[data-field="Notes_Summary__c"]`, "Demo next week")
	click(t, ctx, "wu-save")
	waitJS(t, ctx, `document.getElementById("wrapup").hidden`, 10*time.Second)
	task := waitTasks(t, d, callID, 1)[0]
	want := map[string]any{
		"CallDisposition": "Left Voicemail", "Call_Outcome__c": "Call Back Later", "Notes_Summary__c": "Demo next week",
		"WhoId": ada, "WhatId": engines, "CallType": "Inbound",
	}
	for k, v := range want {
		if task[k] != v {
			t.Errorf("Task %s = %v, want %v", k, task[k], v)
		}
	}
	if desc, _ := task["Description"].(string); !strings.Contains(desc, notes) {
		t.Errorf("Task Description = %q, want the notes %q in it", desc, notes)
	}
	waitJS(t, ctx, `document.getElementById("unlinked-count").textContent === "0" && document.getElementById("unlinked-msg").textContent.includes("saved to Salesforce")`, 10*time.Second)
}

// A call from an Account's number is logged Related To that Account, on no
// Contact; the agent clears the Related To box with its button, and the
// Task is related to nothing (before, an empty box kept the draft's
// Account).
func TestWrapUpClearsRelatedTo(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(nil))
	ctx := openSignedIn(t, d)
	engines := recordWithPhone(t, d, "Account", "(202) 555-0140")

	const callID = "7400000000000000903"
	bodies, err := sim().Inbound(simSpecFrom(callID, "+12025550140"))
	playCall(t, d, bodies, err)
	waitForm(t, ctx, callID)
	if got := evalJS[string](t, ctx, `document.getElementById("wu-what-q").dataset.recordId`); got != engines {
		t.Fatalf("Related To prefilled with %q, want the Account %s", got, engines)
	}
	// The box holding a record offers its clear button in the search icon's place.
	if !evalJS[bool](t, ctx, `!document.getElementById("wu-what-clear").hidden && document.getElementById("wu-what-icon").hidden`) {
		t.Fatal("Related To holds a record but offers no Clear Related To button")
	}
	screenshot(t, ctx, "wrapup-related-to-clear")
	click(t, ctx, "wu-what-clear")
	if !evalJS[bool](t, ctx, `(() => { const q = document.getElementById("wu-what-q");
		return q.value === "" && !q.dataset.recordId && document.activeElement === q && document.getElementById("wu-what-clear").hidden })()`) {
		t.Error("Clear Related To left the box filled, or did not hand the keyboard to the box")
	}
	click(t, ctx, "wu-save")
	waitJS(t, ctx, `document.getElementById("wrapup").hidden`, 10*time.Second)
	task := waitTasks(t, d, callID, 1)[0]
	if (task["WhatId"] != nil && task["WhatId"] != "") || (task["WhoId"] != nil && task["WhoId"] != "") {
		t.Errorf("Task WhoId %v WhatId %v, want nothing in either", task["WhoId"], task["WhatId"])
	}
}

// With Editable Contact/Lead on, Name searches the org; picking a Lead
// clears Related To, as Salesforce requires.
func TestWrapUpSearchesAnyContactOrLead(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(func(s *cti.Settings) { s.EditableContactLead = true }))
	ctx := openSignedIn(t, d)
	hedy := recordWithPhone(t, d, "Lead", "(202) 555-0177")

	const callID = "7400000000000000902"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitForm(t, ctx, callID)
	if !evalJS[bool](t, ctx, `document.getElementById("wu-who").hidden && !document.getElementById("wu-who-picker").hidden`) {
		t.Fatal("Name is not a search box with Editable Contact/Lead on")
	}
	// The number's match is a quick choice.
	if got := evalJS[string](t, ctx, `document.getElementById("wu-who-chips").textContent`); !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("quick choices = %q, want Ada Lovelace", got)
	}

	// A search typed into Related To and left unchosen goes too when the
	// Name becomes a Lead: a disabled box must not hold text the save
	// refuses.
	evalJS[string](t, ctx, `document.getElementById("wu-what-q").value = "-"`)
	typeInto(t, ctx, "#wu-what-q", "\bGlo")
	evalJS[string](t, ctx, `document.getElementById("wu-who-q").value = "-"`) // the agent clears the box…
	typeInto(t, ctx, "#wu-who-q", "\bHedy")                                   // …and types a name
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#wu-who-results [role=option][data-record-id=%q]')`, hedy), 10*time.Second)
	screenshot(t, ctx, "wrapup-name-search")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#wu-who-results [role=option][data-record-id=%q]`, hedy)))); err != nil {
		t.Fatal(err)
	}
	if !evalJS[bool](t, ctx, `document.getElementById("wu-what-q").disabled && document.getElementById("wu-what-q").value === ""`) {
		t.Error("Related To still offered with a Lead as Name")
	}
	// The chosen Name can be cleared with its button; a disabled Related To offers none.
	if !evalJS[bool](t, ctx, `!document.getElementById("wu-who-clear").hidden && document.getElementById("wu-what-clear").hidden`) {
		t.Error("Name holds Hedy but offers no Clear Name button, or the disabled Related To offers one")
	}
	click(t, ctx, "wu-save")
	task := waitTasks(t, d, callID, 1)[0]
	if task["WhoId"] != hedy || (task["WhatId"] != nil && task["WhatId"] != "") {
		t.Errorf("Task WhoId = %v WhatId = %v, want Hedy %s and nothing", task["WhoId"], task["WhatId"], hedy)
	}
}

// Discarding asks first, then the call leaves the unlinked list for good
// and no Task is written.
func TestWrapUpDiscardWritesNoTask(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(nil))
	ctx := openSignedIn(t, d)

	const callID = "7400000000000000903"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitForm(t, ctx, callID)

	click(t, ctx, "wu-discard")
	waitJS(t, ctx, `!document.getElementById("wu-confirm").hidden && document.activeElement.id === "wu-discard-no"`, 5*time.Second)
	click(t, ctx, "wu-discard-no") // changed their mind: nothing happens
	if evalJS[bool](t, ctx, `document.getElementById("wrapup").hidden`) || unlinkedCount(t, ctx) != "1" {
		t.Fatal("keeping the log closed the form or dropped it from the list")
	}
	click(t, ctx, "wu-discard")
	click(t, ctx, "wu-discard-yes")
	waitJS(t, ctx, `document.getElementById("wrapup").hidden && document.getElementById("unlinked-count").textContent === "0"`, 10*time.Second)

	// Gone on the server too: a reload does not bring it back.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.connected === "true"`, 15*time.Second)
	waitJS(t, ctx, `!document.getElementById("unlinked").hidden`, 10*time.Second)
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#unlinked-list [data-call-id]").length`); n != 0 {
		t.Errorf("%d unlinked call logs after discarding and reloading, want 0", n)
	}
	drain(t, d)
	if n := len(tasksFor(d, callID)); n != 0 {
		t.Errorf("%d Tasks for a discarded call log, want 0", n)
	}
}

// Calls that ended while the softphone was closed wait in the unlinked
// list, newest first; one click opens a form.
func TestUnlinkedCallLogsListCallsMadeWhileClosed(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(nil))
	z := sim()
	const first, second = "7400000000000000904", "7400000000000000905"
	bodies, err := z.Inbound(simSpec(first))
	playCall(t, d, bodies, err)
	time.Sleep(20 * time.Millisecond) // the list orders by when the call was put aside
	bodies, err = z.Inbound(zoomsim.CallSpec{CallID: second, From: "+12025550100", To: DemoZoomUserID, Talk: 10 * time.Second})
	playCall(t, d, bodies, err)

	ctx := openSignedIn(t, d)
	waitJS(t, ctx, `document.getElementById("unlinked-count").textContent === "2"`, 10*time.Second)
	ids := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#unlinked-list [data-call-id]")].map(b => b.dataset.callId)`)
	if len(ids) != 2 || ids[0] != second || ids[1] != first {
		t.Errorf("unlinked list = %v, want newest first [%s %s]", ids, second, first)
	}
	if text := evalJS[string](t, ctx, `document.getElementById("unlinked-list").textContent`); !strings.Contains(text, "Ada Lovelace") {
		t.Errorf("unlinked list %q does not name Ada", text)
	}
	screenshot(t, ctx, "unlinked-list")
	// Nothing opens by itself for calls the agent did not just finish.
	if !evalJS[bool](t, ctx, `document.getElementById("wrapup").hidden`) {
		t.Error("a wrap-up form opened by itself on load")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#unlinked-list button[data-call-id=%q]`, first)))); err != nil {
		t.Fatal(err)
	}
	waitForm(t, ctx, first)
	if active := evalJS[string](t, ctx, `document.activeElement.id`); active != "wu-notes" {
		t.Errorf("focus on #%s after opening the form, want the notes", active)
	}
	// Later keeps it in the list.
	click(t, ctx, "wu-later")
	if !evalJS[bool](t, ctx, `document.getElementById("wrapup").hidden`) || unlinkedCount(t, ctx) != "2" {
		t.Error("Later did not close the form, or dropped the call from the list")
	}
}

// openConsole opens the emulated Lightning console and waits for its
// softphone frame to be ready and connected.
func openConsole(t *testing.T, d *Demo) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate(d.ConsoleURL)); err != nil {
		t.Fatalf("open console: %v", err)
	}
	waitJS(t, ctx, `(window.openctiCalls || []).some(c => c.method === "notifyInitializationComplete")`, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for d.Server.hub.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("softphone never connected its websocket")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ctx
}

// softphoneFrame returns a script context in the console's softphone frame.
// The frame is cross-origin, so the console's own script cannot reach into
// it; an isolated world shares the frame's page (not its script), which is
// what a test needs to read and click like the agent.
func softphoneFrame(t *testing.T, ctx context.Context) runtime.ExecutionContextID {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe#softphone")))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("softphone frame: %d nodes, %v", len(nodes), err)
	}
	id, err := chromedp.Run(ctx, chromedp.Action[runtime.ExecutionContextID](func(ctx context.Context, tg *chromedp.Target) (runtime.ExecutionContextID, error) {
		r, err := cdp.Call(ctx, tg, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: nodes[0].FrameID, WorldName: "zoomcti-test"})
		return r.ExecutionContextID, err
	}))
	if err != nil {
		t.Fatalf("script context in the softphone frame: %v", err)
	}
	return id
}

// waitFrame polls expr in the softphone frame until it is true.
func waitFrame(t *testing.T, ctx context.Context, frame runtime.ExecutionContextID, expr string) {
	t.Helper()
	in := func(p *runtime.EvaluateParams) { p.ContextID = frame }
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, in))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`, in))
			t.Fatalf("timed out waiting in the softphone for %s (err %v); it shows:\n%s", expr, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The admin's other pop rules reach the console with the arguments
// Lightning needs: no match runs their screen flow with the number, several
// matches hand the search to the org's softphone layout.
func TestConsolePopsFlowAndLayout(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, func(s *cti.Settings) {
		s.NoMatch, s.NoMatchFlow = "flow", "New_Caller"
		s.MultipleMatch = "layout"
	})
	d.Org.Insert("Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "Phone": adaPhone})
	d.Org.CatchUpIndex() // an existing record: searchable, not a new one waiting for the index
	ctx := openConsole(t, d)

	const stranger = "+12025550100"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: "7400000000000000906", From: stranger, To: DemoZoomUserID, Talk: 5 * time.Second})
	playCall(t, d, bodies, err)
	waitJS(t, ctx, `window.openctiCalls.some(c => c.method === "screenPop" && c.args.type === "flow")`, 15*time.Second)
	pop := evalJS[map[string]any](t, ctx, `window.openctiCalls.find(c => c.method === "screenPop" && c.args.type === "flow").args.params`)
	args, _ := pop["flowArgs"].([]any)
	if pop["flowDevName"] != "New_Caller" || len(args) != 1 {
		t.Fatalf("flow pop params = %v, want New_Caller with one argument", pop)
	}
	if arg := args[0].(map[string]any); arg["name"] != "Phone" || arg["type"] != "String" || arg["value"] != stranger {
		t.Errorf("flow argument = %v, want Phone String %s", arg, stranger)
	}
	waitJS(t, ctx, `window.consoleState.view === "flow"`, 5*time.Second)

	bodies, err = sim().Inbound(simSpec("7400000000000000907"))
	playCall(t, d, bodies, err)
	waitJS(t, ctx, `window.openctiCalls.some(c => c.method === "searchAndScreenPop")`, 15*time.Second)
	got := evalJS[map[string]any](t, ctx, `window.openctiCalls.find(c => c.method === "searchAndScreenPop").args`)
	defaults, _ := got["defaultFieldValues"].(map[string]any)
	if got["searchParams"] != adaPhone || got["callType"] != "inbound" || got["deferred"] != false || defaults["Phone"] != adaPhone {
		t.Errorf("searchAndScreenPop args = %v, want the number, inbound, not deferred, Phone default", got)
	}
	// The console's layout shows both matches as search results.
	waitJS(t, ctx, `window.consoleState.view === "search"`, 5*time.Second)
}

// Click to dial from a record, with Sales Engagement: the server hears
// which record the agent dialled from (no pop of that record, the Task on
// it), and once the agent's wrap-up is saved the work item is completed
// with the disposition and the Task.
func TestConsoleClickToDialCompletesSalesEngagementWork(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(func(s *cti.Settings) { s.SalesEngagement = true }))
	ada := recordWithPhone(t, d, "Contact", adaPhone)
	ctx := openConsole(t, d)
	waitJS(t, ctx, `window.openctiCalls.some(c => c.method === "hvs.onWorkStart") && window.openctiCalls.some(c => c.method === "enableClickToDial")`, 10*time.Second)

	// The agent opens Ada's record (in the console: the frame stays), and
	// Sales Engagement starts a work item on her number, spelled as the
	// agent sees it rather than as stored.
	evalJS[bool](t, ctx, fmt.Sprintf(`window.sfsimConsole.navigate("/lightning/r/Contact/%s/view"), true`, ada))
	waitJS(t, ctx, `!!document.querySelector("a.sim-phone")`, 10*time.Second)
	const workID = "0Zy000000000001AAA"
	evalJS[bool](t, ctx, fmt.Sprintf(`document.getElementById("softphone").contentWindow.postMessage({sfsim: "opencti", kind: "event", event: "workStart",
		payload: {workId: %q, completeWorkWhen: "TaskSaved", attributes: {to: "(202) 555-0142"}}}, %q), true`, workID, d.ServerURL))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a.sim-phone`))); err != nil {
		t.Fatal(err)
	}
	frame := softphoneFrame(t, ctx)
	// The agent confirms the call in the softphone.
	waitFrame(t, ctx, frame, `!document.getElementById("dial").hidden && (document.getElementById("dial-yes").click(), true)`)
	// The server hears which record the agent dialled from before Zoom's
	// events come (its note is used up by the call at once, so it shows
	// below: the call does not pop Ada and is logged on her).
	// The softphone handed the number to Zoom's Smart Embed (zp-make-call),
	// which placed the call: Zoom's webhooks bring it, the far end answers,
	// and the agent hangs up.
	waitFrame(t, ctx, frame, `document.getElementById("call").dataset.state === "answered"`)
	callID, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("call").dataset.callId`,
		func(p *runtime.EvaluateParams) { p.ContextID = frame }))
	if err != nil || callID == "" {
		t.Fatalf("no call in the card: %q, %v", callID, err)
	}
	if err := d.Zoom.Act(context.Background(), DemoZoomUserID, callID, zoomsim.ActionHangup); err != nil {
		t.Fatal(err)
	}

	// The agent picks a disposition in the softphone and saves.
	waitFrame(t, ctx, frame, fmt.Sprintf(`!document.getElementById("wrapup").hidden && document.getElementById("wrapup").dataset.callId === %q`, callID))
	waitFrame(t, ctx, frame, `(() => {
		document.getElementById("wu-disposition").value = "Meaningful Connect";
		document.getElementById("wu-save").click();
		return true })()`)
	task := waitTasks(t, d, callID, 1)[0]
	if task["WhoId"] != ada || task["CallDisposition"] != "Meaningful Connect" {
		t.Errorf("Task WhoId = %v CallDisposition = %v, want Ada %s, Meaningful Connect", task["WhoId"], task["CallDisposition"], ada)
	}

	waitJS(t, ctx, `window.openctiCalls.some(c => c.method === "hvs.completeWork")`, 10*time.Second)
	done := evalJS[map[string]any](t, ctx, `window.openctiCalls.find(c => c.method === "hvs.completeWork").args`)
	attrs, _ := done["attributes"].(map[string]any)
	if done["workId"] != workID || attrs["disposition"] != "Meaningful Connect" || attrs["taskId"] != task["Id"] || attrs["wasConnected"] != true {
		t.Errorf("completeWork args = %v, want work %s, Meaningful Connect, Task %v, connected", done, workID, task["Id"])
	}
	// Dialled from Ada's record: the call did not pop her again.
	if n := evalJS[int](t, ctx, `window.openctiCalls.filter(c => c.method === "screenPop" || c.method === "searchAndScreenPop").length`); n != 0 {
		t.Errorf("%d screen pops for a call dialled from the record, want 0", n)
	}
}

// A refused wrap-up looks refused (an error toast, each message in the
// error colour under its control) and a message goes away once the agent
// fixes its field: choosing the required Outcome clears "Outcome is
// required" before any new save.
func TestWrapUpErrorClearsOnceTheFieldIsFixed(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(func(s *cti.Settings) {
		f := outcomeField
		f.Required = true
		s.CallLogFields = []cti.CallLogField{f}
	}))
	ctx := openSignedIn(t, d)
	const callID = "7400000000000000911"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitForm(t, ctx, callID)

	click(t, ctx, "wu-save")
	const outcomeErr = `document.querySelector('[data-error-for="fields.Call_Outcome__c"]')`
	waitJS(t, ctx, outcomeErr+` && !`+outcomeErr+`.hidden && `+outcomeErr+`.textContent.includes("Outcome is required")`, 10*time.Second)
	if !evalJS[bool](t, ctx, `(() => {
		const e = `+outcomeErr+`, toast = document.getElementById("wu-msg").closest(".zc-toast");
		return e.closest(".slds-form-element").classList.contains("slds-has-error") && getComputedStyle(e).color === "rgb(186, 5, 23)" &&
			toast.dataset.tone === "error" && !toast.hidden && getComputedStyle(toast).backgroundColor === "rgb(186, 5, 23)" })()`) {
		t.Error("the refused save does not look like an error")
	}

	setValue(t, ctx, `[data-field="Call_Outcome__c"]`, "Left Voicemail")
	waitJS(t, ctx, outcomeErr+`.hidden && !document.querySelector('[data-field="Call_Outcome__c"]').hasAttribute("aria-invalid") && !`+outcomeErr+`.closest(".slds-form-element").classList.contains("slds-has-error")`, 5*time.Second)

	click(t, ctx, "wu-save")
	if task := waitTasks(t, d, callID, 1)[0]; task["Call_Outcome__c"] != "Left Voicemail" {
		t.Errorf("Task Call_Outcome__c = %v", task["Call_Outcome__c"])
	}
}
