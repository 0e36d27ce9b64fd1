package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// The softphone as Salesforce shows it, 400 × 640 in the utility bar, in
// every state an agent or an admin meets it: axe-core finds no serious or
// critical accessibility violation (colour contrast included), the page
// has one header and never scrolls as a whole, and the wrap-up's and the
// settings' buttons are in view.

// checkState runs the checks on the page as it is now.
func checkState(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	for _, v := range browsertest.Axe(t, ctx) {
		t.Errorf("%s: axe: %s", state, v)
	}
	got := evalJS[[]int](t, ctx, `(() => {
		const shown = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
		return [document.scrollingElement.scrollHeight, innerHeight,
			[...document.querySelectorAll("header, [role=banner]")].filter(shown).length,
			[...document.querySelectorAll("h1")].filter(shown).length] })()`)
	if got[0] > got[1] {
		t.Errorf("%s: the page scrolls as a whole (%d px in a %d px panel)", state, got[0], got[1])
	}
	if got[2] != 1 || got[3] != 1 {
		t.Errorf("%s: %d headers and %d h1 shown, want one of each", state, got[2], got[3])
	}
	// Every icon and stylesheet it asked for was there.
	if bad := evalJS[[]string](t, ctx, `performance.getEntriesByType("resource")
		.filter((e) => e.name.includes("/static/") && e.responseStatus >= 400).map((e) => e.responseStatus + " " + e.name)`); len(bad) > 0 {
		t.Errorf("%s: failed loads: %v", state, bad)
	}
	screenshot(t, ctx, "state-"+strings.ReplaceAll(state, " ", "-"))
}

// inView says whether the element is wholly in the panel and not covered:
// the agent can see and press it without scrolling anything.
func inView(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	return evalJS[bool](t, ctx, fmt.Sprintf(`(() => {
		const e = document.getElementById(%q), r = e.getBoundingClientRect();
		if (!r.width || r.top < 0 || r.bottom > innerHeight || r.left < 0 || r.right > innerWidth) return false;
		const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return !!hit && (hit === e || e.contains(hit)) })()`, id))
}

