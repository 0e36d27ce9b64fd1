// Package browsertest drives a headless Chromium for the end-to-end tests
// of the softphone (package server) and of `zoomcti demo` (package demo).
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/internal/chromium"
)

// chromiumPath finds a Chromium to drive. Without one the browser tests
// skip on a developer's machine but fail in CI, where scripts/test installs it.
func chromiumPath(t testing.TB) string {
	t.Helper()
	p, err := chromium.Path()
	if err == nil {
		return p
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
	bctx, cancel, err := chromium.Start(context.Background(), chromiumPath(t), 1280, 900)
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(cancel)
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
