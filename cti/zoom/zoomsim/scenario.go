package zoomsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// This file builds the webhook bodies of whole calls, shaped like the
// shared fixtures (compact JSON, as Zoom sends it). The builders only read
// the user directory; Play sends what they return.

// Queue is the call queue a call was routed through.
type Queue struct {
	Name        string
	Extension   string
	Number      string
	ExtensionID string
}

// SalesQueue is the fixtures' call queue.
func SalesQueue() *Queue {
	return &Queue{Name: "Sales Queue", Extension: "2001", Number: "+12025550100", ExtensionID: "FAKEextQueue000000001"}
}

// CallSpec describes one call. From and To are E.164 numbers or a user's
// id, email, extension or direct number; a call between two users is
// internal.
type CallSpec struct {
	CallID string        // generated (19 digits) when empty
	From   string        // the calling party
	To     string        // the called party
	Start  time.Time     // when it starts ringing (the emulator's clock)
	Ring   time.Duration // ringing time (6 s answered, 30 s missed)
	Talk   time.Duration // talk time of an answered call (90 s)
	Queue  *Queue        // the queue that routed an inbound call, if any
	// FromName is the caller-id name Zoom gives an outside caller (as
	// "EXAMPLE CUSTOMER" in its callee_ringing sample); none when empty.
	FromName string
}

// endpoint is one side of a call: a user of the account or a number.
type endpoint struct {
	user   *User
	number string
	name   string // an outside number's caller-id name
}

// call is a CallSpec resolved against the directory, with its timeline.
type call struct {
	id                 string
	caller, callee     endpoint
	internal           bool
	start, answer, end time.Time
	queue              *Queue
}

func (z *Zoom) resolve(s string) endpoint {
	if u, ok := z.lookupUser(s); ok {
		return endpoint{user: &u}
	}
	return endpoint{number: s}
}

// prepare resolves a spec; subject is "callee" or "caller", the side that
// must be a user for the events to exist.
func (z *Zoom) prepare(spec CallSpec, subject string, answered bool) (call, error) {
	c := call{id: spec.CallID, caller: z.resolve(spec.From), callee: z.resolve(spec.To), queue: spec.Queue}
	if c.caller.user == nil {
		c.caller.name = spec.FromName
	}
	if c.id == "" {
		c.id = newCallID()
	}
	side, name := c.callee, spec.To
	if subject == "caller" {
		side, name = c.caller, spec.From
	}
	if side.user == nil {
		return call{}, fmt.Errorf("zoomsim: %s %q is not a user of the account", subject, name)
	}
	c.internal = c.caller.user != nil && c.callee.user != nil
	ring, talk := spec.Ring, spec.Talk
	if ring <= 0 {
		ring = 6 * time.Second
		if !answered {
			ring = 30 * time.Second
		}
	}
	if talk <= 0 {
		talk = 90 * time.Second
	}
	c.start = spec.Start
	if c.start.IsZero() {
		c.start = z.now()
	}
	c.start = c.start.UTC().Truncate(time.Second)
	if answered {
		c.answer = c.start.Add(ring)
		c.end = c.answer.Add(talk)
	} else {
		c.end = c.start.Add(ring)
	}
	return c, nil
}

// newCallID returns a 19-digit Zoom-style call id.
func newCallID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(9e17))
	return strconv.FormatInt(7e18+n.Int64(), 10)
}

// Inbound returns an answered inbound call to the user To: callee_ringing,
// callee_answered, callee_ended, callee_call_history_completed.
func (z *Zoom) Inbound(spec CallSpec) ([][]byte, error) {
	c, err := z.prepare(spec, "callee", true)
	if err != nil {
		return nil, err
	}
	obj := c.live()
	ringing := obj
	answered := obj
	answered.AnswerStartTime = zt(c.answer)
	ended := answered
	ended.Caller.Name = "" // an outside caller's name is not on callee_ended (Zoom's sample)
	if c.caller.user != nil {
		ended.Caller.Name = answered.Caller.Name
	}
	ended.CallEndTime = zt(c.end)
	ended.HandupResult = "Call connected"
	return [][]byte{
		envelope("phone.callee_ringing", c.start.Add(300*time.Millisecond), ringing),
		envelope("phone.callee_answered", c.answer.Add(400*time.Millisecond), answered),
		envelope("phone.callee_ended", c.end.Add(600*time.Millisecond), ended),
		c.historyEvent("phone.callee_call_history_completed", c.callee.user.ID, "inbound", "answered"),
	}, nil
}

