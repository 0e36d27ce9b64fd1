package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// The floor is a durable intake, however plain: a signed delivery is
// stored before its 200, the same delivery again meets its mark, an
// unsigned one is refused, and closing it leaves nothing behind in Redis.
func TestTheFloorStoresEachDeliveryUnderItsMark(t *testing.T) {
	for _, c := range []struct {
		name string
		url  func(t *testing.T) string
		nth  int // of floorsFor's floors
	}{
		{"journal", func(*testing.T) string { return "" }, 0},
		{"bbolt", func(*testing.T) string { return "" }, 1},
		{"redis", func(t *testing.T) string { return storetest.RedisURL(t) }, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url := c.url(t)
			st, err := floorsFor(url)[c.nth](ctx)
			if err != nil {
				t.Fatal(err)
			}
			closed := false
			defer func() {
				if !closed {
					st.close()
				}
			}()
			secret := benchKey()[:22]
			srv := httptest.NewServer(floorIntake(secret, st))
			defer srv.Close()
			bodies, err := zoomsim.New(zoomsim.Options{}).Inbound(zoomsim.CallSpec{CallID: "7500000000000000001", From: "+12025550142", To: zoomsim.AliceID})
			if err != nil {
				t.Fatal(err)
			}
			snd := &zoomsim.Sender{URL: srv.URL, Secret: secret, ClientID: zoomsim.DefaultClientID, Client: srv.Client()}
			for _, want := range []string{"received", "duplicate"} {
				d, err := snd.Send(ctx, bodies[0])
				if err != nil || d.StatusCode != http.StatusOK || !strings.Contains(string(d.Body), want) {
					t.Fatalf("a signed delivery: %v %+v, want 200 %s", err, d, want)
				}
			}
			forged := &zoomsim.Sender{URL: srv.URL, Secret: "another secret", ClientID: zoomsim.DefaultClientID, Client: srv.Client()}
			if d, _ := forged.Send(ctx, bodies[1]); d == nil || d.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a delivery signed with another secret: %+v, want 401", d)
			}
			if d, err := snd.Send(ctx, bodies[1]); err != nil || !strings.Contains(string(d.Body), "received") {
				t.Fatalf("the forged delivery was stored: its signed one is %v %+v", err, d)
			}
			if st.file != "" {
				// Each of the two stored deliveries, once, before its 200.
				journal, err := os.ReadFile(st.file)
				if err != nil {
					t.Fatal(err)
				}
				for i, body := range bodies[:2] {
					if n := bytes.Count(journal, body); n != 1 {
						t.Errorf("delivery %d is in the journal %d times, want once", i+1, n)
					}
				}
			}
			st.close()
			closed = true
			if url == "" {
				return
			}
			client, err := redisstore.NewClient(url)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			if left, err := client.Keys(ctx, st.prefix+"*").Result(); err != nil || len(left) > 0 {
				t.Errorf("keys left after close: %v %v", left, err)
			}
		})
	}
}

// With --floor the report shows the floor's row, what it leaves the bare
// handler and what zoomcti's intake takes of it, and a delivery the floor
// refused fails the run.
func TestAnIntakeReportComparesZoomctiWithTheFloor(t *testing.T) {
	res := func(n int, redisCPU time.Duration) IntakeResult {
		return IntakeResult{Accepted: n, Took: time.Second, CPU: time.Second, StoreCPU: redisCPU, Steal: -1}
	}
	r := &IntakeReport{Rounds: []IntakeRound{{Bare: res(40000, 0), Floors: []IntakeResult{res(20000, 280*time.Millisecond), res(30000, 0)}, Server: res(15000, 330*time.Millisecond)}},
		FloorNames: []string{"a Redis MULTI", "another"}}
	r.pickMedian()
	out := r.String()
	for _, want := range []string{
		"bare handler + plain write 1            20000",
		"bare handler + plain write 2            30000",
		"plain durable write 1 (a Redis MULTI) leaves the bare handler 50% of its deliveries a second; zoomcti's intake takes 75% of that handler's",
		"plain durable write 2 (another) leaves the bare handler 75% of its deliveries a second; zoomcti's intake takes 50% of that handler's",
		"redis-server: 22 µs CPU per delivery (its own process, not in the column above); 14 for plain durable write 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q:\n%s", want, out)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	r.Rounds[0].Floors[1].Failed = 2
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "2 on the plain durable writes") {
		t.Errorf("a delivery the floor refused: Err = %v", err)
	}
	if out := (&IntakeReport{Bare: res(40000, 0), Server: res(15000, 0)}).String(); strings.Contains(out, "plain durable write") {
		t.Errorf("a run without the floor mentions it:\n%s", out)
	}
}
