// Package browsertest drives a headless Chromium for the end-to-end tests
// of the softphone (package server) and of `zoomcti demo` (package demo).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium to drive. Without one the browser tests
// skip on a developer's machine but fail in CI, where scripts/test installs it.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ZOOMCTI_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is required in CI (apt-get install -y chromium); scripts/test installs it")
	}
	t.Skip("no chromium on this machine; install it (apt-get install -y chromium) to run the browser tests")
	return ""
}

// New starts a headless Chromium for the test and returns its context.
func New(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("a browser test: the slow suite, run without -short")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here, clearly.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// WaitJS polls expr in the page until it is true or the timeout passes.
func WaitJS(t testing.TB, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.openctiCalls || null)`))
			t.Fatalf("timed out waiting for %s (err %v); openctiCalls = %s", expr, err, dump)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
