// Package cti is the domain of zoomcti: normalized call and SMS events, the
// call engine that turns them into screen pops and call logs, and the small
// interfaces the engine consumes (a record finder, a task writer, a store, a
// notifier). It imports nothing of this module.
package cti

import "time"

// EventKind is the normalized meaning of a telephony event, independent of the
// vendor's event name.
type EventKind string

// The kinds of events the engine understands.
const (
	KindRinging     EventKind = "call.ringing"   // the subject user's phone rings (inbound) or the caller hears ringback (outbound)
	KindAnswered    EventKind = "call.answered"  // the call was answered / connected
	KindHold        EventKind = "call.hold"      // put on hold
	KindUnhold      EventKind = "call.unhold"    // taken off hold
	KindMute        EventKind = "call.mute"      // muted
	KindUnmute      EventKind = "call.unmute"    // unmuted
	KindMissed      EventKind = "call.missed"    // rang and was not answered
	KindRejected    EventKind = "call.rejected"  // the subject user declined it
	KindEnded       EventKind = "call.ended"     // hung up
	KindCallRecord  EventKind = "call.record"    // the post-call history / element / log record
	KindRecording   EventKind = "call.recording" // a recording finished
	KindVoicemail   EventKind = "call.voicemail" // a voicemail was left
	KindSMS         EventKind = "sms"            // a text message was sent or received
	KindUserCreated EventKind = "user.created"
	KindUserUpdated EventKind = "user.updated"
	KindUserDeleted EventKind = "user.deleted"
	KindPresence    EventKind = "user.presence"
	KindDeauthorize EventKind = "app.deauthorized" // the vendor app was uninstalled for a user
	KindUnknown     EventKind = "unknown"          // acknowledged and counted, nothing else
)

// Direction of a call or message as seen by the subject user (the agent).
type Direction string

// Call and message directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
	Internal Direction = "internal"
)

// Party is one side of a call.
type Party struct {
	UserID          string `json:"user_id,omitempty"`          // vendor user id, when the party is a user of the account
	ExtensionID     string `json:"extension_id,omitempty"`     // vendor extension id
	ExtensionType   string `json:"extension_type,omitempty"`   // user, callQueue, autoReceptionist, pstn, ...
	ExtensionNumber string `json:"extension_number,omitempty"` // internal extension digits
	Name            string `json:"name,omitempty"`
	Number          string `json:"number,omitempty"` // as the vendor sent it: E.164, bare digits or extension digits
	Email           string `json:"email,omitempty"`
}

// IsUser reports whether the party is a user (an extension) of the account.
func (p Party) IsUser() bool { return p.UserID != "" || p.ExtensionType == "user" }

// Routing says which queue, shared line or auto receptionist forwarded a call.
type Routing struct {
	Name            string `json:"name,omitempty"`
	ExtensionNumber string `json:"extension_number,omitempty"`
	ExtensionType   string `json:"extension_type,omitempty"` // callQueue, sharedLineGroup, sharedLines, autoReceptionist
	Number          string `json:"number,omitempty"`
}

// IsQueue reports whether the call came through a call queue.
func (r *Routing) IsQueue() bool { return r != nil && r.ExtensionType == "callQueue" }

// CallRecord is the authoritative post-call record (Zoom's call history /
// call element / legacy call log entry) for one leg of a call.
type CallRecord struct {
	ID              string    `json:"id,omitempty"`
	CallID          string    `json:"call_id"`
	UserID          string    `json:"user_id,omitempty"` // the subject user the record belongs to
	Direction       Direction `json:"direction,omitempty"`
	Internal        bool      `json:"internal,omitempty"`
	Caller          Party     `json:"caller"`
	Callee          Party     `json:"callee"`
	Start           time.Time `json:"start"`
	Answer          time.Time `json:"answer,omitzero"`
	End             time.Time `json:"end,omitzero"`
	DurationSeconds int       `json:"duration_seconds"`
	Result          string    `json:"result,omitempty"`
	Queue           *Routing  `json:"queue,omitempty"`
	RecordingID     string    `json:"recording_id,omitempty"`
	VoicemailID     string    `json:"voicemail_id,omitempty"`
}

