package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Text messages are logged as Zoom's own Salesforce integration logs them:
// one Task per agent, other number and agent's local date, created on the
// first message and updated as more arrive. Messages are collected in the KV
// as they come (a thread document); one outbox job per burst writes the
// Task once the thread has been quiet for smsSettle, so ten messages in a
// few seconds cost one Salesforce write, not ten.
//
// Group messages (more than one other participant) are keyed by Zoom's
// session id instead of a number: a group conversation is one thread
// whatever number spoke last, and a per-number Task would split it.

const (
	// smsSettle is how long a thread must be quiet before its Task is
	// written. Tests live with it: e.drain() waits for deferred jobs.
	smsSettle = 2 * time.Second
	// smsMaxSettle bounds the wait for a thread that never goes quiet, so
	// a lively conversation still shows up in Salesforce.
	smsMaxSettle = time.Minute
	// smsPendingTTL frees a thread whose flush job vanished (set aside as
	// dead, or lost with a store). Longer than any settle wait; a job that
	// outlives it while waiting for Salesforce only risks a duplicate job,
	// which finds nothing new to write.
	smsPendingTTL = 15 * time.Minute
	// smsDescriptionMax is Task.Description's length in Salesforce
	// characters (UTF-16 code units).
	smsDescriptionMax = 32000
	// smsMaxStored keeps a thread document bounded. More lines than fit in
	// a Description (at least ~15 characters each) are never shown anyway.
	smsMaxStored = 2500
)

// SMSJob is the outbox job that writes (or updates) one day's SMS Task.
type SMSJob struct {
	Agent Agent  `json:"agent"`
	Key   string `json:"key"` // which (agent, other number, local date) thread: the Task's CallObject
	// Token is the thread's pending marker this job holds, and Since when
	// it was taken (for smsMaxSettle).
	Token string    `json:"token,omitempty"`
	Since time.Time `json:"since,omitzero"`
}

// smsMessage is one message of a thread as stored in the KV. Text is
// customer data: it goes into the Task and nowhere else (never a log line).
type smsMessage struct {
	ID   string    `json:"id"`
	Dir  Direction `json:"dir"`
	At   time.Time `json:"at"`
	From string    `json:"from,omitempty"` // normalized numbers
	To   []string  `json:"to,omitempty"`
	Text string    `json:"text,omitempty"`
	MMS  bool      `json:"mms,omitempty"`
}

// smsThread is one day's conversation between an agent and a number (or a
// group), as collected so far.
type smsThread struct {
	CallObject string       `json:"call_object"`
	Date       string       `json:"date"`    // the agent's local date, YYYY-MM-DD
	Zone       string       `json:"zone"`    // the time zone the transcript's times are in
	Numbers    []string     `json:"numbers"` // the other participants, in order of appearance
	Group      bool         `json:"group,omitempty"`
	Messages   []smsMessage `json:"messages"` // chronological
	// Cut are the ids of the oldest messages dropped to keep the document
	// bounded: a redelivery of one is still a duplicate, and the
	// transcript says how many there were.
	Cut []string `json:"cut,omitempty"`
	// Version counts the messages added; the job writes up to a version.
	Version     int       `json:"version"`
	LastArrival time.Time `json:"last_arrival"` // our clock, for smsSettle
}

// smsTaskState is what the job knows of the thread's Task.
type smsTaskState struct {
	TaskID  string `json:"task_id,omitempty"`
	Version int    `json:"version"` // the thread version the Task shows
	Looked  bool   `json:"looked,omitempty"`
	WhoID   string `json:"who_id,omitempty"`
	WhatID  string `json:"what_id,omitempty"`
	Name    string `json:"name,omitempty"` // of the matched record, for the Subject
}

// autoSaveSMS reports whether the org keeps SMS Tasks (the Auto Save SMS card).
func (e *Engine) autoSaveSMS(ctx context.Context, orgID string) (bool, error) {
	if e.cfg.Settings == nil {
		return true, nil
	}
	s, err := e.cfg.Settings(ctx, orgID)
	if err != nil {
		return false, fmt.Errorf("cti: read settings: %w", err)
	}
	return s.AutoSaveSMS, nil
}

