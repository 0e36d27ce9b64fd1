package zoom

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/oauth2"
)

// Two refusals of Zoom's are configuration errors, not transient ones:
// retrying changes nothing until someone fixes the app or zoomcti's
// settings.
//
//   - A token without the scope an endpoint needs: HTTP 400,
//     {"code":4711,"message":"Invalid access token, does not contain scopes:[a, b]."},
//     listing the scopes any one of which would do (user-level first, then
//     admin-level). Seen in public reports of Zoom's answers:
//     github.com/JubaerHossain/zoom-laravel/issues/15,
//     github.com/lanec/zoom-batch-downloader/issues/34, and
//     devforum.zoom.us/t/granular-scopes-specification-change-of-scope-setting-for-creating-oauth-apps-on-the-developer-site/108207.
//   - Client credentials Zoom does not accept at /oauth/token: HTTP 400,
//     {"reason":"Invalid client_id or client_secret","error":"invalid_client"}
//     (github.com/JubaerHossain/zoom-laravel/issues/3; Zoom's OAuth error
//     table, developers.zoom.us/docs/integrations/oauth-error-messages/,
//     codes 4702 / 4704).

// CodeMissingScope is the code of Zoom's answer to a token that lacks the
// scope an endpoint requires.
const CodeMissingScope = 4711

// ErrInvalidClient is what the OAuth calls return when Zoom refuses the
// app's client id or secret.
var ErrInvalidClient = errors.New("zoom: client id or secret refused (invalid_client)")

// ScopeError says Zoom refused a call because the token lacks a scope: the
// Zoom app does not have it, or the user authorized before it was added.
type ScopeError struct {
	// Scopes are the scopes Zoom named, any one of which would do.
	Scopes []string
}

func (e *ScopeError) Error() string {
	return "zoom: the token lacks the scope " + strings.Join(e.Scopes, " or ")
}

// Is makes a missing scope a forbidden request.
func (e *ScopeError) Is(target error) bool { return target == ErrForbidden }

// Needed is the scope to add to zoomcti's Zoom app. zoomcti is a
// user-managed app, which takes user-level scopes only, so those of Zoom's
// list come first; the list as Zoom gave it when it names only others.
func (e *ScopeError) Needed() []string {
	var user []string
	for _, s := range e.Scopes {
		if !strings.HasSuffix(s, ":admin") && !strings.HasSuffix(s, ":master") {
			user = append(user, s)
		}
	}
	if len(user) == 0 {
		return e.Scopes
	}
	return user
}

// Advice is the refusal as a plain sentence for the agent or admin, naming
// the scope to add and where.
func (e *ScopeError) Advice() string {
	needed := e.Needed()
	what := "the scope " + strings.Join(needed, " or ")
	if len(needed) == 0 {
		what = "a scope Zoom did not name"
	}
	return "Zoom refused: the Zoom app lacks " + what +
		" — add it in the Zoom App Marketplace under Scopes, then link Zoom again."
}

// missingScopes reads the scopes out of a 4711 message:
// "Invalid access token, does not contain scopes:[a, b]." Older answers
// put a space after the colon.
var missingScopes = regexp.MustCompile(`scopes:\s*\[([^\]]*)\]`)

func parseMissingScopes(msg string) []string {
	m := missingScopes.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	var out []string
	for _, s := range strings.Split(m[1], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Exchange trades an authorization code (and its PKCE verifier) for a token
// at cfg's token endpoint, through the *http.Client in ctx under
// oauth2.HTTPClient, if any. Refused client credentials are
// ErrInvalidClient.
func Exchange(ctx context.Context, cfg *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := cfg.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, fmt.Errorf("zoom: exchange code: %w", oauthError(err))
	}
	return tok, nil
}

// oauthError gives a token-endpoint failure its kind.
func oauthError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "invalid_client" {
		return fmt.Errorf("%w: HTTP %d", ErrInvalidClient, re.Response.StatusCode)
	}
	return err
}
