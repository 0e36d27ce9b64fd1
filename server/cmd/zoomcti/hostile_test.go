package main

import (
	"bytes"
	"strings"
	"testing"
)

// zoomcti hostile, small, against a zoomcti in its own process: it prints
// the RSS readings and how each request was answered.
func TestHostileCommand(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stdout, or stderr for --help
	}{
		{"help", []string{"hostile", "--help"}, 0, []string{"Usage: zoomcti hostile", "-pid"}},
		{"in-process server", []string{"hostile", "--callbacks", "5", "--webhooks", "4", "--trickle", "0s", "--sources", "3"}, 0,
			[]string{"RSS before:", "RSS with bodies in flight:", "RSS after:", "callbacks answered: 413×5", "webhooks answered:  401×4"}},
		{"bad server URL", []string{"hostile", "--server", "nowhere"}, 2, []string{"--server"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, noEnv, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %s; stderr %s", code, tc.code, out.String(), errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String()+errb.String(), w) {
					t.Errorf("output lacks %q:\n%s%s", w, out.String(), errb.String())
				}
			}
		})
	}
}
