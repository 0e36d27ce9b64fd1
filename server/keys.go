package server

import "github.com/zoomcti/zoomcti/cti"

// The names of what the server keeps in the store, in one place (the
// engine's own are in cti/keys.go). Zoom ids never appear in a key name
// that outlives the agent's link: the webhook dedupe marks are hashed.

// The prefixes that other code lists or matches keys by (doctor, reconcile,
// the read cache).
const (
	agentPrefix    = "agent:"
	zoomLinkPrefix = "zoomlink:"
	settingsPrefix = "settings:"
	orgPausePrefix = "sfpause:"
)

func agentKey(orgID, userID string) string { return agentPrefix + orgID + ":" + userID }

func zoomLinkKey(zoomUserID string) string { return zoomLinkPrefix + zoomUserID }

func orgLimitsKey(orgID string) string { return "sflimits:" + orgID }

func orgPauseKey(orgID string) string { return orgPausePrefix + orgID }

// sessionEpochKey holds an agent's session epoch: a session is valid only
// while it carries the current one, so one write ends every session of
// the agent, on every instance. It has no TTL: a session made after a
// sign-out must not come back to life when the epoch would expire.
func sessionEpochKey(a cti.Agent) string { return "sessepoch:" + a.Key() }

func settingsKey(orgID string) string { return settingsPrefix + orgID }

func sfTokenKey(orgID, userID string) string { return "sftoken:" + orgID + ":" + userID }

func presenceKey(a cti.Agent) string { return "presence:" + a.Key() }

func zoomTokenKey(orgID, userID string) string { return "zoomtoken:" + orgID + ":" + userID }

// phoneCacheKey is one agent's lookup of one number (sharing rules differ
// per user, so the cache does too).
func phoneCacheKey(a cti.Agent, e164 string) string { return "phonecache:" + a.Key() + ":" + e164 }

// popClaimKey marks the one softphone of an agent that pops a call: every
// console tab runs a softphone and hears the pop, and the first to claim
// it here is the one that asks its console.
func popClaimKey(a cti.Agent, callID string) string { return "popclaim:" + a.Key() + ":" + callID }

// deadJobKey keeps a job that can never succeed, for an operator to read.
func deadJobKey(queue, id string) string { return "dead:" + queue + ":" + id }

// seenKey is a webhook event's dedupe mark (in its queue's marks), hashed
// so that no Zoom id stays in the store after an agent disconnects.
func seenKey(eventID string) string { return "seen:" + hashKey(eventID) }

// The locks under which one instance refreshes an agent's tokens.
func sfRefreshLockKey(orgID, userID string) string { return "lock:sfrefresh:" + orgID + ":" + userID }
func zoomRefreshLockKey(orgID, userID string) string {
	return "lock:zoomrefresh:" + orgID + ":" + userID
}

// keysMigratedKey marks a store whose agent keys carry their hash tags:
// cti's MigrateKeys ran to the end on it once.
const keysMigratedKey = "migrated:agent-tags"

// The admin health series' counter sets (store.Counters, not KV keys): an
// org's bucket of the hour or the day view (bucket "m:<Unix minute>" or
// "q:<Unix minute of the quarter hour>", see health.go), and when each of
// its agents last had a call.
func healthBucketKey(orgID, bucket string) string { return "health:" + orgID + ":" + bucket }
func healthLastCallKey(orgID string) string       { return "health:" + orgID + ":lastcall" }

// evidenceKey records when a fact of an org's setup (evidence.go) was last
// seen working.
func evidenceKey(orgID, fact string) string { return "evidence:" + orgID + ":" + fact }

// reconcileLockKey is held while an admin's reconcile of the org runs.
func reconcileLockKey(orgID string) string { return "lock:reconcile:" + orgID }
