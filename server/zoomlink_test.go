package server

import (
	"bytes"
	"context"
	"fmt"
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

// Disconnect forgets everything Zoom at once; authorizing again as the
// matching Zoom user links the agent back, and calls are logged again.
func TestZoomDisconnectAndLink(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	zoomIs(t, ctx, "linked")

	click(t, ctx, "zoom-disconnect-btn")
	zoomIs(t, ctx, "not_linked")
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
	waitJS(t, ctx, `document.getElementById("zoom-status").textContent.includes("alice@example.com")`, 5*time.Second)
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
			click(t, ctx, "zoom-disconnect-btn")
			zoomIs(t, ctx, "not_linked")
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
