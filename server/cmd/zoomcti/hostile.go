package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/bench"
)

const hostileHelp = `
Usage: zoomcti hostile [--server URL --pid PID] [flags]

Plays the memory attack of issue 8 against a zoomcti and prints its
resident memory (RSS) before, while the webhook bodies are in flight, and
after: --callbacks sign-in callbacks, each with an error value of
--error-size bytes, then --webhooks webhooks of 1 MiB each with a fresh
timestamp and a well-formed (wrong) signature, trickling in over --trickle
and all in flight together. On loopback the requests come from --sources
addresses in 127.10.0.0/16, so per-address rate limits do not hide anything.

Without --server it starts a zoomcti in this process (production settings,
dummy secrets, an embedded store in a temporary directory) and reads this
process's RSS. With --server, --pid names the server's process to read the
RSS of (/proc/PID/status, Linux); without it only the answers are printed.
The server needs ZOOMCTI_SF_CLIENT_ID set (the demo has it), since each
callback first starts a sign-in.
`

func cmdHostile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hostile", hostileHelp, stderr)
	srv := fs.String("server", "", "base URL of a running zoomcti (default: start one in this process)")
	pid := fs.Int("pid", 0, "with --server: the server's process id, to read its RSS")
	opts := bench.HostileOptions{}
	fs.IntVar(&opts.Callbacks, "callbacks", 1000, "sign-in callbacks with a huge error value")
	fs.IntVar(&opts.ErrorSize, "error-size", 500_000, "bytes of each callback's error value")
	fs.IntVar(&opts.Webhooks, "webhooks", 300, "slow 1 MiB webhook bodies in flight together")
	fs.DurationVar(&opts.Trickle, "trickle", 2*time.Second, "how long each webhook body takes to arrive, less its last byte")
	sources := fs.Int("sources", -1, "loopback source addresses to send from (default: 250 on loopback, else 0)")
	if err := parse(fs, args); err != nil {
		return err
	}
	opts.WebhookSize = 1 << 20
	rssPid := -1 // nobody's
	if *srv == "" {
		dir, err := os.MkdirTemp("", "zoomcti-hostile-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		base, stop, err := bench.HostileTarget(ctx, dir)
		if err != nil {
			return err
		}
		defer stop()
		*srv, rssPid = base, 0
	} else if *pid > 0 {
		rssPid = *pid
	}
	u, err := url.Parse(*srv)
	if err != nil || u.Host == "" {
		return usageError{fmt.Errorf("--server: %q is not a URL like http://127.0.0.1:8080", *srv)}
	}
	opts.BaseURL = *srv
	opts.Sources = *sources
	if opts.Sources < 0 {
		opts.Sources = 0
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && ip.To4() != nil {
			opts.Sources = 250
		}
	}
	rss := func(label string) {
		if rssPid < 0 {
			return
		}
		if rssPid == 0 {
			// Our own heap: hand freed pages back first, so RSS says
			// what is kept rather than what the runtime has yet to return.
			debug.FreeOSMemory()
		}
		n, err := bench.ReadRSS(rssPid)
		if err != nil {
			fmt.Fprintf(stdout, "%-28s cannot read: %v\n", label, err)
			return
		}
		fmt.Fprintf(stdout, "%-28s %7.1f MB\n", label, float64(n)/(1<<20))
	}
	fmt.Fprintf(stdout, "zoomcti hostile against %s: %d callbacks with %d-byte errors, %d slow 1 MiB webhooks, from %d addresses\n",
		opts.BaseURL, opts.Callbacks, opts.ErrorSize, opts.Webhooks, max(1, opts.Sources))
	rss("RSS before:")
	opts.InFlight = func() { rss("RSS with bodies in flight:") }
	start := time.Now()
	res, err := bench.Hostile(ctx, opts)
	if err != nil {
		return err
	}
	rss("RSS after:")
	fmt.Fprintf(stdout, "callbacks answered: %s\nwebhooks answered:  %s\ntook %s\n",
		statuses(res.Callbacks), statuses(res.Webhooks), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// statuses prints answers by status, e.g. "413×1000"; a negative status is
// a callback whose sign-in could not start (with that status).
func statuses(m map[int]int) string {
	var codes []int
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		switch {
		case c == 0:
			parts = append(parts, fmt.Sprintf("no answer×%d", m[c]))
		case c < 0:
			parts = append(parts, fmt.Sprintf("start refused %d×%d", -c, m[c]))
		default:
			parts = append(parts, fmt.Sprintf("%d×%d", c, m[c]))
		}
	}
	return strings.Join(parts, ", ")
}
