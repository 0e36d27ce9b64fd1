package zoom

import (
	"strings"

	"github.com/zoomcti/zoomcti/cti"
)

// This file decodes the events that are not a live call leg: recordings,
// voicemails, text messages and the user directory.

func decodeRecording(ev *cti.Event, p *payload) (string, error) {
	var o struct {
		Recordings []wireRecording `json:"recordings"`
	}
	if err := unmarshalObject(p.Object, &o); err != nil {
		return "", err
	}
	ev.Kind = cti.KindRecording
	if len(o.Recordings) == 0 {
		return "", nil
	}
	// Zoom sends one recording per event in practice; the first one is the
	// event's subject.
	w := o.Recordings[0]
	ev.CallID = string(w.CallID)
	ev.UserID = w.UserID
	if ev.UserID == "" && w.Owner.Type == "user" {
		ev.UserID = w.Owner.ID
	}
	ev.Direction = cti.Direction(w.Direction)
	ev.Caller = numberParty("", w.CallerNumber, w.CallerNumberType, w.CallerName, w.CallerDIDNumber)
	ev.Callee = numberParty("", w.CalleeNumber, w.CalleeNumberType, w.CalleeName, w.CalleeDIDNumber)
	if ev.UserID != "" {
		subject := &ev.Caller
		if ev.Direction == cti.Inbound {
			subject = &ev.Callee
		}
		subject.UserID, subject.ExtensionType = ev.UserID, "user"
	}
	if w.CallerNumberType.n == 1 && w.CalleeNumberType.n == 1 {
		ev.Direction = cti.Internal
	}
	ev.Recording = &cti.Recording{
		ID:              w.ID,
		CallID:          ev.CallID,
		DownloadURL:     w.DownloadURL,
		DurationSeconds: w.Duration.n,
		At:              parseTime(w.DateTime),
	}
	return w.ID, nil
}

func decodeVoicemail(ev *cti.Event, p *payload) (string, error) {
	var w wireVoicemail
	if err := unmarshalObject(p.Object, &w); err != nil {
		return "", err
	}
	calleeUser := w.CalleeUserID
	if calleeUser == "" && w.CalleeExtensionType == "user" {
		calleeUser = w.CalleeID
	}
	caller := numberParty(w.CallerUserID, w.CallerNumber, w.CallerNumberType, w.CallerName, w.CallerDIDNumber)
	callee := numberParty(calleeUser, w.CalleeNumber, w.CalleeNumberType, w.CalleeName, w.CalleeDIDNumber)
	if w.CalleeExtensionType != "" {
		callee.ExtensionType = w.CalleeExtensionType
	}
	ev.Kind = cti.KindVoicemail
	ev.CallID = string(w.CallID)
	// A voicemail left on a queue (or auto receptionist) belongs to no
	// single agent; the engine decides who sees it.
	ev.UserID = calleeUser
	ev.Direction = cti.Inbound
	if w.CallerNumberType.n == 1 {
		ev.Direction = cti.Internal
	}
	ev.Caller, ev.Callee = caller, callee
	if w.CalleeExtensionType == "callQueue" {
		ev.Queue = &cti.Routing{
			Name:            w.CalleeName,
			ExtensionNumber: callee.ExtensionNumber,
			ExtensionType:   w.CalleeExtensionType,
			Number:          w.CalleeDIDNumber,
		}
	}
	ev.Voicemail = &cti.Voicemail{
		ID:              w.ID,
		CallID:          ev.CallID,
		Caller:          caller,
		Callee:          callee,
		DownloadURL:     w.DownloadURL,
		DurationSeconds: w.Duration.n,
		At:              parseTime(w.DateTime),
	}
	return w.ID, nil
}

func decodeSMS(ev *cti.Event, p *payload) (string, error) {
	var w wireSMS
	if err := unmarshalObject(p.Object, &w); err != nil {
		return "", err
	}
	ev.Kind = cti.KindSMS
	ev.Direction = cti.Outbound
	if ev.Type == "phone.sms_received" {
		ev.Direction = cti.Inbound
	}
	if w.Owner.Type == "user" {
		ev.UserID = w.Owner.ID
	}
	sms := &cti.SMS{
		MessageID: string(w.MessageID),
		SessionID: w.SessionID,
		Direction: ev.Direction,
		From:      w.Sender.party(),
		OwnerID:   w.Owner.ID,
		Text:      w.Message,
		Type:      w.MessageType.n,
		At:        parseTime(w.DateTime),
		Failed:    w.FailureReason,
	}
	if ev.Type == "phone.sms_sent_failed" && sms.Failed == "" {
		sms.Failed = "failed"
	}
	for _, m := range w.ToMembers {
		sms.To = append(sms.To, m.party())
	}
	ev.SMS = sms
	return sms.MessageID, nil
}

func decodeUser(ev *cti.Event, p *payload) (string, error) {
	var obj, old wireUser
	if err := unmarshalObject(p.Object, &obj); err != nil {
		return "", err
	}
	if err := unmarshalObject(p.OldObject, &old); err != nil {
		return "", err
	}
	switch ev.Type {
	case "user.created":
		ev.Kind = cti.KindUserCreated
	case "user.updated":
		ev.Kind = cti.KindUserUpdated
	default:
		ev.Kind = cti.KindUserDeleted
	}
	ev.UserID = obj.ID
	ev.User = &cti.UserChange{ID: obj.ID, Email: obj.Email, Name: obj.name()}
	// user.updated carries only the changed fields, so OldEmail is set only
	// when the email itself changed: that is what breaks an agent's link.
	if old.Email != "" && !strings.EqualFold(old.Email, obj.Email) {
		ev.User.OldEmail = old.Email
	}
	return obj.ID, nil
}

func decodePresence(ev *cti.Event, p *payload) (string, error) {
	var obj wireUser
	if err := unmarshalObject(p.Object, &obj); err != nil {
		return "", err
	}
	ev.Kind = cti.KindPresence
	ev.UserID = obj.ID
	ev.Presence = obj.PresenceStatus
	ev.User = &cti.UserChange{ID: obj.ID, Email: obj.Email, Name: obj.name()}
	// The status changed at date_time (date-time in some samples); prefer it
	// to the delivery's event_ts.
	t := parseTime(obj.DateTime)
	if t.IsZero() {
		t = parseTime(obj.DateTimeDash)
	}
	if !t.IsZero() {
		ev.At = t
	}
	return obj.ID, nil
}
