package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/demo"
	"github.com/zoomcti/zoomcti/server"
)

const reconcileHelp = `
Usage: zoomcti reconcile [--server URL] (--from DATE [--to DATE] | today | yesterday | DAYS)

Catches up on lost webhooks: reads every linked agent's Zoom call history
for the range and writes the Task of each call that has none yet. Calls
already logged (by the webhooks or an earlier run) are left alone, so it is
safe to run at any time. Dates are YYYY-MM-DD (a whole day) or RFC 3339, in
UTC; "7" means the last 7 days. Zoom keeps six months of history.

It asks the running zoomcti, authenticated with ZOOMCTI_OPS_TOKEN (or the
file ZOOMCTI_OPS_TOKEN_FILE names, as for serve; the demo's when unset),
and prints each agent's progress and a summary.
`

func cmdReconcile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reconcile", reconcileHelp, stderr)
	addr := getenv("ZOOMCTI_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := fs.String("server", "http://"+addr, "base URL of the running zoomcti")
	fromFlag := fs.String("from", "", "start (YYYY-MM-DD or RFC 3339, UTC)")
	toFlag := fs.String("to", "", "end; a plain date includes that whole day (default: now)")
	if err := parse(fs, args); err != nil {
		return err
	}
	from, to, err := reconcileRange(time.Now().UTC(), *fromFlag, *toFlag, fs.Args())
	if err != nil {
		return usageError{err}
	}
	token, err := opsToken(getenv)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]time.Time{"from": from, "to": to})
	fmt.Fprintf(stdout, "reconciling %s → %s\n", from.Format(time.RFC3339), to.Format(time.RFC3339))
	resp, err := opsCall(ctx, http.MethodPost, *srv, "/api/ops/reconcile", token, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line struct {
			Progress string                   `json:"progress"`
			Error    string                   `json:"error"`
			Summary  *server.ReconcileSummary `json:"summary"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			continue
		}
		switch {
		case line.Error != "":
			return fmt.Errorf("reconcile: %s", line.Error)
		case line.Progress != "":
			fmt.Fprintln(stdout, "  "+line.Progress)
		case line.Summary != nil:
			s := line.Summary
			fmt.Fprintf(stdout, "agents %d · calls seen %d · already logged %d · logged now %d · unsaved wrap-ups %d · ignored %d · failed %d\n",
				s.Agents, s.Seen, s.AlreadyLogged, s.LoggedNow, s.UnsavedWrapUps, s.Ignored, s.Failed)
			for _, e := range s.Errors {
				fmt.Fprintln(stdout, "  failed: "+e)
			}
			if s.Failed > 0 {
				return fmt.Errorf("%d calls could not be logged; run it again later", s.Failed)
			}
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("zoomcti ended the reconcile without a summary")
}

// opsCall sends an operator request to the running zoomcti at server and
// returns its 200 answer; anything else is an error saying what zoomcti
// answered.
func opsCall(ctx context.Context, method, server, path, token string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(server, "/")+path, rd)
	if err != nil {
		return nil, usageError{err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w (is zoomcti running at %s?)", err, server)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e struct{ Error string }
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e)
		return nil, fmt.Errorf("zoomcti answered %d: %s", resp.StatusCode, e.Error)
	}
	return resp, nil
}

// opsToken is the operator token as serve reads it: ZOOMCTI_OPS_TOKEN_FILE
// first, then ZOOMCTI_OPS_TOKEN, else the demo's.
func opsToken(getenv func(string) string) (string, error) {
	if f := getenv("ZOOMCTI_OPS_TOKEN_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("ZOOMCTI_OPS_TOKEN_FILE: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if t := strings.TrimSpace(getenv("ZOOMCTI_OPS_TOKEN")); t != "" {
		return t, nil
	}
	return demo.OpsToken, nil
}

// reconcileRange turns the command line into [from, to).
func reconcileRange(now time.Time, fromS, toS string, rest []string) (time.Time, time.Time, error) {
	day := now.Truncate(24 * time.Hour)
	if len(rest) > 1 {
		return time.Time{}, time.Time{}, fmt.Errorf("one range only, got %q", strings.Join(rest, " "))
	}
	if len(rest) == 1 {
		if fromS != "" || toS != "" {
			return time.Time{}, time.Time{}, fmt.Errorf("give --from/--to or %q, not both", rest[0])
		}
		switch rest[0] {
		case "today":
			return day, now, nil
		case "yesterday":
			return day.Add(-24 * time.Hour), day, nil
		}
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 1 || n > 183 {
			return time.Time{}, time.Time{}, fmt.Errorf("range %q: use today, yesterday, or a number of days from 1 to 183", rest[0])
		}
		return now.Add(-time.Duration(n) * 24 * time.Hour), now, nil
	}
	if fromS == "" {
		return time.Time{}, time.Time{}, fmt.Errorf("which range? --from/--to, today, yesterday or a number of days")
	}
	from, err := parseWhen(fromS, false)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--from: %w", err)
	}
	to := now
	if toS != "" {
		if to, err = parseWhen(toS, true); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--to: %w", err)
		}
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, fmt.Errorf("--from must be before --to")
	}
	return from, to, nil
}

// parseWhen reads a date (through the end of that day when end is set) or
// an RFC 3339 time.
func parseWhen(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD or RFC 3339", s)
	}
	return t, nil
}
