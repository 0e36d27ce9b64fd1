package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
)

// Default endpoints of the production Zoom platform.
const (
	DefaultOAuthBaseURL = "https://zoom.us"
	DefaultAPIBaseURL   = "https://api.zoom.us/v2"
)

// OAuthConfig returns the OAuth 2.0 configuration of a user-managed Zoom
// app. baseURL is where /oauth/authorize and /oauth/token live
// (DefaultOAuthBaseURL, or an emulator). Zoom only accepts the client
// credentials in a Basic header. Scopes are fixed in the app's Marketplace
// settings, so none are requested here.
func OAuthConfig(clientID, secret, baseURL, redirectURL string) *oauth2.Config {
	if baseURL == "" {
		baseURL = DefaultOAuthBaseURL
	}
	baseURL = strings.TrimSuffix(baseURL, "/")
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		RedirectURL:  redirectURL,
		Endpoint: oauth2.Endpoint{
			AuthURL:   baseURL + "/oauth/authorize",
			TokenURL:  baseURL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

// ErrGrantRefused is what Refresh returns when Zoom refuses the refresh
// token for good (revoked, already used, expired): the user must authorize
// the app again.
var ErrGrantRefused = errors.New("zoom: refresh token refused")

// Refresh trades refreshToken for a new token pair at cfg's token endpoint
// (through the *http.Client in ctx under oauth2.HTTPClient, if any). Zoom
// rotates refresh tokens: the one given is dead once this returns a token.
// When Zoom refuses the client credentials (ErrInvalidClient) it has not
// looked at the refresh token, which stays good.
func Refresh(ctx context.Context, cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	stale := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	tok, err := cfg.TokenSource(ctx, stale).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return nil, ErrGrantRefused
		}
		return nil, fmt.Errorf("zoom: refresh token: %w", oauthError(err))
	}
	return tok, nil
}

// Revoke revokes an access token at Zoom (POST /oauth/revoke with the
// client credentials), which also uninstalls the app for that user; Zoom
// then sends app_deauthorized. hc may be nil for http.DefaultClient.
func Revoke(ctx context.Context, hc *http.Client, cfg *oauth2.Config, token string) error {
	revokeURL := strings.TrimSuffix(cfg.Endpoint.TokenURL, "/token") + "/revoke"
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, revokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("zoom: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("zoom: revoke: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("zoom: revoke: %w", readAPIError(resp))
	}
	return nil
}

// Client calls the Zoom REST API with one user's OAuth token.
type Client struct {
	// BaseURL is the API root including /v2, e.g. DefaultAPIBaseURL.
	BaseURL string
	// HTTP must add the bearer token, e.g. oauth2.NewClient(ctx, src) or
	// (*oauth2.Config).Client(ctx, tok).
	HTTP *http.Client
	// PageSize is page_size for listings (0: the maximum Zoom allows).
	PageSize int
	// MaxRetries bounds the retries of a rate-limited (429) request.
	MaxRetries int
	// MaxRetryWait is the longest wait worth retrying a 429 after; a later
	// Retry-After (a daily limit resets at midnight) fails at once with an
	// *APIError carrying RetryAfter.
	MaxRetryWait time.Duration
}

// NewClient returns a Client for the API at baseURL (DefaultAPIBaseURL if
// empty) whose requests go through hc, which must authenticate them.
func NewClient(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultAPIBaseURL
	}
	return &Client{
		BaseURL:      strings.TrimSuffix(baseURL, "/"),
		HTTP:         hc,
		MaxRetries:   2,
		MaxRetryWait: 10 * time.Second,
	}
}

// User is a Zoom user as GET /users/{userId} returns it.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	DisplayName string `json:"display_name"`
	AccountID   string `json:"account_id"`
	Type        int    `json:"type"`
	Status      string `json:"status"`
	Timezone    string `json:"timezone"`
}

// Me returns the user who authorized the token: for a user-managed app the
// agent, which is how an agent's Zoom identity is learned when linking.
func (c *Client) Me(ctx context.Context) (*User, error) {
	return c.User(ctx, "me")
}

