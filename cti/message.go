package cti

import "time"

// Message is what the server pushes to an agent's softphone.
type Message struct {
	// "call", "logged" once the call's Task is written, or "log_updated"
	// once the agent's change to it is in Salesforce.
	Type string    `json:"type"`
	Call *CallView `json:"call,omitempty"`
	// CallID and TaskID name the call and its Task in a "logged" or
	// "log_updated" message.
	CallID string `json:"call_id,omitempty"`
	TaskID string `json:"task_id,omitempty"`
	// Pop, when set, asks the softphone to pop this in the console. It is
	// decided once per call per agent; a softphone that reconnects gets it
	// again with Resent, and so does the push of the call's answer (a pop
	// whose own push was lost still comes), so it can skip a pop it
	// already made.
	Pop    *Pop `json:"pop,omitempty"`
	Resent bool `json:"resent,omitempty"`
}

// CallView is the call as the softphone shows it.
type CallView struct {
	ID        string     `json:"id"`
	Direction Direction  `json:"direction"`
	State     CallState  `json:"state"`
	Result    CallResult `json:"result,omitempty"`
	Number    string     `json:"number"` // the other party's number
	Name      string     `json:"name,omitempty"`
	Queue     string     `json:"queue,omitempty"`
	Ringing   time.Time  `json:"ringing,omitzero"`
	Answered  time.Time  `json:"answered,omitzero"`
	Ended     time.Time  `json:"ended,omitzero"`
	Duration  int        `json:"duration"` // seconds of talk time
	Matches   []Match    `json:"matches"`
	Chosen    string     `json:"chosen,omitempty"` // the match the agent picked
	// Lookup says why Matches is empty without a search: "waiting" (the
	// match fills in when Salesforce answers), "paused" (the org is out of
	// API requests: the console's search is popped instead) or
	// "signed_out". Empty: Matches is what the search found.
	Lookup LookupFailure `json:"lookup,omitempty"`
	// Edited says the agent changed the call's log after it was saved.
	Edited bool `json:"edited,omitempty"`
}

// Pop is a screen pop decision.
type Pop struct {
	Kind          PopKind           `json:"kind"`
	RecordID      string            `json:"record_id,omitempty"`
	ObjectType    string            `json:"object_type,omitempty"`
	EntityName    string            `json:"entity_name,omitempty"`   // for PopNew
	SearchString  string            `json:"search_string,omitempty"` // for PopSearch and PopLayout
	Flow          string            `json:"flow,omitempty"`          // for PopFlow
	CallType      string            `json:"call_type,omitempty"`     // for PopLayout: inbound, outbound, internal
	DefaultFields map[string]string `json:"default_fields,omitempty"`
}

// resentMessage is c as a softphone that may have missed its pushes gets it
// again: with its pop, if it popped (a call the agent dialled from a record
// never does), marked Resent so that a softphone that made the pop skips it.
func resentMessage(c *Call, set Settings) Message {
	m := callMessage(c, c.Popped && !c.Dialed, set)
	m.Resent = true
	return m
}

func callMessage(c *Call, pop bool, set Settings) Message {
	v := &CallView{
		ID: c.ID, Direction: c.Direction, State: c.State, Result: c.Result,
		Number: c.Other.Number, Name: c.Other.Name,
		Ringing: c.Ringing, Answered: c.Answered, Ended: c.Ended,
		Duration: int(c.Duration() / time.Second), Matches: c.Matches, Chosen: c.Chosen,
		Lookup: c.LookupFailed, Edited: c.Edit != nil,
	}
	if v.Matches == nil {
		v.Matches = []Match{}
	}
	if c.Queue != nil {
		v.Queue = c.Queue.Name
	}
	m := Message{Type: "call", Call: v}
	if pop {
		m.Pop = decidePop(c, set)
	}
	return m
}

// decidePop applies the admin's pop rules: one match opens it; several
// follow the multiple-match rule; none follows the no-match rule.
func decidePop(c *Call, set Settings) *Pop {
	number := c.Other.Number
	if c.LookupFailed == LookupPaused && number != "" {
		return &Pop{Kind: PopSearch, SearchString: number}
	}
	if c.LookupFailed == LookupSignedOut || c.Direction == Internal {
		return nil // a colleague's extension has no record to pop
	}
	switch len(c.Matches) {
	case 0:
		if number == "" {
			return nil
		}
		switch set.NoMatch {
		case NoMatchNewLead:
			return &Pop{Kind: PopNew, EntityName: "Lead", DefaultFields: map[string]string{"Phone": number}}
		case NoMatchFlow:
			return &Pop{Kind: PopFlow, Flow: set.NoMatchFlow, DefaultFields: map[string]string{"Phone": number}}
		case NoMatchNone:
			return nil
		}
		return &Pop{Kind: PopNew, EntityName: "Contact", DefaultFields: map[string]string{"Phone": number}}
	case 1:
		return &Pop{Kind: PopRecord, RecordID: c.Matches[0].ID, ObjectType: c.Matches[0].Type}
	}
	switch set.MultipleMatch {
	case MultipleSearch:
		return &Pop{Kind: PopSearch, SearchString: number}
	case MultipleLayout:
		return &Pop{Kind: PopLayout, SearchString: number, CallType: string(c.Direction), DefaultFields: map[string]string{"Phone": number}}
	}
	return &Pop{Kind: PopChoose}
}
