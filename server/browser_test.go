package server

import (
	"context"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// newBrowser starts a headless Chromium for the test and returns its context.
func newBrowser(t *testing.T) context.Context { return browsertest.New(t) }

// waitJS polls expr in the page until it is true or the timeout passes.
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	browsertest.WaitJS(t, ctx, expr, timeout)
}