// Outbound returns an answered call from the user From: caller_ringing,
// caller_connected, caller_ended, caller_call_history_completed.
func (z *Zoom) Outbound(spec CallSpec) ([][]byte, error) {
	c, err := z.prepare(spec, "caller", true)
	if err != nil {
		return nil, err
	}
	c.queue = nil // queues route inbound calls only
	obj := c.live()
	ringing := obj
	connected := obj
	connected.ConnectedStartTime = zt(c.answer)
	ended := obj.withoutNames()
	ended.AnswerStartTime = zt(c.answer)
	ended.CallEndTime = zt(c.end)
	ended.HandupResult = "Call connected"
	return [][]byte{
		envelope("phone.caller_ringing", c.start.Add(500*time.Millisecond), ringing),
		envelope("phone.caller_connected", c.answer.Add(800*time.Millisecond), connected),
		envelope("phone.caller_ended", c.end.Add(200*time.Millisecond), ended),
		c.historyEvent("phone.caller_call_history_completed", c.caller.user.ID, "outbound", "answered"),
	}, nil
}

// Missed returns an inbound call the user To did not answer: callee_ringing,
// callee_missed ("No Answer"), callee_call_history_completed (no_answer).
func (z *Zoom) Missed(spec CallSpec) ([][]byte, error) {
	c, err := z.prepare(spec, "callee", false)
	if err != nil {
		return nil, err
	}
	obj := c.live()
	missed := obj.withoutNames()
	missed.CallEndTime = zt(c.end)
	missed.HandupResult = "No Answer"
	return [][]byte{
		envelope("phone.callee_ringing", c.start.Add(300*time.Millisecond), obj),
		envelope("phone.callee_missed", c.end.Add(200*time.Millisecond), missed),
		c.historyEvent("phone.callee_call_history_completed", c.callee.user.ID, "inbound", "no_answer"),
	}, nil
}

// zt formats a time as Zoom does: yyyy-MM-dd'T'HH:mm:ss'Z'.
func zt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// envelope wraps an object in Zoom's {event, event_ts, payload} and
// returns it as compact JSON.
func envelope(event string, at time.Time, object any) []byte {
	type payload struct {
		AccountID string `json:"account_id"`
		Object    any    `json:"object"`
	}
	b, err := json.Marshal(struct {
		Event   string  `json:"event"`
		EventTS int64   `json:"event_ts"`
		Payload payload `json:"payload"`
	}{event, at.UnixMilli(), payload{AccountID, object}})
	if err != nil {
		panic(fmt.Sprintf("zoomsim: marshal %s: %v", event, err)) // only plain structs go in
	}
	return b
}

// liveParty is caller / callee in live-call events.
type liveParty struct {
	ExtensionID     string `json:"extension_id,omitempty"`
	ExtensionType   string `json:"extension_type"`
	UserID          string `json:"user_id,omitempty"`
	Name            string `json:"name,omitempty"`
	PhoneNumber     string `json:"phone_number"`
	ExtensionNumber int64  `json:"extension_number,omitempty"`
	Timezone        string `json:"timezone,omitempty"`
	ConnectionType  string `json:"connection_type"`
}

type forwardedBy struct {
	Name            string `json:"name"`
	ExtensionNumber string `json:"extension_number"`
	ExtensionType   string `json:"extension_type"`
}

// liveObject is payload.object of phone.caller_* / phone.callee_* events.
type liveObject struct {
	CallID             string       `json:"call_id"`
	Callee             liveParty    `json:"callee"`
	Caller             liveParty    `json:"caller"`
	RingingStartTime   string       `json:"ringing_start_time,omitempty"`
	AnswerStartTime    string       `json:"answer_start_time,omitempty"`
	ConnectedStartTime string       `json:"connected_start_time,omitempty"`
	CallEndTime        string       `json:"call_end_time,omitempty"`
	ForwardedBy        *forwardedBy `json:"forwarded_by,omitempty"`
	HandupResult       string       `json:"handup_result,omitempty"`
	DateTime           string       `json:"date_time,omitempty"` // hold / mute events
}

func (c call) live() liveObject {
	o := liveObject{CallID: c.id, Caller: c.party(c.caller), Callee: c.party(c.callee), RingingStartTime: zt(c.start)}
	if c.queue != nil {
		o.ForwardedBy = &forwardedBy{Name: c.queue.Name, ExtensionNumber: c.queue.Extension, ExtensionType: "callQueue"}
	}
	return o
}

// withoutNames drops the party names, which Zoom leaves out of
// caller_ended, callee_missed and several other events.
func (o liveObject) withoutNames() liveObject {
	o.Caller.Name, o.Callee.Name = "", ""
	return o
}

// party renders one side. On an internal call Zoom puts the extension
// digits in phone_number, not the direct number.
func (c call) party(e endpoint) liveParty {
	if e.user == nil {
		return liveParty{ExtensionType: "pstn", Name: e.name, PhoneNumber: e.number, ConnectionType: "pstn_off_net"}
	}
	u := e.user
	ext, _ := strconv.ParseInt(u.Extension, 10, 64)
	p := liveParty{ExtensionID: u.ExtensionID, ExtensionType: "user", UserID: u.ID, Name: u.Name(),
		PhoneNumber: u.Number, ExtensionNumber: ext, Timezone: u.Timezone, ConnectionType: "voip"}
	if c.internal {
		p.PhoneNumber = u.Extension
	}
	return p
}

