package cti

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// CallState is where a call stands for one agent.
type CallState string

// Call states. A call only moves forward: events that arrive late (Zoom
// guarantees no order) add what they know without moving it back.
const (
	StateRinging  CallState = "ringing"
	StateAnswered CallState = "answered"
	StateHeld     CallState = "held"
	StateEnded    CallState = "ended"
)

// Call is one Zoom call as one agent experiences it.
type Call struct {
	ID        string     `json:"id"`
	Direction Direction  `json:"direction"`
	State     CallState  `json:"state"`
	Result    CallResult `json:"result,omitempty"` // or Zoom's handup_result
	Self      Party      `json:"self"`
	Other     Party      `json:"other"`
	Queue     *Routing   `json:"queue,omitempty"`
	Ringing   time.Time  `json:"ringing,omitzero"`
	Answered  time.Time  `json:"answered,omitzero"`
	Ended     time.Time  `json:"ended,omitzero"`
	Matches   []Match    `json:"matches"` // nil until looked up
	// Chosen is the match the agent picked in the chooser (first in
	// Matches since).
	Chosen string `json:"chosen,omitempty"`
	// LookupFailed says why Matches is empty without a search.
	LookupFailed LookupFailure `json:"lookup_failed,omitempty"`
	Popped       bool          `json:"popped,omitempty"`
	Logged       bool          `json:"logged,omitempty"` // its log is settled: queued, waiting for wrap-up, or skipped
	// Dialed is set when the agent dialled this call from a record (click
	// to dial): that record is the match, and it is not popped again.
	Dialed bool `json:"dialed,omitempty"`
	// NoLog says why the call gets no Task (for example a queue call this
	// member only rang for).
	NoLog string `json:"no_log,omitempty"`
	// Edit is what the agent changed in the call's log after it was saved
	// (a wrap-up, or an edit of an auto-saved Task): later updates of the
	// Task (a recording's link) keep it.
	Edit         *WrapUpEdit `json:"edit,omitempty"`
	RecordingURL string      `json:"recording_url,omitempty"`
	VoicemailURL string      `json:"voicemail_url,omitempty"`

	// loaded is the stored state this call was read from (nil: new), what
	// its next save expects to replace.
	loaded []byte
}

func newCall(ev Event) *Call {
	return &Call{ID: ev.CallID, Direction: ev.Direction, State: StateRinging}
}

// Over reports whether the call is over.
func (c *Call) Over() bool { return c.State == StateEnded }

// Duration is the talk time: answer to hang-up, zero when never answered.
func (c *Call) Duration() time.Duration {
	if c.Answered.IsZero() || c.Ended.IsZero() || c.Ended.Before(c.Answered) {
		return 0
	}
	return c.Ended.Sub(c.Answered)
}

// apply folds one event into the call.
func (c *Call) apply(ev Event) {
	if c.Direction == "" {
		c.Direction = ev.Direction
	}
	self, other := ev.Callee, ev.Caller
	if ev.Direction == Outbound || (ev.Direction == Internal && ev.Caller.UserID == ev.UserID) {
		self, other = ev.Caller, ev.Callee
	}
	c.Self = mergeParty(c.Self, self)
	c.Other = mergeParty(c.Other, other)
	if ev.Queue != nil && c.Queue == nil {
		c.Queue = ev.Queue
	}
	c.Ringing = earliest(c.Ringing, ev.Ringing)
	c.Answered = earliest(c.Answered, ev.Answered)
	if !ev.Ended.IsZero() {
		c.Ended = ev.Ended
	}
	switch ev.Kind {
	case KindAnswered:
		if c.Answered.IsZero() {
			c.Answered = ev.At
		}
		c.advance(StateAnswered)
	case KindHold:
		if c.State == StateAnswered {
			c.State = StateHeld
		}
	case KindUnhold:
		if c.State == StateHeld {
			c.State = StateAnswered
		}
	case KindMissed:
		if c.Result != ResultVoicemail { // the voicemail event may come first
			c.Result = ResultMissed
		}
		c.end(ev)
	case KindRejected:
		if c.Result != ResultVoicemail {
			c.Result = ResultRejected
		}
		c.end(ev)
	case KindEnded:
		if c.Result == "" {
			switch {
			case ev.Result == "Voicemail":
				c.Result = ResultVoicemail
			case !c.Answered.IsZero():
				c.Result = ResultCompleted
			default:
				c.Result = ResultMissed
			}
		}
		c.end(ev)
	}
}

func (c *Call) end(ev Event) {
	if c.Ended.IsZero() {
		c.Ended = ev.At
	}
	c.State = StateEnded
}

func rank(s CallState) int {
	switch s {
	case StateAnswered, StateHeld:
		return 1
	case StateEnded:
		return 2
	}
	return 0
}

func (c *Call) advance(s CallState) {
	if rank(s) > rank(c.State) {
		c.State = s
	}
}

func mergeParty(old, p Party) Party {
	if old.Number == "" {
		old.Number = p.Number
	}
	if old.Name == "" {
		old.Name = p.Name
	}
	if old.UserID == "" {
		old.UserID = p.UserID
	}
	if old.ExtensionType == "" {
		old.ExtensionType = p.ExtensionType
	}
	if old.ExtensionNumber == "" {
		old.ExtensionNumber = p.ExtensionNumber
	}
	return old
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
