// Package chromium finds and starts the headless Chromium that the browser
// tests (internal/browsertest) and `zoomcti screenshots` (demo/scenes)
// drive with chromedp.
package chromium

import (
	"context"
	"errors"
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ErrNotFound says no Chromium is installed where Path looks.
var ErrNotFound = errors.New("no chromium on this machine: install it (apt-get install -y chromium) or set ZOOMCTI_CHROMIUM")

// Path is the Chromium to drive: $ZOOMCTI_CHROMIUM, else the first of
// chromium, chromium-browser and google-chrome on the PATH.
func Path() (string, error) {
	if p := os.Getenv("ZOOMCTI_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// Start starts a headless Chromium at path with a window of width × height
// and returns a context of its first tab; cancel stops it.
func Start(ctx context.Context, path string, width, height int) (context.Context, context.CancelFunc, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	cancel := func() {
		cancelBrowser()
		cancelAlloc()
	}
	// Start the browser now, so that a broken install fails here, clearly.
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return bctx, cancel, nil
}
