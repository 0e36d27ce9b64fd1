package server

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/cti"
)

// A browser as an HTTP client: its own cookies, redirects seen one by one.
type browserClient struct {
	t *testing.T
	c *http.Client
}

func newBrowserClient(t *testing.T) *browserClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends req and returns the status, the Location and the body.
func (b *browserClient) do(req *http.Request) (int, string, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *browserClient) post(u, origin, contentType, body string) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return b.do(req)
}

var onwardLink = regexp.MustCompile(`id="onward" href="([^"]+)"`)

// victimApproves is what a victim does with a link: opens it in a tab of
// their own (no opener: the page's script never asks for a result, so this
// client does not either), approves at Salesforce or Zoom as zoomUser, and
// lands on our last page. It returns that page's status.
func victimApproves(t *testing.T, d *Demo, v *browserClient, first *http.Request, zoomUser string) int {
	t.Helper()
	var status int
	var loc, body string
	if u := first.URL.String(); first.Method == http.MethodGet && (strings.HasPrefix(u, d.SalesforceURL) || strings.HasPrefix(u, d.ZoomURL)) {
		loc = u // the consent page itself: the victim approves
	} else {
		status, loc, body = v.do(first)
	}
	for range 10 {
		if m := onwardLink.FindStringSubmatch(body); m != nil && status == http.StatusOK {
			loc = html.UnescapeString(m[1])
		}
		if loc == "" {
			return status
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(loc, d.SalesforceURL+"/services/oauth2/authorize"):
			form := u.Query()
			form.Set("decision", "allow")
			status, loc, body = v.post(d.SalesforceURL+"/services/oauth2/authorize", "", "application/x-www-form-urlencoded", form.Encode())
		case strings.HasPrefix(loc, d.ZoomURL) && strings.Contains(u.Path, "/oauth/authorize"):
			form := u.Query()
			form.Set("user_id", zoomUser)
			form.Set("action", "approve")
			status, loc, body = v.post(d.ZoomURL+"/oauth/authorize", "", "application/x-www-form-urlencoded", form.Encode())
		default:
			if !u.IsAbs() {
				loc = d.ServerURL + loc
			}
			req, _ := http.NewRequest(http.MethodGet, loc, nil)
			status, loc, body = v.do(req)
		}
	}
	t.Fatal("the victim's journey does not end")
	return 0
}

// tokensIn returns every "token" value in the JSON bodies.
func tokensIn(bodies []string) []string {
	var out []string
	for _, b := range bodies {
		var m map[string]any
		if json.Unmarshal([]byte(b), &m) == nil {
			if tok, _ := m["token"].(string); tok != "" {
				out = append(out, tok)
			}
		}
	}
	return out
}

// The poll-key attack: the attacker takes whatever the public API hands out
// for a sign-in he starts, gets the victim (an admin) to approve through a
// link, then asks every endpoint for the result. He gets no session.
func TestSigninAttackerGetsNoSession(t *testing.T) {
	const pollKey = "0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		link func(attackerLocation string) string // what the attacker sends the victim
	}{
		{"victim opens the attacker's start link", func(string) string { return "/oauth/salesforce/start?poll=" + pollKey }},
		{"victim opens the Salesforce page the attacker's start led to", func(loc string) string { return loc }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDemo(t)
			attacker, victim := newBrowserClient(t), newBrowserClient(t)
			req, _ := http.NewRequest(http.MethodGet, d.ServerURL+"/oauth/salesforce/start?poll="+pollKey, nil)
			_, loc, startBody := attacker.do(req)
			if loc == "" {
				t.Fatalf("the attacker's start did not lead to Salesforce: %s", startBody)
			}
			link := tc.link(loc)
			if !strings.HasPrefix(link, "http") {
				link = d.ServerURL + link
			}
			req, _ = http.NewRequest(http.MethodGet, link, nil)
			t.Logf("victim's last page: status %d", victimApproves(t, d, victim, req, ""))

			bodies := []string{startBody}
			_, _, b := attacker.post(d.ServerURL+"/api/session/poll", "", "application/json", `{"poll":"`+pollKey+`"}`)
			bodies = append(bodies, b)
			_, _, b = attacker.post(d.ServerURL+"/oauth/salesforce/result", d.ServerURL, "", "")
			bodies = append(bodies, b)
			for _, tok := range tokensIn(bodies) {
				if _, err := d.Server.agentForToken(context.Background(), tok); err == nil {
					t.Fatal("the attacker got a working session of the victim")
				}
			}
		})
	}
}