// handleSMS takes one text message: it adds it to its thread and makes sure
// one flush job is pending for the thread.
func (e *Engine) handleSMS(ctx context.Context, ev Event) error {
	s := ev.SMS
	if s == nil || ev.UserID == "" {
		return nil // a queue's or auto receptionist's message: no agent to log for
	}
	if s.Failed != "" {
		return nil // never delivered: not part of the conversation
	}
	agent, err := e.cfg.Directory.AgentByZoomUser(ctx, ev.UserID)
	if err != nil {
		return fmt.Errorf("cti: find agent for zoom user: %w", err)
	}
	if agent == nil {
		e.log.Debug("sms for an unlinked zoom user", "event", ev.Type)
		return nil
	}
	if on, err := e.autoSaveSMS(ctx, agent.OrgID); err != nil || !on {
		return err
	}
	at := s.At
	if at.IsZero() {
		at = ev.At
	}
	if at.IsZero() {
		at = e.now()
	}
	th, ok := newSMSThread(*agent, ev.UserID, s, at)
	if !ok {
		e.log.Debug("sms without another party's number", "event", ev.Type, "user_id", agent.UserID)
		return nil
	}
	m := smsMessage{ID: s.MessageID, Dir: s.Direction, At: at, From: smsNumber(s.From.Number), Text: s.Text, MMS: s.Type == 2 || s.Type == 4}
	if m.ID == "" {
		m.ID = ev.ID // still stable across redeliveries
	}
	for _, p := range s.To {
		m.To = append(m.To, smsNumber(p.Number))
	}
	if err := e.addSMS(ctx, *agent, th, m); err != nil {
		return err
	}
	// Also on a duplicate: the first delivery may have stored the message
	// and failed before a job was pending.
	return e.ensureSMSJob(ctx, *agent, th.CallObject)
}

// addSMS stores m in its thread under the thread's lock; a busy thread is
// retried shortly by the event queue.
func (e *Engine) addSMS(ctx context.Context, a Agent, fresh *smsThread, m smsMessage) error {
	lock := "lock:" + smsThreadKey(a, fresh.CallObject)
	token := []byte(randomID())
	ok, err := e.cfg.KV.SetNX(ctx, lock, token, 30*time.Second)
	if err != nil {
		return fmt.Errorf("cti: lock sms thread: %w", err)
	}
	if !ok {
		return ErrBusy
	}
	defer e.cfg.KV.CompareAndDelete(context.WithoutCancel(ctx), lock, token)

	th, err := e.loadSMSThread(ctx, a, fresh.CallObject)
	if err != nil {
		return err
	}
	if th == nil {
		th = fresh
	}
	if !th.add(m) {
		return nil
	}
	for _, n := range fresh.Numbers {
		if !slices.Contains(th.Numbers, n) {
			th.Numbers = append(th.Numbers, n) // someone new joined the group
		}
	}
	th.Version++
	th.LastArrival = e.now()
	b, err := json.Marshal(th)
	if err != nil {
		return err
	}
	// Kept as long as call-log markers: the job may wait days for the
	// agent to sign in again, and the Task is rewritten from this.
	if err := e.cfg.KV.Set(ctx, smsThreadKey(a, th.CallObject), b, loggedTTL); err != nil {
		return fmt.Errorf("cti: save sms thread: %w", err)
	}
	return nil
}

func (e *Engine) loadSMSThread(ctx context.Context, a Agent, key string) (*smsThread, error) {
	b, err := e.cfg.KV.Get(ctx, smsThreadKey(a, key))
	if errors.Is(err, e.cfg.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cti: load sms thread: %w", err)
	}
	var th smsThread
	if err := json.Unmarshal(b, &th); err != nil {
		return nil, fmt.Errorf("cti: decode sms thread: %w", err)
	}
	return &th, nil
}

