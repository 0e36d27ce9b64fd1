package server

import (
	"context"
	"errors"
	"fmt"
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

// The agent's experience of the softphone (issue 11): what they see and
// can do around a call, each driven in a real Chromium.

// Closing the sign-in window gives the Sign in button back, and the agent
// can cancel a sign-in from the softphone (its window may be hidden behind
// Salesforce's): the window closes, and signing in again works.
func TestClosingOrCancellingTheSigninGivesTheButtonBack(t *testing.T) {
	d := startDemo(t)
	ctx := openSoftphone(t, d)

	popup := signinPopup(t, ctx)
	waitJS(t, ctx, `document.getElementById("signin-btn").disabled && !document.getElementById("signin-cancel").hidden`, 5*time.Second)
	if err := chromedp.Do(popup, closeWindow); err != nil {
		t.Fatal(err)
	}
	signinMessage(t, ctx, "The sign-in window was closed")
	waitJS(t, ctx, `!document.getElementById("signin-btn").disabled && document.getElementById("signin-cancel").hidden`, 5*time.Second)

	// Cancel, with the window still open.
	popup = signinPopup(t, ctx)
	click(t, ctx, "signin-cancel")
	signinMessage(t, ctx, "Sign-in cancelled")
	waitJS(t, ctx, `!document.getElementById("signin-btn").disabled && document.getElementById("signin-cancel").hidden && document.activeElement.id === "signin-btn"`, 5*time.Second)
	waitClosed(t, popup)

	popup = signinPopup(t, ctx)
	click(t, popup, "oaapprove")
	waitJS(t, ctx, `!document.getElementById("agent").hidden && document.body.dataset.connected === "true"`, 15*time.Second)
}

// Recent calls survive a reload of the softphone, and go with the agent
// who signs out.
func TestRecentCallsSurviveAReload(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	const callID = "7400000000000050101"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitJS(t, ctx, `document.getElementById("recent").textContent.includes("Ada Lovelace") && document.getElementById("recent").textContent.includes("logged")`, 15*time.Second)

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.connected === "true"`, 15*time.Second)
	if got := evalJS[string](t, ctx, `document.getElementById("recent").textContent`); !strings.Contains(got, "Ada Lovelace · Incoming call") || !strings.Contains(got, "logged") {
		t.Errorf("Recent calls after a reload: %q, want Ada's logged call", got)
	}

	click(t, ctx, "signout-btn")
	waitJS(t, ctx, `!document.getElementById("signin").hidden`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("signin").hidden`, 10*time.Second)
	if got := evalJS[string](t, ctx, `document.getElementById("recent").textContent + sessionStorage.getItem("zoomcti.recent")`); strings.Contains(got, "Ada") {
		t.Errorf("Recent calls kept after sign-out: %q", got)
	}
}

// closeWindow closes a window as its user would (its close button).
var closeWindow = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := cdp.Call(ctx, tg, page.Close, cdp.Empty{})
	return err
})

// waitClosed waits until the window of ctx is gone.
func waitClosed(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := chromedp.Run(wctx, chromedp.Evaluate[bool](`true`))
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return // no such target any more
		}
		if time.Now().After(deadline) {
			t.Fatal("the window is still open")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A call's wrap-up form opens by itself when the call ends, but never
// takes the keyboard from the agent, who may be typing in Salesforce.
func TestWrapUpNeverTakesTheKeyboard(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(nil))
	ctx := openConsole(t, d)
	frame := softphoneFrame(t, ctx)

	// The agent types in Salesforce's search box while the call ends.
	typeInto(t, ctx, "#global-search-input", "Lovel")
	const callID = "7400000000000050201"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitFrame(t, ctx, frame, fmt.Sprintf(`!document.getElementById("wrapup").hidden && document.getElementById("wrapup").dataset.callId === %q`, callID))
	if err := chromedp.Do(ctx, chromedp.KeyEvent("ace")); err != nil { // to whatever has the keyboard
		t.Fatal(err)
	}
	if got := evalJS[[]string](t, ctx, `[document.getElementById("global-search-input").value, document.activeElement.id]`); got[0] != "Lovelace" || got[1] != "global-search-input" {
		t.Errorf("Salesforce's search box has %q and the focus is on #%s: the wrap-up took the keyboard", got[0], got[1])
	}
	notes, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("wu-notes").value`, func(p *runtime.EvaluateParams) { p.ContextID = frame }))
	if err != nil || notes != "" {
		t.Errorf("the wrap-up's notes took %q (%v)", notes, err)
	}
}

// Nor from the agent typing in Zoom's embed, in the softphone's Phone tab:
// the form waits in the Calls tab rather than hiding what they type in.
func TestWrapUpLeavesTheAgentTypingInTheEmbed(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(nil))
	ctx := openSignedIn(t, d)
	em := embedFrame(t, ctx)
	click(t, ctx, "tab-phone")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#number"), "+1202", chromedp.FromNode(em))); err != nil {
		t.Fatal(err)
	}
	const callID = "7400000000000050202"
	bodies, err := sim().Inbound(simSpec(callID))
	playCall(t, d, bodies, err)
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("wrapup").dataset.callId === %q && !document.getElementById("wrapup").hidden`, callID), 15*time.Second)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("5550142")); err != nil {
		t.Fatal(err)
	}
	if tab := evalJS[string](t, ctx, `document.body.dataset.tab`); tab != "phone" {
		t.Errorf("the %s tab is in front, want Phone, where the agent types", tab)
	}
	typed, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#number"), chromedp.FromNode(em)))
	if err != nil || typed != "+12025550142" {
		t.Errorf("the embed's number box has %q (%v), want +12025550142", typed, err)
	}
}

