package cti

import "context"

// SMSJob is the outbox job that writes (or updates) one day's SMS Task.
type SMSJob struct {
	Agent Agent  `json:"agent"`
	Key   string `json:"key"` // which (agent, other number, local date) thread
}

// handleSMS takes one text message.
func (e *Engine) handleSMS(ctx context.Context, ev Event) error {
	return nil
}

// runSMSJob writes the day's SMS Task.
func (e *Engine) runSMSJob(ctx context.Context, j SMSJob) error {
	return nil
}
