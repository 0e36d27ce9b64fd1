package cti

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
)

// buildSMSTask is the Task that shows the whole thread.
// status is the closed status the admin picked, or empty for the org's own.
func buildSMSTask(th *smsThread, st smsTaskState, status string) Task {
	subject := "SMS with " + th.Numbers[0]
	switch {
	case th.Group:
		// Everyone in the conversation, the agent included.
		subject = fmt.Sprintf("Group SMS (%d people)", len(th.Numbers)+1)
	case st.Name != "":
		subject = "SMS with " + st.Name + " (" + th.Numbers[0] + ")"
	}
	return Task{
		SMS:          true,
		Subject:      subject,
		Status:       status,
		ActivityDate: th.Date,
		Description:  smsTranscript(th, smsDescriptionMax),
		CallObject:   th.CallObject,
		WhoID:        st.WhoID,
		WhatID:       st.WhatID,
	}
}

// smsTranscript is one line per message, oldest first, in the thread's time
// zone, and at most limit Salesforce characters: the newest messages are
// kept and a first line says how many earlier ones are not shown.
func smsTranscript(th *smsThread, limit int) string {
	loc, err := loadZone(th.Zone)
	if err != nil {
		loc = time.UTC
	}
	lines := make([]string, len(th.Messages))
	for i, m := range th.Messages {
		lines[i] = smsLine(m, loc, th.Group)
	}
	const noteRoom = 64 // "(2500 earlier messages not shown)\n" and then some
	budget := limit - noteRoom
	keep, used := 0, 0
	for i := len(lines) - 1; i >= 0; i-- {
		n := sfLen(lines[i]) + 1
		if used+n > budget {
			break
		}
		used += n
		keep++
	}
	if keep == 0 && len(lines) > 0 {
		// One message longer than the field: show its beginning.
		lines[len(lines)-1] = sfTruncate(lines[len(lines)-1], budget-1) + "…"
		keep = 1
	}
	var b strings.Builder
	switch hidden := len(th.Cut) + len(lines) - keep; {
	case hidden == 1:
		b.WriteString("(1 earlier message not shown)\n")
	case hidden > 1:
		fmt.Fprintf(&b, "(%d earlier messages not shown)\n", hidden)
	}
	b.WriteString(strings.Join(lines[len(lines)-keep:], "\n"))
	return b.String()
}

// smsLine is "15:04 Sent: text" or "15:04 Received: text"; in a group, a
// received line names the sender's number.
func smsLine(m smsMessage, loc *time.Location, group bool) string {
	dir := "Received"
	if m.Dir == Outbound {
		dir = "Sent"
	} else if group && m.From != "" {
		dir = "Received from " + m.From
	}
	// One line per message: line breaks inside a text become spaces.
	text := strings.Join(strings.FieldsFunc(m.Text, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
	text = strings.TrimFunc(text, unicode.IsSpace)
	if text == "" {
		text = "(no text)"
		if m.MMS {
			text = "(attachment)"
		}
	}
	return m.At.In(loc).Format("15:04") + " " + dir + ": " + text
}

// sfLen is the length of s as Salesforce counts it (UTF-16 code units).
func sfLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// sfTruncate cuts s to at most n Salesforce characters.
func sfTruncate(s string, n int) string {
	used := 0
	for i, r := range s {
		if used+utf16.RuneLen(r) > n {
			return s[:i]
		}
		used += utf16.RuneLen(r)
	}
	return s
}
