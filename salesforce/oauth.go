package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Scopes are the OAuth scopes zoomcti asks for, and the ones an admin selects
// in the External Client App (reference/salesforce-setup.md §1.3): api for
// the REST API, refresh_token so agents stay signed in past the session
// timeout, openid and id for userinfo's user and org ids, username and email
// (the Zoom link compares the email), and custom_permissions for the
// identity URL's custom_permissions map, which says who is a zoomcti admin.
var Scopes = []string{"api", "refresh_token", "openid", "id", "custom_permissions"}

// scopeSynonyms are the granted scopes that stand for a needed one:
// offline_access is refresh_token; profile, email, address and phone are id
// (one consent option); full includes api and id.
var scopeSynonyms = map[string][]string{
	"api":           {"api", "full"},
	"refresh_token": {"refresh_token", "offline_access"},
	"id":            {"id", "profile", "email", "address", "phone", "full"},
}

// ScopeLabels are the External Client App's wording of each needed scope.
var ScopeLabels = map[string]string{
	"api":           "Manage user data via APIs (api)",
	"refresh_token": "Perform requests at any time (refresh_token, offline_access)",
	"openid":        "Access unique user identifiers (openid)",
	"id":            "Access the identity URL service (id, profile, email, address, phone)",
	// UNCONFIRMED: the consent option's exact wording.
	"custom_permissions": "Access custom permissions (custom_permissions)",
}

// MissingScopes returns the scopes zoomcti needs (api, refresh_token, id)
// that granted, a token response's space-separated scope, lacks. openid is
// asked for but not needed once id is granted; custom_permissions is asked
// for but an agent works without it (only an admin is then not recognised,
// see HasCustomPermissionsScope).
func MissingScopes(granted string) []string {
	have := strings.Fields(granted)
	var missing []string
	for _, need := range []string{"api", "refresh_token", "id"} {
		if !slices.ContainsFunc(scopeSynonyms[need], func(s string) bool { return slices.Contains(have, s) }) {
			missing = append(missing, need)
		}
	}
	return missing
}

// MissingScopeMessage tells an agent which OAuth scopes Salesforce did not
// grant zoomcti, in the External Client App's own words, and who can fix it.
func MissingScopeMessage(scopes ...string) string {
	labels := make([]string, len(scopes))
	for i, sc := range scopes {
		labels[i] = strconv.Quote(ScopeLabels[sc])
	}
	noun := "scope"
	if len(scopes) > 1 {
		noun = "scopes"
	}
	return fmt.Sprintf("Salesforce did not give zoomcti the OAuth %s %s, which the softphone needs. Ask your admin to select %s in the zoomcti External Client App's OAuth scopes, then sign in again.",
		noun, strings.Join(scopes, ", "), strings.Join(labels, " and "))
}

// OAuthConfig is the web-server flow of a connected app (or External Client
// App) at loginURL: login.salesforce.com, test.salesforce.com or a My
// Domain. It asks for Scopes.
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
		Scopes:      slices.Clone(Scopes),
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
