package zoom

import (
	"strings"

	"github.com/zoomcti/zoomcti/cti"
)

// historyRecord is one entry of call_logs[] in the v2 call-history events
// and the REST call history, or of call_elements[] in the v3 element
// events (which only rename id to call_element_id).
type historyRecord struct {
	ID            string     `json:"id"`
	CallElementID string     `json:"call_element_id"`
	CallID        flexString `json:"call_id"`
	ConnectType   string     `json:"connect_type"`
	Direction     string     `json:"direction"`

	CallerExtID      string     `json:"caller_ext_id"`
	CallerName       string     `json:"caller_name"`
	CallerEmail      string     `json:"caller_email"`
	CallerDIDNumber  string     `json:"caller_did_number"`
	CallerExtNumber  flexString `json:"caller_ext_number"`
	CallerExtType    string     `json:"caller_ext_type"`
	CallerNumberType string     `json:"caller_number_type"`

	CalleeExtID      string     `json:"callee_ext_id"`
	CalleeName       string     `json:"callee_name"`
	CalleeEmail      string     `json:"callee_email"`
	CalleeDIDNumber  string     `json:"callee_did_number"`
	CalleeExtNumber  flexString `json:"callee_ext_number"`
	CalleeExtType    string     `json:"callee_ext_type"`
	CalleeNumberType string     `json:"callee_number_type"`

	StartTime  string  `json:"start_time"`
	AnswerTime string  `json:"answer_time"`
	EndTime    string  `json:"end_time"`
	Result     string  `json:"result"`
	TalkTime   flexInt `json:"talk_time"`
	Duration   flexInt `json:"duration"`

	OperatorExtNumber flexString `json:"operator_ext_number"`
	OperatorExtType   string     `json:"operator_ext_type"`
	OperatorName      string     `json:"operator_name"`

	RecordingID string `json:"recording_id"`
	VoicemailID string `json:"voicemail_id"`
}

// historyParty builds a party from the caller_* / callee_* columns of a
// history record. Ext types arrive snake_case there (call_queue); they are
// turned into the live-event spelling, and an external number without an
// ext type is marked pstn so Party.IsUser stays meaningful.
func historyParty(extID, name, email, did, extNumber, extType, numberType string) cti.Party {
	p := cti.Party{
		ExtensionID:     extID,
		ExtensionType:   snakeToCamel(extType),
		ExtensionNumber: extNumber,
		Name:            name,
		Number:          did,
		Email:           email,
	}
	if p.Number == "" {
		p.Number = extNumber
	}
	if p.ExtensionType == "" && strings.HasPrefix(numberType, "external") {
		p.ExtensionType = "pstn"
	}
	return p
}

// record converts a v2/v3 record; userID is the user the record belongs to
// (object.user_id, or the user whose history was read), and becomes the
// user id of the party on that user's side of the call.
func (h historyRecord) record(userID string) cti.CallRecord {
	r := cti.CallRecord{
		ID:          h.ID,
		CallID:      string(h.CallID),
		UserID:      userID,
		Direction:   cti.Direction(h.Direction),
		Internal:    h.ConnectType == "internal",
		Caller:      historyParty(h.CallerExtID, h.CallerName, h.CallerEmail, h.CallerDIDNumber, string(h.CallerExtNumber), h.CallerExtType, h.CallerNumberType),
		Callee:      historyParty(h.CalleeExtID, h.CalleeName, h.CalleeEmail, h.CalleeDIDNumber, string(h.CalleeExtNumber), h.CalleeExtType, h.CalleeNumberType),
		Start:       parseTime(h.StartTime),
		Answer:      parseTime(h.AnswerTime),
		End:         parseTime(h.EndTime),
		Result:      h.Result,
		RecordingID: h.RecordingID,
		VoicemailID: h.VoicemailID,
	}
	if r.ID == "" {
		r.ID = h.CallElementID
	}
	markSubject(&r)
	r.DurationSeconds = duration(h.TalkTime, h.Duration, r)
	if t := h.OperatorExtType; t != "" && t != "user" {
		r.Queue = &cti.Routing{
			Name:            h.OperatorName,
			ExtensionNumber: string(h.OperatorExtNumber),
			ExtensionType:   snakeToCamel(t),
		}
	}
	return r
}

// markSubject puts the record's user id on the party that is that user:
// the callee of an inbound record, the caller of an outbound one.
func markSubject(r *cti.CallRecord) {
	if r.UserID == "" {
		return
	}
	p := &r.Caller
	if r.Direction == cti.Inbound {
		p = &r.Callee
	}
	if p.UserID == "" {
		p.UserID = r.UserID
	}
	if p.ExtensionType == "" {
		p.ExtensionType = "user"
	}
}

// duration prefers the talk time Zoom measured, then its total duration,
// and only then the wall-clock span, so a missed call (talk_time 0) stays 0.
func duration(talk, total flexInt, r cti.CallRecord) int {
	switch {
	case talk.set:
		return talk.n
	case total.set:
		return total.n
	case !r.Start.IsZero() && r.End.After(r.Start):
		return int(r.End.Sub(r.Start).Seconds())
	}
	return 0
}

