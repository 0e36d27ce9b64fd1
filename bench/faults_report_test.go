package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store/redis"
	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// urlOnly is a fault run's store that is only read.
type urlOnly struct {
	redisRig
	url string
}

func (u urlOnly) URL() string { return u.url }

// A call that never popped is reported with what the run knows of it: its
// webhooks' times, what its agent's softphone got, and the call as the
// store holds it, so that a run that failed in CI can be traced from its
// output.
func TestANotPoppedCallIsReportedWithItsStoredState(t *testing.T) {
	url := storetest.RedisURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := redis.Open(ctx, url, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	agent := &benchAgent{i: 513, agent: cti.Agent{OrgID: "00DFAULTS", UserID: "005" + randomHex(6)}}
	agent.reconnects.Store(1)
	t0 := time.Now()
	f := &faultRun{b: &rig{}, redis: urlOnly{url: url}, t0: t0}
	stored := cti.Call{ID: "7400000000000000513", State: cti.StateAnswered, Answered: t0, Matches: []cti.Match{{}}, Popped: true}
	b, _ := json.Marshal(stored)
	key := cti.CallKeyPrefix(agent.agent) + stored.ID
	if err := st.Set(ctx, key, b, time.Minute); err != nil {
		t.Fatal(err)
	}
	defer st.Delete(context.Background(), key)
	c := &benchCall{agent: agent, ringSent: t0.Add(3880 * time.Millisecond), answerSent: t0.Add(5880 * time.Millisecond), cards: 2}

	tests := []struct {
		name, id string
		want     []string
	}{
		{"a stored call", stored.ID, []string{
			"agent 513's call 7400000000000000513", "rang at 3.88s", "answered at 5.88s", "ended at never",
			"got 2 messages about it without a pop", "reconnected 1 times",
			"stored: state answered, popped true, answered true, 1 matches",
		}},
		{"a call the store never held", "7400000000000000999", []string{"stored: nothing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := f.notPoppedCall(tc.id, c)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the report says\n  %s\nnot %q", got, w)
				}
			}
		})
	}
}
