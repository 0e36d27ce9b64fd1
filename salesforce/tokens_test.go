package salesforce

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// tokenEnv is an emulated org, an oauth2 config for it, and a refresh token
// for the demo user.
func tokenEnv(t *testing.T) (*sfsim.Org, *httptest.Server, *oauth2.Config, string) {
	t.Helper()
	org := sfsim.New(sfsim.Options{})
	srv := httptest.NewServer(org)
	t.Cleanup(srv.Close)
	_, refresh := org.IssueToken(org.DemoUser().ID)
	cfg := &oauth2.Config{
		ClientID:     "sfsim-client-id",
		ClientSecret: "sfsim-client-secret",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.URL + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	return org, srv, cfg, refresh
}

// A stored refresh token alone is enough: the first call refreshes, saves,
// and takes the instance from the token response.
func TestTokenSourceFromRefreshTokenOnly(t *testing.T) {
	org, srv, cfg, refresh := tokenEnv(t)
	var saved *oauth2.Token
	ts := NewTokenSource(cfg, &oauth2.Token{RefreshToken: refresh}, func(_ context.Context, tok *oauth2.Token) error {
		saved = tok
		return nil
	})
	c := New(Config{Tokens: ts, HTTPClient: srv.Client()}) // no InstanceURL: the token brings it

	u, err := c.UserInfo(testContext(t))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	if u.UserID != org.DemoUser().ID {
		t.Errorf("UserInfo user = %q, want %q", u.UserID, org.DemoUser().ID)
	}
	if saved == nil || saved.AccessToken == "" || saved.RefreshToken != refresh || InstanceURL(saved) != srv.URL {
		t.Errorf("saved token = %+v (instance %q), want a new access token, the old refresh token and %s", saved, InstanceURL(saved), srv.URL)
	}
}

// When the refreshed token cannot be saved the call reports it, and the new
// token is still used in memory so the next call needs no refresh.
func TestTokenSourceSaveFailure(t *testing.T) {
	org, srv, cfg, refresh := tokenEnv(t)
	var saves atomic.Int32
	boom := errors.New("store down")
	ts := NewTokenSource(cfg, &oauth2.Token{RefreshToken: refresh}, func(context.Context, *oauth2.Token) error {
		saves.Add(1)
		return boom
	})
	c := New(Config{Tokens: ts, HTTPClient: srv.Client(), InstanceURL: srv.URL})
	ctx := testContext(t)

	if _, err := c.Query(ctx, "SELECT Id FROM Account"); !errors.Is(err, boom) {
		t.Fatalf("Query: err = %v, want the save failure", err)
	}
	if _, err := c.Query(ctx, "SELECT Id FROM Account"); err != nil {
		t.Fatalf("second Query: %v", err)
	}
	if n := saves.Load(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
	if org.APIRequests() != 1 {
		t.Errorf("API requests = %d, want 1 (the first call failed before sending)", org.APIRequests())
	}
}

// Refresh with a token that was already replaced returns the current one
// without asking Salesforce again.
func TestTokenSourceStaleAlreadyReplaced(t *testing.T) {
	_, _, cfg, refresh := tokenEnv(t)
	var saves atomic.Int32
	ts := NewTokenSource(cfg, &oauth2.Token{AccessToken: "old", RefreshToken: refresh}, func(context.Context, *oauth2.Token) error {
		saves.Add(1)
		return nil
	})
	ctx := testContext(t)
	old, _ := ts.Token(ctx)
	first, err := ts.Refresh(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ts.Refresh(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if first.AccessToken == "old" || second.AccessToken != first.AccessToken || saves.Load() != 1 {
		t.Errorf("refreshes = %d, tokens %q then %q; want one refresh shared", saves.Load(), first.AccessToken, second.AccessToken)
	}
}