// ensureSMSJob enqueues the thread's flush job unless one is pending. Only
// the caller that takes the pending marker enqueues.
func (e *Engine) ensureSMSJob(ctx context.Context, a Agent, key string) error {
	token := randomID()
	ok, err := e.cfg.KV.SetNX(ctx, smsPendingKey(a, key), []byte(token), smsPendingTTL)
	if err != nil {
		return fmt.Errorf("cti: mark sms thread pending: %w", err)
	}
	if !ok {
		return nil
	}
	// The outbox writes as the Salesforce user; it keeps no Zoom identity,
	// which an agent's disconnect must be able to erase.
	a.ZoomUserID, a.ZoomEmail = "", ""
	b, err := json.Marshal(outboxJob{Kind: JobSMS, SMS: &SMSJob{Agent: a, Key: key, Token: token, Since: e.now()}})
	if err != nil {
		return err
	}
	if _, err := e.cfg.Outbox.Enqueue(ctx, OutboxShard(a), b); err != nil {
		// Give the marker back so that the retry of this event (or the
		// next message) enqueues.
		_, _ = e.cfg.KV.CompareAndDelete(context.WithoutCancel(ctx), smsPendingKey(a, key), []byte(token))
		return fmt.Errorf("cti: enqueue sms log: %w", err)
	}
	return nil
}

// runSMSJob writes the day's SMS Task once the thread has settled.
//
// Races: a message stored while the job runs is not lost. handleSMS stores
// the message, then tries the pending marker; the job clears the marker,
// then reads the thread again. Either the message's SetNX comes before the
// clear (it fails, and the job's read after the clear sees the message and
// re-arms) or after it (it succeeds and enqueues a new job). Two jobs for a
// thread (a marker that expired) are harmless: the Task lock serializes
// them and the second finds nothing new to write.
func (e *Engine) runSMSJob(ctx context.Context, j SMSJob) error {
	th, err := e.loadSMSThread(ctx, j.Agent, j.Key)
	if err != nil {
		return err
	}
	written := 0
	if th != nil {
		now := e.now()
		if wait := th.LastArrival.Add(smsSettle).Sub(now); wait > 0 && now.Sub(j.Since) < smsMaxSettle {
			return &DeferError{After: wait}
		}
		if written, err = e.writeSMSTask(ctx, j.Agent, j.Key); err != nil {
			return err
		}
	}
	if j.Token != "" {
		if _, err := e.cfg.KV.CompareAndDelete(ctx, smsPendingKey(j.Agent, j.Key), []byte(j.Token)); err != nil {
			return fmt.Errorf("cti: clear sms thread pending: %w", err)
		}
	}
	th, err = e.loadSMSThread(ctx, j.Agent, j.Key)
	if err != nil {
		return err
	}
	if th != nil && th.Version > written {
		return e.ensureSMSJob(ctx, j.Agent, j.Key)
	}
	return nil
}

