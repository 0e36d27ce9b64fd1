package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/salesforce"
)

// DoctorReport is what GET /api/ops/doctor answers and zoomcti doctor
// prints: each connected org's checks, run with the tokens of one of its
// signed-in users (an admin where one is), then the Zoom app's.
type DoctorReport struct {
	Server string      `json:"server"`
	Orgs   []DoctorOrg `json:"orgs"`
	Zoom   []cti.Check `json:"zoom"`
}

// DoctorOrg is one connected org's checks.
type DoctorOrg struct {
	Name   string      `json:"name"`
	OrgID  string      `json:"org_id,omitempty"`
	AsUser string      `json:"as_user,omitempty"`
	Checks []cti.Check `json:"checks"`
}

// handleDoctor answers GET /api/ops/doctor (operator token).
func (s *Server) handleDoctor(w http.ResponseWriter, r *http.Request) {
	if !s.isOperator(r) {
		s.writeError(w, r, errorf(KindUnauthorized, "operator token required (ZOOMCTI_OPS_TOKEN)", nil))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	rep, err := s.doctor(ctx)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "cannot read the signed-in agents", err))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// doctor runs every check.
func (s *Server) doctor(ctx context.Context) (*DoctorReport, error) {
	agents, err := s.signedInAgents(ctx)
	if err != nil {
		return nil, err
	}
	rep := &DoctorReport{Server: s.cfg.PublicURL}
	byOrg := map[string][]agentRecord{}
	var orgIDs []string
	for _, a := range agents {
		if byOrg[a.OrgID] == nil {
			orgIDs = append(orgIDs, a.OrgID)
		}
		byOrg[a.OrgID] = append(byOrg[a.OrgID], a)
	}
	slices.Sort(orgIDs)
	seen := map[int]bool{}
	for _, orgID := range orgIDs {
		list := byOrg[orgID]
		conf := s.orgs.forLoginURL(list[0].LoginURL)
		seen[conf] = true
		rep.Orgs = append(rep.Orgs, s.doctorOrg(ctx, s.orgs.list[conf].Name, list))
	}
	for i, org := range s.orgs.list {
		if !seen[i] {
			rep.Orgs = append(rep.Orgs, DoctorOrg{Name: org.Name, Checks: []cti.Check{{
				ID: cti.CheckSFSignedIn, Name: "Signed-in users", State: cti.CheckUnknown,
				Detail: "nobody of this org has signed in to zoomcti; sign in as an admin from the softphone in its console, then run zoomcti doctor again",
			}}})
		}
	}
	rep.Zoom = s.doctorZoom(ctx, agents)
	return rep, nil
}

// signedInAgents lists the agents whose Salesforce sign-in still holds.
func (s *Server) signedInAgents(ctx context.Context) ([]agentRecord, error) {
	keys, err := s.store.Keys(ctx, agentPrefix)
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
	var out []agentRecord
	for _, k := range keys {
		var a agentRecord
		if ok, err := getJSON(ctx, s.store, k, &a); err != nil {
			return nil, err
		} else if ok && a.SignInRequired == "" && a.OrgID != "" {
			out = append(out, a)
		}
	}
	return out, nil
}

