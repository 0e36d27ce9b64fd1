package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFaultNginxMatchesDeploy: the fault runs put the instances behind the
// proxy settings the guide ships (deploy/nginx.conf): the same upstream
// server parameters and keepalive, the same websocket map, the same
// location blocks, directive for directive.
func TestFaultNginxMatchesDeploy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	deploy := string(b)
	n := &nginxProxy{dir: "/run/zoomcti-faults", port: 8080}
	ours := n.config([]string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"})
	for _, part := range []struct {
		name string
		of   func(string) []string
	}{
		{"upstream server parameters", upstreamParams},
		{"upstream keepalive", directives(`(?s)upstream zoomcti \{(.*?)\}`, `^keepalive\b`)},
		{"websocket map", directives(`(?s)map \$http_upgrade \$connection_upgrade \{(.*?)\}`, ``)},
		{"location /", directives(`(?s)location / \{(.*?)\}`, ``)},
		{"location = /webhooks/zoom", directives(`(?s)location = /webhooks/zoom \{(.*?)\}`, ``)},
	} {
		want, got := part.of(deploy), part.of(ours)
		if len(want) == 0 {
			t.Fatalf("%s: none in deploy/nginx.conf", part.name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the fault runs' nginx has\n  %q\ndeploy/nginx.conf has\n  %q", part.name, got, want)
		}
	}
}

// directives returns a function listing the directives (one a line, sorted,
// comments and blank lines left out) of the block the first group of block
// matches, those matching only when it is not empty.
func directives(block, only string) func(string) []string {
	return func(conf string) []string {
		m := regexp.MustCompile(block).FindStringSubmatch(conf)
		if m == nil {
			return nil
		}
		var out []string
		for line := range strings.SplitSeq(m[1], "\n") {
			line, _, _ = strings.Cut(line, "#")
			line = strings.Join(strings.Fields(line), " ")
			if line == "" || only != "" && !regexp.MustCompile(only).MatchString(line) {
				continue
			}
			out = append(out, line)
		}
		slices.Sort(out)
		return out
	}
}

// upstreamParams lists each upstream server's parameters (what follows
// its address).
func upstreamParams(conf string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server \S+:\d+((?: [^;]+)?);`).FindAllStringSubmatch(conf, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

// TestFaultRuns runs `zoomcti faults` as the README's test command does:
// the zoomcti binary built without -race (two cores cannot carry three
// race-instrumented instances at 50 calls a second), the three scenarios
// one after the other, each failing the test unless every call popped and
// has exactly one Task. Its report goes to the test log and, when
// ZOOMCTI_FAULTS_REPORT names a file, there too (scripts/test prints it).
func TestFaultRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("three fault runs of 12 s of calls each, with three zoomcti processes, Redis and nginx")
	}
	for _, prog := range []string{"redis-server", "nginx"} {
		if _, err := findProgram(prog); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%v (scripts/test installs it in CI)", err)
			}
			t.Skip(err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zoomcti")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/zoomcti/zoomcti/server/cmd/zoomcti")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The stores the runs are made on: one redis-server, and a
	// three-master Redis Cluster the run starts for itself.
	stores := []struct {
		name  string
		flags []string
	}{{"redis", nil}, {"redis-cluster", []string{"--redis-cluster"}}}
	var report strings.Builder
	for _, st := range stores {
		args := append([]string{"faults", "--scenario", "all", "--duration", "12s", "-q", "--dir", filepath.Join(dir, st.name)}, st.flags...)
		cmd := exec.CommandContext(ctx, bin, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		t.Logf("zoomcti %s (%s):\n%s", strings.Join(args, " "), st.name, out)
		report.WriteString("$ zoomcti " + strings.Join(args, " ") + "\n" + string(out) + "\n")
		if err != nil {
			t.Errorf("%s: %v\n%s", st.name, err, stderr.String())
			continue
		}
		checkFaultReports(t, string(out))
	}
	if path := os.Getenv("ZOOMCTI_FAULTS_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// checkFaultReports checks what each scenario's report says happened.
func checkFaultReports(t *testing.T, out string) {
	t.Helper()
	reports := map[Scenario]string{}
	for _, r := range strings.Split(out, "zoomcti faults ")[1:] {
		name, _, _ := strings.Cut(r, ":")
		reports[Scenario(name)] = r
	}
	num := func(r, re string) int {
		m := regexp.MustCompile(re).FindStringSubmatch(r)
		if m == nil {
			t.Fatalf("no %q in\n%s", re, r)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	for _, s := range Scenarios() {
		r, ok := reports[s]
		if !ok {
			t.Errorf("no report for %s", s)
			continue
		}
		calls := num(r, `calls +(\d+)\n`)
		if calls < 500 {
			t.Errorf("%s: %d calls, want the 600 of 12 s at 50/s", s, calls)
		}
		if popped := num(r, `popped +(\d+) of`); popped != calls {
			t.Errorf("%s: %d of %d calls popped", s, popped, calls)
		}
		if tasks, dupes := num(r, `Tasks +(\d+) for`), num(r, `(\d+) duplicates`); tasks != calls || dupes != 0 {
			t.Errorf("%s: %d Tasks (%d duplicates) for %d calls", s, tasks, dupes, calls)
		}
		if !strings.Contains(r, "longest gap without pops") || !strings.Contains(r, "OK: every call popped, one Task per call") {
			t.Errorf("%s: report incomplete or not OK:\n%s", s, r)
		}
		moved, agents := num(r, `\((\d+) softphones\)`), num(r, `; (\d+) agents`)
		switch s {
		case ScenarioKill:
			// A third of the softphones were on the instance killed.
			if moved < agents/5 || moved == agents {
				t.Errorf("kill: %d of %d softphones reconnected, want about a third", moved, agents)
			}
			// The admin page's figures outlive the SIGKILL: asked of the
			// killed instance started again, they hold the last hour.
			if !strings.Contains(r, "admin health, restarted") || num(r, `admin health, restarted +(\d+) pops`) == 0 {
				t.Errorf("kill: no admin health after the restart:\n%s", r)
			}
		case ScenarioRolling:
			if moved != agents {
				t.Errorf("rolling: %d of %d softphones reconnected, want every one", moved, agents)
			}
		case ScenarioRedisRestart:
			if !strings.Contains(r, "started again and answers") {
				t.Errorf("redis-restart: Redis was not restarted:\n%s", r)
			}
		}
	}
}
