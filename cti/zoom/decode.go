package zoom

import (
	"encoding/json"
	"errors"
	"fmt"
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"strconv"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// Source is the cti.Event.Source of every event this package decodes.
const Source = "zoom"

// ErrMalformed is wrapped by Decode's errors: the body is not a Zoom
// webhook envelope, or a known event's payload has the wrong shape. The
// caller should answer 400 rather than have Zoom retry it.
var ErrMalformed = errors.New("zoom: malformed webhook body")

// liveKind maps the action of a live-call event to its meaning. The family
// prefix (caller_ / callee_) gives the subject user and the direction.
func liveKind(action string) (cti.EventKind, bool) {
	switch action {
	case "ringing":
		return cti.KindRinging, true
	case "connected", "answered":
		return cti.KindAnswered, true
	case "hold":
		return cti.KindHold, true
	case "unhold":
		return cti.KindUnhold, true
	case "mute":
		return cti.KindMute, true
	case "unmute":
		return cti.KindUnmute, true
	case "missed":
		return cti.KindMissed, true
	case "rejected":
		return cti.KindRejected, true
	case "ended":
		return cti.KindEnded, true
	}
	return "", false
}

// Decode turns one webhook body into a normalized event. Unknown event
// types decode to cti.KindUnknown without an error, so the endpoint can
// acknowledge everything Zoom sends and count what it ignores.
//
// Event.ID is "zoom:<event>:<event_ts>:<natural id>". Zoom documents no
// idempotency key and a retry repeats the body byte for byte, so this key
// is the same for a delivery and its retries. The natural id is the call id
// plus ":" and the subject user for call events and call records (one call
// rings several queue members), else the message, recording, voicemail or
// user id.
func Decode(body []byte) (cti.Event, error) {
	ev, _, err := DecodeWebhook(body)
	return ev, err
}

// DecodeWebhook is Decode that also returns the plainToken of an
// endpoint.url_validation challenge, so that a webhook body is parsed once.
func DecodeWebhook(body []byte) (ev cti.Event, plainToken string, err error) {
	if ev, ok := decodeLiveFast(body); ok {
		return ev, "", nil
	}
	return decodeGeneric(body)
}

// liveEnvelope is a live-call webhook in one piece: live events (ringing,
// answered, ended ...) are most of the traffic and arrive while an agent
// waits for the pop, so their object is decoded in the same pass as the
// envelope instead of being validated and copied three times over as
// nested json.RawMessage.
type liveEnvelope struct {
	Event   string     `json:"event"`
	EventTS flexString `json:"event_ts"`
	Payload struct {
		AccountID string   `json:"account_id"`
		Object    liveCall `json:"object"`
	} `json:"payload"`
}

// liveOptions make the streaming decoder match names as encoding/json
// does (case-insensitively, underscores significant), so that a live event
// reads the same through either decoder. What it refuses and encoding/json
// takes (a repeated name, invalid UTF-8) goes to decodeGeneric.
var liveOptions = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true))

// decodeLiveFast decodes a live-call event in one pass. It reports false
// for anything else, and for any body it cannot take whole, so that
// decodeGeneric decides (and words the error) as for every other event.
func decodeLiveFast(body []byte) (cti.Event, bool) {
	var env liveEnvelope
	if jsonv2.Unmarshal(body, &env, liveOptions) != nil {
		return cti.Event{}, false
	}
	family, kind, ok := liveEvent(env.Event)
	if !ok {
		return cti.Event{}, false
	}
	ev := cti.Event{Source: Source, Type: env.Event, AccountID: env.Payload.AccountID}
	if ms, err := strconv.ParseInt(string(env.EventTS), 10, 64); err == nil {
		ev.At = time.UnixMilli(ms).UTC()
	}
	natural := liveFromObject(&ev, &env.Payload.Object, family, kind)
	ev.ID = "zoom:" + env.Event + ":" + string(env.EventTS) + ":" + natural
	return ev, true
}

