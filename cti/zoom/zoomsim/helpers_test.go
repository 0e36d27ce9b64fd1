package zoomsim_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

const redirectURL = "https://app.example.com/oauth/zoom/callback"

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiver is a webhook endpoint that checks deliveries as zoomcti's
// server must: signature over the raw body, fresh timestamp.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	requests []*http.Request
	status   int
}

func newReceiver(t *testing.T, secret string, clock func() time.Time) *receiver {
	t.Helper()
	rc := &receiver{status: http.StatusOK}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get(zoom.HeaderTimestamp)
		if !zoom.Verify(secret, ts, body, r.Header.Get(zoom.HeaderSignature)) {
			t.Errorf("delivery with a bad signature: %s", body)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if err := zoom.CheckTimestamp(ts, clock(), zoom.MaxWebhookAge, zoom.MaxClockSkew); err != nil {
			t.Errorf("delivery: %v", err)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.bodies = append(rc.bodies, body)
		rc.requests = append(rc.requests, r)
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setStatus(code int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = code
}

func (rc *receiver) request(i int) *http.Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests[i]
}

func (rc *receiver) received() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...)
}

// sim is an emulator behind an httptest server.
type sim struct {
	*zoomsim.Zoom
	srv   *httptest.Server
	clock *fakeClock
	oauth *oauth2.Config
}

func newSim(t *testing.T, opts zoomsim.Options) *sim {
	t.Helper()
	clock := newClock()
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	z := zoomsim.New(opts)
	srv := httptest.NewServer(z)
	t.Cleanup(func() { z.Close(); srv.Close() }) // Close ends the embed event streams srv.Close waits for
	o := z.Options()
	return &sim{Zoom: z, srv: srv, clock: clock, oauth: zoom.OAuthConfig(o.ClientID, o.ClientSecret, srv.URL, redirectURL)}
}

// noRedirect is a browser that stops at redirects so the test can read them.
func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// consent walks the authorize page as a browser would and returns where
// Zoom redirected.
func (s *sim) consent(t *testing.T, userID, action string, opts ...oauth2.AuthCodeOption) *url.URL {
	t.Helper()
	authURL := s.oauth.AuthCodeURL("st-123", opts...)
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="authorize"`) {
		t.Fatalf("authorize page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"user_id": {userID}, "action": {action}}
	for k, v := range mustParse(t, authURL).Query() {
		form[k] = v
	}
	resp, err = noRedirect().PostForm(s.srv.URL+"/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("decision: status %d", resp.StatusCode)
	}
	return mustParse(t, resp.Header.Get("Location"))
}

// authorize runs the whole code + PKCE flow for a user and returns the token.
func (s *sim) authorize(t *testing.T, userID string) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	back := s.consent(t, userID, "approve", oauth2.S256ChallengeOption(verifier))
	tok, err := s.oauth.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// client is a zoom.Client calling the emulator with tok as is (no refresh).
func (s *sim) client(tok *oauth2.Token) *zoom.Client {
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(tok))
	return zoom.NewClient(s.srv.URL+"/v2", hc)
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
