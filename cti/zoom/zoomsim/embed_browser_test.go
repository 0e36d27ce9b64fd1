package zoomsim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// The emulated Smart Embed in a real Chromium, framed by a host page on
// another origin that speaks the reference's contract: zp-init-config on
// load, a contact-match answer, zp-make-call. The host records every
// message it receives from the embed's window in window.got.

const hostJS = `
const frame = document.getElementById("zoom-embeddable-phone-iframe");
const zoomOrigin = new URL(frame.src).origin;
window.got = [];
window.addEventListener("message", (e) => {
  if (e.source !== frame.contentWindow) return;
  window.got.push({ origin: e.origin, type: e.data.type, data: e.data.data });
  if (e.data.type === "zp-contact-match-event") {
    frame.contentWindow.postMessage({ type: "zp-contact-match-response",
      data: { responseId: e.data.data.requestId, contacts: [{ number: e.data.data.phoneNumbers[0], displayName: "Ada Lovelace" }] } }, zoomOrigin);
  }
});
frame.addEventListener("load", () => {
  frame.contentWindow.postMessage({ type: "zp-init-config", data: { enableContactMatching: true, enableAutoLog: false } }, zoomOrigin);
  window.initSent = true;
});
window.makeCall = (number, autoDial = true, callerId) => frame.contentWindow.postMessage({ type: "zp-make-call", data: { number, autoDial, callerId } }, zoomOrigin);
window.inputSMS = (number, message) => frame.contentWindow.postMessage({ type: "zp-input-sms", data: { number, message } }, zoomOrigin);
`

// hostPage serves a page framing the embed at zoomURL.
func hostPage(t *testing.T, zoomURL string) *httptest.Server {
	t.Helper()
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/host.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, hostJS)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><iframe id="zoom-embeddable-phone-iframe" src="%s%s" style="width:360px;height:600px;border:0"></iframe><script src="/host.js"></script>`, zoomURL, zoomsim.EmbedPath)
	}))
	t.Cleanup(h.Close)
	return h
}

// embedNode returns the embed's iframe node, to query inside it.
func embedNode(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#zoom-embeddable-phone-iframe")))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("no embed iframe: %v", err)
	}
	return nodes[0]
}

// clickIn clicks a button of the embed once it is visible.
func clickIn(t *testing.T, ctx context.Context, frame *chromedp.Node, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(sel), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(sel), chromedp.FromNode(frame))); err != nil {
		t.Fatalf("click %s in the embed: %v", sel, err)
	}
}

func gotTypes(t *testing.T, ctx context.Context) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.got.map(m => m.type)`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEmbedPagePostsTheContractToAnApprovedHost(t *testing.T) {
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s, rc := phoneSim(t, zoomsim.Options{EmbedUser: zoomsim.AliceID, RingTime: time.Hour, RemoteAnswer: 50 * time.Millisecond})
	// The host's origin is known once its server listens.
	host := hostPage(t, s.srv.URL)
	s.SetApprovedDomains([]string{host.URL})

	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `window.initSent === true`, 10*time.Second)
	frame := embedNode(t, ctx)
	waitStream(t, ctx, frame)
	id, err := s.Ring(context.Background(), zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID})
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `window.got.some(m => m.type === "zp-call-ringing-event")`, 10*time.Second)
	if got := gotTypes(t, ctx); !slices.Equal(got, []string{"zp-contact-match-event", "zp-call-ringing-event"}) {
		t.Errorf("messages = %v, want the contact match before the ringing", got)
	}
	ring, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`window.got[1]`))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := ring["data"].(map[string]any)
	caller, _ := data["caller"].(map[string]any)
	if ring["origin"] != s.srv.URL || data["callId"] != id || data["direction"] != "inbound" || caller["phoneNumber"] != "+12025550142" {
		t.Errorf("ringing message = %v", ring)
	}
	// The host's contact match names the caller in the embed.
	waitText(t, ctx, frame, "#call-peer", "Ada Lovelace")

	clickIn(t, ctx, frame, "#answer")
	browsertest.WaitJS(t, ctx, `window.got.some(m => m.type === "zp-call-connected-event")`, 10*time.Second)
	clickIn(t, ctx, frame, "#hold")
	waitText(t, ctx, frame, "#call-status", "On hold")
	clickIn(t, ctx, frame, "#hold")
	clickIn(t, ctx, frame, "#record")
	waitText(t, ctx, frame, "#call-status", "recording")
	clickIn(t, ctx, frame, "#hangup")
	browsertest.WaitJS(t, ctx, `window.got.some(m => m.type === "zp-call-recording-completed-event")`, 10*time.Second)
	ended, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.got.find(m => m.type === "zp-call-ended-event").data.result`))
	if err != nil || ended != "ended" {
		t.Errorf("zp-call-ended-event result = %q, %v", ended, err)
	}
	want := []string{"phone.callee_ringing", "phone.callee_answered", "phone.callee_hold", "phone.callee_unhold",
		"phone.recording_started", "phone.callee_ended", "phone.callee_call_history_completed", "phone.recording_completed"}
	if got := waitEvents(t, rc, len(want)); !slices.Equal(got, want) {
		t.Errorf("webhooks = %v\nwant      %v", got, want)
	}

	// zp-make-call with autoDial dials at once; the far end answers.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.makeCall("+12025550177")`)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `window.got.some(m => m.type === "zp-call-ringing-event" && m.data.direction === "outbound" && m.data.callee.phoneNumber === "+12025550177")`, 10*time.Second)
	browsertest.WaitJS(t, ctx, `window.got.filter(m => m.type === "zp-call-connected-event").length === 2`, 10*time.Second)
	clickIn(t, ctx, frame, "#hangup")
	if got := waitEvents(t, rc, len(want)+4); !slices.Equal(got[len(want):], []string{"phone.caller_ringing", "phone.caller_connected", "phone.caller_ended", "phone.caller_call_history_completed"}) {
		t.Errorf("outbound webhooks = %v", got[len(want):])
	}
	n := len(rc.received())
	// Without autoDial the number is only filled in; a caller id the
	// user does not own dials nothing.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.makeCall("+12025550188", false)`)); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ctx, frame, "#number", "+12025550188")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.makeCall("+12025550199", true, "+19995550000")`)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, frame, "#note", "You cannot call from +19995550000")
	// zp-input-sms opens the SMS tab filled in; sending it is phone.sms_sent.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.inputSMS("+12025550142", "Your quote is ready")`)); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ctx, frame, "#sms-text", "Your quote is ready")
	clickIn(t, ctx, frame, "#sms-send")
	if got := waitEvents(t, rc, n+1); got[n] != "phone.sms_sent" || len(got) != n+1 {
		t.Errorf("after the prefilled dial, the refused caller id and the SMS: %v, want only phone.sms_sent", got[n:])
	}
	browsertest.WaitJS(t, ctx, `window.got.some(m => m.type === "zp-sms-log-event")`, 10*time.Second)

	// Every message went to the host and came from the embed's origin.
	if bad, _ := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`window.got.filter(m => m.origin !== %q).length`, s.srv.URL))); bad != 0 {
		t.Errorf("%d messages from another origin", bad)
	}
}

