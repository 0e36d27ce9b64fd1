package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every fake the cti tests use lives in this file, and so does the fixture
// that wires them into an Engine: when the engine's view of the store
// changes, this is the one file to adapt.

// fakeClock is the time the engine sees; only the test moves it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// errMissing is the fake KV's "not found", passed as EngineConfig.NotFound.
var errMissing = errors.New("missing")

type kvEntry struct {
	v   []byte
	exp time.Time // zero: never expires
}

// memKV is the KV in a map. Keys expire by the fake clock (now nil: never);
// fail, when set, can make one operation on one key fail; afterCAD lets a
// test act right after a marker is cleared.
type memKV struct {
	mu       sync.Mutex
	m        map[string]kvEntry
	now      func() time.Time
	fail     func(op, key string) error
	afterCAD func(key string)
	// outbox receives the jobs a transaction enqueues.
	outbox *memOutbox
}

// errConflict is memKV's failed expectation, passed as EngineConfig.Conflict.
var errConflict = errors.New("conflict")

// Apply checks every expectation and every fault first, then makes all the
// changes or none. The fault hook sees each key under the operation of the
// single call it stands for ("set", "setnx", "delete").
func (k *memKV) Apply(_ context.Context, txn Txn) ([]string, error) {
	if err := oneSlot(txn); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range txn.Set {
		op := "set"
		if p.IfAbsent {
			op = "setnx"
		}
		if err := k.failed(op, p.Key); err != nil {
			return nil, err
		}
	}
	for _, key := range txn.Delete {
		if err := k.failed("delete", key); err != nil {
			return nil, err
		}
	}
	for _, c := range txn.Expect {
		cur, ok := k.get(c.Key)
		if ok != (c.Value != nil) || ok && string(cur.v) != string(c.Value) {
			return nil, errConflict
		}
	}
	if len(txn.Enqueue) > 0 {
		k.outbox.mu.Lock()
		err := k.outbox.err
		k.outbox.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	for _, p := range txn.Set {
		if _, ok := k.get(p.Key); ok && p.IfAbsent {
			continue
		}
		k.m[p.Key] = kvEntry{v: p.Value, exp: k.expiry(p.TTL)}
	}
	for _, key := range txn.Delete {
		delete(k.m, key)
	}
	var ids []string
	for _, j := range txn.Enqueue {
		id, err := k.outbox.Enqueue(context.Background(), j.Queue, j.Payload)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// oneSlot is the store's rule (package store, Txn.Slot) that every step
// the engine applies keeps to: its keys and the queue shards it enqueues on
// carry one hash tag, or it touches a single untagged key. The fake's job
// ids are not the store's, so acknowledgements are left out here; the
// server's tests check them on the real stores.
func oneSlot(txn Txn) error {
	tag := func(s string) string {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return "key " + s
		}
		j := strings.IndexByte(s[i+1:], '}')
		if j <= 0 {
			return "key " + s
		}
		return s[i : i+j+2]
	}
	var names []string
	for _, c := range txn.Expect {
		names = append(names, c.Key)
	}
	for _, p := range txn.Set {
		names = append(names, p.Key)
	}
	names = append(names, txn.Delete...)
	for _, j := range txn.Enqueue {
		names = append(names, j.Queue)
	}
	for _, n := range names {
		if tag(n) != tag(names[0]) {
			return fmt.Errorf("transaction spans hash slots: %s and %s", names[0], n)
		}
	}
	return nil
}

func newMemKV(now func() time.Time) *memKV { return &memKV{m: map[string]kvEntry{}, now: now} }

// get returns the live entry; the caller holds mu.
func (k *memKV) get(key string) (kvEntry, bool) {
	e, ok := k.m[key]
	if ok && !e.exp.IsZero() && k.now != nil && !k.now().Before(e.exp) {
		delete(k.m, key)
		return kvEntry{}, false
	}
	return e, ok
}

func (k *memKV) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 || k.now == nil {
		return time.Time{}
	}
	return k.now().Add(ttl)
}

func (k *memKV) failed(op, key string) error {
	if k.fail == nil {
		return nil
	}
	return k.fail(op, key)
}

func (k *memKV) Get(_ context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.failed("get", key); err != nil {
		return nil, err
	}
	e, ok := k.get(key)
	if !ok {
		return nil, fmt.Errorf("kv %s: %w", key, errMissing)
	}
	return e.v, nil
}

func (k *memKV) Set(_ context.Context, key string, v []byte, ttl time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.failed("set", key); err != nil {
		return err
	}
	k.m[key] = kvEntry{v: v, exp: k.expiry(ttl)}
	return nil
}

func (k *memKV) SetNX(_ context.Context, key string, v []byte, ttl time.Duration) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.failed("setnx", key); err != nil {
		return false, err
	}
	if _, ok := k.get(key); ok {
		return false, nil
	}
	k.m[key] = kvEntry{v: v, exp: k.expiry(ttl)}
	return true, nil
}

