package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/zoomcti/zoomcti/bench"
)

const benchHelp = `
Usage: zoomcti bench [--agents 1000] [--rate 50] [--duration 30s] [--sf-latency 50ms] [--redis URL]

Load-tests zoomcti on this machine: starts a zoomcti (with its default
settings) and an emulated Salesforce org and Zoom, all on 127.0.0.1; signs
in and links --agents agents, each with a softphone connected over a real
websocket; then for --duration starts --rate inbound calls a second, each
played as Zoom's signed webhooks (ringing, answered, ended, call history).
It prints webhook acknowledgement latency, webhook-to-screen-pop latency,
Salesforce API requests per call and memory per connected agent, and exits
1 unless every call popped and every call has exactly one Task.

The store is an embedded file in a temporary directory, or with --redis
that Redis, under a fresh key prefix that is deleted afterwards. Nothing
else leaves the machine.
`

func cmdBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchHelp, stderr)
	var cfg bench.Config
	fs.IntVar(&cfg.Agents, "agents", 1000, "signed-in agents, each with a connected softphone")
	fs.Float64Var(&cfg.Rate, "rate", 50, "inbound calls started per second")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long calls are started")
	fs.DurationVar(&cfg.SFLatency, "sf-latency", 50*time.Millisecond, "latency the emulated org adds to every API request")
	fs.StringVar(&cfg.RedisURL, "redis", "", "use this Redis (redis://host:port/db) instead of an embedded store")
	fs.DurationVar(&cfg.Ring, "ring", 2*time.Second, "ringing time of each call")
	fs.DurationVar(&cfg.Talk, "talk", 5*time.Second, "talk time of each call")
	fs.DurationVar(&cfg.Wrap, "wrap", time.Second, "from hang-up to the call history event; the agent is free after it")
	fs.IntVar(&cfg.Contacts, "contacts", 200, "Contacts in the org; 9 callers in 10 are one of them")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the calls to this file (go tool pprof)")
	verbose := fs.Bool("v", false, "print the server's warnings and errors as they happen")
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
