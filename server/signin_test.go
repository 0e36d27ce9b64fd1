package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// openSoftphone opens the softphone as Salesforce frames it, but top-level
// (sign-in does not need the console), and signs the demo agent out so the
// test starts from the sign-in card.
func openSoftphone(t *testing.T, d *Demo) context.Context {
	t.Helper()
	ctx := openSignedIn(t, d)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("signout-btn"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("signin").hidden && document.getElementById("signin-msg").textContent.includes("You signed out")`, 10*time.Second)
	return ctx
}

// openSignedIn opens the softphone top-level, signed in as the demo agent.
func openSignedIn(t *testing.T, d *Demo) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate(d.ServerURL+"/softphone?sfdcIframeOrigin="+d.SalesforceURL)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.connected === "true"`, 15*time.Second)
	return ctx
}

// popupOf presses the button with id and returns the popup's context.
func popupOf(t *testing.T, ctx context.Context, id string) context.Context {
	t.Helper()
	// Attach once the popup has left about:blank and our page that sends
	// it on to Zoom: a target attached mid-navigation loses its frames.
	ch := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool {
		return info.URL != "" && info.URL != "about:blank" && !strings.HasSuffix(info.URL, "/oauth/zoom/start")
	})
	click(t, ctx, id)
	select {
	case tid := <-ch:
		pctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(tid))
		t.Cleanup(cancel)
		return pctx
	case <-time.After(10 * time.Second):
		t.Fatalf("no window opened by #%s", id)
		return nil
	}
}

// signinPopup presses Sign in and returns the popup's context.
func signinPopup(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	return popupOf(t, ctx, "signin-btn")
}

func signinMessage(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`!document.getElementById("signin").hidden && document.getElementById("signin-msg").textContent.includes(%q)`, want), 15*time.Second)
}

