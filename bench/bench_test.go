package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestBenchRunsCallsThroughTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run takes a few seconds")
	}
	for _, tc := range []struct {
		name  string
		child bool
	}{{"softphones in this process", false}, {"softphones in a child process", true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{
				Agents: 20, Rate: 10, Duration: 2 * time.Second, SFLatency: 5 * time.Millisecond,
				Ring: 200 * time.Millisecond, Talk: 300 * time.Millisecond, Wrap: 100 * time.Millisecond,
				Contacts: 20, DrainTimeout: 30 * time.Second,
			}
			if tc.child {
				t.Setenv("ZOOMCTI_BENCH_SOFTPHONES", "1")
				cfg.SoftphoneCommand = []string{os.Args[0]}
			}
			checkBench(t, cfg)
		})
	}
}

func checkBench(t *testing.T, cfg Config) {
	t.Helper()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if rep.Calls < 10 || rep.Popped != rep.Calls || rep.Tasks != rep.Calls || rep.Ended != rep.Calls {
		t.Fatalf("calls %d, popped %d, ended %d, Tasks %d: want all equal", rep.Calls, rep.Popped, rep.Ended, rep.Tasks)
	}
	if rep.Connected != 20 {
		t.Fatalf("server held %d softphones, want 20", rep.Connected)
	}
	if rep.Ack.N != 4*rep.Calls || rep.Ack.P50 <= 0 || rep.Pop.P50 <= 0 || rep.Pop.Max < rep.Pop.P50 {
		t.Fatalf("latencies: ack %+v, pop %+v", rep.Ack, rep.Pop)
	}
	if rep.APIRequests < rep.Calls || rep.HeapPerAgent <= 0 || rep.GoroutinesPerAgent <= 0 {
		t.Fatalf("API requests %d for %d calls, heap/agent %.0f, goroutines/agent %.2f",
			rep.APIRequests, rep.Calls, rep.HeapPerAgent, rep.GoroutinesPerAgent)
	}
	if rep.SoftphonesApart != (len(cfg.SoftphoneCommand) > 0) || rep.ClientHeapPerAgent <= 0 {
		t.Errorf("softphones apart %v, their heap per agent %.0f", rep.SoftphonesApart, rep.ClientHeapPerAgent)
	}
	// The profile samples 100 times a second: in a run this small the
	// emulators' and the senders' few milliseconds may draw no sample, the
	// server's (every webhook, lookup and Task) always do. Softphones in
	// this process count on the bench's side, and twenty of them reading
	// their pushes can cost about what the server does (its describes are
	// read at connect, before the profile starts).
	if rep.CPU.Server <= 0 || rep.CPU.Server < rep.CPU.Emulators || rep.SoftphonesApart && rep.CPU.Server < rep.CPU.Bench {
		t.Errorf("CPU by side: %+v; want the server's the largest share of the labelled CPU", rep.CPU)
	}
	if rep.StoreOps.Writes < rep.Calls || rep.StoreOps.Reads < rep.Calls {
		t.Errorf("store writes %d, reads %d for %d calls", rep.StoreOps.Writes, rep.StoreOps.Reads, rep.Calls)
	}
	for _, want := range []string{"webhook acknowledgement", "webhook → screen pop", "per call", "server CPU per call", "server heap", "OK:"} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestBenchRefusesTooFewAgentsForTheRate(t *testing.T) {
	_, err := Run(context.Background(), Config{Agents: 10, Rate: 50})
	if err == nil || !strings.Contains(err.Error(), "10 agents cannot take 50 calls/s") {
		t.Fatalf("err = %v", err)
	}
}

// A short intake run answers every delivery on both targets and prints
// both throughputs and their ratio.
func TestIntakeComparesBareHandlerAndServer(t *testing.T) {
	rep, err := RunIntake(context.Background(), IntakeConfig{Senders: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if rep.Bare.Accepted == 0 || rep.Server.Accepted == 0 {
		t.Fatalf("accepted: bare %d, server %d", rep.Bare.Accepted, rep.Server.Accepted)
	}
	for _, want := range []string{"bare handler", "POST /webhooks/zoom", "ratio"} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// Rounds measure every target again (the floor too, with Floor), each
// round against a zoomcti of its own, and the report shows every round.
func TestIntakeRunsRounds(t *testing.T) {
	rep, err := RunIntake(context.Background(), IntakeConfig{Senders: 4, Duration: 200 * time.Millisecond, Rounds: 2, Floor: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rounds) != 2 {
		t.Fatalf("%d rounds, want 2", len(rep.Rounds))
	}
	for i, r := range rep.Rounds {
		if r.Bare.Accepted == 0 || r.Server.Accepted == 0 {
			t.Errorf("round %d accepted: bare %d, server %d", i+1, r.Bare.Accepted, r.Server.Accepted)
		}
		// The embedded store's two: the journal and bbolt's group commit.
		if len(r.Floors) != 2 {
			t.Fatalf("round %d measured %d floors, want 2", i+1, len(r.Floors))
		}
		for j, f := range r.Floors {
			if f.Accepted == 0 {
				t.Errorf("round %d: floor %d (%s) accepted none", i+1, j+1, rep.FloorNames[j])
			}
		}
	}
	if !strings.Contains(rep.String(), "round by round") {
		t.Errorf("the report does not list the rounds:\n%s", rep)
	}
}
