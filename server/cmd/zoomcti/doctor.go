package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server"
)

const doctorHelp = `
Usage: zoomcti doctor [--server URL]

Checks what an admin set up in each connected Salesforce org and in the Zoom
app, with live calls made by the running zoomcti as a signed-in admin of
each org: the OAuth scopes granted, the REST API version, the phone fields
an agent can see, the Task status call logs are saved with, the call center
pointing at this server, the admin custom permission and its association
with the app, the Zoom app's scopes and the webhook URL answering Zoom's
validation. What no API can show (the utility bar, Zoom's event
subscriptions) is given as evidence ("last phone.callee_ringing at …") or
"can't check from here", never as passed.

It asks the running zoomcti, authenticated with ZOOMCTI_OPS_TOKEN (or the
file ZOOMCTI_OPS_TOKEN_FILE names; the demo's when unset), prints a ✓/✗
table with the fix for each ✗, and exits 1 when anything failed.
`

func cmdDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("doctor", doctorHelp, stderr)
	addr := getenv("ZOOMCTI_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := fs.String("server", "http://"+addr, "base URL of the running zoomcti")
	if err := parse(fs, args); err != nil {
		return err
	}
	token, err := opsToken(getenv)
	if err != nil {
		return err
	}
	resp, err := opsCall(ctx, http.MethodGet, *srv, "/api/ops/doctor", token, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var rep server.DoctorReport
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&rep); err != nil {
		return fmt.Errorf("reading zoomcti's answer: %w", err)
	}
	if failed := printDoctor(stdout, rep); failed > 0 {
		return errors.New(plural(failed, "check") + " failed; fix each ✗ as it says and run zoomcti doctor again")
	}
	return nil
}

// printDoctor prints the report as a table and returns how many failed.
func printDoctor(w io.Writer, rep server.DoctorReport) int {
	failed := 0
	width := 0
	all := [][]cti.Check{rep.Zoom}
	for _, o := range rep.Orgs {
		all = append(all, o.Checks)
	}
	for _, list := range all {
		for _, c := range list {
			width = max(width, len([]rune(c.Name)))
		}
	}
	line := func(c cti.Check) {
		mark := map[cti.CheckState]string{cti.CheckPassed: "✓", cti.CheckFailed: "✗", cti.CheckEvidence: "~", cti.CheckUnknown: "?"}[c.State]
		if mark == "" {
			mark = "?"
		}
		fmt.Fprintf(w, "  %s %-*s  %s\n", mark, width, c.Name, c.Detail)
		if c.State == cti.CheckFailed {
			failed++
			fmt.Fprintf(w, "    %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	fmt.Fprintf(w, "zoomcti doctor — %s\n", rep.Server)
	for _, o := range rep.Orgs {
		fmt.Fprintf(w, "\nSalesforce org %s", o.Name)
		if o.OrgID != "" {
			fmt.Fprintf(w, " (%s, as %s)", o.OrgID, o.AsUser)
		}
		fmt.Fprintln(w)
		for _, c := range o.Checks {
			line(c)
		}
	}
	fmt.Fprintln(w, "\nZoom")
	for _, c := range rep.Zoom {
		line(c)
	}
	fmt.Fprintln(w, "\n✓ passed · ✗ failed · ~ evidence (no API can check) · ? could not check now")
	return failed
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
