package cti

import (
	"fmt"
	"hash/fnv"
)

// The names of everything the engine keeps in the store, in one place.
//
// Every key of one agent carries the agent's hash tag, {pNN-k} (AgentTag),
// and so do the outbox shard the agent's jobs go to (OutboxShard) and the
// event shard the server queues the agent's webhooks on: one event's step
// (the call's state, its markers, its jobs and the event's acknowledgement)
// then touches keys of one hash slot, which is what a Redis Cluster needs
// to run it as one script. A queue call's log owner (queueLogKey) is shared
// by the queue's members, so it has no tag and is never written with
// anything else.

// Partitions is how many hash tags agents are spread over. Claimers look at
// every shard of a queue, so a tag per agent would be too many; 32 spread
// the agents of a large org over the masters of a cluster.
const Partitions = 32

// AgentTag is the hash tag of the agent's keys and shards, one of
// partitionTags: a hash of the agent's org and user, which never change.
func AgentTag(a Agent) string {
	h := fnv.New32a()
	h.Write([]byte(a.Key()))
	return partitionTags[h.Sum32()%Partitions]
}

// clusterSlots is how many hash slots a Redis Cluster has.
const clusterSlots = 16384

// partitionTags are the Partitions hash tags, "p00-…" to "p31-…", each the
// first "pNN-k" whose slot falls in the NNth of Partitions equal ranges of
// the cluster's slots. A cluster whose masters hold equal ranges of slots
// (as redis-cli --cluster create makes them) then holds as many tags on
// each master as it can: with three, 11, 11 and 10 (plain "p00".."p31"
// fell 8, 10 and 14).
var partitionTags = func() [Partitions]string {
	var out [Partitions]string
	width := clusterSlots / Partitions
	for i := range out {
		for k := 0; ; k++ {
			t := fmt.Sprintf("p%02d-%d", i, k)
			if int(crc16([]byte(t)))%clusterSlots/width == i {
				out[i] = t
				break
			}
		}
	}
	return out
}()

// crc16 is Redis Cluster's key hash (CRC-16/XMODEM: polynomial 0x1021,
// initial value 0), whose value modulo 16384 is a key's slot.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// agentKey is the agent's part of a key name: its tag, org and user.
func agentKey(a Agent) string { return "{" + AgentTag(a) + "}:" + a.Key() }

// OutboxShard is the outbox shard that the agent's jobs go to.
func OutboxShard(a Agent) string { return OutboxQueue + "{" + AgentTag(a) + "}" }

// callKey is one agent's state of one call.
func (e *Engine) callKey(a Agent, callID string) string { return CallKeyPrefix(a) + callID }

// CallKeyPrefix starts the name of every call state of the agent, for the
// server to forget them when the agent's Zoom account is disconnected.
func CallKeyPrefix(a Agent) string { return "call:" + agentKey(a) + ":" }

// activeKey names the agent's call in progress.
func (e *Engine) activeKey(a Agent) string { return ActiveCallKey(a) }

// ActiveCallKey is the key naming the agent's call in progress, for the
// server to forget when the agent's Zoom account is disconnected.
func ActiveCallKey(a Agent) string { return "active:" + agentKey(a) }

// logKey is the done-marker of a call's Task for one agent; logKey+":writing"
// is the claim of the attempt writing it.
func logKey(a Agent, callID string) string { return "tasklog:" + agentKey(a) + ":" + callID }

// dialKey remembers what the agent clicked to dial, for a short while.
func dialKey(a Agent, number string) string { return "dial:" + agentKey(a) + ":" + number }

// queueLogKey says which member a queue call is logged for. It is written
// alone (SetNX), never in an agent's step: every member's step would need
// it in their own slot.
func queueLogKey(a Agent, callID string) string { return "queuelog:" + a.OrgID + ":" + callID }

// wrapUpKey is a call waiting for the agent's wrap-up.
func wrapUpKey(a Agent, callID string) string { return "wrapup:" + agentKey(a) + ":" + callID }

// The day's SMS conversation with one number: its thread, the marker of a
// write waiting to settle, and the Task written for it.
func smsThreadKey(a Agent, key string) string  { return "sms:" + agentKey(a) + ":" + key }
func smsPendingKey(a Agent, key string) string { return "smspending:" + agentKey(a) + ":" + key }
func smsTaskKey(a Agent, key string) string    { return "smstask:" + agentKey(a) + ":" + key }
