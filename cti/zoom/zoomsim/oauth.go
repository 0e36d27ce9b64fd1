package zoomsim

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Lifetimes Zoom documents: a code lives 5 minutes and is single use; an
// access token lives one hour.
const (
	codeTTL   = 5 * time.Minute
	accessTTL = time.Hour
)

type authCode struct {
	userID      string
	scopes      []string // the app's scopes when the user approved
	redirectURI string
	challenge   string
	method      string
	expires     time.Time
}

// grant is what an access or refresh token stands for.
type grant struct {
	userID  string
	scopes  []string  // fixed when the user authorized; a refresh keeps them
	expires time.Time // access tokens only
}

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize App - Zoom</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}button{margin-right:.5rem}</style></head>
<body>
<h1>Zoom (emulated)</h1>
<p>The app <b>{{.ClientID}}</b> would like to access your Zoom Phone account with these scopes:</p>
<ul id="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/oauth/authorize">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<label>Sign in as
<select name="user_id" id="user_id">{{range .Users}}<option value="{{.ID}}">{{.Name}} &lt;{{.Email}}&gt;</option>{{end}}</select></label>
<p><button type="submit" name="action" value="approve" id="authorize">Authorize</button>
<button type="submit" name="action" value="deny" id="cancel">Cancel</button></p>
</form>
</body></html>
`))

// handleAuthorizePage serves GET /oauth/authorize: Zoom's consent page,
// here with a user picker standing in for the sign-in.
func (z *Zoom) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if msg := z.checkAuthRequest(q); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	// The decision form carries the request along.
	hidden := map[string]string{}
	for _, k := range [...]string{"response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"} {
		if v := q.Get(k); v != "" {
			hidden[k] = v
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = authorizePage.Execute(w, map[string]any{"ClientID": z.opts.ClientID, "Hidden": hidden, "Users": z.Users(), "Scopes": z.Scopes()})
}

// checkAuthRequest validates an authorization request; errors that make
// the redirect URI untrustworthy are shown on a page, never redirected.
func (z *Zoom) checkAuthRequest(q url.Values) string {
	switch {
	case q.Get("client_id") != z.opts.ClientID:
		return "Invalid client_id: " + q.Get("client_id") + " (4700)"
	case q.Get("redirect_uri") == "":
		return "Invalid redirect: redirect_uri is required (4700)"
	case len(z.opts.RedirectURLs) > 0 && !slices.Contains(z.opts.RedirectURLs, q.Get("redirect_uri")):
		return "Invalid redirect: " + q.Get("redirect_uri") + " (4700)"
	case q.Get("response_type") != "code":
		return "Invalid response_type: " + q.Get("response_type")
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256" && q.Get("code_challenge_method") != "plain" && q.Get("code_challenge_method") != "":
		return "Invalid code_challenge_method: " + q.Get("code_challenge_method")
	}
	return ""
}

// handleAuthorizeDecision serves POST /oauth/authorize, the consent form:
// Authorize redirects with a code, Cancel with error=access_denied.
func (z *Zoom) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if msg := z.checkAuthRequest(f); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	back, err := url.Parse(f.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "Invalid redirect (4700)", http.StatusBadRequest)
		return
	}
	q := back.Query()
	if f.Get("action") != "approve" {
		q.Set("error", "access_denied")
	} else {
		u, ok := z.lookupUser(f.Get("user_id"))
		if !ok {
			http.Error(w, "unknown user", http.StatusBadRequest)
			return
		}
		code := randomHex(16)
		z.mu.Lock()
		z.codes[code] = &authCode{
			userID:      u.ID,
			scopes:      slices.Clone(z.scopes),
			redirectURI: f.Get("redirect_uri"),
			challenge:   f.Get("code_challenge"),
			method:      f.Get("code_challenge_method"),
			expires:     z.now().Add(codeTTL),
		}
		z.mu.Unlock()
		q.Set("code", code)
	}
	if s := f.Get("state"); s != "" {
		q.Set("state", s)
	}
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// tokenResponse is the body of a successful POST /oauth/token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	APIURL       string `json:"api_url"`
}

// clientOK checks the Basic client credentials. Go's oauth2 package
// URL-encodes them inside the header (RFC 6749 §2.3.1), so both spellings
// are accepted, compared in constant time.
func (z *Zoom) clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return false
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if s, err := url.QueryUnescape(secret); err == nil {
		secret = s
	}
	z.mu.Lock()
	wantID, wantSecret := z.opts.ClientID, z.opts.ClientSecret
	z.mu.Unlock()
	return subtle.ConstantTimeCompare([]byte(id), []byte(wantID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(wantSecret)) == 1
}

// handleToken serves POST /oauth/token for the authorization_code and
// refresh_token grants. Parameters may come in the body or the query.
func (z *Zoom) handleToken(w http.ResponseWriter, r *http.Request) {
	if !z.clientOK(r) {
		z.refuseClient(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"Invalid request body", "invalid_request"})
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	var userID string
	var scopes []string
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		code := r.Form.Get("code")
		c, ok := z.codes[code]
		// Single use: the code is gone whatever happens next.
		delete(z.codes, code)
		switch {
		case !ok || !z.now().Before(c.expires):
			writeJSON(w, http.StatusBadRequest, oauthError{"Invalid authorization code " + code, "invalid_request"})
			return
		case r.Form.Get("redirect_uri") != c.redirectURI:
			writeJSON(w, http.StatusBadRequest, oauthError{"Redirect URI mismatch.", "invalid_request"})
			return
		case !pkceOK(c, r.Form.Get("code_verifier")):
			writeJSON(w, http.StatusBadRequest, oauthError{"Invalid code_verifier", "invalid_request"})
			return
		}
		userID, scopes = c.userID, c.scopes
	case "refresh_token":
		rt := r.Form.Get("refresh_token")
		g, ok := z.refresh[rt]
		if !ok {
			writeJSON(w, http.StatusBadRequest, oauthError{"Invalid Token!", "invalid_grant"})
			return
		}
		if !sameScopes(g.scopes, z.scopes) {
			// Zoom's OAuth error table: 4711 "Refresh token invalid. The
			// token scopes do not match with the client scopes."
			// (developers.zoom.us/docs/integrations/oauth-error-messages/).
			// The body's shape is UNCONFIRMED: modelled as Zoom's other
			// refusals of a refresh token, with that message.
			writeJSON(w, http.StatusBadRequest, oauthError{"Refresh token invalid", "invalid_grant"})
			return
		}
		// Rotation: the old refresh token dies the moment it is used.
		delete(z.refresh, rt)
		userID, scopes = g.userID, g.scopes
		z.refreshes++
	default:
		writeJSON(w, http.StatusBadRequest, oauthError{"Unsupported grant type", "unsupported_grant_type"})
		return
	}
	at, rt := z.issue(userID, scopes)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken:  at,
		TokenType:    "bearer",
		RefreshToken: rt,
		ExpiresIn:    int(accessTTL/time.Second) - 1,
		Scope:        strings.Join(scopes, " "),
		APIURL:       requestOrigin(r),
	})
}

// pkceOK verifies the code_verifier when the code was issued for a
// challenge; a code issued without one needs no verifier.
func pkceOK(c *authCode, verifier string) bool {
	if c.challenge == "" {
		return true
	}
	if verifier == "" {
		return false
	}
	want := verifier
	if c.method != "plain" && c.method != "" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) == 1
}

func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// handleRevoke serves POST /oauth/revoke. Revoking uninstalls the app for
// that user: all the user's tokens die and, as Zoom does, app_deauthorized
// is delivered to the webhook URL.
func (z *Zoom) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !z.clientOK(r) {
		z.refuseClient(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"Invalid request body", "invalid_request"})
		return
	}
	tok := r.Form.Get("token")
	z.mu.Lock()
	g, ok := z.access[tok]
	if !ok {
		g, ok = z.refresh[tok]
	}
	if ok {
		z.dropGrants(g.userID)
	}
	hasHook := z.webhookURL != ""
	z.mu.Unlock()
	if ok && hasHook {
		z.wg.Add(1)
		go func() {
			defer z.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = z.sendDeauthorized(ctx, g.userID)
		}()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

// dropGrants invalidates every token of a user. The caller holds z.mu.
func (z *Zoom) dropGrants(userID string) {
	for k, g := range z.access {
		if g.userID == userID {
			delete(z.access, k)
		}
	}
	for k, g := range z.refresh {
		if g.userID == userID {
			delete(z.refresh, k)
		}
	}
}

// issue mints an access and a refresh token for userID carrying scopes.
// The caller holds z.mu.
func (z *Zoom) issue(userID string, scopes []string) (access, refresh string) {
	access, refresh = "zsim_at_"+randomHex(24), "zsim_rt_"+randomHex(24)
	z.access[access] = &grant{userID: userID, scopes: scopes, expires: z.now().Add(accessTTL)}
	z.refresh[refresh] = &grant{userID: userID, scopes: scopes}
	return access, refresh
}

// IssueToken authorizes the app for a user without the browser (the demo
// and tests), as the authorization-code flow would: the tokens carry the
// app's scopes as they are now.
func (z *Zoom) IssueToken(userID string) (access, refresh string, expiry time.Time) {
	z.mu.Lock()
	defer z.mu.Unlock()
	access, refresh = z.issue(userID, slices.Clone(z.scopes))
	return access, refresh, z.now().Add(accessTTL)
}

// ExpireAccessTokens makes every access token expired now; refresh tokens
// still work.
func (z *Zoom) ExpireAccessTokens() {
	z.mu.Lock()
	defer z.mu.Unlock()
	past := z.now().Add(-time.Second)
	for _, g := range z.access {
		g.expires = past
	}
}

// Refreshes reports how many refresh-token grants Zoom answered.
func (z *Zoom) Refreshes() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.refreshes
}

// Tokens reports how many access and refresh tokens are alive for userID.
func (z *Zoom) Tokens(userID string) (access, refresh int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := z.now()
	for _, g := range z.access {
		if g.userID == userID && now.Before(g.expires) {
			access++
		}
	}
	for _, g := range z.refresh {
		if g.userID == userID {
			refresh++
		}
	}
	return access, refresh
}
