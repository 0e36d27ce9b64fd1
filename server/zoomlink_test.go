package server

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// storeMentions lists the store's keys whose name or value contains s.
func storeMentions(t *testing.T, d *Demo, s string) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := d.Store.Keys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var hits []string
	for _, k := range keys {
		v, err := d.Store.Get(ctx, k)
		if bytes.Contains([]byte(k), []byte(s)) || (err == nil && bytes.Contains(v, []byte(s))) {
			hits = append(hits, k)
		}
	}
	return hits
}

func zoomIs(t *testing.T, ctx context.Context, status string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("zoom").dataset.status === %q`, status), 10*time.Second)
}

func zoomMessage(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById("zoom-msg").textContent.includes(%q)`, want), 15*time.Second)
}

// authorizeZoomAs runs the Zoom popup, approving as the user with zoomUserID
// (or cancelling when zoomUserID is empty).
func authorizeZoomAs(t *testing.T, ctx context.Context, zoomUserID string) {
	t.Helper()
	popup := popupOf(t, ctx, "zoom-link-btn")
	if err := chromedp.Do(popup, chromedp.WaitVisible(chromedp.ID("user_id"))); err != nil {
		t.Fatalf("zoom consent page: %v", err)
	}
	if zoomUserID == "" {
		click(t, popup, "cancel")
		return
	}
	if err := chromedp.Do(popup, chromedp.SetValue(chromedp.ID("user_id"), zoomUserID)); err != nil {
		t.Fatal(err)
	}
	click(t, popup, "authorize")
}

// disconnectZoom presses Disconnect and confirms it.
func disconnectZoom(t *testing.T, ctx context.Context) {
	t.Helper()
	click(t, ctx, "zoom-disconnect-btn")
	waitJS(t, ctx, `!document.getElementById("zoom-confirm").hidden`, 5*time.Second)
	click(t, ctx, "zoom-disconnect-yes")
	zoomIs(t, ctx, "not_linked")
}

// statusBadge is the header's connection status: its text and tone.
func statusBadge(t *testing.T, ctx context.Context) (text, tone, background string) {
	t.Helper()
	got := evalJS[[]string](t, ctx, `(() => { const b = document.getElementById("conn");
		return [document.getElementById("conn-text").textContent, b.dataset.tone, getComputedStyle(b).backgroundColor] })()`)
	return got[0], got[1], got[2]
}

// Disconnect asks first (it stops the call logs), and while Zoom is not
// linked the header never says "Connected" in green: calls would not
// reach the agent.
func TestZoomDisconnectAsksFirstAndStatusIsNotGreen(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	zoomIs(t, ctx, "linked")
	text, tone, bg := statusBadge(t, ctx)
	if text != "Connected" || tone != "success" {
		t.Fatalf("linked and connected: the status says %q (%s)", text, tone)
	}
	green := bg

	click(t, ctx, "zoom-disconnect-btn")
	waitJS(t, ctx, `!document.getElementById("zoom-confirm").hidden && document.activeElement.id === "zoom-disconnect-no"`, 5*time.Second)
	a := d.Server.demoAgent
	if _, err := d.Store.Get(context.Background(), zoomTokenKey(a.OrgID, a.UserID)); err != nil {
		t.Fatalf("Disconnect without confirming dropped the Zoom token: %v", err)
	}
	click(t, ctx, "zoom-disconnect-no")
	waitJS(t, ctx, `document.getElementById("zoom-confirm").hidden && document.getElementById("zoom").dataset.status === "linked"`, 5*time.Second)

	disconnectZoom(t, ctx)
	waitJS(t, ctx, `document.getElementById("conn").dataset.tone !== "success"`, 5*time.Second)
	text, tone, bg = statusBadge(t, ctx)
	if text == "Connected" || tone == "success" || bg == green || !strings.Contains(text, "Zoom not linked") {
		t.Errorf("Zoom not linked: the status says %q (%s, %s; green is %s)", text, tone, bg, green)
	}
	if !evalJS[bool](t, ctx, `document.body.dataset.connected === "true"`) {
		t.Error("the websocket is up: body[data-connected] should still say so")
	}
}

// Disconnect forgets everything Zoom at once; authorizing again as the
// matching Zoom user links the agent back, and calls are logged again.
func TestZoomDisconnectAndLink(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	zoomIs(t, ctx, "linked")

	disconnectZoom(t, ctx)
	if hits := storeMentions(t, d, DemoZoomUserID); len(hits) > 0 {
		t.Fatalf("after disconnect the store still holds the Zoom user id in %v", hits)
	}
	a := d.Server.demoAgent
	if _, err := d.Store.Get(context.Background(), zoomTokenKey(a.OrgID, a.UserID)); err == nil {
		t.Fatal("after disconnect the Zoom token is still stored")
	}
	if at, rt := d.Zoom.Tokens(DemoZoomUserID); at+rt != 0 {
		t.Fatalf("Zoom still honours %d access and %d refresh tokens: not revoked", at, rt)
	}
	// Calls of an unlinked Zoom user are not logged.
	bodies, err := sim().Inbound(simSpec("7400000000000002001"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		send(t, d, b)
	}
	drain(t, d)
	if n := len(tasksFor(d, "7400000000000002001")); n != 0 {
		t.Fatalf("%d Tasks for a call while unlinked", n)
	}

	authorizeZoomAs(t, ctx, DemoZoomUserID)
	zoomIs(t, ctx, "linked")
	waitJS(t, ctx, `document.getElementById("zoom-status").textContent === "Linked" && document.getElementById("zoom-email").textContent === "alice@example.com"`, 5*time.Second)
	bodies, err = sim().Inbound(simSpec("7400000000000002002"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		send(t, d, b)
	}
	drain(t, d)
	if n := len(tasksFor(d, "7400000000000002002")); n != 1 {
		t.Fatalf("%d Tasks after linking again, want 1", n)
	}
}

func TestZoomLinkRefusals(t *testing.T) {
	slow(t)
	const bob = "FAKEuserBob0000000002"
	tests := []struct {
		name string
		as   string
		want string
	}{
		{"the Zoom email does not match the Salesforce username", bob, "does not match your Salesforce username"},
		{"the agent cancels at Zoom", "", "cancelled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDemo(t)
			ctx := openSignedIn(t, d)
			disconnectZoom(t, ctx)
			authorizeZoomAs(t, ctx, tc.as)
			zoomMessage(t, ctx, tc.want)
			zoomIs(t, ctx, "not_linked")
			if tc.as != "" {
				if hits := storeMentions(t, d, tc.as); len(hits) > 0 {
					t.Fatalf("a refused link left %s in the store: %v", tc.as, hits)
				}
				if at, rt := d.Zoom.Tokens(tc.as); at+rt != 0 {
					t.Fatalf("the refused grant was not revoked at Zoom (%d, %d)", at, rt)
				}
				// The message names both addresses, masked, and the setting.
				msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("zoom-msg").textContent`))
				for _, part := range []string{"bo***@example.com", "al***@example.com", "is on"} {
					if !bytes.Contains([]byte(msg), []byte(part)) {
						t.Errorf("message %q lacks %q", msg, part)
					}
				}
			}
		})
	}
}
