package cti

import (
	"slices"
	"strings"
	"time"
)

// newSMSThread returns the (empty) thread a message belongs to, or false
// when it names nobody on the other side.
func newSMSThread(a Agent, ownerID string, s *SMS, at time.Time) (*smsThread, bool) {
	others := smsOthers(s, ownerID)
	if len(others) == 0 {
		return nil, false
	}
	loc := agentLocation(a)
	th := &smsThread{Date: at.In(loc).Format(time.DateOnly), Zone: loc.String(), Numbers: others}
	th.Group = len(others) > 1 || s.Type == 3 || s.Type == 4
	id := others[0]
	if th.Group {
		id = "session:" + s.SessionID
		if s.SessionID == "" {
			id = "group:" + strings.Join(slices.Sorted(slices.Values(others)), ",")
		}
	}
	th.CallObject = "zoom-sms:" + id + ":" + th.Date
	return th, true
}

// smsOthers lists the normalized numbers of everyone in the message but the
// agent (the owner): the recipients of a sent message, the sender and any
// other recipients of a received one.
func smsOthers(s *SMS, ownerID string) []string {
	// The agent is whoever carries the owner's user id, and any party
	// with the agent's number (Zoom does not always repeat the id).
	var own []string
	for _, p := range append([]Party{s.From}, s.To...) {
		if p.UserID != "" && p.UserID == ownerID && p.Number != "" {
			own = append(own, smsNumber(p.Number))
		}
	}
	parties := s.To
	if s.Direction != Outbound {
		parties = []Party{s.From}
		// A received message's only recipient is the agent, whether or
		// not Zoom names them; in a group the others are participants.
		if len(s.To) > 1 {
			parties = append(parties, s.To...)
		}
	}
	var out []string
	for _, p := range parties {
		if p.UserID != "" && p.UserID == ownerID {
			continue
		}
		if n := smsNumber(p.Number); n != "" && !slices.Contains(out, n) && !slices.Contains(own, n) {
			out = append(out, n)
		}
	}
	return out
}

// smsNumber is a number as threads key it: E.164 when it is a valid
// number, else its digits (a short code, an extension), else as sent (an
// alphanumeric sender id).
func smsNumber(raw string) string {
	if p := NormalizePhone(raw, PhoneRules{}); p.Valid {
		return p.E164
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, raw)
	if digits != "" {
		return digits
	}
	return strings.TrimSpace(raw)
}

// agentLocation is the agent's time zone, UTC when unknown.
func agentLocation(a Agent) *time.Location {
	if a.TimeZone != "" {
		if loc, err := loadZone(a.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// add puts m in its place in time order. It reports false for a message
// the thread already has (Zoom redelivers).
func (th *smsThread) add(m smsMessage) bool {
	if slices.Contains(th.Cut, m.ID) || slices.ContainsFunc(th.Messages, func(x smsMessage) bool { return x.ID == m.ID }) {
		return false
	}
	// Deliveries come in any order; the transcript must not.
	i, _ := slices.BinarySearchFunc(th.Messages, m, compareSMS)
	th.Messages = slices.Insert(th.Messages, i, m)
	if n := len(th.Messages) - smsMaxStored; n > 0 {
		for _, old := range th.Messages[:n] {
			th.Cut = append(th.Cut, old.ID)
		}
		th.Messages = slices.Delete(th.Messages, 0, n)
	}
	return true
}

func compareSMS(a, b smsMessage) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
