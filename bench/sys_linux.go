package bench

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// raiseFileLimit makes room for need open files: every softphone is two
// sockets in this process (the bench's end and the server's). Go already
// raises the soft limit to the hard one at start; past the hard limit only
// a privileged process may go.
func raiseFileLimit(need uint64) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return nil // unknown: let the run find out
	}
	if l.Cur >= need {
		return nil
	}
	want := syscall.Rlimit{Cur: need, Max: max(l.Max, need)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return fmt.Errorf("about %d open files needed, the limit is %d (hard %d); raise it (ulimit -n %d) or run fewer agents: %w",
			need, l.Cur, l.Max, need, err)
	}
	return nil
}

// processCPU is the CPU time this process has used, user and system, in
// seconds. The Go runtime's own account (busyCPU) counts a thread blocked
// in a system call, such as the embedded store's fdatasync, as busy.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return busyCPU()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// childAttr makes a child process die with this one: the fault run's
// redis-server, nginx and zoomcti instances must not outlive a harness
// that was killed.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// machineCPU reads the machine's CPU time from /proc/stat (cpuTicks).
func machineCPU() (total, steal uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return cpuTicks(line)
}

// dataSync makes what was written to f durable, as bbolt's commit does on
// Linux: fdatasync, which skips the metadata reading the data does not
// need (its times), and keeps what it does (an appended file's length).
func dataSync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
