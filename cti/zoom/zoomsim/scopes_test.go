package zoomsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// without returns the default scopes less drop.
func without(drop ...string) []string {
	return slices.DeleteFunc(zoomsim.DefaultScopes(), func(s string) bool { return slices.Contains(drop, s) })
}

// apiRaw calls the REST API and returns the status and the raw body.
func apiRaw(t *testing.T, s *sim, token, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(raw))
}

// Each endpoint refuses a valid token that holds none of the scopes Zoom
// requires for it: 400, code 4711, the scopes named user-level first.
// Either scope of the pair is enough.
func TestEndpointsRequireTheirScopes(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		scopes []string // any one of these, as Zoom names them
	}{
		{"get a user", "/v2/users/me", []string{"user:read:user", "user:read:user:admin"}},
		{"phone user", "/v2/phone/users/me", []string{"phone:read:user", "phone:read:user:admin"}},
		{"user call history", "/v2/phone/users/me/call_history", []string{"phone:read:list_call_logs", "phone:read:list_call_logs:admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, zoomsim.Options{Scopes: without(tt.scopes...)})
			tok := s.authorize(t, zoomsim.AliceID)
			status, body := apiRaw(t, s, tok.AccessToken, tt.path)
			want := `{"code":4711,"message":"Invalid access token, does not contain scopes:[` + strings.Join(tt.scopes, ", ") + `]."}`
			if status != http.StatusBadRequest || body != want {
				t.Errorf("without the scope: %d %s\nwant 400 %s", status, body, want)
			}
			for _, one := range tt.scopes {
				s := newSim(t, zoomsim.Options{Scopes: []string{one}})
				tok := s.authorize(t, zoomsim.AliceID)
				if status, body := apiRaw(t, s, tok.AccessToken, tt.path); status != http.StatusOK {
					t.Errorf("with %s alone: %d %s", one, status, body)
				}
			}
		})
	}
}

// A token checks its validity before its scopes: a dead token is 401 even
// where it would also lack the scope.
func TestInvalidTokenBeforeMissingScope(t *testing.T) {
	s := newSim(t, zoomsim.Options{Scopes: []string{"phone:read:call"}})
	if status, body := apiRaw(t, s, "made-up", "/v2/users/me"); status != http.StatusUnauthorized || !strings.Contains(body, `"code":124`) {
		t.Errorf("unknown token: %d %s", status, body)
	}
}

// The client reads Zoom's refusal into a ScopeError naming the scopes.
func TestClientReadsMissingScope(t *testing.T) {
	s := newSim(t, zoomsim.Options{Scopes: without("phone:read:list_call_logs")})
	tok := s.authorize(t, zoomsim.AliceID)
	_, err := s.client(tok).CallHistory(context.Background(), "me", s.clock.Now().Add(-24*time.Hour), s.clock.Now())
	var se *zoom.ScopeError
	if !errors.As(err, &se) || !slices.Equal(se.Scopes, []string{"phone:read:list_call_logs", "phone:read:list_call_logs:admin"}) {
		t.Fatalf("err = %v, want a ScopeError naming both scopes", err)
	}
	if !errors.Is(err, zoom.ErrForbidden) {
		t.Errorf("a missing scope is not forbidden: %v", err)
	}
	if got := se.Advice(); !strings.Contains(got, "lacks the scope phone:read:list_call_logs —") || !strings.Contains(got, "Scopes") {
		t.Errorf("advice = %q", got)
	}
}

// Tokens carry the scopes the app had when the user authorized; adding a
// scope to the app helps only once the user authorizes again: the old
// access token still lacks it and its refresh token is refused. The token
// response reports the scopes, and a refresh keeps them.
func TestTokensKeepTheScopesOfTheirAuthorization(t *testing.T) {
	s := newSim(t, zoomsim.Options{Scopes: without("user:read:user")})
	old := s.authorize(t, zoomsim.AliceID)
	if got := old.Extra("scope"); strings.Contains(got.(string), "user:read:user") {
		t.Errorf("token response scope = %q", got)
	}
	refreshed, err := s.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := apiRaw(t, s, refreshed.AccessToken, "/v2/users/me"); status != http.StatusBadRequest {
		t.Errorf("a refreshed grant: %d, want 400: a refresh adds no scope", status)
	}
	s.SetScopes(zoomsim.DefaultScopes()...)
	if status, _ := apiRaw(t, s, refreshed.AccessToken, "/v2/users/me"); status != http.StatusBadRequest {
		t.Errorf("an old token after the app gained the scope: %d, want 400", status)
	}
	status, body := refresh(t, s, refreshed.RefreshToken)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" || body["reason"] != "Refresh token invalid" {
		t.Errorf("refreshing a grant whose scopes the app no longer has: %d %v", status, body)
	}
	fresh := s.authorize(t, zoomsim.AliceID)
	if status, body := apiRaw(t, s, fresh.AccessToken, "/v2/users/me"); status != http.StatusOK {
		t.Errorf("after authorizing again: %d %s", status, body)
	}
}