// liveEvent splits a live-call event name (phone.callee_ringing) into its
// family (caller, callee) and meaning.
func liveEvent(name string) (family string, kind cti.EventKind, ok bool) {
	rest, ok := strings.CutPrefix(name, "phone.")
	if !ok {
		return "", "", false
	}
	family, action, ok := strings.Cut(rest, "_")
	if !ok || (family != "caller" && family != "callee") {
		return "", "", false
	}
	kind, ok = liveKind(action)
	return family, kind, ok
}

// decodeGeneric decodes any webhook: the envelope first, then the object
// by the event's name.
func decodeGeneric(body []byte) (ev cti.Event, plainToken string, err error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return cti.Event{}, "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Event == "" {
		return cti.Event{}, "", fmt.Errorf("%w: no event name", ErrMalformed)
	}
	p := &env.Payload
	ev = cti.Event{
		Source:    Source,
		Type:      env.Event,
		Kind:      cti.KindUnknown,
		AccountID: p.AccountID,
	}
	if ms, err := strconv.ParseInt(string(env.EventTS), 10, 64); err == nil {
		ev.At = time.UnixMilli(ms).UTC()
	}
	natural, err := decodeObject(&ev, p)
	if err != nil {
		return cti.Event{}, "", fmt.Errorf("%w: %s object: %v", ErrMalformed, env.Event, err)
	}
	ev.ID = "zoom:" + env.Event + ":" + string(env.EventTS) + ":" + natural
	if env.Event == EventURLValidation {
		plainToken = p.PlainToken
	}
	return ev, plainToken, nil
}

// decodeObject fills ev from the event-specific part of the payload and
// returns the object's natural id for the dedupe key.
func decodeObject(ev *cti.Event, p *payload) (string, error) {
	name := ev.Type
	if family, kind, ok := liveEvent(name); ok {
		return decodeLive(ev, p, family, kind)
	}
	if family, action, ok := strings.Cut(strings.TrimPrefix(name, "phone."), "_"); ok &&
		strings.HasPrefix(name, "phone.") && (family == "caller" || family == "callee") {
		switch action {
		case "call_history_completed", "call_element_completed", "call_log_completed":
			return decodeRecords(ev, p, family, action)
		}
	}
	switch name {
	case "phone.recording_completed":
		return decodeRecording(ev, p)
	case "phone.voicemail_received":
		return decodeVoicemail(ev, p)
	case "phone.sms_sent", "phone.sms_received", "phone.sms_sent_failed":
		return decodeSMS(ev, p)
	case "user.created", "user.updated", "user.deleted":
		return decodeUser(ev, p)
	case "user.presence_status_updated":
		return decodePresence(ev, p)
	case "app_deauthorized":
		ev.Kind = cti.KindDeauthorize
		ev.UserID = p.UserID
		ev.ClientID = p.ClientID
		ev.User = &cti.UserChange{ID: p.UserID}
		return p.UserID, nil
	case EventURLValidation:
		return p.PlainToken, nil
	}
	return naturalID(p.Object), nil
}

// naturalID finds an id in an unknown event's object so that even ignored
// events get a stable dedupe key.
func naturalID(obj json.RawMessage) string {
	var o struct {
		CallID flexString `json:"call_id"`
		ID     flexString `json:"id"`
	}
	if json.Unmarshal(obj, &o) != nil {
		return ""
	}
	if o.CallID != "" {
		return string(o.CallID)
	}
	return string(o.ID)
}