// An agent (the attacker) gets a Zoom ticket for himself and has another
// agent's browser run the Zoom authorization with it: the outcome, with the
// victim's masked Zoom email, never reaches the attacker's bearer or client.
func TestZoomOutcomeNotForAnotherAgent(t *testing.T) {
	const pollKey = "fedcba9876543210fedcba9876543210fedcba9876543210"
	tests := []struct {
		name   string
		victim func(d *Demo, ticketResp map[string]string) *http.Request
	}{
		{"a link with the ticket in its URL", func(d *Demo, r map[string]string) *http.Request {
			u := r["url"]
			if u == "" {
				u = "/oauth/zoom/start?ticket=" + r["ticket"]
			}
			req, _ := http.NewRequest(http.MethodGet, d.ServerURL+u, nil)
			return req
		}},
		{"a form on another site posts the ticket", func(d *Demo, r map[string]string) *http.Request {
			return zoomStartForm(d, r["ticket"], "https://evil.example")
		}},
		{"the ticket posted as from our own page", func(d *Demo, r map[string]string) *http.Request {
			return zoomStartForm(d, r["ticket"], d.ServerURL)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDemo(t)
			ctx := context.Background()
			bob, ok := d.Org.UserByUsername("bob@example.com")
			if !ok {
				t.Fatal("no bob")
			}
			rec := agentRecord{Agent: cti.Agent{OrgID: d.Org.OrgID(), UserID: bob.ID, Username: bob.Username, Email: bob.Email}}
			if err := d.Server.SaveAgent(ctx, rec, nil); err != nil {
				t.Fatal(err)
			}
			bearerTok, err := d.Server.newSession(ctx, rec.Agent)
			if err != nil {
				t.Fatal(err)
			}
			attacker, victim := newBrowserClient(t), newBrowserClient(t)
			withBearer := func(path, body string) string {
				req, _ := http.NewRequest(http.MethodPost, d.ServerURL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+bearerTok)
				req.Header.Set("Content-Type", "application/json")
				_, _, b := attacker.do(req)
				return b
			}
			ticketBody := withBearer("/api/zoom/ticket", `{"poll":"`+pollKey+`"}`)
			var ticket map[string]string
			if err := json.Unmarshal([]byte(ticketBody), &ticket); err != nil {
				t.Fatalf("ticket: %s", ticketBody)
			}
			// The victim approves with her own Zoom account, whose email
			// is not the attacker's: the refusal names it, masked.
			t.Logf("victim's last page: status %d", victimApproves(t, d, victim, tc.victim(d, ticket), DemoZoomUserID))

			bodies := []string{ticketBody, withBearer("/api/zoom/poll", `{"poll":"`+pollKey+`"}`)}
			_, _, b := attacker.post(d.ServerURL+"/oauth/zoom/result", d.ServerURL, "", "")
			bodies = append(bodies, b)
			for _, b := range bodies {
				if strings.Contains(b, "al***@example.com") || strings.Contains(b, `"status":"done"`) || strings.Contains(b, "Not linked") {
					t.Fatalf("the attacker got the victim's outcome: %s", b)
				}
			}
		})
	}
}

func zoomStartForm(d *Demo, ticket, origin string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, d.ServerURL+"/oauth/zoom/start", strings.NewReader(url.Values{"ticket": {ticket}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	return req
}