// Click to dial asks in the softphone first (the number, the record, the
// caller ID) and dials nothing until the agent says so; the number goes to
// Zoom with its + (a UK number in a US org, as Salesforce stores it).
func TestClickToDialAsksFirstAndKeepsThePlus(t *testing.T) {
	d := startDemo(t)
	alan := recordWithPhone(t, d, "Contact", "+44 20 7946 0018")
	ctx := openConsole(t, d)
	waitJS(t, ctx, `window.openctiCalls.some(c => c.method === "enableClickToDial")`, 10*time.Second)
	evalJS[bool](t, ctx, fmt.Sprintf(`window.sfsimConsole.navigate("/lightning/r/Contact/%s/view"), true`, alan))
	waitJS(t, ctx, `!!document.querySelector("a.sim-phone")`, 10*time.Second)
	frame := softphoneFrame(t, ctx)
	in := func(p *runtime.EvaluateParams) { p.ContextID = frame }

	clickNumber := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a.sim-phone`))); err != nil {
			t.Fatal(err)
		}
		waitFrame(t, ctx, frame, `!document.getElementById("dial").hidden && document.getElementById("dial-number").textContent === "+442079460018"`)
	}
	clickNumber()
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`["dial-title", "dial-number", "dial-record", "dial-callerid"].map((id) => document.getElementById(id).textContent)`, in))
	if err != nil {
		t.Fatal(err)
	}
	if asked[0] != "Call this number?" || asked[2] != "Alan Turing · Contact" || !strings.Contains(asked[3], "Caller ID") {
		t.Errorf("the softphone asks %q, want the number, Alan Turing's record and the caller ID", asked)
	}
	if focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`, in)); focused != "dial-yes" {
		t.Errorf("focus on #%s, want Call (the agent just clicked to call)", focused)
	}
	// Nothing is dialled before the agent says so, nor after Cancel.
	waitFrame(t, ctx, frame, `(document.getElementById("dial-no").click(), document.getElementById("dial").hidden)`)
	drain(t, d)
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("call").hidden`, in)); !got {
		t.Fatal("a call started without the agent's yes")
	}

	clickNumber()
	waitFrame(t, ctx, frame, `(document.getElementById("dial-yes").click(), document.getElementById("dial").hidden)`)
	waitFrame(t, ctx, frame, `document.getElementById("call").dataset.state === "answered"`)
	number, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("call-number").textContent`, in))
	if err != nil || number != "+442079460018" {
		t.Errorf("Zoom dialled %q (%v), want +442079460018", number, err)
	}
	// Dialled from Alan's record: it is not popped again.
	if n := evalJS[int](t, ctx, `window.openctiCalls.filter(c => c.method === "screenPop").length`); n != 0 {
		t.Errorf("%d screen pops for a call dialled from the record", n)
	}
}

