package server

import (
	"strings"
	"testing"
	"time"
)

// The agent authorizes Zoom while the Zoom app lacks user:read:user: the
// softphone shows the sentence naming the scope and where to add it, the
// link stays off, and the admin's health card shows the same refusal.
func TestZoomMissingScopeShownInTheSoftphoneAndAdminPage(t *testing.T) {
	d := startDemo(t)
	ctx := openSignedIn(t, d)
	zoomIs(t, ctx, "linked")
	disconnectZoom(t, ctx)

	d.Zoom.SetScopes(scopesWithout("user:read:user")...)
	authorizeZoomAs(t, ctx, DemoZoomUserID)
	zoomMessage(t, ctx, "Zoom refused: the Zoom app lacks the scope user:read:user — add it in the Zoom App Marketplace under Scopes")
	zoomIs(t, ctx, "not_linked")

	admin := signInAdmin(t, d)
	openSettings(t, admin)
	waitJS(t, admin, `document.getElementById("set-health").dataset.state === "ready"`, 10*time.Second)
	got := evalJS[string](t, admin, `document.querySelector('[data-health="zoom"]').textContent`)
	if !strings.HasPrefix(got, "Refused ") || !strings.Contains(got, "lacks the scope user:read:user") {
		t.Errorf("the health card's Zoom row says %q", got)
	}
}
