package zoomsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

func TestAuthorizeCodePKCE(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.BobID)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "bearer" {
		t.Fatalf("token %+v", tok)
	}
	if got := tok.Extra("expires_in"); got != float64(3599) {
		t.Errorf("expires_in = %v", got)
	}
	me, err := s.client(tok).Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != zoomsim.BobID || me.Email != "bob@example.com" || me.AccountID != zoomsim.AccountID || me.DisplayName != "Bob Example" {
		t.Errorf("me = %+v", me)
	}
}

func TestAuthorizeStateAndCancel(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	back := s.consent(t, zoomsim.AliceID, "approve")
	if back.Query().Get("state") != "st-123" || back.Query().Get("code") == "" || !strings.HasPrefix(back.String(), redirectURL) {
		t.Errorf("approve redirect = %s", back)
	}
	back = s.consent(t, zoomsim.AliceID, "deny")
	if q := back.Query(); q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Has("code") {
		t.Errorf("cancel redirect = %s", back)
	}
}

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	s := newSim(t, zoomsim.Options{RedirectURLs: []string{redirectURL}})
	good := mustParse(t, s.oauth.AuthCodeURL("x")).Query()
	tests := []struct {
		name string
		edit func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "nope") }},
		{"redirect not allowed", func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/cb") }},
		{"no redirect", func(q url.Values) { q.Del("redirect_uri") }},
		{"token flow", func(q url.Values) { q.Set("response_type", "token") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range good {
				q[k] = v
			}
			tt.edit(q)
			resp, err := noRedirect().Get(s.srv.URL + "/oauth/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			// Never redirect to an unchecked URI: show an error page.
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestTokenCodeErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		run     func(t *testing.T, s *sim) error
		status  int
		errCode string
	}{
		{"wrong verifier", func(t *testing.T, s *sim) error {
			back := s.consent(t, zoomsim.AliceID, "approve", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			_, err := s.oauth.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}, 400, "invalid_request"},
		{"missing verifier", func(t *testing.T, s *sim) error {
			back := s.consent(t, zoomsim.AliceID, "approve", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			_, err := s.oauth.Exchange(ctx, back.Query().Get("code"))
			return err
		}, 400, "invalid_request"},
		{"code reused", func(t *testing.T, s *sim) error {
			back := s.consent(t, zoomsim.AliceID, "approve")
			if _, err := s.oauth.Exchange(ctx, back.Query().Get("code")); err != nil {
				t.Fatalf("first exchange: %v", err)
			}
			_, err := s.oauth.Exchange(ctx, back.Query().Get("code"))
			return err
		}, 400, "invalid_request"},
		{"code expired after 5 minutes", func(t *testing.T, s *sim) error {
			back := s.consent(t, zoomsim.AliceID, "approve")
			s.clock.Advance(5*time.Minute + time.Second)
			_, err := s.oauth.Exchange(ctx, back.Query().Get("code"))
			return err
		}, 400, "invalid_request"},
		{"redirect_uri differs", func(t *testing.T, s *sim) error {
			back := s.consent(t, zoomsim.AliceID, "approve")
			other := *s.oauth
			other.RedirectURL = "https://app.example.com/other"
			_, err := other.Exchange(ctx, back.Query().Get("code"))
			return err
		}, 400, "invalid_request"},
		{"wrong client secret", func(t *testing.T, s *sim) error {
			back := s.consent(t, zoomsim.AliceID, "approve")
			other := *s.oauth
			other.ClientSecret = "wrong"
			_, err := other.Exchange(ctx, back.Query().Get("code"))
			return err
		}, 400, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, zoomsim.Options{})
			err := tt.run(t, s)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a token endpoint error", err)
			}
			if re.Response.StatusCode != tt.status || re.ErrorCode != tt.errCode {
				t.Errorf("status %d error %q body %s, want %d %q", re.Response.StatusCode, re.ErrorCode, re.Body, tt.status, tt.errCode)
			}
		})
	}
}

// refresh posts grant_type=refresh_token as Zoom's docs show it.
func refresh(t *testing.T, s *sim, rt string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.oauth.ClientID, s.oauth.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	return resp.StatusCode, body
}

func TestRefreshRotates(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.AliceID)

	status, fresh := refresh(t, s, tok.RefreshToken)
	if status != http.StatusOK || fresh["refresh_token"] == tok.RefreshToken || fresh["access_token"] == tok.AccessToken {
		t.Fatalf("refresh: %d %v", status, fresh)
	}
	// The old refresh token died the moment it was used.
	status, body := refresh(t, s, tok.RefreshToken)
	if status != http.StatusBadRequest || body["reason"] != "Invalid Token!" || body["error"] != "invalid_grant" {
		t.Errorf("reuse: %d %v", status, body)
	}
	// The new one works, once, through the oauth2 package as the server uses it.
	src := s.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: fresh["refresh_token"].(string)})
	next, err := src.Token()
	if err != nil {
		t.Fatalf("oauth2 refresh: %v", err)
	}
	if _, err := s.client(next).Me(context.Background()); err != nil {
		t.Errorf("Me with refreshed token: %v", err)
	}
	_, err = s.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: fresh["refresh_token"].(string)}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("second use of a rotated token: %v", err)
	}
}

func TestAccessTokenExpires(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.AliceID)
	c := s.client(tok)
	s.clock.Advance(59 * time.Minute)
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatalf("Me before expiry: %v", err)
	}
	s.clock.Advance(time.Minute)
	_, err := c.Me(context.Background())
	var ae *zoom.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != 124 || !errors.Is(err, zoom.ErrUnauthorized) {
		t.Errorf("Me after an hour: %v", err)
	}
	// Refreshing still works: only the access token expired.
	if status, _ := refresh(t, s, tok.RefreshToken); status != http.StatusOK {
		t.Errorf("refresh after expiry: %d", status)
	}
}

func TestRevokeDeauthorizes(t *testing.T) {
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, time.Now)
	s := newSim(t, zoomsim.Options{WebhookURL: rc.URL, Clock: time.Now})
	tok := s.authorize(t, zoomsim.AliceID)
	if err := zoom.Revoke(context.Background(), nil, s.oauth, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client(tok).Me(context.Background()); !errors.Is(err, zoom.ErrUnauthorized) {
		t.Errorf("Me after revoke: %v", err)
	}
	if status, _ := refresh(t, s, tok.RefreshToken); status != http.StatusBadRequest {
		t.Errorf("refresh after revoke: %d", status)
	}
	s.Close() // waits for the app_deauthorized delivery
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("deliveries = %d, want app_deauthorized", len(got))
	}
	ev, err := zoom.Decode(got[0])
	if err != nil || ev.Kind != cti.KindDeauthorize || ev.UserID != zoomsim.AliceID || ev.ClientID != zoomsim.DefaultClientID {
		t.Errorf("delivered %+v, %v", ev, err)
	}
}

func TestRevokeNeedsClientCredentials(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.AliceID)
	other := *s.oauth
	other.ClientSecret = "wrong"
	err := zoom.Revoke(context.Background(), nil, &other, tok.AccessToken)
	if !errors.Is(err, zoom.ErrInvalidClient) {
		t.Errorf("revoke with a wrong secret: %v", err)
	}
	if _, err := s.client(tok).Me(context.Background()); err != nil {
		t.Errorf("token died anyway: %v", err)
	}
}