// SMS is one text message.
type SMS struct {
	MessageID string    `json:"message_id"`
	SessionID string    `json:"session_id,omitempty"`
	Direction Direction `json:"direction"` // inbound (received) or outbound (sent)
	From      Party     `json:"from"`
	To        []Party   `json:"to"`
	OwnerID   string    `json:"owner_id,omitempty"` // the user (or queue) the message belongs to
	Text      string    `json:"text,omitempty"`     // the message body: stored for the SMS log, never logged
	Type      int       `json:"type,omitempty"`     // 1 SMS, 2 MMS, 3 group SMS, 4 group MMS, ...
	At        time.Time `json:"at"`
	Failed    string    `json:"failed,omitempty"` // failure reason for a sent message; empty when delivered
}

// UserChange is a directory change for one vendor user.
type UserChange struct {
	ID       string `json:"id"`
	Email    string `json:"email,omitempty"`
	OldEmail string `json:"old_email,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Event is one normalized telephony event. Vendor packages decode their
// webhook bodies into Events; the engine only ever sees Events.
type Event struct {
	// ID identifies this event for deduplication: the same delivery, or a
	// redelivery of it, always gets the same ID.
	ID        string    `json:"id"`
	Source    string    `json:"source"`     // "zoom"
	Type      string    `json:"type"`       // the vendor's event name, e.g. phone.callee_ringing
	Kind      EventKind `json:"kind"`       // the normalized meaning
	AccountID string    `json:"account_id"` // the vendor account
	At        time.Time `json:"at"`         // when the vendor says the event happened

	// Call events.
	CallID    string    `json:"call_id,omitempty"`
	UserID    string    `json:"user_id,omitempty"`   // the subject user (the agent this event is about)
	Direction Direction `json:"direction,omitempty"` // as seen by the subject user
	Caller    Party     `json:"caller,omitzero"`
	Callee    Party     `json:"callee,omitzero"`
	Queue     *Routing  `json:"queue,omitempty"` // forwarded_by / redirect_forwarded_by
	Ringing   time.Time `json:"ringing,omitzero"`
	Answered  time.Time `json:"answered,omitzero"`
	Ended     time.Time `json:"ended,omitzero"`
	Result    string    `json:"result,omitempty"` // handup_result, e.g. "Call connected", "No Answer"

	Records   []CallRecord `json:"records,omitempty"`   // KindCallRecord
	Recording *Recording   `json:"recording,omitempty"` // KindRecording
	Voicemail *Voicemail   `json:"voicemail,omitempty"` // KindVoicemail
	SMS       *SMS         `json:"sms,omitempty"`       // KindSMS
	User      *UserChange  `json:"user,omitempty"`      // user.* and app.deauthorized
	Presence  string       `json:"presence,omitempty"`  // KindPresence: the vendor's status value
	ClientID  string       `json:"client_id,omitempty"` // app.deauthorized
}

// Recording is a finished call recording.
type Recording struct {
	ID              string    `json:"id"`
	CallID          string    `json:"call_id,omitempty"`
	DownloadURL     string    `json:"download_url,omitempty"`
	DurationSeconds int       `json:"duration_seconds,omitempty"`
	At              time.Time `json:"at,omitzero"`
}

// Voicemail is a voicemail left on a user or a queue.
type Voicemail struct {
	ID              string    `json:"id"`
	CallID          string    `json:"call_id,omitempty"`
	Caller          Party     `json:"caller"`
	Callee          Party     `json:"callee"`
	DownloadURL     string    `json:"download_url,omitempty"`
	DurationSeconds int       `json:"duration_seconds,omitempty"`
	At              time.Time `json:"at,omitzero"`
}

// Other returns the party on the far side from the subject user: the caller
// of an inbound call, the callee of an outbound one.
func (e *Event) Other() Party {
	if e.Direction == Outbound {
		return e.Callee
	}
	if e.Direction == Internal && e.Caller.UserID == e.UserID {
		return e.Callee
	}
	return e.Caller
}

// IsCall reports whether the event belongs to a call's live lifecycle.
func (e *Event) IsCall() bool {
	switch e.Kind {
	case KindRinging, KindAnswered, KindHold, KindUnhold, KindMute, KindUnmute,
		KindMissed, KindRejected, KindEnded:
		return true
	}
	return false
}