func (k *memKV) CompareAndDelete(_ context.Context, key string, v []byte) (bool, error) {
	k.mu.Lock()
	cur, ok := k.get(key)
	deleted := ok && string(cur.v) == string(v)
	if deleted {
		delete(k.m, key)
	}
	after := k.afterCAD
	k.mu.Unlock()
	if deleted && after != nil {
		after(key)
	}
	return deleted, nil
}

func (k *memKV) Delete(_ context.Context, keys ...string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range keys {
		if err := k.failed("delete", key); err != nil {
			return err
		}
		delete(k.m, key)
	}
	return nil
}

func (k *memKV) Keys(_ context.Context, prefix string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.failed("keys", prefix); err != nil {
		return nil, err
	}
	var out []string
	for key := range k.m {
		if _, ok := k.get(key); ok && strings.HasPrefix(key, prefix) {
			out = append(out, key)
		}
	}
	return out, nil
}

// len counts the live keys.
func (k *memKV) len() int {
	keys, _ := k.Keys(context.Background(), "")
	return len(keys)
}

// queued is one job in the fake outbox.
type queued struct {
	payload   []byte
	notBefore time.Time // set from a DeferError, by the fake clock
	attempts  int
}

// memOutbox is the durable outbox: the fixture runs its jobs through
// Engine.RunOutboxJob. Jobs that return ErrBadJob are set aside in dead.
type memOutbox struct {
	mu   sync.Mutex
	jobs []*queued
	dead [][]byte
	err  error // Enqueue fails while set
}

func (o *memOutbox) Enqueue(_ context.Context, queue string, payload []byte) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return "", o.err
	}
	if queue != OutboxQueue && !strings.HasPrefix(queue, OutboxQueue+"{") {
		return "", fmt.Errorf("unknown queue %q", queue)
	}
	o.jobs = append(o.jobs, &queued{payload: payload})
	return fmt.Sprint(len(o.jobs)), nil
}

// pending returns the payloads waiting, checking on the way that no job
// keeps the agent's Zoom identity (a disconnect must be able to erase it).
func (o *memOutbox) pending() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out [][]byte
	for _, q := range o.jobs {
		var j outboxJob
		if err := json.Unmarshal(q.payload, &j); err != nil {
			panic("undecodable outbox job " + string(q.payload))
		}
		if (j.Log != nil && j.Log.Agent.ZoomUserID != "") || (j.SMS != nil && j.SMS.Agent.ZoomUserID != "") {
			panic("an outbox job keeps the agent's Zoom identity: " + string(q.payload))
		}
		out = append(out, q.payload)
	}
	return out
}

// kinds lists the kinds of the jobs waiting, in order.
func (o *memOutbox) kinds() []string {
	var out []string
	for _, p := range o.pending() {
		var j outboxJob
		_ = json.Unmarshal(p, &j)
		out = append(out, string(j.Kind))
	}
	return out
}

