package zoomsim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"
)

// SMSSpec describes one text message. From and To are E.164 numbers or a
// user's id, email, extension or direct number; one of them must be a user.
type SMSSpec struct {
	From      string
	To        string
	Text      string
	At        time.Time // when it was sent (the emulator's clock)
	MessageID string    // generated when empty
	SessionID string    // derived from the two numbers when empty, so a thread shares it
}

type smsMember struct {
	PhoneNumber    string `json:"phone_number"`
	ID             string `json:"id,omitempty"`
	Type           string `json:"type,omitempty"`
	DisplayName    string `json:"display_name,omitempty"`
	IsMessageOwner bool   `json:"is_message_owner,omitempty"`
}

type smsObject struct {
	Sender    smsMember   `json:"sender"`
	ToMembers []smsMember `json:"to_members"`
	Owner     struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"owner"`
	Message     string `json:"message"`
	Attachments []any  `json:"attachments"`
	SessionID   string `json:"session_id"`
	MessageID   string `json:"message_id"`
	MessageType int    `json:"message_type"`
	DateTime    string `json:"date_time"`
}

// SMS returns the one event a text message produces: phone.sms_sent when a
// user sent it, else phone.sms_received for the user it was sent to.
func (z *Zoom) SMS(spec SMSSpec) ([][]byte, error) {
	from, to := z.resolve(spec.From), z.resolve(spec.To)
	if from.user == nil && to.user == nil {
		return nil, errors.New("zoomsim: an SMS needs a user of the account on one side")
	}
	at := spec.At
	if at.IsZero() {
		at = z.now()
	}
	at = at.UTC().Truncate(time.Second)
	o := smsObject{
		Sender:      smsMember{PhoneNumber: number(from)},
		ToMembers:   []smsMember{{PhoneNumber: number(to)}},
		Message:     spec.Text,
		Attachments: []any{},
		SessionID:   spec.SessionID,
		MessageID:   spec.MessageID,
		MessageType: 1,
		DateTime:    zt(at),
	}
	if o.MessageID == "" {
		o.MessageID = uuid()
	}
	if o.SessionID == "" {
		pair := []string{number(from), number(to)}
		slices.Sort(pair)
		sum := sha256.Sum256([]byte(pair[0] + "|" + pair[1]))
		o.SessionID = "fakesession" + hex.EncodeToString(sum[:11])
	}
	event := "phone.sms_sent"
	owner := from.user
	if owner == nil {
		event, owner = "phone.sms_received", to.user
	}
	if u := from.user; u != nil {
		o.Sender.ID, o.Sender.Type, o.Sender.DisplayName = u.ID, "user", u.Name()
	}
	if u := to.user; u != nil {
		o.ToMembers[0] = smsMember{PhoneNumber: u.Number, ID: u.ID, Type: "user", DisplayName: u.Name(), IsMessageOwner: owner == u}
	}
	o.Owner.Type, o.Owner.ID = "user", owner.ID
	return [][]byte{envelope(event, at.Add(100*time.Millisecond), o)}, nil
}

// number is the phone number a side texts from or to.
func number(e endpoint) string {
	if e.user != nil {
		return e.user.Number
	}
	return e.number
}
