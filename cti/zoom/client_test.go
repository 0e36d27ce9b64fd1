package zoom_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

const redirect = "https://zoomcti.example.com/oauth/zoom/callback"

// linked returns an emulated Zoom and a client holding Alice's token,
// obtained through the authorization-code flow with PKCE as the server
// links an agent.
func linked(t *testing.T) (*zoomsim.Zoom, *zoom.Client) {
	t.Helper()
	z, apiURL, cfg, tok := granted(t)
	return z, zoom.NewClient(apiURL, cfg.Client(context.Background(), tok))
}

// granted returns an emulated Zoom, its API's URL, the app's OAuth
// configuration and Alice's token, obtained as linked says.
func granted(t *testing.T) (*zoomsim.Zoom, string, *oauth2.Config, *oauth2.Token) {
	t.Helper()
	z := zoomsim.New(zoomsim.Options{})
	srv := httptest.NewServer(z)
	t.Cleanup(func() { srv.Close(); z.Close() })
	o := z.Options()
	cfg := zoom.OAuthConfig(o.ClientID, o.ClientSecret, srv.URL, redirect)

	verifier := oauth2.GenerateVerifier()
	auth, _ := url.Parse(cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	form := auth.Query()
	form.Set("user_id", zoomsim.AliceID)
	form.Set("action", "approve")
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(srv.URL+"/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	if back.Query().Get("state") != "state-1" {
		t.Fatalf("redirect %s", back)
	}
	ctx := context.Background()
	tok, err := cfg.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return z, srv.URL + "/v2", cfg, tok
}

// A refresh token works once: Zoom rotates it, and the old one is refused
// for good, which Refresh says with ErrGrantRefused.
func TestRefreshRotates(t *testing.T) {
	_, _, cfg, tok := granted(t)
	ctx := context.Background()
	fresh, err := zoom.Refresh(ctx, cfg, tok.RefreshToken)
	if err != nil || fresh.AccessToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %+v, %v; want a new pair", fresh, err)
	}
	if _, err := zoom.Refresh(ctx, cfg, tok.RefreshToken); !errors.Is(err, zoom.ErrGrantRefused) {
		t.Fatalf("second use of a rotated refresh token: %v, want ErrGrantRefused", err)
	}
	if _, err := zoom.Refresh(ctx, cfg, fresh.RefreshToken); err != nil {
		t.Fatalf("the new refresh token: %v", err)
	}
}

func TestOAuthConfig(t *testing.T) {
	cfg := zoom.OAuthConfig("id", "secret", "", redirect)
	if cfg.Endpoint.AuthURL != "https://zoom.us/oauth/authorize" || cfg.Endpoint.TokenURL != "https://zoom.us/oauth/token" ||
		cfg.Endpoint.AuthStyle != oauth2.AuthStyleInHeader || cfg.RedirectURL != redirect {
		t.Errorf("config %+v", cfg)
	}
	if c := zoom.NewClient("", nil); c.BaseURL != "https://api.zoom.us/v2" {
		t.Errorf("default base URL %q", c.BaseURL)
	}
}

func TestClientMe(t *testing.T) {
	_, c := linked(t)
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := zoom.User{ID: zoomsim.AliceID, Email: "alice@example.com", FirstName: "Alice", LastName: "Example",
		DisplayName: "Alice Example", AccountID: zoomsim.AccountID, Type: 2, Status: "active", Timezone: "America/New_York"}
	if *me != want {
		t.Errorf("Me = %+v\nwant %+v", *me, want)
	}
}

func TestClientRateLimited(t *testing.T) {
	ctx := context.Background()
	t.Run("retries a per-second limit", func(t *testing.T) {
		z, c := linked(t)
		z.Throttle(1, time.Time{})
		if _, err := c.Me(ctx); err != nil {
			t.Errorf("Me after one 429: %v", err)
		}
	})
	t.Run("gives up after MaxRetries", func(t *testing.T) {
		z, c := linked(t)
		c.MaxRetries = 1
		z.Throttle(2, time.Time{})
		_, err := c.Me(ctx)
		var ae *zoom.APIError
		if !errors.As(err, &ae) || ae.Status != 429 || ae.Code != 429 || !errors.Is(err, zoom.ErrRateLimited) {
			t.Errorf("Me = %v", err)
		}
	})
	t.Run("daily limit fails at once with Retry-After", func(t *testing.T) {
		z, c := linked(t)
		reset := time.Now().Add(5 * time.Hour).UTC().Truncate(time.Second)
		z.Throttle(1, reset)
		start := time.Now()
		_, err := c.Me(ctx)
		var ae *zoom.APIError
		if !errors.As(err, &ae) || !ae.RetryAfter.Equal(reset) {
			t.Fatalf("Me = %v", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Error("waited for a daily limit")
		}
		// The limit was a single answer: the next call goes through.
		if _, err := c.Me(ctx); err != nil {
			t.Errorf("Me after the limit: %v", err)
		}
	})
	t.Run("context ends the wait", func(t *testing.T) {
		z, c := linked(t)
		c.MaxRetryWait = time.Hour
		z.Throttle(1, time.Now().Add(30*time.Minute))
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := c.Me(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Me = %v", err)
		}
	})
}

func TestClientCallHistoryEmpty(t *testing.T) {
	_, c := linked(t)
	recs, err := c.CallHistory(context.Background(), "me", time.Now().Add(-24*time.Hour), time.Now())
	if err != nil || len(recs) != 0 {
		t.Errorf("CallHistory = %v, %v", recs, err)
	}
}