// A wrong client id or secret at the token endpoint: 400 invalid_client,
// whatever the grant, and the grant is left as it was.
func TestTokenRefusesBadClient(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.AliceID)
	tests := []struct {
		name       string
		id, secret string
	}{
		{"wrong secret", zoomsim.DefaultClientID, "wrong"},
		{"wrong id", "someone-else", zoomsim.DefaultClientSecret},
		{"no credentials", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/oauth/token",
				strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.id != "" {
				req.SetBasicAuth(tt.id, tt.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`
			if resp.StatusCode != http.StatusBadRequest || strings.TrimSpace(string(raw)) != want {
				t.Errorf("%d %s, want 400 %s", resp.StatusCode, raw, want)
			}
			if got := s.ClientRefusals(); got != i+1 {
				t.Errorf("refusals counted = %d, want %d", got, i+1)
			}
		})
	}
	// The refresh token was never looked at: it still works.
	if status, _ := refresh(t, s, tok.RefreshToken); status != http.StatusOK {
		t.Errorf("refresh with the right client afterwards: %d", status)
	}
}

// Regenerating the client secret makes Zoom refuse the old one, through the
// client as zoomcti calls it.
func TestRotatedSecretIsRefused(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.AliceID)
	s.RotateClientSecret("FAKE_client_secret_0002")
	_, err := zoom.Refresh(context.Background(), s.oauth, tok.RefreshToken)
	if !errors.Is(err, zoom.ErrInvalidClient) {
		t.Errorf("refresh with the old secret: %v, want ErrInvalidClient", err)
	}
	back := s.consent(t, zoomsim.AliceID, "approve")
	if _, err := zoom.Exchange(context.Background(), s.oauth, back.Query().Get("code"), ""); !errors.Is(err, zoom.ErrInvalidClient) {
		t.Errorf("exchange with the old secret: %v, want ErrInvalidClient", err)
	}
	if err := zoom.Revoke(context.Background(), nil, s.oauth, tok.AccessToken); !errors.Is(err, zoom.ErrInvalidClient) {
		t.Errorf("revoke with the old secret: %v, want ErrInvalidClient", err)
	}
}

// eventsOf lists the event names of bodies.
func eventsOf(t *testing.T, bodies [][]byte) []string {
	t.Helper()
	var out []string
	for _, b := range bodies {
		var env struct {
			Event string `json:"event"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		out = append(out, env.Event)
	}
	return out
}

// An app can subscribe to an event only with its scope: without
// phone:read:call no live-call event arrives, the call-history record
// (phone:read:call_log) still does, and Zoom's history keeps the call.
// Without phone:read:sms_message no SMS event arrives.
func TestPlayDeliversOnlySubscribableEvents(t *testing.T) {
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, time.Now)
	s := newSim(t, zoomsim.Options{WebhookURL: rc.URL, Clock: time.Now, Scopes: without("phone:read:call", "phone:read:sms_message")})
	call, err := s.Inbound(zoomsim.CallSpec{From: customer, To: zoomsim.AliceID})
	if err != nil {
		t.Fatal(err)
	}
	sms, err := s.SMS(zoomsim.SMSSpec{From: customer, To: zoomsim.AliceID, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Play(context.Background(), append(call, sms...)); err != nil {
		t.Fatal(err)
	}
	got := eventsOf(t, rc.received())
	if len(got) != 1 || got[0] != "phone.callee_call_history_completed" {
		t.Errorf("delivered %v, want only phone.callee_call_history_completed (played %v)", got, eventsOf(t, append(call, sms...)))
	}
	tok := s.authorize(t, zoomsim.AliceID)
	if recs, err := s.client(tok).CallHistory(context.Background(), "me", time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); err != nil || len(recs) != 1 {
		t.Errorf("history = %v, %v", recs, err)
	}
}