// next takes the first job due at now, or reports when the earliest is due.
func (o *memOutbox) next(now time.Time) (q *queued, wake time.Time, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, j := range o.jobs {
		if !j.notBefore.After(now) {
			o.jobs = slices.Delete(o.jobs, i, i+1)
			return j, time.Time{}, true
		}
		if wake.IsZero() || j.notBefore.Before(wake) {
			wake = j.notBefore
		}
	}
	return nil, wake, false
}

func (o *memOutbox) requeue(q *queued) { o.mu.Lock(); o.jobs = append(o.jobs, q); o.mu.Unlock() }

func (o *memOutbox) bury(q *queued) { o.mu.Lock(); o.dead = append(o.dead, q.payload); o.mu.Unlock() }

// storedTask is a Task as the fake org holds it.
type storedTask struct {
	Task
	ID    string
	Owner string // the agent's Key
}

// fakeRecord is a record of the fake org, with when it was created.
type fakeRecord struct {
	Match
	created time.Time
}

// fakeCRM is a Salesforce org: Tasks in a map, lookups from byNumber, the
// calls a real org would bill counted, and switchable failures.
type fakeCRM struct {
	mu                                sync.Mutex
	byNumber                          map[string][]Match
	tasks                             map[string]Task
	owners                            map[string]string
	seq                               int
	searches, creates, updates, finds int
	err                               error // returned by every call while set
	lookupErr                         error // returned by FindByPhone while set
	hang                              bool  // FindByPhone answers only when its context ends
	failAfterCreate                   int   // creates that succeed but report an error
	onCreate                          func()
	// records are the Contacts, Leads and Accounts CallRecord reads.
	records map[string]fakeRecord
	// reject refuses a Task Salesforce would never accept as it is.
	reject func(Task) bool
}

func newFakeCRM() *fakeCRM {
	return &fakeCRM{tasks: map[string]Task{}, owners: map[string]string{}, byNumber: map[string][]Match{
		ada.Number:        {adaMatch},
		"+12025550177":    {{ID: "00QHEDY", Type: "Lead", Name: "Hedy Lamarr"}},
		"+12025550155":    {{ID: "001GLOBEX", Type: "Account", Name: "Globex"}},
		sharedLine.Number: {adaMatch, {ID: graceID, Type: "Contact", Name: "Grace Hopper", AccountID: "001ANALYTICAL"}},
	}}
}

func (c *fakeCRM) FindByPhone(ctx context.Context, _ Agent, number string) ([]Match, error) {
	c.mu.Lock()
	if c.hang {
		c.mu.Unlock()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	if c.lookupErr != nil {
		return nil, c.lookupErr
	}
	c.searches++
	return c.byNumber[number], nil
}

func (c *fakeCRM) CreateTask(_ context.Context, a Agent, t Task) (string, error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return "", c.err
	}
	c.creates++
	if c.reject != nil && c.reject(t) {
		c.mu.Unlock()
		return "", fmt.Errorf("salesforce: create task: %w", ErrRejected)
	}
	c.seq++
	id := fmt.Sprintf("00T%03d", c.seq)
	c.tasks[id] = t
	if c.owners != nil {
		c.owners[id] = a.Key()
	}
	fail := c.failAfterCreate > 0
	if fail {
		c.failAfterCreate--
	}
	hook := c.onCreate
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	if fail {
		return "", errors.New("timeout reading the response")
	}
	return id, nil
}

func (c *fakeCRM) FindTask(_ context.Context, _ Agent, callObject string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return "", c.err
	}
	c.finds++
	for id, t := range c.tasks {
		if t.CallObject == callObject {
			return id, nil
		}
	}
	return "", nil
}

func (c *fakeCRM) UpdateTask(_ context.Context, _ Agent, id string, t Task) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.updates++
	cur, ok := c.tasks[id]
	if !ok {
		return fmt.Errorf("salesforce: update task %s: entity is deleted: %w", id, ErrRejected)
	}
	if t.Subject != "" {
		cur.Subject = t.Subject
	}
	if t.Description != "" {
		cur.Description = t.Description
	}
	if t.CallDisposition != "" {
		cur.CallDisposition = t.CallDisposition
	}
	if t.WhoID != "" {
		cur.WhoID = t.WhoID
	}
	if t.WhatID != "" {
		cur.WhatID = t.WhatID
	}
	if t.ClearWho && t.WhoID == "" {
		cur.WhoID = ""
	}
	if t.ClearWhat && t.WhatID == "" {
		cur.WhatID = ""
	}
	for k, v := range t.Fields {
		if cur.Fields == nil {
			cur.Fields = map[string]string{}
		}
		cur.Fields[k] = v
	}
	c.tasks[id] = cur
	return nil
}

