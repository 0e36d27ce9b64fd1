package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
	"github.com/zoomcti/zoomcti/server/store"
)

// How long lookups are remembered, and how long an org is left alone after
// it ran out of API requests. A "no match" is kept short: a record created
// a minute ago may only now have reached Salesforce's search index.
const (
	matchCacheTTL   = 10 * time.Minute
	noMatchCacheTTL = time.Minute
	limitPause      = 5 * time.Minute
	limitsWriteGap  = 10 * time.Second
)

// crmConfig is what the CRM needs.
type crmConfig struct {
	kv         store.KV
	tokens     sfTokenConfig
	apiVersion string
	http       *http.Client
	// settings are the org's settings (its phone-number rules).
	settings func(ctx context.Context, orgID string) (cti.Settings, error)
	// signedOut is told when Salesforce ends an agent's access: they must
	// sign in again.
	signedOut func(ctx context.Context, orgID, userID, reason string)
	metrics   *metrics
	health    *healthRecorder // the org's Tasks written and API usage, for its admin
	now       func() time.Time
	log       *slog.Logger
}

// crm is cti.CRM over each agent's own Salesforce access: every search and
// every log runs as the agent, with the agent's sharing rules.
type crm struct {
	cfg crmConfig
	// versions is each org's REST API versions list, read once for all
	// its agents; every client uses the newest version the org serves up
	// to cfg.apiVersion.
	versions *salesforce.Versions

	mu      sync.Mutex
	clients map[string]*salesforce.Client // by agent key
	limits  map[string]time.Time          // org → last time its usage was stored
	usage   map[string][2]int             // org → its API requests used and its daily limit, as last seen here
	// closed is each org's first closed Task status, read once and read
	// again when Salesforce refuses it (the admin renamed or removed it).
	closed map[string]string
	// caching counts the lookups being written to the cache: a write that
	// is not on the way to the pop.
	caching sync.WaitGroup
	// warm holds the phone cache reads WarmLookup started, by cache key,
	// until FindByPhone takes them, or, past warmKeep, a later WarmLookup
	// forgets them (warmSwept: when they were last looked over).
	warm      map[string]*phoneRead
	warmSwept time.Time
}

// phoneRead is a read of the phone cache started ahead of FindByPhone.
type phoneRead struct {
	at      time.Time
	done    chan struct{} // closed when the fields below are set
	matches []cti.Match
	found   bool // the cache held the number
	err     error
}

// warmKeep is how long a warmed read waits for its FindByPhone: the engine
// asks for it right after loading the call, so one that waits this long
// was for a call that needed no lookup. warmFew reads are kept without
// looking them over.
const (
	warmKeep = 5 * time.Second
	warmFew  = 64
)

func newCRM(cfg crmConfig) *crm {
	return &crm{cfg: cfg, versions: salesforce.NewVersions(cfg.now), clients: map[string]*salesforce.Client{}, limits: map[string]time.Time{}, usage: map[string][2]int{}, closed: map[string]string{}, warm: map[string]*phoneRead{}}
}

var (
	_ cti.CRM          = (*crm)(nil)
	_ cti.LookupWarmer = (*crm)(nil)
)

// client returns the agent's REST client, building it on first use.
func (c *crm) client(ctx context.Context, a cti.Agent) (*salesforce.Client, error) {
	c.mu.Lock()
	cl, ok := c.clients[a.Key()]
	c.mu.Unlock()
	if ok {
		return cl, nil
	}
	rec, err := loadAgent(ctx, c.cfg.kv, a.OrgID, a.UserID)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.SignInRequired != "" {
		return nil, fmt.Errorf("%w: agent %s", cti.ErrSignedOut, a.UserID)
	}
	cl = c.newClient(rec.InstanceURL, newSharedTokens(c.cfg.tokens, a.OrgID, a.UserID), a.OrgID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if existing, ok := c.clients[a.Key()]; ok {
		return existing, nil
	}
	c.clients[a.Key()] = cl
	return cl, nil
}

// newClient makes a client over tokens whose API usage is kept for orgID
// ("" for none: a client used during sign-in, before the org is known).
func (c *crm) newClient(instanceURL string, tokens salesforce.TokenSource, orgID string) *salesforce.Client {
	return salesforce.New(salesforce.Config{
		InstanceURL: instanceURL,
		APIVersion:  c.cfg.apiVersion,
		Versions:    c.versions,
		HTTPClient:  c.cfg.http,
		Tokens:      tokens,
		OnLimit:     func(used, limit int) { c.noteLimits(orgID, used, limit) },
		Log:         c.cfg.log,
	})
}

// forget drops the agent's client (signed out, or signed in again).
func (c *crm) forget(orgID, userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, orgID+":"+userID)
}

// orgLimits is the org's API usage as Salesforce last reported it.
type orgLimits struct {
	Used  int       `json:"used"`
	Limit int       `json:"limit"`
	At    time.Time `json:"at"`
}

