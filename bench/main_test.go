package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// TestMain lets this test binary be the softphones' child process too, as
// `zoomcti bench softphones` is for the command.
func TestMain(m *testing.M) {
	if os.Getenv("ZOOMCTI_BENCH_SOFTPHONES") == "1" {
		if err := RunSoftphones(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