// legacyRecord is one entry of call_logs[] in the v1 call-log events,
// deprecated by Zoom but still delivered to older subscriptions.
type legacyRecord struct {
	ID     string     `json:"id"`
	CallID flexString `json:"call_id"`

	CallerUserID     string  `json:"caller_user_id"`
	CallerNumber     string  `json:"caller_number"`
	CallerNumberType flexInt `json:"caller_number_type"`
	CallerName       string  `json:"caller_name"`
	CallerDIDNumber  string  `json:"caller_did_number"`

	CalleeUserID     string  `json:"callee_user_id"`
	CalleeNumber     string  `json:"callee_number"`
	CalleeNumberType flexInt `json:"callee_number_type"`
	CalleeName       string  `json:"callee_name"`
	CalleeDIDNumber  string  `json:"callee_did_number"`

	Direction       string       `json:"direction"`
	DateTime        string       `json:"date_time"`
	AnswerStartTime string       `json:"answer_start_time"`
	CallEndTime     string       `json:"call_end_time"`
	Duration        flexInt      `json:"duration"`
	Result          string       `json:"result"`
	RecordingID     string       `json:"recording_id"`
	ForwardedBy     *wireRouting `json:"forwarded_by"`
}

// numberParty builds a party from the number / number_type columns used by
// legacy call logs, recordings and voicemails, where number_type 1 means the
// number is an extension and 2 a phone number.
func numberParty(userID, number string, numberType flexInt, name, did string) cti.Party {
	p := cti.Party{UserID: userID, Name: name, Number: number}
	if numberType.n == 1 {
		p.ExtensionNumber = number
		if did != "" {
			p.Number = did
		}
	}
	switch {
	case userID != "":
		p.ExtensionType = "user"
	case numberType.n == 2:
		p.ExtensionType = "pstn"
	}
	return p
}

func (l legacyRecord) record(userID string) cti.CallRecord {
	r := cti.CallRecord{
		ID:          l.ID,
		CallID:      string(l.CallID),
		UserID:      userID,
		Direction:   cti.Direction(l.Direction),
		Internal:    l.CallerNumberType.n == 1 && l.CalleeNumberType.n == 1,
		Caller:      numberParty(l.CallerUserID, l.CallerNumber, l.CallerNumberType, l.CallerName, l.CallerDIDNumber),
		Callee:      numberParty(l.CalleeUserID, l.CalleeNumber, l.CalleeNumberType, l.CalleeName, l.CalleeDIDNumber),
		Start:       parseTime(l.DateTime),
		Answer:      parseTime(l.AnswerStartTime),
		End:         parseTime(l.CallEndTime),
		Result:      l.Result,
		RecordingID: l.RecordingID,
		Queue:       l.ForwardedBy.routing(),
	}
	markSubject(&r)
	r.DurationSeconds = duration(flexInt{}, l.Duration, r)
	return r
}

// wireRecording is one entry of recordings[] in phone.recording_completed.
type wireRecording struct {
	ID               string     `json:"id"`
	CallID           flexString `json:"call_id"`
	UserID           string     `json:"user_id"`
	CallerNumber     string     `json:"caller_number"`
	CallerNumberType flexInt    `json:"caller_number_type"`
	CallerName       string     `json:"caller_name"`
	CallerDIDNumber  string     `json:"caller_did_number"`
	CalleeNumber     string     `json:"callee_number"`
	CalleeNumberType flexInt    `json:"callee_number_type"`
	CalleeName       string     `json:"callee_name"`
	CalleeDIDNumber  string     `json:"callee_did_number"`
	Duration         flexInt    `json:"duration"`
	DownloadURL      string     `json:"download_url"`
	DateTime         string     `json:"date_time"`
	Direction        string     `json:"direction"`
	Owner            struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"owner"`
}

// wireVoicemail is payload.object of phone.voicemail_received.
type wireVoicemail struct {
	ID                  string     `json:"id"`
	CallID              flexString `json:"call_id"`
	DateTime            string     `json:"date_time"`
	DownloadURL         string     `json:"download_url"`
	Duration            flexInt    `json:"duration"`
	CallerUserID        string     `json:"caller_user_id"`
	CallerNumber        string     `json:"caller_number"`
	CallerNumberType    flexInt    `json:"caller_number_type"`
	CallerName          string     `json:"caller_name"`
	CallerDIDNumber     string     `json:"caller_did_number"`
	CalleeUserID        string     `json:"callee_user_id"`
	CalleeNumber        string     `json:"callee_number"`
	CalleeNumberType    flexInt    `json:"callee_number_type"`
	CalleeName          string     `json:"callee_name"`
	CalleeDIDNumber     string     `json:"callee_did_number"`
	CalleeExtensionType string     `json:"callee_extension_type"`
	CalleeID            string     `json:"callee_id"`
}

// wireSMSMember is sender or one of to_members[] in SMS events.
type wireSMSMember struct {
	PhoneNumber string `json:"phone_number"`
	ID          string `json:"id"`
	Type        string `json:"type"`
	DisplayName string `json:"display_name"`
}

func (m wireSMSMember) party() cti.Party {
	p := cti.Party{Number: m.PhoneNumber, Name: m.DisplayName, ExtensionType: m.Type}
	if m.Type == "user" {
		p.UserID = m.ID
	}
	return p
}

// wireSMS is payload.object of phone.sms_sent / phone.sms_received.
type wireSMS struct {
	Sender    wireSMSMember   `json:"sender"`
	ToMembers []wireSMSMember `json:"to_members"`
	Owner     struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"owner"`
	Message       string     `json:"message"`
	SessionID     string     `json:"session_id"`
	MessageID     flexString `json:"message_id"`
	MessageType   flexInt    `json:"message_type"`
	DateTime      string     `json:"date_time"`
	FailureReason string     `json:"failure_reason"`
}

// wireUser is payload.object (and old_object) of user.* events.
type wireUser struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	DisplayName string `json:"display_name"`

	// user.presence_status_updated
	PresenceStatus string `json:"presence_status"`
	DateTime       string `json:"date_time"`
	DateTimeDash   string `json:"date-time"` // ZoomNet's sample spelling
}

func (u wireUser) name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}
