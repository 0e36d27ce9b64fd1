package server

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// The admin's settings cards in the softphone, driven in a real Chromium:
// an admin changes settings and the org's next call uses them; a value the
// server refuses is named next to its control and nothing is stored; an
// agent who is not an admin never sees the cards.

// signInAdmin opens the softphone signed out and signs in as the org's
// admin, who holds the Zoomcti_Admin custom permission (through the
// Zoom_Admin permission set).
func signInAdmin(t *testing.T, d *Demo) context.Context {
	t.Helper()
	ctx := openSoftphone(t, d)
	popup := signinPopup(t, ctx)
	if err := chromedp.Do(popup, chromedp.SetValue(chromedp.ID("username"), d.Org.AdminUser().Username)); err != nil {
		t.Fatalf("pick the admin at Salesforce: %v", err)
	}
	click(t, popup, "oaapprove")
	waitJS(t, ctx, `!document.getElementById("agent").hidden && document.body.dataset.connected === "true"`, 15*time.Second)
	waitJS(t, ctx, `!document.getElementById("settings-btn").hidden`, 5*time.Second)
	return ctx
}

// openSettings presses Settings and waits until the cards show the org's
// settings.
func openSettings(t *testing.T, ctx context.Context) {
	t.Helper()
	click(t, ctx, "settings-btn")
	waitJS(t, ctx, `document.getElementById("phone").hidden && document.getElementById("settings").dataset.state === "ready" && !document.getElementById("set-cards").hidden`, 10*time.Second)
}

// storedSettings is what the engine will use for the org's next call.
func storedSettings(t *testing.T, d *Demo) cti.Settings {
	t.Helper()
	set, err := d.Server.settings(context.Background(), d.Org.OrgID())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// clickLabel clicks the label of a checkbox, toggle or radio button, as the
// admin does: SLDS draws those and hides the input itself.
func clickLabel(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("label[for=%q]", id)))); err != nil {
		t.Fatalf("click the label of #%s: %v", id, err)
	}
}

func checked(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	return evalJS[bool](t, ctx, fmt.Sprintf(`document.getElementById(%q).checked`, id))
}

