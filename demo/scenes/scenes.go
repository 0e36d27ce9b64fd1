// Package scenes photographs zoomcti's pages in the states people meet them
// in (`zoomcti screenshots`): each scene starts a demo of its own (zoomcti
// with the emulated org and Zoom, in process, as `zoomcti demo` runs it),
// brings a page to its state in headless Chromium, the way an agent or
// Salesforce and Zoom would (clicks, signed webhooks, injected faults,
// waiting on what the page shows, never on time), and saves a PNG.
//
// Softphone lists the softphone's states at 400 × 640, as Salesforce's
// utility bar shows it. Another page's states (the admin page's, say) are
// another list of Scenes: a Scene only needs a Take that writes its PNG.
package scenes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/demo"
	"github.com/zoomcti/zoomcti/internal/chromium"
)

// Scene is one state of a page.
type Scene struct {
	Name  string // the PNG's name, without .png: lower case and dashes
	About string // what it shows, for --help and the progress lines
	// Take brings the browser tab of ctx (a chromedp context) to the state,
	// on the stage's demo, and writes its PNG at path.
	Take func(ctx context.Context, st *Stage, path string) error
}

// sceneTimeout bounds one scene, its demo's start included.
const sceneTimeout = 90 * time.Second

// Options are what Run takes.
type Options struct {
	Out      string   // the folder the PNGs go to; made if missing
	Only     []string // scene names to take; none: every scene given
	Chromium string   // the browser; empty: chromium.Path()
	Log      *slog.Logger
	Progress io.Writer // told each PNG written; nil: nothing
}

// Run takes scenes (those named in opts.Only, when any) and returns the
// PNGs written, in order. Each scene runs on a demo and a tab of its own,
// so one scene's calls and settings never show in another.
func Run(ctx context.Context, scenes []Scene, opts Options) ([]string, error) {
	chosen, err := choose(scenes, opts.Only)
	if err != nil {
		return nil, err
	}
	if opts.Out == "" {
		return nil, errors.New("scenes: no folder to write to")
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	path := opts.Chromium
	if path == "" {
		if path, err = chromium.Path(); err != nil {
			return nil, err
		}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	browser, stop, err := chromium.Start(ctx, path, 1280, 900)
	if err != nil {
		return nil, fmt.Errorf("scenes: start chromium: %w", err)
	}
	defer stop()
	var written []string
	for _, sc := range chosen {
		file := filepath.Join(opts.Out, sc.Name+".png")
		if err := take(ctx, browser, sc, file, log); err != nil {
			return written, fmt.Errorf("scene %s: %w", sc.Name, err)
		}
		written = append(written, file)
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%-22s %s\n", sc.Name, file)
		}
	}
	return written, nil
}

// choose picks the scenes named in only, in the list's order.
func choose(scenes []Scene, only []string) ([]Scene, error) {
	if len(only) == 0 {
		return scenes, nil
	}
	var out []Scene
	for _, name := range only {
		i := slices.IndexFunc(scenes, func(s Scene) bool { return s.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("scenes: no scene %q (scenes: %s)", name, strings.Join(Names(scenes), ", "))
		}
		out = append(out, scenes[i])
	}
	return out, nil
}

// Names lists the scenes' names.
func Names(scenes []Scene) []string {
	var out []string
	for _, s := range scenes {
		out = append(out, s.Name)
	}
	return out
}

// take runs one scene on a demo and a tab of its own.
func take(ctx context.Context, browser context.Context, sc Scene, file string, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, sceneTimeout)
	defer cancel()
	dctx, stopDemo := context.WithCancel(ctx)
	d, err := demo.Start(dctx, "127.0.0.1:0", "", log)
	if err != nil {
		stopDemo()
		return err
	}
	defer func() {
		stopDemo()
		_ = d.Wait()
	}()
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	// The tab stops with the scene's deadline.
	tab, cancelTab := context.WithCancel(tab)
	defer cancelTab()
	stopAfter := context.AfterFunc(ctx, cancelTab)
	defer stopAfter()
	calls := zoomsim.New(zoomsim.Options{})
	defer calls.Close()
	return sc.Take(tab, &Stage{Demo: d, calls: calls}, file)
}
