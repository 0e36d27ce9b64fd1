package cti

// The names of everything the engine keeps in the store, in one place.
// Every key of one agent's call carries the agent's key (org and user).

// callKey is one agent's state of one call.
func (e *Engine) callKey(a Agent, callID string) string { return "call:" + a.Key() + ":" + callID }

// activeKey names the agent's call in progress.
func (e *Engine) activeKey(a Agent) string { return ActiveCallKey(a) }

// ActiveCallKey is the key naming the agent's call in progress, for the
// server to forget when the agent's Zoom account is disconnected.
func ActiveCallKey(a Agent) string { return "active:" + a.Key() }

// logKey is the done-marker of a call's Task for one agent; logKey+":writing"
// is the claim of the attempt writing it.
func logKey(a Agent, callID string) string { return "tasklog:" + a.Key() + ":" + callID }

// dialKey remembers what the agent clicked to dial, for a short while.
func dialKey(a Agent, number string) string { return "dial:" + a.Key() + ":" + number }

// queueLogKey says which member a queue call is logged for.
func queueLogKey(a Agent, callID string) string { return "queuelog:" + a.OrgID + ":" + callID }

// wrapUpKey is a call waiting for the agent's wrap-up.
func wrapUpKey(a Agent, callID string) string { return "wrapup:" + a.Key() + ":" + callID }

// The day's SMS conversation with one number: its thread, the marker of a
// write waiting to settle, and the Task written for it.
func smsThreadKey(a Agent, key string) string  { return "sms:" + a.Key() + ":" + key }
func smsPendingKey(a Agent, key string) string { return "smspending:" + a.Key() + ":" + key }
func smsTaskKey(a Agent, key string) string    { return "smstask:" + a.Key() + ":" + key }
