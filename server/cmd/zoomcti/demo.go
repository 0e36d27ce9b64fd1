package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/zoomcti/zoomcti/demo"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

const demoHelp = `
Usage: zoomcti demo [--addr HOST:PORT] [--index-lag DURATION]

Runs zoomcti with an emulated Salesforce org and an emulated Zoom, all on
this machine, with no accounts and no network. The demo agent (Alice) is
signed in and linked. It prints the one URL to open: a Lightning-like
console with the softphone in its utility bar. Press "Simulate inbound
call" there and answer it in the softphone's Phone tab (an emulated Zoom
Phone Smart Embed), or run "zoomcti simulate inbound" in another terminal.
`

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", demoHelp, stderr)
	def := getenv("ZOOMCTI_ADDR")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	addr := fs.String("addr", def, "listen address of zoomcti (env ZOOMCTI_ADDR); the emulators take the next two ports")
	verbose := fs.Bool("v", false, "log every request and event (debug level)")
	lag := fs.Duration("index-lag", sfsim.DefaultIndexLag, "how long a record created or changed in the emulated org takes to become searchable (0: at once)")
	if err := parse(fs, args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, level)
	d, err := demo.Start(ctx, *addr, getenv("ZOOMCTI_STORE_PATH"), log)
	if err != nil {
		return err
	}
	d.Org.SetIndexLag(*lag)
	fmt.Fprintf(stdout, `
zoomcti demo is running.

  Open this URL:  %s

  zoomcti          %s   (softphone: /softphone, admin page: /admin, call center: /callcenter.xml)
  Salesforce (emulated) %s
  Zoom (emulated)  %s

Place a call with the console's "Simulate inbound call" button and answer it
in the softphone's Phone tab, dial from its keypad, or:
  go run ./server/cmd/zoomcti simulate inbound --server %s
Press Ctrl+C to stop.
`, d.ConsoleURL, d.ServerURL, d.SalesforceURL, d.ZoomURL, d.ServerURL)
	return d.Wait()
}