// unmarshalObject decodes a payload's object; an absent object decodes as
// an empty one so optional fields simply stay empty.
func unmarshalObject(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// callKey is the natural id of a call event: the call id plus the subject
// user, because one call rings several queue members with the same call id
// and possibly the same event_ts, and each must reach its own agent.
func callKey(callID, userID string) string {
	if userID == "" {
		return callID
	}
	return callID + ":" + userID
}

func decodeLive(ev *cti.Event, p *payload, family string, kind cti.EventKind) (string, error) {
	var o liveCall
	if err := unmarshalObject(p.Object, &o); err != nil {
		return "", err
	}
	return liveFromObject(ev, &o, family, kind), nil
}

// liveFromObject fills ev from a live-call object and returns the event's
// natural id.
func liveFromObject(ev *cti.Event, o *liveCall, family string, kind cti.EventKind) string {
	ev.Kind = kind
	ev.CallID = string(o.CallID)
	ev.Caller = o.Caller.party()
	ev.Callee = o.Callee.party()
	if family == "callee" {
		ev.UserID, ev.Direction = o.Callee.UserID, cti.Inbound
	} else {
		ev.UserID, ev.Direction = o.Caller.UserID, cti.Outbound
	}
	if isExtension(ev.Caller) && isExtension(ev.Callee) {
		ev.Direction = cti.Internal
	}
	ev.Queue = queueOf(o.ForwardedBy, o.RedirectForwardedBy)
	ev.Ringing = parseTime(o.RingingStartTime)
	ev.Answered = parseTime(o.AnswerStartTime)
	if ev.Answered.IsZero() {
		ev.Answered = parseTime(o.ConnectedStartTime)
	}
	ev.Ended = parseTime(o.CallEndTime)
	ev.Result = o.HandupResult
	// Hold, mute and park events say when they happened; prefer that to the
	// delivery's event_ts.
	if t := parseTime(o.DateTime); !t.IsZero() {
		ev.At = t
	}
	return callKey(ev.CallID, ev.UserID)
}

// isExtension reports whether a live-event party is on the account (a user,
// queue, auto receptionist, room ...) rather than an outside number. A call
// between two of them is internal: its "phone numbers" are extension digits.
func isExtension(p cti.Party) bool {
	if p.UserID != "" {
		return true
	}
	switch p.ExtensionType {
	case "", "pstn", "five9", "twilio":
		return false
	}
	return true
}

func decodeRecords(ev *cti.Event, p *payload, family, action string) (string, error) {
	var o struct {
		UserID       string          `json:"user_id"`
		CallLogs     json.RawMessage `json:"call_logs"`
		CallElements json.RawMessage `json:"call_elements"`
	}
	if err := unmarshalObject(p.Object, &o); err != nil {
		return "", err
	}
	var err error
	switch action {
	case "call_log_completed":
		ev.Records, err = decodeList[legacyRecord](o.CallLogs, o.UserID)
	case "call_element_completed":
		ev.Records, err = decodeList[historyRecord](o.CallElements, o.UserID)
	default:
		ev.Records, err = decodeList[historyRecord](o.CallLogs, o.UserID)
	}
	if err != nil {
		return "", err
	}
	ev.Kind = cti.KindCallRecord
	ev.UserID = o.UserID
	ev.Direction = cti.Inbound
	if family == "caller" {
		ev.Direction = cti.Outbound
	}
	if len(ev.Records) == 0 {
		return callKey("", ev.UserID), nil
	}
	// The first record describes the call as a whole; the event carries it
	// so consumers that only look at live-call fields still see the call.
	r := ev.Records[0]
	if r.Internal {
		ev.Direction = cti.Internal
	}
	ev.CallID, ev.Caller, ev.Callee = r.CallID, r.Caller, r.Callee
	ev.Ringing, ev.Answered, ev.Ended = r.Start, r.Answer, r.End
	ev.Result = r.Result
	for _, rec := range ev.Records {
		if rec.Queue != nil {
			ev.Queue = rec.Queue
			break
		}
	}
	return callKey(ev.CallID, ev.UserID), nil
}

// recordDecoder is a wire record that converts into a cti.CallRecord.
type recordDecoder interface {
	historyRecord | legacyRecord
	record(userID string) cti.CallRecord
}

func decodeList[T recordDecoder](raw json.RawMessage, userID string) ([]cti.CallRecord, error) {
	var list []T
	if err := unmarshalObject(raw, &list); err != nil {
		return nil, err
	}
	out := make([]cti.CallRecord, 0, len(list))
	for _, w := range list {
		out = append(out, w.record(userID))
	}
	return out, nil
}
