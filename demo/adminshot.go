package demo

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

// AdminTabs are the admin page's tabs, as ScreenshotAdmin takes them.
var AdminTabs = []string{"setup", "health", "settings"}

// adminTabReady says, in the page, that a tab has drawn what it shows.
var adminTabReady = map[string]string{
	"setup":    `["ready", "error"].includes(document.getElementById("setup-card").dataset.state)`,
	"health":   `!!document.getElementById("adm-health").dataset.updated && document.getElementById("agents-card").dataset.state === "ready"`,
	"settings": `document.getElementById("adm-settings").dataset.state === "ready"`,
}

// ScreenshotAdmin saves the admin page of a running demo (serverURL is its
// Demo.ServerURL) as a PNG at path: it opens /admin in the browser tab of
// ctx (a chromedp context), where the demo signs the page in as its admin,
// shows tab (one of AdminTabs; "" for the Set-up Guide), waits until the
// tab has drawn its figures, and captures the whole page, 1280 pixels wide.
func ScreenshotAdmin(ctx context.Context, serverURL, tab, path string) error {
	if tab == "" {
		tab = AdminTabs[0]
	}
	ready, ok := adminTabReady[tab]
	if !ok {
		return fmt.Errorf("admin screenshot: no tab %q (want one of %v)", tab, AdminTabs)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(serverURL+"/admin#"+tab),
	)
	if err != nil {
		return fmt.Errorf("admin screenshot: open %s/admin: %w", serverURL, err)
	}
	view, err := chromedp.Run(ctx, chromedp.Poll[string](`document.body.dataset.view !== "loading" && document.body.dataset.view`))
	if err != nil {
		return fmt.Errorf("admin screenshot: the page did not load: %w", err)
	}
	if view != "app" {
		return fmt.Errorf("admin screenshot: the page shows %q, not the admin's page: is this a demo?", view)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready)); err != nil {
		return fmt.Errorf("admin screenshot: the %s tab did not finish drawing: %w", tab, err)
	}
	// A window as tall as the page, so that the Save bar, which sticks to
	// the window's bottom, sits under the cards as at the end of a scroll.
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	if err != nil {
		return fmt.Errorf("admin screenshot: %w", err)
	}
	err = chromedp.Do(ctx, chromedp.EmulateViewport(1280, h))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`innerHeight === %d`, h)))
	}
	if err != nil {
		return fmt.Errorf("admin screenshot: %w", err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("admin screenshot: capture: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("admin screenshot: %w", err)
	}
	return nil
}
