package zoom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/go-json-experiment/json/jsontext"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zoomcti/zoomcti/cti"
)

// This file holds the wire shapes of Zoom's webhook and REST bodies and the
// small tolerant types they need. Zoom is inconsistent across event families
// (extension_number is an int in live events and a string elsewhere, times
// come with and without fractions), so the decoders accept every spelling
// seen in the reference rather than failing a delivery over it.

// flexString decodes a JSON string, number or null into a string.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
		return nil
	case b[0] == '"' && len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b):
		// The decoder has checked the string already; without escapes
		// or bytes to replace it is its own value.
		*f = flexString(b[1 : len(b)-1])
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
		return nil
	}
}

// UnmarshalJSONFrom is UnmarshalJSON for the streaming decoder of the live
// events' one-pass decode: the same spellings, without copying the value
// out first.
func (f *flexString) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		*f = ""
	case '"':
		*f = flexString(tok.String())
	case '0':
		*f = flexString(tok.String())
	default:
		return fmt.Errorf("zoom: a %v where a string or number belongs", tok.Kind())
	}
	return nil
}

// flexInt decodes a JSON number, numeric string or null into an int; a
// present-but-unparsable value decodes as absent rather than failing the
// whole delivery.
type flexInt struct {
	n   int
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	err := s.UnmarshalJSON(b)
	if err == nil {
		*f = s.int()
	}
	return err
}

// UnmarshalJSONFrom is UnmarshalJSON for the streaming decoder.
func (f *flexInt) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var s flexString
	err := s.UnmarshalJSONFrom(dec)
	if err == nil {
		*f = s.int()
	}
	return err
}

// int reads s as a flexInt: absent when empty or not a number in range.
func (s flexString) int() flexInt {
	if s == "" {
		return flexInt{}
	}
	if n, err := strconv.ParseFloat(string(s), 64); err == nil && n >= -1e15 && n <= 1e15 {
		return flexInt{n: int(n), set: true}
	}
	return flexInt{}
}

// parseTime reads the spellings of date-times Zoom uses: GMT seconds
// (yyyy-MM-dd'T'HH:mm:ss'Z'), with milliseconds (app_deauthorized), with an
// offset, without a zone, or a bare date. It returns the zero time for an
// empty or unparsable value: a bad timestamp on one field must not lose the
// whole event.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// envelope is the outer shape of every webhook body.
type envelope struct {
	Event   string     `json:"event"`
	EventTS flexString `json:"event_ts"`
	Payload payload    `json:"payload"`
}

// payload is the part of the envelope's payload shared by all events.
type payload struct {
	AccountID string          `json:"account_id"`
	Object    json.RawMessage `json:"object"`
	OldObject json.RawMessage `json:"old_object"`

	// app_deauthorized keeps its fields directly in payload.
	UserID              string `json:"user_id"`
	ClientID            string `json:"client_id"`
	DeauthorizationTime string `json:"deauthorization_time"`

	// endpoint.url_validation
	PlainToken string `json:"plainToken"`
}

// wireParty is caller / callee in live call events.
type wireParty struct {
	ExtensionID     string     `json:"extension_id"`
	ExtensionType   string     `json:"extension_type"`
	UserID          string     `json:"user_id"`
	Name            string     `json:"name"`
	PhoneNumber     string     `json:"phone_number"`
	ExtensionNumber flexString `json:"extension_number"`
}

func (p wireParty) party() cti.Party {
	return cti.Party{
		UserID:          p.UserID,
		ExtensionID:     p.ExtensionID,
		ExtensionType:   p.ExtensionType,
		ExtensionNumber: string(p.ExtensionNumber),
		Name:            p.Name,
		Number:          p.PhoneNumber,
	}
}

// wireRouting is forwarded_by / redirect_forwarded_by.
type wireRouting struct {
	Name            string     `json:"name"`
	ExtensionNumber flexString `json:"extension_number"`
	ExtensionType   string     `json:"extension_type"`
	PhoneNumber     string     `json:"phone_number"`
}

func (r *wireRouting) routing() *cti.Routing {
	if r == nil || (r.Name == "" && r.ExtensionNumber == "" && r.ExtensionType == "" && r.PhoneNumber == "") {
		return nil
	}
	return &cti.Routing{
		Name:            r.Name,
		ExtensionNumber: string(r.ExtensionNumber),
		ExtensionType:   r.ExtensionType,
		Number:          r.PhoneNumber,
	}
}

// queueOf picks the routing to report for a call: a call queue wherever it
// appears wins (the engine's queue rules key on it), then the direct
// forwarder, then the indirect one.
func queueOf(forwarded, redirect *wireRouting) *cti.Routing {
	f, r := forwarded.routing(), redirect.routing()
	switch {
	case f.IsQueue():
		return f
	case r.IsQueue():
		return r
	case f != nil:
		return f
	}
	return r
}

// liveCall is payload.object of phone.caller_* / phone.callee_* events.
type liveCall struct {
	CallID              flexString   `json:"call_id"`
	Caller              wireParty    `json:"caller"`
	Callee              wireParty    `json:"callee"`
	RingingStartTime    string       `json:"ringing_start_time"`
	AnswerStartTime     string       `json:"answer_start_time"`
	ConnectedStartTime  string       `json:"connected_start_time"`
	CallEndTime         string       `json:"call_end_time"`
	DateTime            string       `json:"date_time"`
	HandupResult        string       `json:"handup_result"`
	ForwardedBy         *wireRouting `json:"forwarded_by"`
	RedirectForwardedBy *wireRouting `json:"redirect_forwarded_by"`
}

// snakeToCamel turns call-history extension types (call_queue) into the
// live-event spelling (callQueue) so the engine sees one vocabulary.
func snakeToCamel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	parts := strings.Split(s, "_")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}
