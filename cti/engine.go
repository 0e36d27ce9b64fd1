package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Agent is a Salesforce user whose Zoom account is linked.
type Agent struct {
	OrgID      string `json:"org_id"`  // Salesforce org (00D...)
	UserID     string `json:"user_id"` // Salesforce user (005...)
	Username   string `json:"username,omitempty"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	ZoomUserID string `json:"zoom_user_id,omitempty"`
	ZoomEmail  string `json:"zoom_email,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"` // IANA; the agent's local date for ActivityDate
}

// Key identifies the agent across the system: org and user.
func (a Agent) Key() string { return a.OrgID + ":" + a.UserID }

// Match is a CRM record found for a phone number.
type Match struct {
	ID          string `json:"id"`
	Type        string `json:"type"` // Contact, Lead, Account
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
	AccountName string `json:"account_name,omitempty"`
}

// Task is a call log to write to the CRM.
type Task struct {
	// SMS marks a text-message Task (TaskSubtype Task, no call fields).
	SMS                   bool   `json:"sms,omitempty"`
	Subject               string `json:"subject"`
	CallType              string `json:"call_type"` // Inbound, Outbound, Internal
	CallDurationInSeconds int    `json:"call_duration_in_seconds"`
	CallObject            string `json:"call_object"` // the Zoom call id: what makes the write idempotent
	CallDisposition       string `json:"call_disposition,omitempty"`
	// Status is the closed status to save the Task with: the one the admin
	// picked, or empty for the org's own closed status (the CRM knows it).
	Status       string `json:"status"`
	ActivityDate string `json:"activity_date"` // YYYY-MM-DD
	Description  string `json:"description,omitempty"`
	WhoID        string `json:"who_id,omitempty"`
	WhatID       string `json:"what_id,omitempty"`
	// Fields are the admin's extra Task fields (API name → value).
	Fields map[string]string `json:"fields,omitempty"`
	// ClearWho and ClearWhat empty the WhoId and WhatId of an existing
	// Task (an update only: the agent took the call off a record).
	ClearWho  bool `json:"clear_who,omitempty"`
	ClearWhat bool `json:"clear_what,omitempty"`
}

// Directory finds the agent linked to a Zoom user.
type Directory interface {
	// AgentByZoomUser returns the linked agent, or (nil, nil) when the Zoom
	// user is not linked.
	AgentByZoomUser(ctx context.Context, zoomUserID string) (*Agent, error)
}

// CRM is what the engine needs from the agent's Salesforce org.
type CRM interface {
	FindByPhone(ctx context.Context, a Agent, number string) ([]Match, error)
	CreateTask(ctx context.Context, a Agent, t Task) (string, error)
	// FindTask returns the id of the agent's Task whose CallObject is
	// callObject, or "" when there is none.
	FindTask(ctx context.Context, a Agent, callObject string) (string, error)
	// UpdateTask changes the fields of an existing Task that are set in t
	// (non-empty strings, a positive duration); the others stay.
	UpdateTask(ctx context.Context, a Agent, id string, t Task) error
	// CallRecord reads a Contact, Lead or Account the agent can see, and
	// when it was created; ErrNoSuchMatch when there is none.
	CallRecord(ctx context.Context, a Agent, id string) (Match, time.Time, error)
}

// LookupWarmer is a CRM that can start reading what FindByPhone will need
// (its cache of a number's matches) before it is asked: the engine warms a
// ringing inbound call's number as the event arrives, so that the read
// runs beside the call's load instead of after it.
type LookupWarmer interface {
	WarmLookup(ctx context.Context, a Agent, number string)
}

// Notifier pushes a message to every softphone the agent has open.
type Notifier interface {
	Notify(ctx context.Context, agentKey string, msg any) error
}

// KV is the slice of the store the engine keeps call state in.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error)
	Delete(ctx context.Context, keys ...string) error
	Keys(ctx context.Context, prefix string) ([]string, error)
	// Apply makes txn's changes in one atomic step and returns the ids of
	// the jobs it enqueued, or EngineConfig.Conflict when an expectation
	// failed (nothing written).
	Apply(ctx context.Context, txn Txn) ([]string, error)
}

// Enqueuer hands a job to the durable outbox.
type Enqueuer interface {
	Enqueue(ctx context.Context, queue string, payload []byte) (string, error)
}

// OutboxQueue is the durable queue every Salesforce write goes through; each
// agent's jobs go to its shard OutboxShard.
const OutboxQueue = "outbox"

// errNoValue and errNoConflict stand in for EngineConfig.NotFound and
// Conflict when none is given.
var (
	errNoValue    = errors.New("cti: no value")
	errNoConflict = errors.New("cti: conflict")
)

// EngineConfig wires an Engine.
type EngineConfig struct {
	Directory Directory
	CRM       CRM
	Notifier  Notifier
	KV        KV
	Outbox    Enqueuer
	// NotFound is the error the KV returns for a missing key.
	NotFound error
	// Conflict is the error the KV's Apply returns when an expectation
	// failed.
	Conflict error
	// Inline, when set, offers to run an outbox job at once, in this
	// process: it returns nil when there is no room, else a function to
	// call with the job once it is stored (claimed for InlineLease), or with
	// nil when storing failed. The call's Task is then written without
	// waiting for a worker to claim it.
	Inline func() func(*Job)
	// Settings reads an org's admin settings (nil: the defaults).
	Settings func(ctx context.Context, orgID string) (Settings, error)
	// QueueSettle is how long a queue member who only rang waits before
	// logging an unanswered queue call (default 20 s).
	QueueSettle time.Duration
	// RingLookupWait is how long a live call's lookup may take before the
	// call is shown without its match (the card says the lookup waits, and
	// the lookup job asks again): a Salesforce that hangs must not hold
	// the ring up (default 3 s).
	RingLookupWait time.Duration
	Clock          func() time.Time
	Logger         *slog.Logger
}

// Engine turns normalized events into screen pops and call logs.
type Engine struct {
	cfg   EngineConfig
	now   func() time.Time
	log   *slog.Logger
	locks callLocks
}

// NewEngine returns an engine over cfg.
func NewEngine(cfg EngineConfig) *Engine {
	e := &Engine{cfg: cfg, now: cfg.Clock, log: cfg.Logger}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.cfg.NotFound == nil {
		e.cfg.NotFound = errNoValue
	}
	if e.cfg.Conflict == nil {
		e.cfg.Conflict = errNoConflict
	}
	if e.cfg.QueueSettle <= 0 {
		e.cfg.QueueSettle = 20 * time.Second
	}
	if e.cfg.RingLookupWait <= 0 {
		e.cfg.RingLookupWait = 3 * time.Second
	}
	if e.cfg.Settings == nil {
		e.cfg.Settings = func(context.Context, string) (Settings, error) { return DefaultSettings(), nil }
	}
	return e
}

// How long the engine remembers a call and the logs it wrote.
const (
	callTTL   = 24 * time.Hour
	loggedTTL = 45 * 24 * time.Hour // longer than Zoom's retry window and a reconcile range
)

// Handle processes one event. An error means "try again later": the caller
// keeps the event in the queue.
func (e *Engine) Handle(ctx context.Context, ev Event) error {
	_, err := e.HandleJob(ctx, ev, JobRef{})
	return err
}

// HandleJob processes one event that job holds. acked reports whether the
// job was acknowledged together with the event's changes; when it was not
// and err is nil, the caller acknowledges it.
func (e *Engine) HandleJob(ctx context.Context, ev Event, job JobRef) (acked bool, err error) {
	switch ev.Kind {
	case KindSMS:
		return false, e.handleSMS(ctx, ev)
	case KindVoicemail, KindRecording:
		return false, e.handleMedia(ctx, ev)
	}
	if ev.Kind == KindCallRecord && ev.UserID != "" {
		agent, err := e.cfg.Directory.AgentByZoomUser(ctx, ev.UserID)
		if err != nil || agent == nil {
			return false, err
		}
		return false, e.handleRecords(ctx, *agent, ev)
	}
	if !ev.IsCall() {
		// Post-call records, SMS, presence and directory events are
		// acknowledged here; later features act on them.
		return false, nil
	}
	if ev.UserID == "" {
		return false, nil // a queue- or AR-level event with no user leg
	}
	agent, err := e.cfg.Directory.AgentByZoomUser(ctx, ev.UserID)
	if err != nil {
		return false, fmt.Errorf("cti: find agent for zoom user: %w", err)
	}
	if agent == nil {
		e.log.Debug("event for an unlinked zoom user", "event", ev.Type, "call_id", ev.CallID)
		return false, nil
	}
	if w, ok := e.cfg.CRM.(LookupWarmer); ok && ev.Kind == KindRinging && ev.Direction == Inbound && ev.Caller.Number != "" {
		w.WarmLookup(ctx, *agent, ev.Caller.Number)
	}
	err = e.withCall(ctx, *agent, ev.CallID, func(call *Call) error {
		return e.handleCall(ctx, *agent, call, ev, job)
	})
	return err == nil && job.ID != "", err
}

// handleCall folds ev into the agent's call (nil: new) and stores the
// result, with the event's acknowledgement, in one step.
func (e *Engine) handleCall(ctx context.Context, agent Agent, call *Call, ev Event, job JobRef) error {
	if call == nil {
		call = newCall(ev)
	}
	set, err := e.cfg.Settings(ctx, agent.OrgID)
	if err != nil {
		return fmt.Errorf("cti: settings: %w", err)
	}
	unanswered := call.Answered.IsZero()
	call.apply(ev)
	answeredNow := unanswered && !call.Answered.IsZero()
	b := &batch{}
	if call.Direction == Internal && set.IgnoreInternalCalls {
		// Neither popped nor logged, nor shown: remembered only so that a
		// redelivery finds it settled.
		call.Popped, call.Logged = true, true
		if err := e.storeCall(b, agent, call); err != nil { // never the active call either
			return err
		}
		return e.apply(ctx, b, job)
	}
	if err := e.noteQueueAnswer(ctx, agent, call, ev); err != nil {
		return err
	}
	if err := e.checkDialed(ctx, b, agent, call); err != nil {
		return err
	}
	waiting := call.LookupFailed
	if err := e.match(ctx, agent, call); err != nil {
		return err
	}
	if call.LookupFailed != waiting && !call.Over() && (call.LookupFailed == LookupWaiting || call.LookupFailed == LookupPaused) {
		// Salesforce did not answer (or the org is out of API requests):
		// the card shows the call now and says the lookup waits; a job
		// looks the number up again and fills the match in.
		if err := b.enqueue(outboxJob{Kind: JobLookup, Lookup: e.lookupJob(agent, call.ID)}, false); err != nil {
			return err
		}
	}
	pop := e.popNow(call, set)
	if pop {
		call.Popped = true
	}
	if call.Over() && !call.Logged {
		if err := e.finish(ctx, b, agent, call, set); err != nil {
			return err
		}
		call.Logged = true
	}
	if err := e.saveCall(ctx, b, agent, call); err != nil {
		return err
	}
	// Pushed once the state is stored: an event that loses a race with
	// another instance is redone and must not have popped already.
	var msg Message
	if !pop && answeredNow && !call.Over() {
		// The pop was pushed once stored, by whichever instance stored it;
		// one killed in between never pushed it, and the agent's softphone,
		// on another instance, is not sent it again by a reconnect. So the
		// answer's push is the call as a reconnect gets it: its pop again,
		// resent, which a softphone that made the pop skips.
		msg = resentMessage(call, set)
	}
	if msg.Pop == nil {
		msg = callMessage(call, pop, set)
	}
	b.after = append(b.after, func(ctx context.Context) { e.push(ctx, agent, call.ID, msg) })
	return e.apply(ctx, b, job)
}

// push sends msg to the agent's softphones. The call state is stored and a
// reconnecting softphone gets it again, so a failed push is only logged.
func (e *Engine) push(ctx context.Context, a Agent, callID string, msg any) {
	if err := e.cfg.Notifier.Notify(ctx, a.Key(), msg); err != nil {
		e.log.Warn("push to softphone failed", "call_id", callID, "user_id", a.UserID, "err", err)
	}
}

// ErrBusy says another worker is handling the same call right now.
var ErrBusy = errors.New("cti: call busy")

// ErrSignedOut is what a CRM returns when the agent's CRM access is gone
// (signed out, or the refresh token revoked): nothing can be done for the
// agent until they sign in again.
var ErrSignedOut = errors.New("cti: agent must sign in to Salesforce again")

// ErrCRMPaused is what a CRM returns while calls to the agent's org are
// paused (its API request limit was reached).
var ErrCRMPaused = errors.New("cti: Salesforce API paused for this org")

// match looks the other party's number up in the agent's org once per call.
// When Salesforce does not answer, the call goes on without its match
// (LookupWaiting) rather than waiting for it: the lookup job (runLookup)
// owns trying again, and a call that ends first is looked up when its Task
// is written.
func (e *Engine) match(ctx context.Context, a Agent, c *Call) error {
	if c.Matches != nil || c.LookupFailed == LookupWaiting && !c.Over() {
		return nil
	}
	if c.Direction == Internal {
		c.Matches = []Match{}
		return nil
	}
	if c.Other.Number == "" {
		c.Matches = []Match{}
		return nil
	}
	lctx := ctx
	if !c.Over() {
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, e.cfg.RingLookupWait)
		defer cancel()
	}
	matches, err := e.cfg.CRM.FindByPhone(lctx, a, c.Other.Number)
	switch {
	case errors.Is(err, ErrCRMPaused):
		// No API budget: the console's own search still works and costs
		// nothing, so pop that instead of a lookup.
		c.Matches, c.LookupFailed = []Match{}, LookupPaused
		return nil
	case errors.Is(err, ErrSignedOut):
		// Nobody to pop for until the agent signs in again; the log is
		// written then (the outbox waits).
		c.Matches, c.LookupFailed = []Match{}, LookupSignedOut
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("cti: find caller %s: %w", c.ID, err)
	case err != nil:
		e.log.Warn("Salesforce lookup failed; the call shows without its match until a retry finds it",
			"call_id", c.ID, "org_id", a.OrgID, "err", err)
		c.Matches, c.LookupFailed = nil, LookupWaiting
		return nil
	}
	if matches == nil {
		matches = []Match{}
	}
	c.Matches, c.LookupFailed = matches, ""
	return nil
}

func (e *Engine) loadCall(ctx context.Context, a Agent, callID string) (*Call, error) {
	b, err := e.cfg.KV.Get(ctx, e.callKey(a, callID))
	if errors.Is(err, e.cfg.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cti: load call: %w", err)
	}
	var c Call
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("cti: decode call: %w", err)
	}
	c.loaded = b
	return &c, nil
}

// ActiveCall returns the agent's call in progress, if any, as the message a
// reconnecting softphone should get again (resentMessage).
func (e *Engine) ActiveCall(ctx context.Context, a Agent) (*Message, error) {
	id, err := e.cfg.KV.Get(ctx, e.activeKey(a))
	if errors.Is(err, e.cfg.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := e.loadCall(ctx, a, string(id))
	if err != nil || c == nil || c.Over() {
		return nil, err
	}
	set, err := e.cfg.Settings(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	m := resentMessage(c, set)
	return &m, nil
}
