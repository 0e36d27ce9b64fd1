package server

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// A step whose event was queued outside its agent's hash slot (before the
// Zoom user was linked, by a version without shards, or for the agent the
// user was linked to before) is stored, and its job acknowledged right
// after it, rather than refused for spanning slots; a step spanning slots
// for any other reason is still refused.
func TestEngineStepAcknowledgesAJobQueuedElsewhere(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "kv.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	agent := cti.Agent{OrgID: "00D1", UserID: "0051"}
	tag := "{" + cti.AgentTag(agent) + "}"
	apart := 0
	kv := engineKV{Store: st, apart: func() { apart++ }}

	tests := []struct {
		name  string
		queue string // where the event was queued
		apart int
	}{
		{"on the agent's shard: acknowledged in the step", store.ShardName(eventQueue, cti.AgentTag(agent)), 0},
		{"on the default shard", eventQueue, 1},
		{"on another agent's shard", store.ShardName(eventQueue, "other"), 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apart = 0
			id, err := st.Enqueue(ctx, tt.queue, []byte("event"))
			if err != nil {
				t.Fatal(err)
			}
			if job, err := st.Claim(ctx, eventQueue, time.Minute); err != nil || job == nil || job.ID != id {
				t.Fatalf("Claim = %+v, %v", job, err)
			}
			key := "call:" + tag + ":c" + string(rune('0'+i))
			ids, err := kv.Apply(ctx, cti.Txn{
				Set:     []cti.Put{{Key: key, Value: []byte("state")}},
				Enqueue: []cti.NewJob{{Queue: cti.OutboxShard(agent), Payload: []byte("task")}},
				Ack:     []cti.JobRef{{Queue: eventQueue, ID: id}},
			})
			if err != nil || len(ids) != 1 {
				t.Fatalf("Apply = %v, %v", ids, err)
			}
			if v, err := st.Get(ctx, key); err != nil || string(v) != "state" {
				t.Fatalf("the step's write: %q, %v", v, err)
			}
			if n, err := st.Len(ctx, eventQueue); err != nil || n != 0 {
				t.Fatalf("events left: %d, %v; want the job acknowledged", n, err)
			}
			if apart != tt.apart {
				t.Fatalf("acknowledged apart %d times, want %d", apart, tt.apart)
			}
		})
	}
	_, err = kv.Apply(ctx, cti.Txn{Set: []cti.Put{{Key: "call:" + tag + ":x", Value: []byte("1")}, {Key: "elsewhere", Value: []byte("1")}}})
	if !errors.Is(err, store.ErrCrossSlot) {
		t.Fatalf("a step across slots = %v, want ErrCrossSlot", err)
	}
}
