// Package repo reads what the deploy files must agree with from the rest of
// the repository: the ZOOMCTI_* variables of the README's configuration
// table, and how long the server may take to shut down.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ConfigVars are the variables named in the first column of the README's
// "## Configuration" table (several may share a row: `A` / `B`).
func ConfigVars(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		return nil, fmt.Errorf("%s: no \"## Configuration\" section", path)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	vars := map[string]bool{}
	name := regexp.MustCompile("`(ZOOMCTI_[A-Z0-9_]+)`")
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `ZOOMCTI_") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			vars[m[1]] = true
		}
	}
	if len(vars) == 0 {
		return nil, fmt.Errorf("%s: no variable in the configuration table", path)
	}
	return vars, nil
}

// Documented says whether name is in vars, or is the `_FILE` form of one
// (every variable may be read from a file that way).
func Documented(vars map[string]bool, name string) bool {
	return vars[name] || vars[strings.TrimSuffix(name, "_FILE")]
}

// ShutdownBudget is the longest a `zoomcti serve` takes to stop after
// SIGTERM, read from the server's source in root (the repository): the HTTP
// server's graceful shutdown (server.go), then a job already running, which
// finishes under its own timeout (dispatch.go, runAs: jobLease (worker.go)
// less a margin), then its acknowledgement (dispatch.go, settle). An
// orchestrator that kills the process sooner loses nothing (the job's lease
// runs out and another instance redoes it), but delays that job by the lease.
func ShutdownBudget(root string) (time.Duration, error) {
	find := func(file, pattern string) (time.Duration, error) {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return 0, err
		}
		m := regexp.MustCompile(pattern).FindSubmatch(b)
		if m == nil {
			return 0, fmt.Errorf("%s no longer has %q: see how long shutdown takes now and update deploy/internal/repo and the grace periods in deploy/", file, pattern)
		}
		n, err := strconv.Atoi(string(m[1]))
		if err != nil {
			return 0, err
		}
		unit := time.Second
		if string(m[2]) == "Minute" {
			unit = time.Minute
		}
		return time.Duration(n) * unit, nil
	}
	parts := []struct{ file, pattern string }{
		{"server/server.go", `\bshutCtx, cancel := context\.WithTimeout\(context\.Background\(\), (\d+)\*time\.(Second)\)`},
		{"server/worker.go", `jobLease\s+= (\d+) \* time\.(Minute|Second)`},
		{"server/dispatch.go", `\bjobCtx, cancel := context\.WithTimeout\(context\.WithoutCancel\(ctx\), jobLease-(\d+)\*time\.(Second)\)`},
		{"server/dispatch.go", `\backCtx, cancel := context\.WithTimeout\(context\.WithoutCancel\(ctx\), (\d+)\*time\.(Second)\)`},
	}
	var d [4]time.Duration
	for i, p := range parts {
		v, err := find(p.file, p.pattern)
		if err != nil {
			return 0, err
		}
		d[i] = v
	}
	return d[0] + (d[1] - d[2]) + d[3], nil
}
