package cti

// The engine's vocabulary: each word a named type with its constants, so
// that a typo does not compile. The string values are what the store, the
// softphone and the settings API carry.

// CallResult is how a call ended for one agent.
type CallResult string

// Call results. Zoom's own handup_result may stand in for an unusual end.
const (
	ResultCompleted CallResult = "completed"
	ResultMissed    CallResult = "missed"
	ResultRejected  CallResult = "rejected"
	ResultVoicemail CallResult = "voicemail"
)

// PopMoment is when a call pops (the pop_on setting).
type PopMoment string

// Pop moments.
const (
	PopOnRinging  PopMoment = "ringing"
	PopOnAnswered PopMoment = "answered"
)

// MultipleMatchRule is what several matches pop (the multiple_match setting).
type MultipleMatchRule string

// Multiple-match rules.
const (
	MultipleChoose MultipleMatchRule = "choose" // the agent picks in the softphone
	MultipleSearch MultipleMatchRule = "search" // the console's search for the number
	MultipleLayout MultipleMatchRule = "layout" // searchAndScreenPop: the org's softphone layout decides
)

// NoMatchRule is what no match pops (the no_match setting).
type NoMatchRule string

// No-match rules.
const (
	NoMatchNewContact NoMatchRule = "new_contact"
	NoMatchNewLead    NoMatchRule = "new_lead"
	NoMatchFlow       NoMatchRule = "flow"
	NoMatchNone       NoMatchRule = "none"
)

// PopKind is what a pop asks the softphone to open.
type PopKind string

// Pop kinds.
const (
	PopRecord PopKind = "record" // open RecordID
	PopChoose PopKind = "choose" // several matches: the agent picks in the softphone
	PopNew    PopKind = "new"    // no match: a new record form with the number filled in
	PopSearch PopKind = "search" // the console's search for the number
	PopFlow   PopKind = "flow"   // a screen flow with the number as its Phone argument
	PopLayout PopKind = "layout" // searchAndScreenPop: the org's softphone layout decides
)

// JobKind is what an outbox job does.
type JobKind string

// Outbox job kinds.
const (
	JobTask        JobKind = "task"         // write a call's Task
	JobQueueMissed JobKind = "queue_missed" // log an unanswered queue call for its first ringing member
	JobTaskUpdate  JobKind = "task_update"  // add a recording or voicemail link to a written Task
	JobSMS         JobKind = "sms"          // write or update the day's SMS Task
	JobLookup      JobKind = "lookup"       // look a call's number up again once Salesforce answers
)

// LookupFailure says why a call has no matches without a search.
type LookupFailure string

// Lookup failures.
const (
	LookupPaused    LookupFailure = "paused"     // the org is out of API requests
	LookupSignedOut LookupFailure = "signed_out" // the agent must sign in again
	LookupWaiting   LookupFailure = "waiting"    // Salesforce did not answer; a lookup job tries again
)