// User returns a user by id, email or "me".
func (c *Client) User(ctx context.Context, idOrEmail string) (*User, error) {
	var u User
	if err := c.get(ctx, "/users/"+url.PathEscape(idOrEmail), nil, &u); err != nil {
		return nil, fmt.Errorf("zoom: get user: %w", err)
	}
	return &u, nil
}

// get sends GET path?query, retrying rate-limited answers, and decodes a
// 2xx JSON body into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode/100 == 2 {
			err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("decode %s: %w", path, err)
			}
			return nil
		}
		apiErr := readAPIError(resp)
		resp.Body.Close()
		if apiErr.Status != http.StatusTooManyRequests || attempt >= c.MaxRetries {
			return apiErr
		}
		// Zoom omits Retry-After on many per-second limits.
		wait := cti.Backoff(attempt, 500*time.Millisecond, maxBackoff)
		if !apiErr.RetryAfter.IsZero() {
			wait = time.Until(apiErr.RetryAfter)
		}
		if wait > c.MaxRetryWait {
			return apiErr
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// maxBackoff is the longest wait for a 429 without Retry-After.
const maxBackoff = 32 * time.Second

// Error kinds an *APIError matches with errors.Is, so callers map Zoom
// failures to their own kinds without knowing Zoom's codes.
var (
	ErrUnauthorized = errors.New("zoom: unauthorized")
	ErrForbidden    = errors.New("zoom: forbidden")
	ErrNotFound     = errors.New("zoom: not found")
	ErrRateLimited  = errors.New("zoom: rate limited")
	ErrUnavailable  = errors.New("zoom: unavailable")
)

// APIError is a non-2xx answer of the Zoom API: its HTTP status and the
// {code, message} body Zoom sends.
type APIError struct {
	Status  int
	Code    int
	Message string
	// OAuthError is the "error" of an OAuth endpoint's {reason, error}
	// body, e.g. invalid_client.
	OAuthError string
	// RetryAfter is when a rate-limited request may be retried, when Zoom
	// said so.
	RetryAfter time.Time
	// Scope is set when Zoom refused the token for a missing scope (code
	// 4711); errors.As finds it.
	Scope *ScopeError
}

func (e *APIError) Error() string {
	return fmt.Sprintf("zoom api: HTTP %d: code %d: %s", e.Status, e.Code, e.Message)
}

// Unwrap exposes the missing scope, if that is what Zoom refused.
func (e *APIError) Unwrap() error {
	if e.Scope == nil {
		return nil
	}
	return e.Scope
}

// Is matches the error kinds above by HTTP status, and a missing scope
// (400 with code 4711) as forbidden.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrInvalidClient:
		return e.OAuthError == "invalid_client"
	case ErrForbidden:
		return e.Status == http.StatusForbidden || e.Scope != nil
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrUnavailable:
		return e.Status >= 500
	}
	return false
}

// readAPIError builds an *APIError from a failed response. OAuth endpoints
// answer {reason, error} instead of {code, message}; both are read.
func readAPIError(resp *http.Response) *APIError {
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
		Error   string `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(raw, &body)
	e := &APIError{Status: resp.StatusCode, Code: body.Code, Message: body.Message, OAuthError: body.Error}
	if e.Code == CodeMissingScope && e.Status == http.StatusBadRequest {
		e.Scope = &ScopeError{Scopes: parseMissingScopes(e.Message)}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(body.Reason + " " + body.Error)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		e.RetryAfter = parseRetryAfter(ra, time.Now())
	}
	return e
}

// parseRetryAfter reads Retry-After as Zoom's ISO date-time, or as the
// HTTP forms (seconds, or an HTTP date) in case Zoom uses them.
func parseRetryAfter(v string, now time.Time) time.Time {
	if secs, err := strconv.Atoi(v); err == nil {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t := parseTime(v); !t.IsZero() {
		return t
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}