// historyLog is one call_logs[] record of the v2 call-history events and
// of GET /phone/users/{userId}/call_history.
type historyLog struct {
	ID                string `json:"id"`
	CallPathID        string `json:"call_path_id"`
	CallID            string `json:"call_id"`
	ConnectType       string `json:"connect_type"`
	CallType          string `json:"call_type"`
	Direction         string `json:"direction"`
	HideCallerID      bool   `json:"hide_caller_id"`
	EndToEnd          bool   `json:"end_to_end"`
	CallerExtID       string `json:"caller_ext_id,omitempty"`
	CallerName        string `json:"caller_name,omitempty"`
	CallerEmail       string `json:"caller_email,omitempty"`
	CallerDIDNumber   string `json:"caller_did_number,omitempty"`
	CallerExtNumber   string `json:"caller_ext_number,omitempty"`
	CallerExtType     string `json:"caller_ext_type,omitempty"`
	CallerNumberType  string `json:"caller_number_type"`
	CalleeExtID       string `json:"callee_ext_id,omitempty"`
	CalleeName        string `json:"callee_name,omitempty"`
	CalleeEmail       string `json:"callee_email,omitempty"`
	CalleeDIDNumber   string `json:"callee_did_number,omitempty"`
	CalleeExtNumber   string `json:"callee_ext_number,omitempty"`
	CalleeExtType     string `json:"callee_ext_type,omitempty"`
	CalleeNumberType  string `json:"callee_number_type"`
	StartTime         string `json:"start_time"`
	AnswerTime        string `json:"answer_time,omitempty"`
	EndTime           string `json:"end_time"`
	Event             string `json:"event"`
	Result            string `json:"result"`
	TalkTime          int    `json:"talk_time"`
	HoldTime          int    `json:"hold_time"`
	WaitTime          int    `json:"wait_time"`
	OperatorExtNumber string `json:"operator_ext_number,omitempty"`
	OperatorExtID     string `json:"operator_ext_id,omitempty"`
	OperatorExtType   string `json:"operator_ext_type,omitempty"`
	OperatorName      string `json:"operator_name,omitempty"`
}

// historyEvent builds the call-history event closing the call for userID.
func (c call) historyEvent(event, userID, direction, result string) []byte {
	day := c.start.Format("20060102")
	h := historyLog{
		ID:          day + "-" + uuid(),
		CallPathID:  day + "-" + uuid(),
		CallID:      c.id,
		ConnectType: "external",
		CallType:    "general",
		Direction:   direction,
		StartTime:   zt(c.start),
		EndTime:     zt(c.end),
		Event:       "incoming",
		Result:      result,
		WaitTime:    int(c.end.Sub(c.start).Seconds()),
	}
	if direction == "outbound" {
		h.Event = "outgoing"
	}
	if c.internal {
		h.ConnectType = "internal"
	}
	if !c.answer.IsZero() {
		h.AnswerTime = zt(c.answer)
		h.TalkTime = int(c.end.Sub(c.answer).Seconds())
		h.WaitTime = int(c.answer.Sub(c.start).Seconds())
	}
	if c.queue != nil {
		h.Event = "ring_to_member"
		h.OperatorExtNumber, h.OperatorExtID, h.OperatorName = c.queue.Extension, c.queue.ExtensionID, c.queue.Name
		h.OperatorExtType = "call_queue"
	}
	h.CallerExtID, h.CallerName, h.CallerEmail, h.CallerDIDNumber, h.CallerExtNumber, h.CallerExtType, h.CallerNumberType = c.historyParty(c.caller)
	h.CalleeExtID, h.CalleeName, h.CalleeEmail, h.CalleeDIDNumber, h.CalleeExtNumber, h.CalleeExtType, h.CalleeNumberType = c.historyParty(c.callee)
	return envelope(event, c.end.Add(2*time.Second), struct {
		UserID   string       `json:"user_id"`
		CallLogs []historyLog `json:"call_logs"`
	}{userID, []historyLog{h}})
}

// historyParty returns ext id, name, email, DID, ext number, ext type and
// number type of one side of a history record.
func (c call) historyParty(e endpoint) (extID, name, email, did, extNumber, extType, numberType string) {
	if e.user == nil {
		return "", "", "", e.number, "", "", "external_pstn"
	}
	u := e.user
	did = u.Number
	if c.internal {
		did = ""
	}
	return u.ExtensionID, u.Name(), u.Email, did, u.Extension, "user", "zoom_pstn"
}

// uuid returns a random UUID-shaped id like Zoom's record ids.
func uuid() string {
	h := randomHex(16)
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}