// doctorOrg checks one org as its first admin (else its first agent), the
// phone fields as its first agent who is not an admin.
func (s *Server) doctorOrg(ctx context.Context, name string, list []agentRecord) DoctorOrg {
	run, agent := list[0], (*agentRecord)(nil)
	for i := range list {
		if list[i].Admin && !run.Admin {
			run = list[i]
		}
		if !list[i].Admin && agent == nil {
			agent = &list[i]
		}
	}
	out := DoctorOrg{Name: name, OrgID: run.OrgID, AsUser: run.Username}
	cl, err := s.crm.client(ctx, run.Agent)
	if err != nil {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckSFSignedIn, Name: "Salesforce", State: cti.CheckUnknown, Detail: "cannot use " + run.Username + "'s sign-in: " + err.Error()})
		return out
	}
	set, err := s.settings(ctx, run.OrgID)
	if err != nil {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckSFSignedIn, Name: "Settings", State: cti.CheckUnknown, Detail: "cannot read zoomcti's settings: " + err.Error()})
		return out
	}
	in := salesforce.DoctorInput{
		OrgID: run.OrgID, UserID: run.UserID,
		AdapterURL: s.cfg.PublicURL + "/softphone", CallCenterURL: s.cfg.PublicURL + "/callcenter.xml",
		AdminPermission: s.cfg.SFAdminCustomPermission, TaskStatus: set.TaskStatus, NewestVersion: s.cfg.SFAPIVersion,
		E164Fields: set.PhoneE164Fields, AsAdmin: run.Admin,
	}
	if tok, err := s.tokens.loadSF(ctx, run.OrgID, run.UserID); err == nil {
		in.HasRefreshToken = tok.RefreshToken != ""
	}
	if agent != nil {
		if acl, err := s.crm.client(ctx, agent.Agent); err == nil {
			in.Agent, in.AgentName = acl, agent.Username
		}
	}
	out.Checks = cl.Doctor(ctx, in)
	if !run.Admin {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckSFAdminSignedIn, Name: "Admin signed in", State: cti.CheckUnknown,
			Detail: "no admin of this org is signed in, so this ran as the agent " + run.Username + "; for an admin's view, sign in from the softphone as a user with the " + s.cfg.SFAdminCustomPermission + " custom permission and run zoomcti doctor again"})
	}
	// What no API can tell.
	if t := s.lastEvidence(ctx, run.OrgID, factSoftphone); !t.IsZero() {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckSFUtilityBar, Name: "Softphone in the utility bar", State: cti.CheckEvidence,
			Detail: "no API shows the utility bar; a softphone of this org last connected at " + t.Format(time.RFC3339)})
	} else {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckSFUtilityBar, Name: "Softphone in the utility bar", State: cti.CheckUnknown,
			Detail: "can't check from here: no API shows the utility bar, and no softphone of this org has connected in 30 days"})
	}
	if t := s.lastEvidence(ctx, run.OrgID, factEmbed); !t.IsZero() {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckZoomEmbed, Name: "Zoom Phone Smart Embed", State: cti.CheckEvidence,
			Detail: "no API shows the Smart Embed app's approved domains; a softphone of this org last heard from the embed at " + t.Format(time.RFC3339)})
	} else {
		out.Checks = append(out.Checks, cti.Check{ID: cti.CheckZoomEmbed, Name: "Zoom Phone Smart Embed", State: cti.CheckUnknown,
			Detail: "can't check from here: no API shows the Smart Embed app's approved domains, and no softphone of this org has heard from the embed in 30 days (" + s.cfg.ZoomEmbedURL + "); add " + s.cfg.PublicURL + " to the Smart Embed app's approved domains and turn on \"Automatically Call From 3rd Party Apps\" in the Zoom account's phone settings"})
	}
	return out
}

// doctorZoom checks the Zoom app: its scopes with a linked user's grant,
// the webhook URL with Zoom's own validation challenge, and the event
// subscriptions by what arrived.
func (s *Server) doctorZoom(ctx context.Context, agents []agentRecord) []cti.Check {
	var out []cti.Check
	var linked *agentRecord
	for i := range agents {
		if agents[i].ZoomUserID != "" && agents[i].ZoomReauth == "" {
			linked = &agents[i]
			break
		}
	}
	const scopes = "Zoom app scopes"
	switch {
	case s.cfg.ZoomClientID == "":
		out = append(out, cti.Failed(scopes, "no Zoom app is configured", "Set ZOOMCTI_ZOOM_CLIENT_ID and ZOOMCTI_ZOOM_CLIENT_SECRET to the Zoom app's OAuth credentials.").WithID(cti.CheckZoomScopes))
	case linked == nil:
		out = append(out, cti.Check{ID: cti.CheckZoomScopes, Name: scopes, State: cti.CheckUnknown, Detail: "no agent has linked Zoom yet; the scopes are checked with a linked agent's grant"})
	default:
		out = append(out, s.checkZoomScopes(ctx, *linked).WithID(cti.CheckZoomScopes))
	}
	out = append(out, s.checkWebhookURL(ctx).WithID(cti.CheckZoomWebhookURL))
	var last time.Time
	seen := map[string]bool{}
	for _, a := range agents {
		if !seen[a.OrgID] {
			seen[a.OrgID] = true
			if t := s.lastEvidence(ctx, a.OrgID, factRinging); t.After(last) {
				last = t
			}
		}
	}
	if last.IsZero() {
		out = append(out, cti.Check{ID: cti.CheckZoomEvents, Name: "Event subscriptions", State: cti.CheckUnknown,
			Detail: "can't check from here: no API shows them, and no " + factRinging + " has arrived for a signed-in agent in 30 days; in the Zoom app's Event Subscriptions, subscribe " + s.cfg.PublicURL + "/webhooks/zoom to the phone events the README lists"})
	} else {
		out = append(out, cti.Check{ID: cti.CheckZoomEvents, Name: "Event subscriptions", State: cti.CheckEvidence,
			Detail: "no API shows them; the last " + factRinging + " for a signed-in agent arrived at " + last.Format(time.RFC3339)})
	}
	return out
}

