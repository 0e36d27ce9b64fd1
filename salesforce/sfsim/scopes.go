package sfsim

import (
	"net/http"
	"slices"
	"strings"
)

// DefaultAppScopes are the scopes the emulated External Client App selects
// unless Options.Scopes says otherwise: the ones reference/salesforce-setup.md
// §1.3 tells an admin to move to "Selected", and custom_permissions ("Access
// custom permissions"), which puts the custom_permissions map in the
// identity responses (§3.3).
var DefaultAppScopes = []string{"api", "refresh_token", "offline_access", "openid", "id", "profile", "email", "address", "phone", "custom_permissions"}

// identityScopes are one consent option, "Access the identity URL service (id,
// profile, email, address, phone)": Salesforce documents profile, email,
// address and phone as synonyms of id, each giving the full identity
// response.
var identityScopes = []string{"id", "profile", "email", "address", "phone"}

// grantScopes returns the scopes an authorize request is granted: those it
// asks for (defaultScope when it asks for none) that the app has selected,
// in the order asked, without repeats. A scope the app has not selected is
// left out of the grant, and the token response's scope shows it.
// UNCONFIRMED: Salesforce may instead refuse such a request with
// error=invalid_scope; the reference does not say.
func (o *Org) grantScopes(requested string) string {
	if strings.TrimSpace(requested) == "" {
		requested = defaultScope
	}
	o.mu.Lock()
	app := o.opts.Scopes
	o.mu.Unlock()
	var out []string
	for _, s := range strings.Fields(requested) {
		if slices.Contains(app, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// identityLevel says what the identity endpoints (userinfo, the identity URL)
// may tell a token holder.
type identityLevel int

const (
	identityNone identityLevel = iota // refused: neither openid nor id
	identityIDs                       // openid alone: the user and org ids
	identityFull                      // id or a synonym: name, username, email, ...
)

func scopeLevel(scope string) identityLevel {
	if hasScope(scope, "full") || slices.ContainsFunc(identityScopes, func(s string) bool { return hasScope(scope, s) }) {
		return identityFull
	}
	if hasScope(scope, "openid") {
		return identityIDs
	}
	return identityNone
}

// insufficientScope answers an identity request whose token was granted
// neither openid nor id. UNCONFIRMED: the reference gives no body for this
// refusal; sfsim answers 403 with an RFC 6750 style JSON error, as the
// identity endpoints answer 403 (not 401) for a bad token.
func insufficientScope(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="openid id"`)
	writeJSON(w, http.StatusForbidden, map[string]string{
		"error":             "insufficient_scope",
		"error_description": "the access token was not granted the openid or id scope",
	})
}

// canUseAPI reports whether a token's grant allows the data API: the api
// scope (or full, which includes it).
func canUseAPI(scope string) bool { return hasScope(scope, "api") || hasScope(scope, "full") }

// notRESTSession is the data API's answer to a token granted without the api
// scope: 401 INVALID_SESSION_ID "This session is not valid for use with the
// REST API" (Salesforce Help knowledge article 005226515, for a connected app
// missing "Manage user data via APIs (api)").
func notRESTSession() *restError {
	return newError(http.StatusUnauthorized, "INVALID_SESSION_ID", "This session is not valid for use with the REST API")
}

// SetAppScopes changes the scopes the External Client App selects, as an
// admin does in its OAuth settings; see Options.Scopes. Tokens already
// issued keep their grant.
func (o *Org) SetAppScopes(scopes ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opts.Scopes = slices.Clone(scopes)
}
