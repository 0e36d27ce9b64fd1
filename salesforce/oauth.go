package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// OAuthConfig is the web-server flow of a connected app (or External Client
// App) at loginURL: login.salesforce.com, test.salesforce.com or a My
// Domain. It asks for REST access and a refresh token.
func OAuthConfig(clientID, secret, loginURL, redirectURL string) *oauth2.Config {
	loginURL = strings.TrimSuffix(loginURL, "/")
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   loginURL + "/services/oauth2/authorize",
			TokenURL:  loginURL + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      []string{"api", "refresh_token"},
	}
}

// revokeTimeout bounds one revocation request.
const revokeTimeout = 10 * time.Second

// Revoke revokes the first of tokens that is not empty at cfg's revoke
// endpoint (POST /services/oauth2/revoke); revoking a refresh token revokes
// its access tokens too. When a request cannot be sent it tries the next
// token. hc may be nil for http.DefaultClient.
func Revoke(ctx context.Context, hc *http.Client, cfg *oauth2.Config, tokens ...string) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	revokeURL := strings.TrimSuffix(cfg.Endpoint.TokenURL, "/token") + "/revoke"
	var errs []error
	for _, t := range tokens {
		if t == "" {
			continue
		}
		status, err := revoke(ctx, hc, revokeURL, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if status != http.StatusOK {
			return fmt.Errorf("salesforce: revoke: refused with status %d", status)
		}
		return nil
	}
	if len(errs) > 0 {
		return fmt.Errorf("salesforce: revoke: %w", errors.Join(errs...))
	}
	return nil
}

func revoke(ctx context.Context, hc *http.Client, revokeURL, token string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, revokeURL, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