// A caller with no match: the agent creates their Contact (or Lead) from
// the no-match pop during the call, and the call is logged on it. The
// console reports the navigation to the new record; the card shows it.
func TestARecordCreatedFromTheNoMatchPopGetsTheCall(t *testing.T) {
	for i, tc := range []struct {
		object string
		rule   cti.NoMatchRule
		fields map[string]string
	}{
		{"Contact", cti.NoMatchNewContact, map[string]string{"LastName": "Newcaller"}},
		{"Lead", cti.NoMatchNewLead, map[string]string{"LastName": "Newcaller", "Company": "Newco"}},
	} {
		t.Run(tc.object, func(t *testing.T) {
			d := startDemo(t)
			setSettings(t, d, func(s *cti.Settings) { s.NoMatch = tc.rule })
			ctx := openConsole(t, d)
			frame := softphoneFrame(t, ctx)

			callID := fmt.Sprintf("740000000000005030%d", i)
			const stranger = "+12025550100"
			bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: stranger, To: DemoZoomUserID, Talk: 60 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			send(t, d, bodies[0]) // ringing: no match, the new-record modal pops
			waitJS(t, ctx, fmt.Sprintf(`window.consoleState.view === "newRecord" && document.getElementById("new-record-modal").dataset.entity === %q`, tc.object), 15*time.Second)
			send(t, d, bodies[1]) // answered: the agent fills the form in while they talk
			for name, v := range tc.fields {
				setValue(t, ctx, fmt.Sprintf(`#new-record-form input[name=%s]`, name), v)
			}
			click(t, ctx, "new-record-save")
			waitJS(t, ctx, `window.consoleState.view === "record"`, 10*time.Second)
			var id string
			for _, r := range d.Org.Records(tc.object) {
				if r["LastName"] == "Newcaller" {
					id = r["Id"].(string)
				}
			}
			if id == "" {
				t.Fatalf("no %s was created", tc.object)
			}
			waitFrame(t, ctx, frame, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && !!document.querySelector('#call-matches button[data-record-id=%q]')`, callID, id))

			for _, b := range bodies[2:] {
				send(t, d, b)
			}
			task := waitTasks(t, d, callID, 1)[0]
			if task["WhoId"] != id {
				t.Errorf("Task WhoId = %v, want the new %s %s", task["WhoId"], tc.object, id)
			}
		})
	}
}

// After an auto-saved call the agent can still change its Name and Related
// To and add notes: "Edit log" on the ended call's card opens the form
// prefilled with the saved log; saving updates the Task in Salesforce (one
// Task, never two), and the form opens again from Recent calls with the
// change in it.
func TestEditLogAfterAnAutoSavedCall(t *testing.T) {
	d := startDemo(t)
	augusta := d.Org.Insert("Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "Phone": adaPhone})
	d.Org.CatchUpIndex() // an existing record
	ada := recordWithPhone(t, d, "Contact", adaPhone)
	var deal string
	for _, o := range d.Org.Records("Opportunity") {
		if strings.HasPrefix(o["Name"].(string), "Globex") {
			deal = o["Id"].(string)
		}
	}
	ctx := openSignedIn(t, d)

	const callID = "7400000000000050401"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, To: DemoZoomUserID, Talk: 30 * time.Second})
	playCall(t, d, bodies, err)
	before := waitTasks(t, d, callID, 1)[0]
	first, other := ada, augusta // logged on the first match; the agent picks the other
	if before["WhoId"] == augusta {
		first, other = augusta, ada
	} else if before["WhoId"] != ada {
		t.Fatalf("auto-saved Task on %v, want one of the matches", before["WhoId"])
	}
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("call").dataset.callId === %q && document.getElementById("call").dataset.state === "ended" && !document.getElementById("call-actions").hidden`, callID), 10*time.Second)
	click(t, ctx, "call-edit-log")
	waitJS(t, ctx, fmt.Sprintf(`!document.getElementById("wrapup").hidden && document.getElementById("wrapup").dataset.mode === "edit" && document.getElementById("wrapup").dataset.callId === %q`, callID), 10*time.Second)
	form := evalJS[[]string](t, ctx, `[document.getElementById("wu-title").textContent, document.getElementById("wu-who").value, document.getElementById("wu-subject").value, String(document.getElementById("wu-discard").hidden), document.activeElement.id]`)
	if form[0] != "Edit call log" || form[1] != first || !strings.HasPrefix(form[2], "Call from") || form[3] != "true" || form[4] != "wu-notes" {
		t.Errorf("the edit form shows %q, want the saved log (%s, the subject), no Discard, the notes focused", form, first)
	}
	screenshot(t, ctx, "edit-log")

	// The other match; Related To the Globex renewal; a note.
	setValue(t, ctx, "#wu-who", other)
	typeInto(t, ctx, "#wu-what-q", "Globex")
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#wu-what-results [role=option][data-record-id=%q]')`, deal), 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#wu-what-results [role=option][data-record-id=%q]`, deal)))); err != nil {
		t.Fatal(err)
	}
	typeInto(t, ctx, "#wu-notes", "Wants a quote for the renewal")
	click(t, ctx, "wu-save")
	waitJS(t, ctx, `document.getElementById("wrapup").hidden && document.getElementById("call-msg").textContent.includes("are in Salesforce")`, 15*time.Second)

	tasks := waitTasks(t, d, callID, 1)
	task := tasks[0]
	if task["Id"] != before["Id"] || task["WhoId"] != other || task["WhatId"] != deal || !strings.HasPrefix(task["Description"].(string), "Wants a quote for the renewal\n\n") {
		t.Errorf("Task after the edit: %v; want the same Task on %s, related to %s, with the notes first", task, other, deal)
	}

	// Opened again from Recent calls: the change is in it.
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#recent button[data-call-id=%q]') && document.getElementById("recent").textContent.includes("edited")`, callID), 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#recent button[data-call-id=%q]`, callID)))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("wrapup").hidden && document.getElementById("wrapup").dataset.mode === "edit"`, 10*time.Second)
	again := evalJS[[]string](t, ctx, `[document.getElementById("wu-who").value, document.getElementById("wu-what-q").dataset.recordId || "", document.getElementById("wu-notes").value]`)
	if again[0] != other || again[1] != deal || again[2] != "Wants a quote for the renewal" {
		t.Errorf("the form opened again shows %q, want %s, the renewal and the notes", again, other)
	}
	click(t, ctx, "wu-later") // Cancel: nothing changes
	waitJS(t, ctx, `document.getElementById("wrapup").hidden`, 5*time.Second)
	drain(t, d)
	if n := len(tasksFor(d, callID)); n != 1 {
		t.Errorf("%d Tasks for the call, want 1", n)
	}
}