// CallRecord finds a record the test put in records.
func (c *fakeCRM) CallRecord(_ context.Context, _ Agent, id string) (Match, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return Match{}, time.Time{}, c.err
	}
	r, ok := c.records[id]
	if !ok {
		return Match{}, time.Time{}, ErrNoSuchMatch
	}
	return r.Match, r.created, nil
}

// deleteTask is the agent deleting a Task in Salesforce.
func (c *fakeCRM) deleteTask(id string) { c.mu.Lock(); delete(c.tasks, id); c.mu.Unlock() }

// all returns the org's Tasks in the order they were created.
func (c *fakeCRM) all() []storedTask {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []storedTask
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range c.tasks {
			if !yield(id) {
				return
			}
		}
	}) {
		out = append(out, storedTask{Task: c.tasks[id], ID: id, Owner: c.owners[id]})
	}
	return out
}

// only returns the one Task there must be.
func (c *fakeCRM) only(t *testing.T) Task {
	t.Helper()
	all := c.all()
	if len(all) != 1 {
		t.Fatalf("%d Tasks, want 1: %+v", len(all), all)
	}
	return all[0].Task
}

// heldCRM holds every phone lookup until released, and announces each one
// as it starts: a test can see two lookups of one call running at once.
type heldCRM struct {
	*fakeCRM
	started chan string // the number of each lookup that starts
	release chan struct{}
	once    sync.Once
}

func (c *heldCRM) FindByPhone(ctx context.Context, a Agent, number string) ([]Match, error) {
	c.started <- number
	<-c.release
	return c.fakeCRM.FindByPhone(ctx, a, number)
}

func (c *heldCRM) letGo() { c.once.Do(func() { close(c.release) }) }

// pushed is a message as the softphone receives it (the JSON it is sent as).
type pushed struct {
	Type   string    `json:"type"`
	Call   *CallView `json:"call"`
	Pop    *Pop      `json:"pop"`
	Resent bool      `json:"resent"`
	CallID string    `json:"call_id"`
	TaskID string    `json:"task_id"`
	WrapUp *WrapUp   `json:"wrapup"`
}

// fakeNotifier records what each agent's softphone was sent.
type fakeNotifier struct {
	mu  sync.Mutex
	got map[string][]pushed
	err error // Notify fails (after recording nothing) while set
}

func (n *fakeNotifier) Notify(_ context.Context, agentKey string, msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	var p pushed
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	if n.got == nil {
		n.got = map[string][]pushed{}
	}
	n.got[agentKey] = append(n.got[agentKey], p)
	return nil
}

// of returns what the agent was sent, optionally only of one type.
func (n *fakeNotifier) of(a *Agent, typ string) []pushed {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []pushed
	for _, p := range n.got[a.Key()] {
		if typ == "" || p.Type == typ {
			out = append(out, p)
		}
	}
	return out
}

// pops returns the pops the agent was sent, in order: the pop decisions,
// not a pop sent again as resent (a softphone that made it skips it).
func (n *fakeNotifier) pops(a *Agent) []Pop {
	var out []Pop
	for _, p := range n.of(a, "call") {
		if p.Pop != nil && !p.Resent {
			out = append(out, *p.Pop)
		}
	}
	return out
}

// fakeDirectory links Zoom users to agents.
type fakeDirectory struct {
	mu     sync.Mutex
	agents map[string]*Agent
	err    error
}

func (d *fakeDirectory) AgentByZoomUser(_ context.Context, id string) (*Agent, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	return d.agents[id], nil
}
