package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/zoomcti/zoomcti/bench"
)

const benchHelp = `
Usage: zoomcti bench [--agents 1000] [--rate 50] [--duration 30s] [--sf-latency 50ms] [--redis URL]
       zoomcti bench intake [--senders 32] [--duration 10s] [--rounds 1] [--floor] [--redis URL]

Load-tests zoomcti on this machine: starts a zoomcti (with its default
settings) and an emulated Salesforce org and Zoom, all on 127.0.0.1; signs
in and links --agents agents, each with a softphone connected over a real
websocket; then for --duration starts --rate inbound calls a second, each
played as Zoom's signed webhooks (ringing, answered, ended, call history).
It prints webhook acknowledgement latency, webhook-to-screen-pop latency,
Salesforce API requests and store writes and reads per call, the server's
own CPU per call, and memory per connected agent, and exits 1 unless every
call popped once and every call has exactly one Task. The softphones run
in a child process (this program, "zoomcti bench softphones"), so that
what is measured is the server's; the server's CPU is told apart from the
emulators' and the webhook senders' by pprof labels on their goroutines.

The store is an embedded file in a temporary directory, or with --redis
that Redis, under a fresh key prefix that is deleted afterwards. Nothing
else leaves the machine.

"zoomcti bench intake" measures the webhook intake alone: --senders
concurrent senders post signed ringing events (each a new call) for
--duration to a bare handler that only checks the signature and the
timestamp, then as long to zoomcti's POST /webhooks/zoom (verify, dedupe,
durable enqueue; no workers), and it prints both throughputs and their
ratio.
`

const intakeHelp = `
Usage: zoomcti bench intake [--senders 32] [--duration 10s] [--rounds 1] [--floor] [--redis URL] [--cpuprofile FILE]

Measures the webhook intake alone: --senders concurrent senders post
signed phone.callee_ringing events (each a new call) over kept-alive
loopback connections for --duration to a bare net/http handler that only
checks the signature and the timestamp, then as long to zoomcti's
POST /webhooks/zoom (verify, dedupe, durable enqueue, 200; the workers are
not started, so the events stay queued). It prints both throughputs and
their ratio, and exits 1 if any delivery was refused. With --rounds N it
measures both N times, one after the other (each round with a zoomcti and
store of its own), prints every round's ratio and shows the median round:
on a machine whose speed changes, one round's ratio moves by a tenth.
With --floor each round also measures, after the bare handler, the bare
handler storing each delivery the plainest durable ways the store allows:
the write any durable intake pays, without zoomcti's decoding, job and
batching. Redis: a MULTI of SET NX PX and RPUSH per delivery. Embedded,
two: an append-only journal (one write and one fdatasync for all the
deliveries waiting, marks in memory), the least an intake that keeps its
events on disk pays; then bbolt's own group commit, DB.Batch, of a mark
and the body.

The store is an embedded file in a temporary directory, or with --redis
that Redis, under a fresh key prefix that is deleted afterwards.
`

func cmdBenchIntake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench intake", intakeHelp, stderr)
	var cfg bench.IntakeConfig
	fs.IntVar(&cfg.Senders, "senders", 32, "concurrent senders against each target")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long each target is sent to")
	fs.StringVar(&cfg.RedisURL, "redis", "", "use this Redis (redis://host:port/db, or redis+cluster://host:port?addr=host2:port2 for a Redis Cluster) instead of an embedded store")
	fs.IntVar(&cfg.Rounds, "rounds", 1, "measure both targets this many times, one after the other, and report the median round (at most 100)")
	fs.BoolVar(&cfg.Floor, "floor", false, "also measure the bare handler storing each delivery the plainest durable ways the store allows (the least any durable intake pays)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the first round's zoomcti phase to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Senders < 1 || cfg.Duration <= 0 || cfg.Rounds < 1 || cfg.Rounds > 100 {
		return usageError{errors.New("--senders and --duration must be positive, and --rounds 1 to 100")}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.CPUProfile = f
	}
	cfg.Progress = stderr
	rep, err := bench.RunIntake(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep.String())
	return rep.Err()
}

func cmdBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "intake" {
		return cmdBenchIntake(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "softphones" {
		// The bench's own child process (see bench.Config.SoftphoneCommand).
		return bench.RunSoftphones(ctx, os.Stdin, stdout)
	}
	fs := newFlagSet("bench", benchHelp, stderr)
	var cfg bench.Config
	fs.IntVar(&cfg.Agents, "agents", 1000, "signed-in agents, each with a connected softphone")
	fs.Float64Var(&cfg.Rate, "rate", 50, "inbound calls started per second")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long calls are started")
	fs.DurationVar(&cfg.SFLatency, "sf-latency", 50*time.Millisecond, "latency the emulated org adds to every API request")
	fs.StringVar(&cfg.RedisURL, "redis", "", "use this Redis (redis://host:port/db, or redis+cluster://host:port?addr=host2:port2 for a Redis Cluster) instead of an embedded store")
	fs.DurationVar(&cfg.Ring, "ring", 2*time.Second, "ringing time of each call")
	fs.DurationVar(&cfg.Talk, "talk", 5*time.Second, "talk time of each call")
	fs.DurationVar(&cfg.Wrap, "wrap", time.Second, "from hang-up to the call history event; the agent is free after it")
	fs.IntVar(&cfg.Workers, "workers", 0, "the server's ZOOMCTI_WORKERS (default: the server's default)")
	fs.IntVar(&cfg.Contacts, "contacts", 200, "Contacts in the org; 9 callers in 10 are one of them")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the calls to this file (go tool pprof)")
	verbose := fs.Bool("v", false, "print the server's warnings and errors as they happen")
	inline := fs.Bool("inline-softphones", false, "run the softphones in this process instead of a child (two open files per agent, and their CPU and memory mix with the server's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.SFLatency == 0 {
		cfg.SFLatency = -1 // zero means "the default" to bench.Run
	}
	if *verbose {
		cfg.Log = newLogger(stderr, slog.LevelWarn)
	}
	cfg.Progress = stderr
	if !*inline {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find this program to run the softphones: %w (try --inline-softphones)", err)
		}
		cfg.SoftphoneCommand = []string{exe, "bench", "softphones"}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		cfg.CPUProfile = f
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep.String())
	return rep.Err()
}
