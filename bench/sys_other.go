//go:build !linux

package bench

import (
	"os"
	"syscall"
)

// raiseFileLimit leaves the limit alone off Linux; a run past it fails
// when a socket cannot be opened.
func raiseFileLimit(uint64) error { return nil }

// processCPU is the CPU time the process has spent, by the Go runtime's
// account.
func processCPU() float64 { return busyCPU() }

// childAttr leaves a child's attributes alone off Linux: there a fault
// run's processes are stopped by the harness itself.
func childAttr() *syscall.SysProcAttr { return nil }

// machineCPU is unknown off Linux.
func machineCPU() (total, steal uint64, ok bool) { return 0, 0, false }

// dataSync makes what was written to f durable: fsync off Linux.
func dataSync(f *os.File) error { return f.Sync() }
