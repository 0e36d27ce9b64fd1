package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/demo"
)

// The README's commands against a running demo: simulate places a call and
// prints its id last; reconcile finds it logged.
func TestSimulateAndReconcileAgainstTheDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	d, err := demo.Start(ctx, "127.0.0.1:0", "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = d.Wait() }()
	noEnv := func(string) string { return "" }

	var out, errb bytes.Buffer
	if code := run([]string{"simulate", "inbound", "--server", d.ServerURL, "--zoom", d.ZoomURL, "--gap", "0s"}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	callID := lines[len(lines)-1]
	if len(callID) != 19 || strings.Trim(callID, "0123456789") != "" {
		t.Fatalf("simulate's last line %q is not a Zoom call id", callID)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !logged(d, callID) {
		if time.Now().After(deadline) {
			t.Fatalf("call %s was never logged", callID)
		}
		time.Sleep(50 * time.Millisecond)
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"reconcile", "--server", d.ServerURL, "today"}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("reconcile: exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "calls seen 1 · already logged 1 · logged now 0 · unsaved wrap-ups 0 · ignored 0 · failed 0") {
		t.Fatalf("reconcile printed:\n%s", out.String())
	}

	// The demo is set up as the guide says: doctor finds nothing wrong,
	// and shows the call it just saw as evidence of Zoom's subscriptions.
	out.Reset()
	errb.Reset()
	if code := run([]string{"doctor", "--server", d.ServerURL}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("doctor: exit %d:\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"✓ OAuth scopes", "✓ REST API version", "✓ Phone fields visible to agents", "✓ Task status", "✓ Call center",
		"✓ Admin custom permission", "✓ Zoom app scopes", "✓ Webhook URL", "~ Event subscriptions"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor printed no %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "  ✗ ") {
		t.Errorf("doctor found a fault in the demo:\n%s", out.String())
	}
}

func logged(d *demo.Demo, callID string) bool {
	for _, r := range d.Org.Records("Task") {
		if r["CallObject"] == callID {
			return true
		}
	}
	return false
}

func TestReconcileRange(t *testing.T) {
	now := time.Date(2026, 11, 21, 15, 30, 0, 0, time.UTC)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to string
		rest     []string
		wantFrom time.Time
		wantTo   time.Time
		wantErr  string
	}{
		{"today", "", "", []string{"today"}, day, now, ""},
		{"yesterday", "", "", []string{"yesterday"}, day.AddDate(0, 0, -1), day, ""},
		{"last 7 days", "", "", []string{"7"}, now.AddDate(0, 0, -7), now, ""},
		{"dates, the end day included", "2026-11-01", "2026-11-02", nil, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), ""},
		{"from only runs to now", "2026-11-20T08:00:00Z", "", nil, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), now, ""},
		{"nothing", "", "", nil, time.Time{}, time.Time{}, "which range"},
		{"both forms", "2026-11-01", "", []string{"today"}, time.Time{}, time.Time{}, "not both"},
		{"too many days", "", "", []string{"400"}, time.Time{}, time.Time{}, "from 1 to 183"},
		{"backwards", "2026-11-05", "2026-11-01", nil, time.Time{}, time.Time{}, "before"},
		{"bad date", "05/11/2026", "", nil, time.Time{}, time.Time{}, "is not YYYY-MM-DD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to, err := reconcileRange(now, tc.from, tc.to, tc.rest)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !from.Equal(tc.wantFrom) || !to.Equal(tc.wantTo) {
				t.Fatalf("got %v → %v (%v), want %v → %v", from, to, err, tc.wantFrom, tc.wantTo)
			}
		})
	}
}