func TestSettingsAdminChangesCardsInTheSoftphone(t *testing.T) {
	d := startDemo(t)
	ctx := signInAdmin(t, d)
	evalJS[bool](t, ctx, `(window.cspViolations = [], document.addEventListener("securitypolicyviolation", (e) => cspViolations.push(e.violatedDirective)), true)`)
	openSettings(t, ctx)

	screenshot(t, ctx, "settings-open")
	// The cards show the org's settings: the defaults, nothing changed yet.
	if !checked(t, ctx, "set-auto_save_call_logs") || !checked(t, ctx, "set-pop_on-ringing") {
		t.Fatal("the cards do not show the defaults (Auto Save Call Logs on, pop when ringing)")
	}
	// Health is read from the admin status.
	waitJS(t, ctx, `document.getElementById("set-health").dataset.state === "ready"`, 10*time.Second)
	if got := evalJS[string](t, ctx, `document.querySelector('[data-health="paused"]').textContent`); got != "Running" {
		t.Errorf("Health says %q about requests to Salesforce, want Running", got)
	}
	if got := evalJS[string](t, ctx, `document.querySelector('[data-health="queue-outbox"]').textContent`); got == "" {
		t.Error("Health shows no outbox length")
	}

	clickLabel(t, ctx, "set-auto_save_call_logs")
	clickLabel(t, ctx, "set-pop_on-answered")
	waitJS(t, ctx, `!document.getElementById("set-dirty").hidden`, 5*time.Second)

	// Two extra call log fields, the second moved up.
	click(t, ctx, "set-call_log_fields-add")
	setValue(t, ctx, "#set-clf-0-name", "Call_Outcome__c")
	setValue(t, ctx, "#set-clf-0-label", "Outcome")
	setValue(t, ctx, "#set-clf-0-type", "picklist")
	waitJS(t, ctx, `!document.querySelector('#set-clf-0-options').closest('.slds-form-element').hidden`, 5*time.Second)
	setValue(t, ctx, "#set-clf-0-options", "Connected\nLeft Voicemail\n")
	setValue(t, ctx, "#set-clf-0-default", "Left Voicemail")
	clickLabel(t, ctx, "set-clf-0-required")
	click(t, ctx, "set-call_log_fields-add")
	setValue(t, ctx, "#set-clf-1-name", "Follow_Up__c")
	setValue(t, ctx, "#set-clf-1-label", "Follow-up")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#set-call_log_fields [data-index="1"] button.zc-up`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("set-clf-0-name").value === "Follow_Up__c"`, 5*time.Second)
	screenshot(t, ctx, "settings-cards")
	// Every control says what it is, to a screen reader too.
	if unlabelled := evalJS[string](t, ctx, `[...document.querySelectorAll("#settings input, #settings select, #settings textarea, #settings button")]
		.filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label") && !c.textContent.trim())
		.map((c) => c.id || c.outerHTML).join(" ")`); unlabelled != "" {
		t.Errorf("controls without a label: %s", unlabelled)
	}

	click(t, ctx, "set-save")
	waitJS(t, ctx, `document.getElementById("set-msg").textContent === "Saved — applies to the next call." && document.getElementById("set-dirty").hidden`, 10*time.Second)

	want := cti.DefaultSettings()
	want.DefaultCountry = d.Server.cfg.DefaultCountry
	want.AutoSaveCallLogs = false
	want.PopOn = "answered"
	want.CallLogFields = []cti.CallLogField{
		{Name: "Follow_Up__c", Label: "Follow-up", Type: "text"},
		{Name: "Call_Outcome__c", Label: "Outcome", Type: "picklist", Options: []string{"Connected", "Left Voicemail"}, Default: "Left Voicemail", Required: true},
	}
	if got := storedSettings(t, d); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored settings:\n got %+v\nwant %+v", got, want)
	}

	// Nothing unsaved: Back goes straight to the phone, and the cards
	// opened again show what is stored.
	click(t, ctx, "set-back")
	waitJS(t, ctx, `!document.getElementById("phone").hidden && document.getElementById("settings").hidden && document.activeElement.id === "settings-btn"`, 5*time.Second)
	openSettings(t, ctx)
	if checked(t, ctx, "set-auto_save_call_logs") || !checked(t, ctx, "set-pop_on-answered") {
		t.Error("reopened cards do not show the saved settings")
	}
	if got := evalJS[string](t, ctx, `[...document.querySelectorAll('#set-call_log_fields [data-part="name"]')].map((i) => i.value).join(",")`); got != "Follow_Up__c,Call_Outcome__c" {
		t.Errorf("reopened call log fields = %s", got)
	}

	// Health: a record search costs the org a Salesforce API request, and
	// Salesforce reports the org's usage with it; a pause after
	// REQUEST_LIMIT_EXCEEDED shows too.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch("/api/records?for=what&q=Analytical", { headers: { Authorization: "Bearer " + sessionStorage.getItem("zoomcti.token") } }).then((r) => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 200 {
		t.Fatalf("record search as the admin: %d (%v)", status, err)
	}
	// Through the server's store, as its own pause is written (a write there
	// drops what the instance has cached).
	if err := d.Server.store.Set(context.Background(), orgPauseKey(d.Org.OrgID()), []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	click(t, ctx, "set-health-refresh")
	waitJS(t, ctx, `document.getElementById("set-health").dataset.state === "ready" && / of [\d,]+ used \(\d+%\)$/.test(document.querySelector('[data-health="usage"]').textContent)`, 10*time.Second)
	if got := evalJS[string](t, ctx, `document.querySelector('[data-health="paused"]').textContent`); !strings.HasPrefix(got, "Paused") {
		t.Errorf("Health says %q about requests to Salesforce, want Paused", got)
	}
	if got := evalJS[string](t, ctx, `document.querySelector('[data-health="usage"]').nextElementSibling.nextElementSibling.textContent`); !strings.Contains(got, " at ") {
		t.Errorf("Health does not say when the usage was seen: %q", got)
	}
	evalJS[bool](t, ctx, `(document.getElementById("set-health").scrollIntoView(), true)`)
	screenshot(t, ctx, "settings-health")
	if v := evalJS[string](t, ctx, `cspViolations.join(" ")`); v != "" {
		t.Errorf("the settings panel broke the page's Content-Security-Policy: %s", v)
	}
}

