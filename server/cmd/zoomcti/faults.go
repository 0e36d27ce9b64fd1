package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/bench"
)

const faultsHelp = `
Usage: zoomcti faults [--scenario kill|redis-restart|rolling|all] [--rate 50] [--duration 30s]

Runs zoomcti as it is deployed and breaks it under load: --instances
"zoomcti serve" processes (this program, or --binary) on one redis-server
(append-only file, appendfsync always), behind nginx (round-robin, the
websocket settings of deploy/nginx.conf, plain HTTP on loopback). The
emulated Salesforce org and Zoom run in this process, with one softphone per
agent connected through nginx (reconnecting as the page does) and each
call's webhooks sent through nginx, retried as Zoom retries an
unacknowledged delivery (its +5, +25, +85 minutes read as seconds).

At --fault-at (a third of --duration by default) the scenario strikes:
  kill            SIGKILL one instance; it stays down
  redis-restart   SIGKILL redis-server, start it again on the same files
  rolling         SIGTERM each instance in turn, start it again, wait until ready
"all" runs the three one after the other, each on a fresh Redis.

It prints, per scenario, the fault's timeline and the figures: calls, pops
(before the answer, on a reconnect), Tasks, duplicates, missing, the
longest gap without pops, webhooks not acknowledged and Zoom's retries,
softphone reconnects. It exits 1 unless every call popped and has exactly
one Task. redis-server and nginx must be installed (Debian: redis-server,
nginx-light). Logs go to a temporary directory, kept when a run fails.
`

func cmdFaults(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("faults", faultsHelp, stderr)
	scenario := fs.String("scenario", "all", "kill, redis-restart, rolling, or all")
	var cfg bench.FaultConfig
	fs.Float64Var(&cfg.Rate, "rate", 50, "inbound calls started per second")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long calls are started")
	fs.DurationVar(&cfg.FaultAt, "fault-at", 0, "when the fault strikes, from the first call (default a third of --duration)")
	fs.IntVar(&cfg.Agents, "agents", 0, "signed-in agents (default: enough for --rate)")
	fs.IntVar(&cfg.Instances, "instances", 3, "zoomcti instances behind nginx")
	fs.StringVar(&cfg.Binary, "binary", "", "the zoomcti the instances run (default: this program); build it without -race")
	fs.StringVar(&cfg.RedisServer, "redis-server", "redis-server", "the redis-server program")
	fs.StringVar(&cfg.Nginx, "nginx", "nginx", "the nginx program")
	fs.StringVar(&cfg.AppendFsync, "appendfsync", "always", "redis-server's appendfsync: always or everysec")
	fs.DurationVar(&cfg.RedisDown, "redis-down", 0, "redis-restart: keep Redis down this long before starting it again (calls ringing meanwhile may miss their pop)")
	fs.BoolVar(&cfg.RedisCluster, "redis-cluster", false, "run on a three-master Redis Cluster instead of one redis-server")
	fs.DurationVar(&cfg.SFLatency, "sf-latency", 50*time.Millisecond, "latency the emulated org adds to every API request")
	fs.DurationVar(&cfg.Ring, "ring", 2*time.Second, "ringing time of each call")
	fs.DurationVar(&cfg.Talk, "talk", 5*time.Second, "talk time of each call")
	fs.DurationVar(&cfg.Wrap, "wrap", time.Second, "from hang-up to the call history event")
	dir := fs.String("dir", "", "keep the processes' files and logs here (a directory per scenario)")
	quiet := fs.Bool("q", false, "print only the reports, not the progress")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.SFLatency == 0 {
		cfg.SFLatency = -1 // zero means "the default" to bench.FaultConfig
	}
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find this program to run as the instances: %w (use --binary)", err)
		}
		cfg.Binary = exe
	}
	scenarios := bench.Scenarios()
	if *scenario != "all" {
		scenarios = []bench.Scenario{bench.Scenario(*scenario)}
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	// Every scenario's configuration is checked before the first runs.
	for _, s := range scenarios {
		c := forScenario(cfg, s)
		if err := c.Validate(); err != nil {
			return usageError{err}
		}
	}
	var failed []string
	for i, s := range scenarios {
		c := forScenario(cfg, s)
		if *dir != "" {
			c.Dir = filepath.Join(*dir, string(s))
		}
		rep, err := bench.RunFault(ctx, c)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprint(stdout, rep.String())
		if err := rep.Err(); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "\n"))
	}
	return nil
}

// forScenario is cfg for scenario s: --redis-down is the redis-restart
// scenario's alone.
func forScenario(cfg bench.FaultConfig, s bench.Scenario) bench.FaultConfig {
	cfg.Scenario = s
	if s != bench.ScenarioRedisRestart {
		cfg.RedisDown = 0
	}
	return cfg
}
