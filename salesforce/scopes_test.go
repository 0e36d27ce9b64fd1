package salesforce

import (
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

func TestOAuthConfigAsksForTheScopesItNeeds(t *testing.T) {
	cfg := OAuthConfig("id", "secret", "https://login.salesforce.com", "https://zoomcti.example.com/cb")
	if want := []string{"api", "refresh_token", "openid", "id", "custom_permissions"}; !slices.Equal(cfg.Scopes, want) {
		t.Errorf("scopes %v, want %v", cfg.Scopes, want)
	}
	if got := MissingScopes(strings.Join(cfg.Scopes, " ")); len(got) != 0 {
		t.Errorf("the scopes asked for miss %v", got)
	}
}

func TestMissingScopes(t *testing.T) {
	tests := []struct {
		name, granted string
		want          []string
	}{
		{name: "all", granted: "api refresh_token openid id", want: nil},
		{name: "synonyms", granted: "api offline_access email", want: nil},
		{name: "full and refresh", granted: "full refresh_token", want: nil},
		{name: "api only", granted: "api", want: []string{"refresh_token", "id"}},
		{name: "openid is not id", granted: "api refresh_token openid", want: []string{"id"}},
		{name: "nothing", granted: "", want: []string{"api", "refresh_token", "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MissingScopes(tt.granted); !slices.Equal(got, tt.want) {
				t.Errorf("MissingScopes(%q) = %v, want %v", tt.granted, got, tt.want)
			}
		})
	}
}

// scopedClient is a Client for the demo user whose token was granted scope.
func scopedClient(t *testing.T, scope string) *Client {
	t.Helper()
	org := sfsim.New(sfsim.Options{})
	srv := httptest.NewServer(org)
	t.Cleanup(srv.Close)
	access, refresh := org.IssueTokenScoped(org.DemoUser().ID, scope)
	cfg := &oauth2.Config{ClientID: "sfsim-client-id", ClientSecret: "sfsim-client-secret",
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	return New(Config{InstanceURL: srv.URL, HTTPClient: srv.Client(),
		Tokens: NewTokenSource(cfg, &oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}, nil)})
}

func TestMissingScopeIsNamed(t *testing.T) {
	t.Run("userinfo without id", func(t *testing.T) {
		_, err := scopedClient(t, "api refresh_token").UserInfo(testContext(t))
		var e *Error
		if !errors.Is(err, KindMissingScope) || !errors.As(err, &e) || e.MissingScope() != "id" {
			t.Fatalf("UserInfo: %v, want missing scope id", err)
		}
		var sir *SignInRequired
		if !errors.As(AsCTIError(err), &sir) || !strings.Contains(sir.Reason, "OAuth scope id") {
			t.Errorf("agent is told %v", AsCTIError(err))
		}
	})
	t.Run("data API without api", func(t *testing.T) {
		_, err := scopedClient(t, "refresh_token id").Query(testContext(t), "SELECT Id FROM Account LIMIT 1")
		var e *Error
		if !errors.Is(err, KindMissingScope) || !errors.As(err, &e) || e.MissingScope() != "api" {
			t.Fatalf("Query: %v, want missing scope api", err)
		}
		var sir *SignInRequired
		if !errors.As(AsCTIError(err), &sir) || !strings.Contains(sir.Reason, "Manage user data via APIs (api)") {
			t.Errorf("agent is told %v", AsCTIError(err))
		}
	})
}