func TestSettingsRefusedValuesShowNextToTheirControls(t *testing.T) {
	d := startDemo(t)
	ctx := signInAdmin(t, d)
	openSettings(t, ctx)

	// A picklist without values, a softphone too short, and a flow pop
	// without its flow.
	click(t, ctx, "set-call_log_fields-add")
	setValue(t, ctx, "#set-clf-0-name", "Call_Outcome__c")
	setValue(t, ctx, "#set-clf-0-label", "Outcome")
	setValue(t, ctx, "#set-clf-0-type", "picklist")
	setValue(t, ctx, "#set-softphone_height", "100")
	setValue(t, ctx, "#set-no_match", "flow")
	waitJS(t, ctx, `!document.getElementById("set-no_match_flow").closest(".zc-field").hidden`, 5*time.Second)
	click(t, ctx, "set-save")
	waitJS(t, ctx, `document.getElementById("set-msg").classList.contains("is-error")`, 10*time.Second)

	tests := []struct {
		name, key, control, want string
	}{
		{"picklist without values", "call_log_fields[0].options", "set-clf-0-options", "picklist needs its values"},
		{"softphone too short", "softphone_height", "set-softphone_height", "between 240 and 2560 pixels"},
		{"flow pop without a flow", "no_match_flow", "set-no_match_flow", "API name of an active screen flow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The message is shown in the control's own field, and the
			// control is marked invalid and described by it.
			got := evalJS[string](t, ctx, fmt.Sprintf(`(() => {
				const err = [...document.querySelectorAll("[data-error-for]")].find((e) => e.dataset.errorFor === %q);
				const c = document.getElementById(%q);
				if (!err || err.hidden) return "no message shown";
				if (err.closest(".slds-form-element") !== c.closest(".slds-form-element")) return "message away from its control: " + err.textContent;
				if (c.getAttribute("aria-invalid") !== "true") return "control not marked invalid";
				if (!c.getAttribute("aria-describedby").split(" ").includes(err.id)) return "control not described by its message";
				return err.textContent;
			})()`, tc.key, tc.control))
			if !strings.Contains(strings.ToLower(got), strings.ToLower(tc.want)) {
				t.Errorf("%s: %q, want a message saying %q", tc.key, got, tc.want)
			}
		})
	}
	screenshot(t, ctx, "settings-errors")
	// The first in the page has the focus: Call logging comes first.
	if got := evalJS[string](t, ctx, `document.activeElement.id`); got != "set-clf-0-options" {
		t.Errorf("focus on #%s, want the picklist's options", got)
	}
	if _, err := d.Store.Get(context.Background(), settingsKey(d.Org.OrgID())); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("settings stored after a refused save (err %v)", err)
	}

	// Correcting a value clears its message.
	setValue(t, ctx, "#set-softphone_height", "480")
	waitJS(t, ctx, `document.getElementById("set-softphone_height-err").hidden && !document.getElementById("set-softphone_height").hasAttribute("aria-invalid")`, 5*time.Second)

	// Unsaved changes: Back asks first.
	click(t, ctx, "set-back")
	waitJS(t, ctx, `!document.getElementById("set-confirm").hidden && document.activeElement.id === "set-confirm-stay"`, 5*time.Second)
	click(t, ctx, "set-confirm-stay")
	waitJS(t, ctx, `document.getElementById("set-confirm").hidden && !document.getElementById("settings").hidden`, 5*time.Second)

	// Reset fills in the defaults, but stores nothing until Save.
	click(t, ctx, "set-reset")
	waitJS(t, ctx, `document.getElementById("set-softphone_height").value === "640" && document.getElementById("set-no_match").value === "new_contact" && document.querySelectorAll("#set-call_log_fields li.zc-clf").length === 0 && document.getElementById("set-no_match_flow").closest(".zc-field").hidden`, 5*time.Second)
	clickLabel(t, ctx, "set-ignore_internal_calls")
	click(t, ctx, "set-back")
	waitJS(t, ctx, `!document.getElementById("set-confirm").hidden`, 5*time.Second)
	click(t, ctx, "set-confirm-leave")
	waitJS(t, ctx, `!document.getElementById("phone").hidden && document.getElementById("settings").hidden`, 5*time.Second)
	if _, err := d.Store.Get(context.Background(), settingsKey(d.Org.OrgID())); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("settings stored without Save (err %v)", err)
	}
	// Reopened, the cards show the stored settings, not the abandoned edits.
	openSettings(t, ctx)
	if checked(t, ctx, "set-ignore_internal_calls") {
		t.Error("abandoned edit still shown after reopening")
	}
}

func TestSettingsHiddenFromAgents(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d) // Alice, an agent without the admin permission set
	waitJS(t, ctx, `!document.getElementById("agent").hidden`, 10*time.Second)
	if name := evalJS[string](t, ctx, `document.getElementById("agent-name").textContent`); name != d.Org.DemoUser().Name {
		t.Fatalf("signed in as %q, want the demo agent", name)
	}
	if visible := evalJS[bool](t, ctx, `getComputedStyle(document.getElementById("settings-btn")).display !== "none"`); visible {
		t.Fatal("an agent who is not an admin sees the Settings button")
	}
	// The server refuses her anyway.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch("/api/settings", { headers: { Authorization: "Bearer " + sessionStorage.getItem("zoomcti.token") } }).then((r) => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Fatalf("GET /api/settings as an agent: %d (%v), want 403", status, err)
	}
}

