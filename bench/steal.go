package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// A virtual machine's CPUs are sometimes taken by its host: the time a
// guest was ready to run and was not shows in /proc/stat as steal. On a
// busy host that alone moves a run's tail latencies by tens of
// milliseconds, so every run reports it, and says when its latencies are
// not those of a quiet machine.

// stealNotable is the share of the machine's CPU time stolen past which a
// run's report warns that its latencies are not a quiet machine's.
const stealNotable = 0.05

// stealMeter measures the share of the machine's CPU time stolen between
// its start and a call of share.
type stealMeter struct {
	total, steal uint64
	ok           bool
}

func startSteal() stealMeter {
	t, s, ok := machineCPU()
	return stealMeter{t, s, ok}
}

// share is the stolen share since start, or -1 when it is unknown.
func (m stealMeter) share() float64 {
	t, s, ok := machineCPU()
	if !m.ok || !ok || t <= m.total {
		return -1
	}
	return float64(s-m.steal) / float64(t-m.total)
}

// stealNote describes a stolen share for a report: what was taken, and a
// warning when it was enough to matter. Empty when unknown.
func stealNote(share float64) (taken, warning string) {
	if share < 0 {
		return "", ""
	}
	taken = fmt.Sprintf("%.1f%% of the machine's CPU time taken by its host (steal)", 100*share)
	if share >= stealNotable {
		warning = fmt.Sprintf("note: the host took %.0f%% of this machine's CPU time during the run: its latencies are not a quiet machine's", 100*share)
	}
	return taken, warning
}

// cpuTicks reads /proc/stat's first line, the machine's CPU time in clock
// ticks: all of it, and the part the host stole. ok is false when the line
// is not that.
func cpuTicks(line string) (total, steal uint64, ok bool) {
	f := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]:
	// guest time is counted in user already.
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range f[1:9] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i == 7 {
			steal = n
		}
	}
	return total, steal, true
}