// noteLimits keeps the org's Sforce-Limit-Info for the admin view, writing
// it to the store at most every few seconds per org.
func (c *crm) noteLimits(orgID string, used, limit int) {
	if orgID == "" {
		return // a client used during sign-in, before the org is known
	}
	c.cfg.health.raise(orgID, hfSFUsed, int64(used))
	c.cfg.health.raise(orgID, hfSFLimit, int64(limit))
	now := c.cfg.now()
	c.mu.Lock()
	c.usage[orgID] = [2]int{used, limit}
	if now.Sub(c.limits[orgID]) < limitsWriteGap {
		c.mu.Unlock()
		return
	}
	c.limits[orgID] = now
	c.mu.Unlock()
	b, _ := json.Marshal(orgLimits{Used: used, Limit: limit, At: now})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.cfg.kv.Set(ctx, orgLimitsKey(orgID), b, 48*time.Hour); err != nil {
		c.cfg.log.Warn("cannot store salesforce limits", "org_id", orgID, "err", err)
	}
}

// usageSeen is the org's API usage as this instance last saw Salesforce
// report it.
func (c *crm) usageSeen(orgID string) (used, limit int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.usage[orgID]
	return u[0], u[1], ok
}

// warmBudget is the share of an org's daily API requests past which
// connecting softphones no longer have their describes read ahead.
const warmBudget = 0.8