// The cards' own checks: a country code that does not exist and a
// disposition listed twice are named under their own control (the second
// copy under its own row) before anything is sent, and they keep the
// server's other errors on screen, which are still true.
func TestSettingsChecksKeepTheServersErrorsAndNameEachRow(t *testing.T) {
	d := startDemo(t)
	ctx := signInAdmin(t, d)
	openSettings(t, ctx)

	// The server refuses a softphone too short.
	setValue(t, ctx, "#set-softphone_height", "100")
	click(t, ctx, "set-save")
	waitJS(t, ctx, `!document.getElementById("set-softphone_height-err").hidden`, 10*time.Second)

	// Then the admin types a country that does not exist and lists a
	// disposition twice (Sales Engagement shows the list).
	clickLabel(t, ctx, "set-sales_engagement")
	waitJS(t, ctx, `!document.getElementById("set-dispositions").closest(".zc-field").hidden`, 5*time.Second)
	setValue(t, ctx, "#set-default_country", "ZZ")
	setValue(t, ctx, "#set-dispositions-3", "left voicemail") // row 2 is "Left Voicemail"
	evalJS[bool](t, ctx, `(window.settingsPuts = 0, window.realFetch = window.fetch, window.fetch = (u, init) => {
		if (String(u).endsWith("/api/settings") && init && init.method === "PUT") window.settingsPuts++;
		return window.realFetch(u, init) }, true)`)
	click(t, ctx, "set-save")
	waitJS(t, ctx, `!document.getElementById("set-default_country-err").hidden`, 5*time.Second)
	if n := evalJS[int](t, ctx, `window.settingsPuts`); n != 0 {
		t.Errorf("%d PUTs with errors the page can see, want 0", n)
	}

	shown := func(key string) string {
		return evalJS[string](t, ctx, fmt.Sprintf(`(() => {
			const e = [...document.querySelectorAll("[data-error-for]")].find((x) => x.dataset.errorFor === %q);
			return e && !e.hidden ? e.textContent : "" })()`, key))
	}
	if got := shown("softphone_height"); !strings.Contains(got, "between 240 and 2560") {
		t.Errorf("the server's height error was dropped by the page's checks: %q", got)
	}
	if got := shown("default_country"); !strings.Contains(got, "ZZ is not a country code") {
		t.Errorf("default country error = %q", got)
	}
	if got := shown("dispositions[3]"); !strings.Contains(got, "already in the list") {
		t.Errorf("the duplicate disposition's row says %q", got)
	}
	// Under its own row: the row's input and its message share a list item,
	// and only that row is marked.
	if !evalJS[bool](t, ctx, `(() => {
		const input = document.getElementById("set-dispositions-3");
		const li = input.closest("li");
		return li.querySelector('[data-error-for="dispositions[3]"]') !== null && input.getAttribute("aria-invalid") === "true" &&
			input.getAttribute("aria-describedby").includes("set-dispositions-3-err") &&
			!document.getElementById("set-dispositions-1").hasAttribute("aria-invalid") })()`) {
		t.Error("the duplicate's message is not under its own row, or the wrong row is marked")
	}
	// Errors look like errors: the message in the error colour, the control's
	// element marked, the Save bar's toast an error toast.
	if !evalJS[bool](t, ctx, `(() => {
		const e = document.getElementById("set-default_country-err");
		const toast = document.getElementById("set-msg").closest(".zc-toast");
		return e.closest(".slds-form-element").classList.contains("slds-has-error") && getComputedStyle(e).color === "rgb(186, 5, 23)" &&
			toast.dataset.tone === "error" && getComputedStyle(toast).backgroundColor === "rgb(186, 5, 23)" })()`) {
		t.Error("the errors do not look like errors")
	}

	// Fixed, they save; the server's list of countries is the real one.
	setValue(t, ctx, "#set-default_country", "gb")
	setValue(t, ctx, "#set-dispositions-3", "Voicemail box full")
	setValue(t, ctx, "#set-softphone_height", "600")
	click(t, ctx, "set-save")
	waitJS(t, ctx, `document.getElementById("set-msg").textContent === "Saved — applies to the next call."`, 10*time.Second)
	got := storedSettings(t, d)
	if got.DefaultCountry != "GB" || got.SoftphoneHeight != 600 || got.Dispositions[3] != "Voicemail box full" {
		t.Errorf("stored %s, %d, %v", got.DefaultCountry, got.SoftphoneHeight, got.Dispositions)
	}
}
