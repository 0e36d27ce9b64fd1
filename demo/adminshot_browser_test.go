package demo

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// The demo's admin page, signed in as the demo's admin, saved as a PNG per
// tab (what `zoomcti screenshots` takes): each a whole page, 1280 wide.
// With ZOOMCTI_SCREENSHOTS naming a folder, the pictures are kept there.
func TestScreenshotAdmin(t *testing.T) {
	d := startDemo(t)
	ctx := browsertest.New(t)
	dir := os.Getenv("ZOOMCTI_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, tab := range AdminTabs {
		path := filepath.Join(dir, "admin-"+tab+".png")
		if err := ScreenshotAdmin(ctx, d.ServerURL, tab, path); err != nil {
			t.Fatalf("%s: %v", tab, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", tab, err)
		}
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 1280 || h < 600 {
			t.Errorf("%s: %d × %d, want the whole page 1280 wide", tab, w, h)
		}
	}
	if err := ScreenshotAdmin(ctx, d.ServerURL, "nope", filepath.Join(t.TempDir(), "x.png")); err == nil {
		t.Error("a tab that does not exist was captured")
	}
}