// call runs fn with the agent's client unless their org is paused, and
// acts on what Salesforce's failures mean to the engine: an org out of API
// requests is left alone for a while, an agent whose access ended is
// signed out.
func (c *crm) call(ctx context.Context, a cti.Agent, fn func(*salesforce.Client) error) error {
	if _, err := c.cfg.kv.Get(ctx, orgPauseKey(a.OrgID)); err == nil {
		return fmt.Errorf("%w: org %s", cti.ErrCRMPaused, a.OrgID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	cl, err := c.client(ctx, a)
	if err != nil {
		return err
	}
	err = salesforce.AsCTIError(fn(cl))
	var end *salesforce.SignInRequired
	switch {
	case errors.Is(err, cti.ErrCRMPaused):
		// Stop asking for a while instead of hammering an org that is out
		// of budget.
		c.cfg.log.Warn("salesforce API limit reached; pausing this org", "org_id", a.OrgID, "for", limitPause)
		c.cfg.metrics.sfPauses.Inc()
		if perr := c.cfg.kv.Set(ctx, orgPauseKey(a.OrgID), []byte("1"), limitPause); perr != nil {
			c.cfg.log.Error("cannot pause org", "org_id", a.OrgID, "err", perr)
		}
	case errors.As(err, &end):
		c.cfg.signedOut(ctx, a.OrgID, a.UserID, end.Reason)
	}
	return err
}

// FindByPhone implements cti.CRM. Results are cached per agent (Salesforce
// sharing rules differ between users, so one agent's matches are not
// another's) and number.
func (c *crm) FindByPhone(ctx context.Context, a cti.Agent, number string) ([]cti.Match, error) {
	set, err := c.cfg.settings(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	rules := set.PhoneRules()
	phone := cti.NormalizePhone(number, rules)
	key := phoneCacheKey(a, phone.E164)
	c.mu.Lock()
	r := c.warm[key]
	delete(c.warm, key)
	c.mu.Unlock()
	if r != nil && c.cfg.now().Sub(r.at) > warmKeep {
		r = nil // for a call long gone: the cache may have changed since
	}
	var (
		cached []cti.Match
		found  bool
	)
	if r != nil {
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		cached, found, err = r.matches, r.found, r.err
	}
	if r == nil || err != nil {
		found, err = getJSON(ctx, c.cfg.kv, key, &cached)
	}
	if found && err == nil {
		c.cfg.metrics.phoneCacheHits.Inc()
		return cached, nil
	}
	var out []cti.Match
	err = c.call(ctx, a, func(cl *salesforce.Client) error {
		var err error
		out, err = cl.FindMatches(ctx, number, rules)
		return err
	})
	if err != nil {
		return nil, err
	}
	if phone.Valid {
		ttl := matchCacheTTL
		if len(out) == 0 {
			ttl = noMatchCacheTTL
		}
		b, _ := json.Marshal(out)
		// The pop waits for the lookup, not for its cache entry: on the
		// embedded store a write is a disk sync.
		ctx := context.WithoutCancel(ctx)
		c.caching.Go(func() {
			if err := c.cfg.kv.Set(ctx, key, b, ttl); err != nil {
				c.cfg.log.Warn("cannot cache phone lookup", "err", err)
			}
		})
	}
	return out, nil
}

// WarmLookup implements cti.LookupWarmer: it starts reading the phone
// cache's entry for number, which FindByPhone then takes instead of
// reading it. A number the org's rules cannot read is left alone.
func (c *crm) WarmLookup(ctx context.Context, a cti.Agent, number string) {
	set, err := c.cfg.settings(ctx, a.OrgID)
	if err != nil {
		return
	}
	e164 := cti.NormalizePhone(number, set.PhoneRules()).E164
	if e164 == "" {
		return
	}
	key := phoneCacheKey(a, e164)
	now := c.cfg.now()
	r := &phoneRead{at: now, done: make(chan struct{})}
	c.mu.Lock()
	if len(c.warm) >= warmFew && now.Sub(c.warmSwept) >= time.Second {
		// Reads no FindByPhone took: calls that needed no lookup.
		c.warmSwept = now
		for k, old := range c.warm {
			if now.Sub(old.at) > warmKeep {
				delete(c.warm, k)
			}
		}
	}
	if old := c.warm[key]; old != nil && now.Sub(old.at) <= warmKeep {
		c.mu.Unlock()
		return
	}
	c.warm[key] = r
	c.mu.Unlock()
	go func() {
		r.found, r.err = getJSON(ctx, c.cfg.kv, key, &r.matches)
		close(r.done)
	}()
}

// cached waits for the lookups being written to the cache.
func (c *crm) cached() { c.caching.Wait() }

// CreateTask implements cti.CRM.
func (c *crm) CreateTask(ctx context.Context, a cti.Agent, t cti.Task) (string, error) {
	var id string
	err := c.call(ctx, a, func(cl *salesforce.Client) error {
		return c.withClosedStatus(ctx, a.OrgID, cl, t, true, func(t cti.Task) error {
			var err error
			id, err = cl.CreateTask(ctx, a.UserID, t)
			return err
		})
	})
	if err == nil {
		c.cfg.health.add(a.OrgID, hfTasksWritten, 1)
	}
	return id, err
}

// UpdateTask implements cti.CRM.
func (c *crm) UpdateTask(ctx context.Context, a cti.Agent, id string, t cti.Task) error {
	if !salesforce.ChangesTask(t) {
		return nil
	}
	return c.call(ctx, a, func(cl *salesforce.Client) error {
		return c.withClosedStatus(ctx, a.OrgID, cl, t, false, func(t cti.Task) error { return cl.UpdateTask(ctx, id, t) })
	})
}

// withClosedStatus runs write with t's status filled in: the admin's
// choice, or (empty) the org's own closed status when creating. When
// Salesforce refuses the status (the org renamed or removed it since, or
// the admin's choice no longer exists) it reads the org's closed status
// afresh and writes once more, so that a log is not set aside for a value
// the org dropped.
func (c *crm) withClosedStatus(ctx context.Context, orgID string, cl *salesforce.Client, t cti.Task, create bool, write func(cti.Task) error) error {
	if t.Status == "" && create {
		status, err := c.closedStatus(ctx, orgID, cl, false)
		if err != nil {
			return err
		}
		t.Status = status
	}
	err := write(t)
	if !salesforce.RefusedTaskStatus(err) {
		return err
	}
	status, rerr := c.closedStatus(ctx, orgID, cl, true)
	if rerr != nil {
		// What the re-read failed with decides what happens to the job: a
		// passing failure is retried later rather than set aside.
		return fmt.Errorf("task status %q refused (%v); %w", t.Status, err, rerr)
	}
	if status == t.Status {
		return err
	}
	c.cfg.log.Warn("salesforce refused the task status; writing the org's closed status", "org_id", orgID, "refused", t.Status, "status", status)
	t.Status = status
	return write(t)
}

// closedStatus is the org's first closed Task status, from the cache
// unless fresh is set.
func (c *crm) closedStatus(ctx context.Context, orgID string, cl *salesforce.Client, fresh bool) (string, error) {
	c.mu.Lock()
	status, ok := c.closed[orgID]
	c.mu.Unlock()
	if ok && !fresh {
		return status, nil
	}
	status, err := cl.ClosedTaskStatus(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.closed[orgID] = status
	c.mu.Unlock()
	return status, nil
}

// CallRecord implements cti.CRM.
func (c *crm) CallRecord(ctx context.Context, a cti.Agent, id string) (cti.Match, time.Time, error) {
	var m cti.Match
	var created time.Time
	err := c.call(ctx, a, func(cl *salesforce.Client) error {
		var err error
		m, created, err = cl.CallRecord(ctx, id)
		if errors.Is(err, salesforce.KindNotFound) {
			return fmt.Errorf("%w: %v", cti.ErrNoSuchMatch, err)
		}
		return err
	})
	return m, created, err
}

// forgetNumber drops the agent's cached lookup of number, once a record
// was created for it.
func (c *crm) forgetNumber(ctx context.Context, a cti.Agent, number string) {
	set, err := c.cfg.settings(ctx, a.OrgID)
	if err != nil {
		return
	}
	if n := cti.NormalizePhone(number, set.PhoneRules()); n.Valid {
		_ = c.cfg.kv.Delete(ctx, phoneCacheKey(a, n.E164))
	}
}

// FindTask implements cti.CRM.
func (c *crm) FindTask(ctx context.Context, a cti.Agent, callObject string) (string, error) {
	var id string
	err := c.call(ctx, a, func(cl *salesforce.Client) error {
		var err error
		id, err = cl.FindTask(ctx, a.UserID, callObject)
		return err
	})
	return id, err
}
