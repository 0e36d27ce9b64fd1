package store_test

import (
	"errors"
	"testing"

	"github.com/zoomcti/zoomcti/server/store"
)

func TestTag(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", "call:o:u:1", ""},
		{"tag", "call:{p07}:o:u:1", "p07"},
		{"first tag wins", "{a}{b}", "a"},
		{"empty tag is none", "{}{b}", ""},
		{"unclosed", "call:{p07", ""},
		{"closing brace first", "}x{y}", "y"},
		{"job id", "{p07}0000000000000012", "p07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.Tag(tt.in); got != tt.want {
				t.Fatalf("Tag(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitQueue(t *testing.T) {
	tests := []struct{ name, in, queue, tag string }{
		{"default shard", "outbox", "outbox", ""},
		{"shard", "outbox{p07}", "outbox", "p07"},
		{"dotted", "events.ring{p31}", "events.ring", "p31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, tag := store.SplitQueue(tt.in)
			if q != tt.queue || tag != tt.tag {
				t.Fatalf("SplitQueue(%q) = %q, %q; want %q, %q", tt.in, q, tag, tt.queue, tt.tag)
			}
			if back := store.ShardName(q, tag); back != tt.in {
				t.Fatalf("ShardName(%q, %q) = %q, want %q", q, tag, back, tt.in)
			}
		})
	}
	if got := store.JobShard("outbox", "{p07}0000000000000012"); got != "outbox{p07}" {
		t.Fatalf("JobShard by id = %q", got)
	}
	if got := store.JobShard("outbox", "12"); got != "outbox" {
		t.Fatalf("JobShard of the default shard = %q", got)
	}
}

func TestTxnSlot(t *testing.T) {
	tests := []struct {
		name string
		txn  store.Txn
		want string // "" with cross false: an empty Txn
		bad  bool
	}{
		{"empty", store.Txn{}, "", false},
		{"one untagged key, read and written", store.Txn{
			Expect: []store.Cond{{Key: "claim"}},
			Set:    []store.Put{{Key: "claim", Value: []byte("x")}},
		}, "key claim", false},
		{"two untagged keys", store.Txn{
			Set: []store.Put{{Key: "a", Value: []byte("x")}, {Key: "b", Value: []byte("y")}},
		}, "", true},
		{"a commit: tagged keys, its shard's job, an ack", store.Txn{
			Expect:  []store.Cond{{Key: "call:{p07}:o:u:1"}},
			Set:     []store.Put{{Key: "call:{p07}:o:u:1", Value: []byte("x")}},
			Delete:  []string{"dial:{p07}:o:u:+1"},
			Enqueue: []store.NewJob{{Queue: "outbox{p07}"}},
			Ack:     []store.JobRef{{Queue: "events", ID: "{p07}0000000000000003"}},
		}, "{p07}", false},
		{"an intake: mark and job on one shard", store.Txn{
			Once:    &store.Mark{Queue: "events{p07}", Key: "seen:x"},
			Enqueue: []store.NewJob{{Queue: "events{p07}"}},
		}, "{p07}", false},
		{"default shard: tagged by the queue's name", store.Txn{
			Once:    &store.Mark{Queue: "events", Key: "seen:x"},
			Enqueue: []store.NewJob{{Queue: "events"}},
			Ack:     []store.JobRef{{Queue: "events", ID: "12"}},
			Set:     []store.Put{{Key: "n:{events}", Value: []byte("1")}},
		}, "{events}", false},
		{"an ack of another shard's job", store.Txn{
			Set: []store.Put{{Key: "call:{p07}:o:u:1", Value: []byte("x")}},
			Ack: []store.JobRef{{Queue: "events", ID: "{p08}0000000000000003"}},
		}, "", true},
		{"a job on another queue's default shard", store.Txn{
			Set:     []store.Put{{Key: "call:{p07}:o:u:1", Value: []byte("x")}},
			Enqueue: []store.NewJob{{Queue: "outbox"}},
		}, "", true},
		{"a mark on another shard", store.Txn{
			Once:    &store.Mark{Queue: "events{p01}", Key: "seen:x"},
			Enqueue: []store.NewJob{{Queue: "events{p02}"}},
		}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.txn.Slot()
			if tt.bad {
				if !errors.Is(err, store.ErrCrossSlot) {
					t.Fatalf("Slot() = %q, %v; want ErrCrossSlot", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Slot() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
