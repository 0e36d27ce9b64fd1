package cti

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name          string
		attempt       int
		base, ceiling time.Duration
		lo, hi        time.Duration
	}{
		{"first retry", 0, time.Second, time.Minute, 500 * time.Millisecond, time.Second},
		{"doubles", 3, time.Second, time.Minute, 4 * time.Second, 8 * time.Second},
		{"capped", 20, time.Second, 5 * time.Minute, 150 * time.Second, 5 * time.Minute},
		{"no overflow", 1 << 20, time.Hour, 24 * time.Hour, 12 * time.Hour, 24 * time.Hour},
		{"nothing to wait", 3, 0, time.Minute, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 200 {
				if d := Backoff(tc.attempt, tc.base, tc.ceiling); d < tc.lo || d > tc.hi {
					t.Fatalf("Backoff(%d, %v, %v) = %v, want within [%v, %v]", tc.attempt, tc.base, tc.ceiling, d, tc.lo, tc.hi)
				}
			}
		})
	}
}