// checkZoomScopes calls, as the linked agent, each Zoom API zoomcti uses.
func (s *Server) checkZoomScopes(ctx context.Context, a agentRecord) cti.Check {
	const name = "Zoom app scopes"
	cl := s.zoom.client(a.OrgID, a.UserID)
	refused := func(err error) (cti.Check, bool) {
		var se *zoom.ScopeError
		switch {
		case errors.As(err, &se):
			return cti.Failed(name, "Zoom refused "+a.Username+"'s grant: it lacks "+strings.Join(se.Needed(), ", "), se.Advice()), true
		case errors.Is(err, zoom.ErrInvalidClient):
			return cti.Failed(name, "Zoom refused the app's client id or secret", "Set ZOOMCTI_ZOOM_CLIENT_ID and ZOOMCTI_ZOOM_CLIENT_SECRET to the Zoom app's credentials (App Credentials in the Zoom App Marketplace)."), true
		case err != nil:
			return cti.Check{Name: name, State: cti.CheckUnknown, Detail: "Zoom did not answer: " + err.Error()}, true
		}
		return cti.Check{}, false
	}
	me, err := cl.Me(ctx)
	if c, bad := refused(err); bad {
		return c
	}
	now := s.now()
	if _, err := cl.CallHistory(ctx, me.ID, now.Add(-time.Hour), now); err != nil {
		if c, bad := refused(err); bad {
			return c
		}
	}
	return cti.Passed(name, "the user and call history APIs answer "+a.Username+"'s grant")
}

// checkWebhookURL sends the webhook URL Zoom's validation challenge, signed
// with the secret token, as Zoom does when an admin saves the URL.
func (s *Server) checkWebhookURL(ctx context.Context) cti.Check {
	const name = "Webhook URL"
	u := s.cfg.PublicURL + "/webhooks/zoom"
	plain := randomToken()
	body, _ := json.Marshal(map[string]any{"event": zoom.EventURLValidation, "event_ts": s.now().UnixMilli(),
		"payload": map[string]string{"plainToken": plain}})
	ts := fmt.Sprint(s.now().Unix())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return cti.Failed(name, err.Error(), "Check ZOOMCTI_PUBLIC_URL.")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", zoom.Sign(s.cfg.ZoomWebhookSecret, ts, body))
	resp, err := s.http.Do(req)
	if err != nil {
		return cti.Check{Name: name, State: cti.CheckUnknown, Detail: "cannot reach " + u + " from this server (" + err.Error() + "); Zoom must reach it from the internet"}
	}
	defer resp.Body.Close()
	var got zoom.ValidationResponse
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&got)
	if resp.StatusCode != http.StatusOK || got != zoom.Validate(s.cfg.ZoomWebhookSecret, plain) {
		return cti.Failed(name, fmt.Sprintf("%s answered Zoom's validation with %d and not the expected token", u, resp.StatusCode),
			"Make "+u+" reach this zoomcti (proxy routes, ZOOMCTI_PUBLIC_URL), then re-validate it in the Zoom app's Event Subscriptions.")
	}
	return cti.Passed(name, u+" answers Zoom's URL validation")
}
