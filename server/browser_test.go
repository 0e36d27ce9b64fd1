package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium to drive. Without one the browser tests
// skip on a developer's machine but fail in CI, where scripts/test installs it.
func chromiumPath(t *testing.T) string {
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

// newBrowser starts a headless Chromium for the test and returns its context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
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

// waitJS polls expr in the page until it is true or the timeout passes.
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
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

// startDemo runs the whole demo on loopback ports for one test.
func startDemo(t *testing.T, mods ...func(*Config)) *Demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := StartDemo(ctx, "127.0.0.1:0", "", log, mods...)
	if err != nil {
		cancel()
		t.Fatalf("start demo: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := d.Wait(); err != nil {
			t.Errorf("demo stopped with: %v", err)
		}
	})
	return d
}