func TestSoftphoneStatesAreAccessibleAndFit(t *testing.T) {
	d := startDemo(t)
	setSettings(t, d, manualLogs(func(s *cti.Settings) {
		s.SalesEngagement = true
		s.EditableContactLead = true
		s.CallLogFields = []cti.CallLogField{
			func() cti.CallLogField { f := outcomeField; f.Required = true; return f }(),
			{Name: "Notes_Summary__c", Label: "Summary", Type: "textarea"},
		}
	}))
	d.Org.Insert("Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "Phone": adaPhone})
	d.Org.CatchUpIndex()
	ctx := openSignedIn(t, d)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 640)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("zoom").dataset.status === "linked"`, 10*time.Second)
	checkState(t, ctx, "signed in")

	// A call rings: two records match, the agent is to pick one.
	const callID = "7400000000000030001"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, To: DemoZoomUserID, Talk: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0])
	waitJS(t, ctx, `document.querySelectorAll("#call-matches button").length === 2`, 15*time.Second)
	checkState(t, ctx, "ringing with a choice")

	// It ends: the wrap-up form opens.
	for _, b := range bodies[1:] {
		send(t, d, b)
	}
	drain(t, d)
	waitForm(t, ctx, callID)
	checkState(t, ctx, "wrap-up")
	for _, id := range []string{"wu-save", "wu-later", "wu-discard"} {
		if !inView(t, ctx, id) {
			t.Errorf("wrap-up: #%s is not in view in the 640 px panel", id)
		}
	}

	// Saved with the required Outcome empty: errors, which look like errors.
	click(t, ctx, "wu-save")
	waitJS(t, ctx, `document.getElementById("wu-msg").classList.contains("is-error")`, 10*time.Second)
	checkState(t, ctx, "wrap-up errors")
	if !inView(t, ctx, "wu-save") {
		t.Error("wrap-up errors: Save is not in view")
	}

	// The Name search lists records in its lookup.
	evalJS[string](t, ctx, `document.getElementById("wu-who-q").value = "-"`)
	typeInto(t, ctx, "#wu-who-q", "\bAda")
	waitJS(t, ctx, `document.querySelectorAll("#wu-who-results [role=option]").length > 0 && document.getElementById("wu-who-q").getAttribute("aria-expanded") === "true"`, 10*time.Second)
	checkState(t, ctx, "name lookup")

	// Later: the call waits in Unlinked call logs.
	click(t, ctx, "wu-later")
	waitJS(t, ctx, `document.getElementById("wrapup").hidden && !document.getElementById("unlinked").hidden`, 5*time.Second)
	checkState(t, ctx, "unlinked call logs")

	// The Phone tab: Zoom's Smart Embed.
	click(t, ctx, "tab-phone")
	waitJS(t, ctx, `!document.getElementById("phone-pane").hidden`, 5*time.Second)
	checkState(t, ctx, "phone tab")
	click(t, ctx, "tab-calls")

	// Disconnecting Zoom asks first; then the status says Zoom is not linked.
	click(t, ctx, "zoom-disconnect-btn")
	waitJS(t, ctx, `!document.getElementById("zoom-confirm").hidden`, 5*time.Second)
	checkState(t, ctx, "disconnect asks")
	click(t, ctx, "zoom-disconnect-yes")
	zoomIs(t, ctx, "not_linked")
	checkState(t, ctx, "zoom not linked")

	// Signed out.
	click(t, ctx, "signout-btn")
	waitJS(t, ctx, `!document.getElementById("signin").hidden`, 10*time.Second)
	checkState(t, ctx, "signed out")

	// The admin signs in here and opens Settings.
	popup := signinPopup(t, ctx)
	if err := chromedp.Do(popup, chromedp.SetValue(chromedp.ID("username"), d.Org.AdminUser().Username)); err != nil {
		t.Fatal(err)
	}
	click(t, popup, "oaapprove")
	waitJS(t, ctx, `!document.getElementById("settings-btn").hidden && document.body.dataset.connected === "true"`, 15*time.Second)
	openSettings(t, ctx)
	waitJS(t, ctx, `document.getElementById("set-health").dataset.state === "ready"`, 10*time.Second)
	checkState(t, ctx, "settings")
	for _, id := range []string{"set-save", "set-reset"} {
		if !inView(t, ctx, id) {
			t.Errorf("settings: #%s is not in view in the 640 px panel", id)
		}
	}
	setValue(t, ctx, "#set-softphone_height", "100")
	click(t, ctx, "set-save")
	waitJS(t, ctx, `document.getElementById("set-msg").classList.contains("is-error")`, 10*time.Second)
	checkState(t, ctx, "settings errors")
	if !inView(t, ctx, "set-save") {
		t.Error("settings errors: Save is not in view")
	}
	click(t, ctx, "set-back")
	waitJS(t, ctx, `!document.getElementById("set-confirm").hidden`, 5*time.Second)
	checkState(t, ctx, "settings leave asks")
}

// Zoom's embed not responding: the Phone tab says what to check.
func TestEmbedNotRespondingIsAccessible(t *testing.T) {
	d := startDemo(t)
	d.Zoom.SetApprovedDomains([]string{"https://crm.example.com"})
	ctx := openSignedIn(t, d)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 640)); err != nil {
		t.Fatal(err)
	}
	bodies, err := sim().Inbound(simSpec("7400000000000030002"))
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0])
	waitJS(t, ctx, `document.body.dataset.embed === "silent"`, 15*time.Second)
	click(t, ctx, "tab-phone")
	checkState(t, ctx, "embed not responding")
	if !inView(t, ctx, "embed-retry") {
		t.Error("Try again is not in view")
	}
}

// The states issue 11 added: a lookup waiting for Salesforce, a click to
// dial waiting for the agent's yes, a saved log being edited, a sign-in in
// progress that can be cancelled.
func TestAgentStatesAreAccessibleAndFit(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 640)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("zoom").dataset.status === "linked"`, 10*time.Second)

	d.Org.InjectFaults(http.StatusServiceUnavailable, 1_000_000)
	const callID = "7400000000000030003"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, FromName: "LOVELACE ADA", To: DemoZoomUserID, Talk: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0])
	waitJS(t, ctx, `document.getElementById("call").dataset.lookup === "waiting"`, 15*time.Second)
	checkState(t, ctx, "lookup waiting")
	d.Org.InjectFaults(0, 0)

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`import("/static/js/dial.js").then((m) => (m.onClickToDial({ number: "+44 20 7946 0018", recordId: "003000000000001AAA", recordName: "Alan Turing", objectType: "Contact" }), true))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("dial").hidden && document.getElementById("dial-number").textContent === "+442079460018"`, 10*time.Second)
	checkState(t, ctx, "click to dial asks")
	for _, id := range []string{"dial-yes", "dial-no"} {
		if !inView(t, ctx, id) {
			t.Errorf("click to dial: #%s is not in view", id)
		}
	}
	click(t, ctx, "dial-no")

	for _, b := range bodies[1:] {
		send(t, d, b)
	}
	drain(t, d)
	waitJS(t, ctx, `document.getElementById("call").dataset.state === "ended" && !document.getElementById("call-actions").hidden`, 15*time.Second)
	checkState(t, ctx, "ended call")
	click(t, ctx, "call-edit-log")
	waitJS(t, ctx, `!document.getElementById("wrapup").hidden && document.getElementById("wrapup").dataset.mode === "edit"`, 10*time.Second)
	checkState(t, ctx, "edit log")
	for _, id := range []string{"wu-save", "wu-later"} {
		if !inView(t, ctx, id) {
			t.Errorf("edit log: #%s is not in view", id)
		}
	}
	click(t, ctx, "wu-later")

	click(t, ctx, "signout-btn")
	waitJS(t, ctx, `!document.getElementById("signin").hidden`, 10*time.Second)
	popup := signinPopup(t, ctx)
	waitJS(t, ctx, `!document.getElementById("signin-cancel").hidden`, 5*time.Second)
	checkState(t, ctx, "signing in")
	if err := chromedp.Do(popup, closeWindow); err != nil {
		t.Fatal(err)
	}
}
