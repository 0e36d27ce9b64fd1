package bench

import (
	"strings"
	"testing"
	"time"
)

func TestCPUTicksReadsStealFromProcStat(t *testing.T) {
	for _, c := range []struct {
		line         string
		total, steal uint64
		ok           bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  58544 0 10197 140559 4012 0 2662 2587 0 0", 218561, 2587, true},
		{"cpu 10 0 10 70 0 0 0 10", 100, 10, true},
		{"cpu 10 0 10 70 0 0 0", 0, 0, false}, // no steal column
		{"cpu0 10 0 10 70 0 0 0 10 0 0", 0, 0, false},
		{"cpu 10 x 10 70 0 0 0 10 0 0", 0, 0, false},
	} {
		total, steal, ok := cpuTicks(c.line)
		if total != c.total || steal != c.steal || ok != c.ok {
			t.Errorf("cpuTicks(%q) = %d, %d, %v; want %d, %d, %v", c.line, total, steal, ok, c.total, c.steal, c.ok)
		}
	}
}

func TestAReportSaysWhenTheHostTookTheMachinesCPU(t *testing.T) {
	quiet := (&Report{Steal: 0.01}).String()
	if !strings.Contains(quiet, "1.0% of the machine's CPU time taken by its host") || strings.Contains(quiet, "not a quiet machine's") {
		t.Errorf("a run with 1%% stolen:\n%s", quiet)
	}
	noisy := (&Report{Steal: 0.12}).String()
	if !strings.Contains(noisy, "the host took 12% of this machine's CPU time during the run: its latencies are not a quiet machine's") {
		t.Errorf("a run with 12%% stolen does not say so:\n%s", noisy)
	}
	unknown := (&Report{Steal: -1}).String()
	if strings.Contains(unknown, "steal") {
		t.Errorf("a run whose steal is unknown reports one:\n%s", unknown)
	}
	intake := (&IntakeReport{Server: IntakeResult{Steal: 0.2}, Bare: IntakeResult{Steal: 0}}).String()
	if !strings.Contains(intake, "zoomcti: 20.0% of the machine's CPU time taken by its host") || !strings.Contains(intake, "the host took 20%") {
		t.Errorf("an intake run with 20%% stolen does not say so:\n%s", intake)
	}
}

// The intake report says what zoomcti's own work costs a delivery (its CPU
// per delivery, the store's server included, over the bare handler's) and
// the budget a ratio of 0.5 leaves it (the bare handler's).
func TestAnIntakeReportSaysWhatItsOwnWorkCostsAndMayCost(t *testing.T) {
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	r := &IntakeReport{
		Bare:   IntakeResult{Accepted: 40000, Took: sec(10), CPU: sec(1.72), Steal: -1},                      // 43 µs a delivery
		Server: IntakeResult{Accepted: 15000, Took: sec(10), CPU: sec(1.26), StoreCPU: sec(0.33), Steal: -1}, // 84 + 22 µs
	}
	out := r.String()
	for _, want := range []string{
		"redis-server: 22 µs CPU per delivery",
		"bare 43 µs, zoomcti 106 µs: with every core busy the ratio could be at most 0.41",
		"zoomcti's own work (decode, dedupe, durable write, the store's server, the GC it causes): 63 µs a delivery; a ratio of 0.5 needs it within 43",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the intake report does not say %q:\n%s", want, out)
		}
	}
}

// With rounds, the report shows the round whose ratio is the median (the
// lower middle of an even count), lists every round's ratio, and a
// delivery refused in any round fails the run.
func TestAnIntakeReportShowsTheMedianRound(t *testing.T) {
	round := func(bare, srv int) IntakeRound {
		return IntakeRound{
			Bare:   IntakeResult{Accepted: bare, Took: time.Second, Steal: -1},
			Server: IntakeResult{Accepted: srv, Took: time.Second, Steal: -1},
		}
	}
	for _, c := range []struct {
		rounds []IntakeRound
		median int
		line   string
	}{
		{[]IntakeRound{round(100, 40)}, 0, ""},
		{[]IntakeRound{round(100, 40), round(100, 30), round(100, 50)}, 0, "zoomcti's intake takes, round by round: 40%, 30%, 50% of the bare handler's deliveries a second; the table is round 1, the median (40%)"},
		{[]IntakeRound{round(100, 50), round(200, 60), round(100, 35), round(100, 45)}, 2, "zoomcti's intake takes, round by round: 50%, 30%, 35%, 45% of the bare handler's deliveries a second; the table is round 3, the median (35%)"},
	} {
		r := &IntakeReport{Rounds: c.rounds}
		r.pickMedian()
		if r.Median != c.median || r.Server.Accepted != c.rounds[c.median].Server.Accepted || r.Bare.Accepted != c.rounds[c.median].Bare.Accepted {
			t.Errorf("%d rounds: the median is round %d (%d/%d), want round %d", len(c.rounds), r.Median+1, r.Server.Accepted, r.Bare.Accepted, c.median+1)
		}
		out := r.String()
		if c.line != "" && !strings.Contains(out, c.line) {
			t.Errorf("the report does not say %q:\n%s", c.line, out)
		}
		if c.line == "" && strings.Contains(out, "round by round") {
			t.Errorf("a report of one round lists rounds:\n%s", out)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%d rounds without a failure: %v", len(c.rounds), err)
		}
	}
	failed := round(100, 40)
	failed.Server.Failed = 3
	r := &IntakeReport{Rounds: []IntakeRound{round(100, 40), failed, round(100, 45)}}
	r.pickMedian()
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "3 on zoomcti") {
		t.Errorf("a delivery refused outside the median round: Err = %v", err)
	}
}
