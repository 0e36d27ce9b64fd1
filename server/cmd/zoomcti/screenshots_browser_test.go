package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/internal/chromium"
)

// zoomcti screenshots writes a PNG per scene asked for (three of them
// here, to keep the test short: two softphone states at 400 × 640 and the
// admin page; the command takes every scene the same way) and says where.
func TestScreenshotsWritesAPNGPerScene(t *testing.T) {
	if testing.Short() {
		t.Skip("drives headless Chromium: the slow suite, run without -short")
	}
	browser, err := chromium.Path()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	noEnv := func(string) string { return "" }
	if code := run([]string{"screenshots", "--out", dir, "--scenes", "ringing-chooser,salesforce-down,admin-health", "--chromium", browser}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	for _, name := range []string{"ringing-chooser", "salesforce-down"} {
		path := filepath.Join(dir, name+".png")
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("no %s: %v", path, err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 400 || cfg.Height != 640 {
			t.Errorf("%s: %dx%d (%v), want a 400x640 PNG", path, cfg.Width, cfg.Height, err)
		}
		if !strings.Contains(out.String(), path) {
			t.Errorf("the command did not say it wrote %s:\n%s", path, out.String())
		}
	}
	// The admin page's scene: the whole page, 1280 wide.
	if f, err := os.Open(filepath.Join(dir, "admin-health.png")); err != nil {
		t.Errorf("no admin-health.png: %v", err)
	} else {
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 1280 || cfg.Height < 640 {
			t.Errorf("admin-health.png: %dx%d (%v), want the whole page 1280 wide", cfg.Width, cfg.Height, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files written, want the 3 scenes asked for", len(entries))
	}

	// An unknown scene is a clear error, naming the scenes there are.
	errb.Reset()
	if code := run([]string{"screenshots", "--out", dir, "--scenes", "nope", "--chromium", browser}, noEnv, &out, &errb); code == 0 || !strings.Contains(errb.String(), "idle") {
		t.Errorf("unknown scene: exit %d, %q", code, errb.String())
	}
}
