package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/zoomcti/zoomcti/demo/scenes"
)

const screenshotsHelp = `
Usage: zoomcti screenshots [--out DIR] [--scenes NAME,NAME] [--chromium PATH]

Photographs the softphone in each of its states at 400 × 640, as Salesforce's
utility bar shows it, and writes one PNG per state to DIR. Each state is set
up on a demo of its own (zoomcti with the emulated Salesforce org and Zoom,
in this process, as "zoomcti demo" runs it) in headless Chromium, which must
be installed (apt-get install chromium; ZOOMCTI_CHROMIUM or --chromium names
another). No accounts, no network.

Scenes:
%s`

func cmdScreenshots(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	all := append(scenes.Softphone(), scenes.Admin()...)
	var list strings.Builder
	for _, s := range all {
		fmt.Fprintf(&list, "  %-22s %s\n", s.Name, s.About)
	}
	fs := newFlagSet("screenshots", fmt.Sprintf(screenshotsHelp, list.String()), stderr)
	out := fs.String("out", "screenshots", "the folder to write the PNGs to (made if missing)")
	only := fs.String("scenes", "", "comma-separated scenes to take (default: all)")
	browser := fs.String("chromium", getenv("ZOOMCTI_CHROMIUM"), "the Chromium to drive (env ZOOMCTI_CHROMIUM; default: chromium on the PATH)")
	verbose := fs.Bool("v", false, "log the demos' requests and events (debug level)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	var names []string
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *verbose {
		log = newLogger(stderr, slog.LevelDebug)
	}
	written, err := scenes.Run(ctx, all, scenes.Options{Out: *out, Only: names, Chromium: *browser, Log: log, Progress: stdout})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d screenshots in %s\n", len(written), *out)
	return nil
}
