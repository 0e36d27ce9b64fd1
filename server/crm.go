package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

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

// crm is cti.CRM over each agent's own Salesforce access: every search and
// every log runs as the agent, with the agent's sharing rules.
type crm struct {
	s *Server

	mu      sync.Mutex
	clients map[string]*salesforce.Client // by agent key
	limits  map[string]time.Time          // org → last time its usage was stored
}

func newCRM(s *Server) *crm {
	return &crm{s: s, clients: map[string]*salesforce.Client{}, limits: map[string]time.Time{}}
}

var _ cti.CRM = (*crm)(nil)

func (c *crm) oauthConfig() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.s.cfg.SFClientID,
		ClientSecret: c.s.cfg.SFClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.s.cfg.SFLoginURL + "/services/oauth2/authorize",
			TokenURL:  c.s.cfg.SFLoginURL + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: c.s.cfg.PublicURL + "/oauth/salesforce/callback",
		Scopes:      []string{"api", "refresh_token"},
	}
}

// client returns the agent's REST client, building it on first use.
func (c *crm) client(ctx context.Context, a cti.Agent) (*salesforce.Client, error) {
	c.mu.Lock()
	cl, ok := c.clients[a.Key()]
	c.mu.Unlock()
	if ok {
		return cl, nil
	}
	rec, err := c.s.agent(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.SignInRequired != "" {
		return nil, fmt.Errorf("%w: agent %s", cti.ErrSignedOut, a.UserID)
	}
	cl = c.newClient(rec.InstanceURL, &sharedTokens{s: c.s, orgID: a.OrgID, userID: a.UserID}, a.OrgID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if existing, ok := c.clients[a.Key()]; ok {
		return existing, nil
	}
	c.clients[a.Key()] = cl
	return cl, nil
}

func (c *crm) newClient(instanceURL string, tokens salesforce.TokenSource, orgID string) *salesforce.Client {
	return salesforce.New(salesforce.Config{
		InstanceURL: instanceURL,
		APIVersion:  c.s.cfg.SFAPIVersion,
		HTTPClient:  c.s.http,
		Tokens:      tokens,
		OnLimit:     func(used, limit int) { c.noteLimits(orgID, used, limit) },
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
	now := c.s.now()
	c.mu.Lock()
	if now.Sub(c.limits[orgID]) < limitsWriteGap {
		c.mu.Unlock()
		return
	}
	c.limits[orgID] = now
	c.mu.Unlock()
	b, _ := json.Marshal(orgLimits{Used: used, Limit: limit, At: now})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.s.store.Set(ctx, "sflimits:"+orgID, b, 48*time.Hour); err != nil {
		c.s.log.Warn("cannot store salesforce limits", "org_id", orgID, "err", err)
	}
}

// call runs fn with the agent's client unless their org is paused, and
// turns Salesforce failures into what the engine acts on.
func (c *crm) call(ctx context.Context, a cti.Agent, fn func(*salesforce.Client) error) error {
	if _, err := c.s.store.Get(ctx, "sfpause:"+a.OrgID); err == nil {
		return fmt.Errorf("%w: org %s", cti.ErrCRMPaused, a.OrgID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	cl, err := c.client(ctx, a)
	if err != nil {
		return err
	}
	err = fn(cl)
	switch {
	case err == nil:
		return nil
	case salesforce.IsKind(err, salesforce.KindRequestLimit):
		// Salesforce says 403, not 429, with no Retry-After: stop asking
		// for a while instead of hammering an org that is out of budget.
		c.s.log.Warn("salesforce API limit reached; pausing this org", "org_id", a.OrgID, "for", limitPause)
		c.s.metrics.add(counterSalesforceLimitPauses, 1)
		if perr := c.s.store.Set(ctx, "sfpause:"+a.OrgID, []byte("1"), limitPause); perr != nil {
			c.s.log.Error("cannot pause org", "org_id", a.OrgID, "err", perr)
		}
		return fmt.Errorf("%w: %v", cti.ErrCRMPaused, err)
	case salesforce.IsKind(err, salesforce.KindAPIDisabled):
		c.s.signedOut(ctx, a.OrgID, a.UserID, "API access is not enabled for your Salesforce user. Ask your admin for the \"API Enabled\" permission, then sign in again.")
		return fmt.Errorf("%w: %v", cti.ErrSignedOut, err)
	case salesforce.IsKind(err, salesforce.KindInvalidField), salesforce.IsKind(err, salesforce.KindInvalidInput),
		salesforce.IsKind(err, salesforce.KindNotFound):
		return fmt.Errorf("%w: %v", cti.ErrRejected, err)
	case salesforce.IsKind(err, salesforce.KindInvalidSession) && !errors.Is(err, cti.ErrSignedOut):
		// Refused even after a refresh.
		c.s.signedOut(ctx, a.OrgID, a.UserID, "Salesforce no longer accepts your session. Sign in again.")
		return fmt.Errorf("%w: %v", cti.ErrSignedOut, err)
	}
	return err
}

// FindByPhone implements cti.CRM. Results are cached per agent (Salesforce
// sharing rules differ between users, so one agent's matches are not
// another's) and number.
func (c *crm) FindByPhone(ctx context.Context, a cti.Agent, number string) ([]cti.Match, error) {
	set, err := c.s.settings(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	rules := set.PhoneRules()
	key := "phonecache:" + a.Key() + ":" + cti.NormalizePhone(number, rules).E164
	if b, err := c.s.store.Get(ctx, key); err == nil {
		var cached []cti.Match
		if json.Unmarshal(b, &cached) == nil {
			c.s.metrics.add(counterPhoneCacheHits, 1)
			return cached, nil
		}
	}
	var found []salesforce.Match
	err = c.call(ctx, a, func(cl *salesforce.Client) error {
		var err error
		found, err = salesforce.FindByPhone(ctx, cl, number, rules)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]cti.Match, 0, len(found))
	for _, m := range found {
		out = append(out, cti.Match{ID: m.ID, Type: m.Type, Name: m.Name, Phone: m.Phone, AccountID: m.AccountID, AccountName: m.AccountName})
	}
	if n := cti.NormalizePhone(number, rules); n.Valid {
		ttl := matchCacheTTL
		if len(out) == 0 {
			ttl = noMatchCacheTTL
		}
		b, _ := json.Marshal(out)
		if err := c.s.store.Set(ctx, key, b, ttl); err != nil {
			c.s.log.Warn("cannot cache phone lookup", "err", err)
		}
	}
	return out, nil
}

// CreateTask implements cti.CRM.
func (c *crm) CreateTask(ctx context.Context, a cti.Agent, t cti.Task) (string, error) {
	fields := map[string]any{
		"Subject":               truncate(t.Subject, 255),
		"Status":                t.Status,
		"Priority":              "Normal",
		"Type":                  "Call",
		"TaskSubtype":           "Call",
		"CallType":              t.CallType,
		"CallDurationInSeconds": t.CallDurationInSeconds,
		"CallObject":            truncate(t.CallObject, 255),
		"ActivityDate":          t.ActivityDate,
		"Description":           truncate(t.Description, 32000),
		"OwnerId":               a.UserID,
	}
	if t.SMS {
		// A text thread is a plain Task: no call fields, and Type left to
		// the org's default (its picklist has no standard SMS value).
		for _, k := range []string{"Type", "CallType", "CallDurationInSeconds"} {
			delete(fields, k)
		}
		fields["TaskSubtype"] = "Task"
	}
	if t.CallDisposition != "" {
		fields["CallDisposition"] = truncate(t.CallDisposition, 255)
	}
	if t.WhoID != "" {
		fields["WhoId"] = t.WhoID
	}
	if t.WhatID != "" {
		fields["WhatId"] = t.WhatID
	}
	for k, v := range t.Fields {
		fields[k] = v
	}
	var id string
	err := c.call(ctx, a, func(cl *salesforce.Client) error {
		var err error
		id, err = cl.Create(ctx, "Task", fields)
		return err
	})
	return id, err
}

// UpdateTask implements cti.CRM.
func (c *crm) UpdateTask(ctx context.Context, a cti.Agent, id string, t cti.Task) error {
	fields := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			fields[k] = v
		}
	}
	set("Subject", truncate(t.Subject, 255), t.Subject != "")
	set("Status", t.Status, t.Status != "")
	set("CallDisposition", truncate(t.CallDisposition, 255), t.CallDisposition != "")
	set("Description", truncate(t.Description, 32000), t.Description != "")
	set("WhoId", t.WhoID, t.WhoID != "")
	set("WhatId", t.WhatID, t.WhatID != "")
	set("CallDurationInSeconds", t.CallDurationInSeconds, t.CallDurationInSeconds > 0)
	set("ActivityDate", t.ActivityDate, t.ActivityDate != "")
	if len(fields) == 0 {
		return nil
	}
	return c.call(ctx, a, func(cl *salesforce.Client) error { return cl.Update(ctx, "Task", id, fields) })
}

// FindTask implements cti.CRM.
func (c *crm) FindTask(ctx context.Context, a cti.Agent, callObject string) (string, error) {
	q := fmt.Sprintf("SELECT Id FROM Task WHERE CallObject = '%s' AND OwnerId = '%s' LIMIT 1",
		salesforce.EscapeSOQL(callObject), salesforce.EscapeSOQL(a.UserID))
	var recs []salesforce.Record
	err := c.call(ctx, a, func(cl *salesforce.Client) error {
		var err error
		recs, err = cl.Query(ctx, q)
		return err
	})
	if err != nil || len(recs) == 0 {
		return "", err
	}
	return recs[0].ID(), nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
