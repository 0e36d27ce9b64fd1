package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

func TestBenchRunsCallsThroughTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run takes a few seconds")
	}
	rep, err := RunBench(context.Background(), BenchConfig{
		Agents: 20, Rate: 10, Duration: 2 * time.Second, SFLatency: 5 * time.Millisecond,
		Ring: 200 * time.Millisecond, Talk: 300 * time.Millisecond, Wrap: 100 * time.Millisecond,
		Contacts: 20, DrainTimeout: 30 * time.Second,
	})
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
	for _, want := range []string{"webhook acknowledgement", "webhook → screen pop", "per call", "server heap", "OK:"} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestBenchRefusesTooFewAgentsForTheRate(t *testing.T) {
	_, err := RunBench(context.Background(), BenchConfig{Agents: 10, Rate: 50})
	if err == nil || !strings.Contains(err.Error(), "10 agents cannot take 50 calls/s") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkWebhookIntake measures POST /webhooks/zoom alone: verify, dedupe,
// durable enqueue, 200 — on the embedded store, without workers.
func BenchmarkWebhookIntake(b *testing.B) {
	st, err := bolt.Open(filepath.Join(b.TempDir(), "intake.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := Config{Addr: "127.0.0.1:0", PublicURL: "http://zoomcti.test", ZoomWebhookSecret: testSecret,
		EncryptionKey: []byte("zoomcti-test-key-0123456789abcde"), StorePath: "unused", SFLoginURL: "http://sf.test",
		ZoomOAuthURL: "http://zoom.test", ZoomAPIURL: "http://zoom.test", SFAPIVersion: "67.0"}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	s, err := New(cfg, Deps{Store: st, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	zm := zoomsim.New(zoomsim.Options{})
	bodies := make([][]byte, 0, b.N)
	for range b.N {
		call, err := zm.Inbound(zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID})
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, call[0])
	}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(bodies[i], now, testSecret))
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("received")) {
			b.Fatalf("answer %d %s", w.Code, w.Body)
		}
	}
}