func TestAgentSignsOutAndInWithSalesforce(t *testing.T) {
	d := startDemo(t)
	ctx := openSoftphone(t, d)
	alice := d.Org.DemoUser()
	bg := context.Background()

	// Signing out revoked and forgot the Salesforce token.
	if _, err := d.Store.Get(bg, sfTokenKey(d.Org.OrgID(), alice.ID)); err == nil {
		t.Fatal("the Salesforce token is still stored after sign-out")
	}

	popup := signinPopup(t, ctx)
	// A message from any window but the popup (here the page itself, same
	// origin) is ignored: were it taken, the softphone would hold the forged
	// token, drop the popup's real result and never connect.
	// A second message, handled after the forged one, reads what it did.
	forge := `window.seen = null;
		window.addEventListener("message", (e) => { if (e.data && e.data.type === "test:after") window.seen = document.getElementById("agent-name").textContent; });
		window.postMessage({type: "zoomcti:signin", status: "done", token: "forged", agent: {name: "Mallory"}}, location.origin);
		window.postMessage({type: "test:after"}, location.origin);
		true`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](forge)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `window.seen !== null`, 5*time.Second)
	if seen, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`window.seen`)); seen == "Mallory" {
		t.Fatal("the softphone took a sign-in message from a window other than its popup")
	}
	if err := chromedp.Do(popup, chromedp.Click(chromedp.ID("oaapprove"))); err != nil {
		t.Fatalf("approve at Salesforce: %v", err)
	}
	waitJS(t, ctx, `!document.getElementById("agent").hidden && document.body.dataset.connected === "true"`, 15*time.Second)
	name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("agent-name").textContent`))
	if err != nil || name != alice.Name {
		t.Fatalf("signed in as %q (%v), want %q", name, err, alice.Name)
	}

	// The new token is stored, encrypted, and it works: a call is logged.
	sealed, err := d.Store.Get(bg, sfTokenKey(d.Org.OrgID(), alice.ID))
	if err != nil {
		t.Fatalf("no Salesforce token after sign-in: %v", err)
	}
	tok, _ := d.Server.tokens.loadSF(bg, d.Org.OrgID(), alice.ID)
	if strings.Contains(string(sealed), tok.AccessToken) || strings.Contains(string(sealed), tok.RefreshToken) {
		t.Fatal("token stored in clear")
	}
	const callID = "7400000000000000801"
	bodies, err := sim().Inbound(simSpec(callID))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		send(t, d, b)
	}
	drain(t, d)
	if n := len(tasksFor(d, callID)); n != 1 {
		t.Fatalf("%d Tasks after signing in again, want 1", n)
	}
}

func TestSigninFailuresSayWhatToDo(t *testing.T) {
	slow(t)
	tests := []struct {
		name   string
		config func(*Config)
		setup  func(d *Demo)
		popup  func(t *testing.T, popup context.Context)
		want   string
		signIn string // the user whose agent must not be stored
	}{
		{
			name:  "agent cancels at Salesforce",
			popup: func(t *testing.T, p context.Context) { click(t, p, "oaapprove-deny") },
			want:  "Sign-in was cancelled",
		},
		{
			name:  "app not installed in the org",
			setup: func(d *Demo) { d.Org.SetAppInstalled(false) },
			want:  "must install the zoomcti app",
		},
		{
			name: "user without API access",
			popup: func(t *testing.T, p context.Context) {
				if err := chromedp.Do(p, chromedp.SetValue(chromedp.ID("username"), "bob@example.com")); err != nil {
					t.Fatal(err)
				}
				click(t, p, "oaapprove")
			},
			want:   "API access is not enabled",
			signIn: "bob@example.com",
		},
		{
			name:  "External Client App without the identity scope",
			setup: func(d *Demo) { d.Org.SetAppScopes("api", "refresh_token", "openid") },
			popup: func(t *testing.T, p context.Context) {
				if err := chromedp.Do(p, chromedp.SetValue(chromedp.ID("username"), "admin@example.com")); err != nil {
					t.Fatal(err)
				}
				click(t, p, "oaapprove")
			},
			want:   "did not give zoomcti the OAuth scope id",
			signIn: "admin@example.com",
		},
		{
			name:   "org not connected to this server",
			config: func(c *Config) { c.SFOrgIDs = []string{"00D000000000001AAA"} },
			popup:  func(t *testing.T, p context.Context) { click(t, p, "oaapprove") },
			want:   "not connected to this zoomcti",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*Config)
			if tc.config != nil {
				mods = append(mods, tc.config)
			}
			d := startDemo(t, mods...)
			ctx := openSoftphone(t, d)
			if tc.setup != nil {
				tc.setup(d)
			}
			popup := signinPopup(t, ctx)
			if tc.popup != nil {
				tc.popup(t, popup)
			}
			signinMessage(t, ctx, tc.want)
			if tc.signIn != "" {
				u, ok := d.Org.UserByUsername(tc.signIn)
				if !ok {
					t.Fatalf("no user %s", tc.signIn)
				}
				for _, k := range []string{agentKey(d.Org.OrgID(), u.ID), sfTokenKey(d.Org.OrgID(), u.ID)} {
					if _, err := d.Store.Get(context.Background(), k); err == nil {
						t.Errorf("%s stored for a refused sign-in", k)
					}
				}
			}
		})
	}
}

func click(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id))); err != nil {
		t.Fatalf("click #%s: %v", id, err)
	}
}

// A sign-in popup opened without a softphone behind it (a link someone
// sent) shows an error, and neither its page nor the store holds a session
// for it.
func TestSigninPopupWithoutOpenerShowsAnError(t *testing.T) {
	d := startDemo(t)
	bg := context.Background()
	before, err := d.Store.Keys(bg, "session:")
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate(d.ServerURL+"/oauth/salesforce/start")); err != nil {
		t.Fatal(err)
	}
	click(t, ctx, "oaapprove")
	waitJS(t, ctx, `document.getElementById("popup-result") !== null && document.getElementById("popup-result").textContent.includes("not opened by the softphone")`, 15*time.Second)
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	after, err := d.Store.Keys(bg, "session:")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("a popup without an opener made a session (%d sessions, was %d)", len(after), len(before))
	}
	if strings.Contains(page, `"token"`) {
		t.Fatalf("the page holds a token or code:\n%s", page)
	}
}