// writeSMSTask creates or updates the thread's Task so that it shows the
// whole thread, and returns the thread version it shows. It writes the Task
// at most once per thread, whatever happened before: the lock, the attempt
// marker and FindTask work as in writeLog.
func (e *Engine) writeSMSTask(ctx context.Context, a Agent, key string) (int, error) {
	base := smsTaskKey(a, key)
	token := []byte(randomID())
	ok, err := e.cfg.KV.SetNX(ctx, base+":lock", token, 2*time.Minute)
	if err != nil {
		return 0, fmt.Errorf("cti: lock sms log: %w", err)
	}
	if !ok {
		return 0, ErrBusy
	}
	defer e.cfg.KV.CompareAndDelete(context.WithoutCancel(ctx), base+":lock", token)

	st, err := e.loadSMSTaskState(ctx, base)
	if err != nil {
		return 0, err
	}
	th, err := e.loadSMSThread(ctx, a, key)
	if err != nil || th == nil {
		return st.Version, err
	}
	if st.Version >= th.Version {
		return st.Version, nil // another job wrote it: nothing new, no API request
	}
	// Looked up before the attempt marker, so that a lookup that has to
	// wait (org paused, agent signed out) does not cost a FindTask later.
	if !st.Looked {
		if err := e.lookUpSMS(ctx, a, th, &st); err != nil {
			return 0, err
		}
	}
	if st.TaskID == "" {
		// A previous attempt may have created the Task and died before
		// recording it: ask Salesforce before creating another.
		first, err := e.cfg.KV.SetNX(ctx, base+":attempt", []byte("1"), loggedTTL)
		if err != nil {
			return 0, fmt.Errorf("cti: mark sms log attempt: %w", err)
		}
		if !first {
			if st.TaskID, err = e.cfg.CRM.FindTask(ctx, a, th.CallObject); err != nil {
				return 0, fmt.Errorf("cti: look for earlier sms log: %w", err)
			}
		}
	}
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return 0, err
	}
	t := buildSMSTask(th, st, set.TaskStatus)
	if st.TaskID == "" {
		if st.TaskID, err = e.cfg.CRM.CreateTask(ctx, a, t); err != nil {
			return 0, fmt.Errorf("cti: create sms log: %w", err)
		}
		e.log.Info("sms logged", "org_id", a.OrgID, "user_id", a.UserID, "task_id", st.TaskID, "messages", len(th.Messages))
	} else {
		// Only what changes: the Task's links and status are the agent's
		// to edit after the first write.
		err := e.cfg.CRM.UpdateTask(ctx, a, st.TaskID, Task{Subject: t.Subject, Description: t.Description})
		if errors.Is(err, ErrRejected) {
			// The Task is gone (deleted in Salesforce): start the day's
			// thread on a new one rather than retrying a dead id forever.
			e.log.Warn("sms log refused; writing a new one", "org_id", a.OrgID, "user_id", a.UserID, "task_id", st.TaskID, "err", err)
			st.TaskID, err = e.cfg.CRM.CreateTask(ctx, a, t)
		}
		if err != nil {
			return 0, fmt.Errorf("cti: update sms log: %w", err)
		}
		e.log.Info("sms log updated", "org_id", a.OrgID, "user_id", a.UserID, "task_id", st.TaskID, "messages", len(th.Messages))
	}
	st.Version = th.Version
	b, err := json.Marshal(st)
	if err != nil {
		return 0, err
	}
	if err := e.cfg.KV.Set(ctx, base, b, loggedTTL); err != nil {
		// The Task is right; a retry finds it (attempt marker) and
		// rewrites the same text.
		return 0, fmt.Errorf("cti: record sms log: %w", err)
	}
	return st.Version, nil
}

func (e *Engine) loadSMSTaskState(ctx context.Context, base string) (smsTaskState, error) {
	var st smsTaskState
	b, err := e.cfg.KV.Get(ctx, base)
	if errors.Is(err, e.cfg.NotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("cti: load sms log state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("cti: decode sms log state: %w", err)
	}
	return st, nil
}

// lookUpSMS finds the thread's WhoId/WhatId once per Task: the first
// participant that is a Contact or Lead is the Name (a Contact brings its
// Account); failing that, the first Account is Related To. CRM errors are
// returned as they are: the outbox waits (paused, signed out) or retries.
func (e *Engine) lookUpSMS(ctx context.Context, a Agent, th *smsThread, st *smsTaskState) error {
	for _, n := range th.Numbers {
		matches, err := e.cfg.CRM.FindByPhone(ctx, a, n)
		if err != nil {
			return fmt.Errorf("cti: find sms participant: %w", err)
		}
		for _, m := range matches {
			switch {
			case m.Type == "Contact" || m.Type == "Lead":
				st.WhoID, st.Name = m.ID, m.Name
				if m.Type == "Contact" {
					st.WhatID = m.AccountID
				} else {
					st.WhatID = "" // a Lead WhoId takes no WhatId
				}
				st.Looked = true
				return nil
			case m.Type == "Account" && st.WhatID == "":
				st.WhatID, st.Name = m.ID, m.Name
			}
		}
	}
	st.Looked = true
	return nil
}
