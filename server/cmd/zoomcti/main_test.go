package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, 2, "", "Usage:"},
		{"unknown command", []string{"launch"}, 2, "", `unknown command "launch"`},
		{"version", []string{"version"}, 0, "zoomcti ", ""},
		{"serve --help", []string{"serve", "--help"}, 0, "", "Usage: zoomcti serve"},
		{"demo --help", []string{"demo", "--help"}, 0, "", "Usage: zoomcti demo"},
		{"simulate --help", []string{"simulate", "--help"}, 0, "", "Usage: zoomcti simulate"},
		{"simulate inbound --help", []string{"simulate", "inbound", "--help"}, 0, "", "-from"},
		{"simulate without scenario", []string{"simulate"}, 2, "", "which scenario"},
		{"simulate unknown scenario", []string{"simulate", "fax"}, 2, "", `unknown scenario "fax"`},
		{"serve without configuration names the variables", []string{"serve"}, 1, "", "ZOOMCTI_ZOOM_WEBHOOK_SECRET"},
		{"serve with a bad flag", []string{"serve", "--port", "1"}, 2, "", "flag provided but not defined"},
		{"faults --help", []string{"faults", "--help"}, 0, "", "Usage: zoomcti faults"},
		{"faults unknown scenario", []string{"faults", "--scenario", "flood"}, 2, "", `"flood" is not one of`},
		{"faults with the fault after the calls", []string{"faults", "--duration", "10s", "--fault-at", "20s"}, 2, "", "the fault must start within the calls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, noEnv, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("stdout %q / stderr %q; want %q / %q", out.String(), errb.String(), tc.stdout, tc.stderr)
			}
		})
	}
}

// simulate reports an unreachable server instead of hanging or claiming success.
func TestSimulateAgainstNoServer(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"simulate", "inbound", "--server", "http://127.0.0.1:1", "--zoom", "off", "--gap", "0s"}, func(string) string { return "" }, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "is zoomcti running") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