// A host whose domain is not approved hears nothing: the embed works (the
// call rings in it) but posts no event to it.
func TestEmbedPageIsSilentToAHostNotApproved(t *testing.T) {
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s, _ := phoneSim(t, zoomsim.Options{EmbedUser: zoomsim.AliceID, RingTime: time.Hour, ApprovedDomains: []string{"https://crm.example.com"}})
	host := hostPage(t, s.srv.URL)
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `window.initSent === true`, 10*time.Second)
	frame := embedNode(t, ctx)
	waitStream(t, ctx, frame)
	if _, err := s.Ring(context.Background(), zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID}); err != nil {
		t.Fatal(err)
	}
	// The call shows in the embed, which has therefore handled the event…
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#answer"), chromedp.FromNode(frame))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, frame, "#note", "not approved")
	// …and told the host nothing.
	if got := gotTypes(t, ctx); len(got) != 0 {
		t.Errorf("an unapproved host received %v", got)
	}
}

// waitText waits until the element's text contains want.
func waitText(t *testing.T, ctx context.Context, frame *chromedp.Node, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.FromNode(frame)))
		if err == nil && strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s says %q, want %q (err %v)", sel, got, want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStream waits until the embed is signed in and hears its user's calls.
func waitStream(t *testing.T, ctx context.Context, frame *chromedp.Node) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#keypad"), chromedp.FromNode(frame)),
		chromedp.WaitReady(chromedp.CSS(`body[data-stream="open"]`), chromedp.FromNode(frame))); err != nil {
		t.Fatalf("the embed did not sign in and open its event stream: %v", err)
	}
}

// waitValue waits until the form control's value is want.
func waitValue(t *testing.T, ctx context.Context, frame *chromedp.Node, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel), chromedp.FromNode(frame)))
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %q, want %q (err %v)", sel, got, want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
