package server

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
)

// crm is cti.CRM over each agent's own Salesforce access: every search and
// every log runs as the agent, with the agent's sharing rules.
type crm struct {
	s *Server

	mu      sync.Mutex
	clients map[string]*salesforce.Client // by agent key
}

func newCRM(s *Server) *crm { return &crm{s: s, clients: map[string]*salesforce.Client{}} }

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
	defer c.mu.Unlock()
	if cl, ok := c.clients[a.Key()]; ok {
		return cl, nil
	}
	rec, err := c.s.agent(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("agent %s not found", a.Key())
	}
	tok, err := c.s.loadSFToken(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, err
	}
	save := func(ctx context.Context, t *oauth2.Token) error {
		return c.s.saveSFToken(ctx, a.OrgID, a.UserID, t)
	}
	cl := salesforce.New(salesforce.Config{
		InstanceURL: rec.InstanceURL,
		APIVersion:  c.s.cfg.SFAPIVersion,
		HTTPClient:  c.s.http,
		Tokens:      salesforce.NewTokenSource(c.oauthConfig(), tok, save),
	})
	c.clients[a.Key()] = cl
	return cl, nil
}

// FindByPhone implements cti.CRM.
func (c *crm) FindByPhone(ctx context.Context, a cti.Agent, number string) ([]cti.Match, error) {
	cl, err := c.client(ctx, a)
	if err != nil {
		return nil, err
	}
	found, err := salesforce.FindByPhone(ctx, cl, number, cti.PhoneRules{DefaultRegion: "US"})
	if err != nil {
		return nil, err
	}
	out := make([]cti.Match, 0, len(found))
	for _, m := range found {
		out = append(out, cti.Match{ID: m.ID, Type: m.Type, Name: m.Name, Phone: m.Phone, AccountID: m.AccountID, AccountName: m.AccountName})
	}
	return out, nil
}

// CreateTask implements cti.CRM.
func (c *crm) CreateTask(ctx context.Context, a cti.Agent, t cti.Task) (string, error) {
	cl, err := c.client(ctx, a)
	if err != nil {
		return "", err
	}
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
	if t.CallDisposition != "" {
		fields["CallDisposition"] = truncate(t.CallDisposition, 255)
	}
	if t.WhoID != "" {
		fields["WhoId"] = t.WhoID
	}
	if t.WhatID != "" {
		fields["WhatId"] = t.WhatID
	}
	return cl.Create(ctx, "Task", fields)
}

// FindTask implements cti.CRM.
func (c *crm) FindTask(ctx context.Context, a cti.Agent, callObject string) (string, error) {
	cl, err := c.client(ctx, a)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("SELECT Id FROM Task WHERE CallObject = '%s' AND OwnerId = '%s' LIMIT 1",
		salesforce.EscapeSOQL(callObject), salesforce.EscapeSOQL(a.UserID))
	recs, err := cl.Query(ctx, q)
	if err != nil {
		return "", err
	}
	if len(recs) == 0 {
		return "", nil
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
