//go:build !linux

package bench

// raiseFileLimit leaves the limit alone off Linux; a run past it fails
// when a socket cannot be opened.
func raiseFileLimit(uint64) error { return nil }

// processCPU is the CPU time the process has spent, by the Go runtime's
// account.
func processCPU() float64 { return busyCPU() }
