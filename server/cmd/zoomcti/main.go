// Command zoomcti runs the Zoom Phone ↔ Salesforce integration server, its
// self-contained demo, and a Zoom event simulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	// The container image has no zoneinfo: agents' local dates (a Task's
	// ActivityDate, SMS days) need the time zones compiled in.
	_ "time/tzdata"
)

const usage = `zoomcti — Zoom Phone inside Salesforce.

Usage:
  zoomcti serve     [--addr HOST:PORT]   run the server (configuration from ZOOMCTI_* variables)
  zoomcti demo      [--addr HOST:PORT]   run everything with emulated Salesforce and Zoom; no accounts needed
  zoomcti simulate  inbound|outbound|missed|sms [flags]   play signed Zoom events against a running server
  zoomcti reconcile today|yesterday|DAYS | --from DATE --to DATE   log calls whose webhooks were lost
  zoomcti doctor    [--server URL]   check each connected org and the Zoom app with live calls; ✓/✗ with fixes
  zoomcti bench     [--agents N] [--rate M] [--duration D]   load-test a zoomcti on loopback, print latencies, CPU and memory
  zoomcti bench intake [--senders N] [--redis URL]   compare the webhook intake with a bare signature check
  zoomcti faults    [--scenario kill|redis-restart|rolling|all] [--rate 50]   break three instances behind nginx under load: every call popped, one Task each
  zoomcti hostile   [--server URL --pid PID]   play issue 8's memory attack, print the server's RSS before and after
  zoomcti health    [--url URL] [--ready]   exit 0 when a running server answers /healthz (the image's health check)
  zoomcti screenshots [--out DIR] [--scenes NAME,...]   PNGs of the softphone's states at 400 × 640 (demo + headless Chromium)
  zoomcti version                        print the version

Run "zoomcti COMMAND --help" for a command's flags. The README lists every ZOOMCTI_* variable.
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], getenv, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], getenv, stdout, stderr)
	case "simulate":
		err = cmdSimulate(ctx, args[1:], getenv, stdout, stderr)
	case "reconcile":
		err = cmdReconcile(ctx, args[1:], getenv, stdout, stderr)
	case "doctor":
		err = cmdDoctor(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], getenv, stdout, stderr)
	case "faults":
		err = cmdFaults(ctx, args[1:], getenv, stdout, stderr)
	case "hostile":
		err = cmdHostile(ctx, args[1:], getenv, stdout, stderr)
	case "health":
		err = cmdHealth(ctx, args[1:], getenv, stdout, stderr)
	case "screenshots":
		err = cmdScreenshots(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "zoomcti", version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "zoomcti: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "zoomcti %s: %v\n", args[0], err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "zoomcti %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ error }

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, strings.TrimLeft(help, "\n"))
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// parse parses flags, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}
