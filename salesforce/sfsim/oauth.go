package sfsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// authCode is a pending authorization code of the web-server flow.
type authCode struct {
	userID, clientID, redirectURI, challenge, scope string
	expires                                         time.Time
}

// session is what an access token stands for.
type session struct {
	userID  string
	refresh string // the refresh token it was minted from ("" when none)
	scope   string
}

// grant is what a refresh token stands for.
type grant struct {
	userID, scope string
}

// codeTTL is how long an authorization code lives (Salesforce: 15 minutes).
const codeTTL = 15 * time.Minute

// defaultScope is what the External Client App grants when no scope is asked for.
const defaultScope = "refresh_token api id"

func randomToken() string { return rand.Text() + rand.Text() }

// mintLocked creates an access token for a user, tied to a refresh token.
func (o *Org) mintLocked(userID, refresh, scope string) string {
	tok := o.orgID[:15] + "!AQ" + randomToken()
	o.access[tok] = &session{userID: userID, refresh: refresh, scope: scope}
	return tok
}

func (o *Org) sessionLocked(token string) *session {
	if token == "" {
		return nil
	}
	return o.access[token]
}

// IssueToken signs a user in without a browser (tests, demo) and returns an
// access token and a refresh token granted api, refresh_token, id and
// custom_permissions: everything zoomcti uses.
func (o *Org) IssueToken(userID string) (access, refresh string) {
	return o.IssueTokenScoped(userID, "refresh_token api id custom_permissions")
}

// IssueTokenScoped is IssueToken for a grant of exactly scope (space
// separated), whatever the app selects: a test of a narrower grant.
func (o *Org) IssueTokenScoped(userID, scope string) (access, refresh string) {
	if id, ok := normalizeID(userID); ok {
		userID = id
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	refresh = "5Aep861" + randomToken()
	o.refresh[refresh] = &grant{userID: userID, scope: scope}
	return o.mintLocked(userID, refresh, scope), refresh
}

// ExpireAccessTokens ends every current session, as an org's session timeout
// does: those access tokens now get 401 INVALID_SESSION_ID, refresh still works.
func (o *Org) ExpireAccessTokens() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.access = map[string]*session{}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// handleToken serves POST /services/oauth2/token.
func (o *Org) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "invalid form body")
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		clientID, secret = id, sec
	}
	if clientID != o.opts.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(o.opts.ClientSecret)) == 1
	if secret != "" && !secretOK {
		oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	}

	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		o.codeGrant(w, r, secretOK)
	case "refresh_token":
		o.mu.Lock()
		g := o.refresh[r.PostForm.Get("refresh_token")]
		var access string
		if g != nil {
			access = o.mintLocked(g.userID, r.PostForm.Get("refresh_token"), g.scope)
		}
		o.mu.Unlock()
		if g == nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "expired access/refresh token")
			return
		}
		o.writeToken(w, r, g.userID, access, "", g.scope)
	case "client_credentials":
		if !secretOK {
			oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
			return
		}
		user := o.integrationUser.ID
		o.mu.Lock()
		access := o.mintLocked(user, "", "api")
		o.mu.Unlock()
		o.writeToken(w, r, user, access, "", "api")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
	}
}

// codeGrant redeems an authorization code: single use, same redirect_uri, and
// the PKCE verifier when the authorize request carried a challenge. Without a
// challenge the client secret is required.
func (o *Org) codeGrant(w http.ResponseWriter, r *http.Request, secretOK bool) {
	f := r.PostForm
	o.mu.Lock()
	c := o.codes[f.Get("code")]
	delete(o.codes, f.Get("code"))
	o.mu.Unlock()
	switch {
	case c == nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid authorization code")
		return
	case o.opts.Clock().After(c.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "expired authorization code")
		return
	case f.Get("redirect_uri") != c.redirectURI:
		oauthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	case c.challenge == "" && !secretOK:
		oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	case c.challenge != "" && pkceChallenge(f.Get("code_verifier")) != c.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid code verifier")
		return
	}
	o.mu.Lock()
	refresh := ""
	if hasScope(c.scope, "refresh_token") || hasScope(c.scope, "offline_access") {
		refresh = "5Aep861" + randomToken()
		o.refresh[refresh] = &grant{userID: c.userID, scope: c.scope}
	}
	access := o.mintLocked(c.userID, refresh, c.scope)
	o.mu.Unlock()
	o.writeToken(w, r, c.userID, access, refresh, c.scope)
}

func pkceChallenge(verifier string) string {
	if verifier == "" {
		return "\x00" // never equals a real challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// writeToken sends Salesforce's token response: no expires_in (sessions end by
// the org's timeout), issued_at in epoch milliseconds as a string, and a
// signature = base64(HMAC-SHA256(client secret, id + issued_at)).
func (o *Org) writeToken(w http.ResponseWriter, r *http.Request, userID, access, refresh, scope string) {
	inst := instanceURL(r)
	id := inst + "/id/" + o.orgID + "/" + userID
	issued := strconv.FormatInt(o.opts.Clock().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(o.opts.ClientSecret))
	mac.Write([]byte(id + issued))
	out := newOrderedRecord()
	out.set("access_token", access)
	if refresh != "" {
		out.set("refresh_token", refresh)
	}
	out.set("signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	out.set("scope", scope)
	out.set("instance_url", inst)
	out.set("id", id)
	out.set("token_type", "Bearer")
	out.set("issued_at", issued)
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	writeJSON(w, http.StatusOK, out)
}

// handleRevoke serves POST /services/oauth2/revoke (token in the form or query).
// Revoking a refresh token also ends the sessions minted from it.
func (o *Org) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "invalid form body")
		return
	}
	tok := r.Form.Get("token")
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.access[tok] != nil:
		delete(o.access, tok)
	case o.refresh[tok] != nil:
		delete(o.refresh, tok)
		for a, s := range o.access {
			if s.refresh == tok {
				delete(o.access, a)
			}
		}
	case strings.HasPrefix(tok, o.orgID[:15]+"!") || strings.HasPrefix(tok, "5Aep861"):
		oauthError(w, http.StatusBadRequest, "invalid_token", "invalid token")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_token_type", "this token type is not supported")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// userRecord returns a token's user record (a copy) for identity responses
// and what the token's grant lets those responses tell: the identity level
// and, when the grant has the custom_permissions scope, the
// custom_permissions map (nil without it).
func (o *Org) userRecord(token string) (map[string]any, identityLevel, map[string]bool, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.sessionLocked(token)
	if s == nil {
		return nil, identityNone, nil, false
	}
	u := o.data["User"].byID[s.userID]
	if u == nil {
		return nil, identityNone, nil, false
	}
	var perms map[string]bool
	if hasScope(s.scope, "custom_permissions") {
		perms = o.customPermissionsLocked(s.userID)
	}
	return copyRecord(u), scopeLevel(s.scope), perms, true
}

// withCustomPermissions adds the custom_permissions map to an identity
// response when the grant carries the custom_permissions scope: each custom
// permission associated with the app, and whether the user has it
// (reference salesforce-setup.md §3.3; the key name also appears in the
// Mobile SDK's IdServiceResponse.customPermissions). Only the associated
// ones are listed: a custom permission the user has but the app is not
// associated with is absent.
func withCustomPermissions(out map[string]any, perms map[string]bool) map[string]any {
	if perms != nil {
		out["custom_permissions"] = perms
	}
	return out
}

// handleUserInfo serves GET /services/oauth2/userinfo (OpenID Connect). A bad
// token answers 403 Bad_OAuth_Token, as Salesforce's identity endpoints do (not
// the data API's 401).
func (o *Org) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" {
		tok = r.FormValue("access_token")
	}
	u, level, perms, ok := o.userRecord(tok)
	if !ok {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return
	}
	if level == identityNone {
		insufficientScope(w)
		return
	}
	inst := instanceURL(r)
	userID := u["Id"].(string)
	if level == identityIDs {
		writeJSON(w, http.StatusOK, withCustomPermissions(map[string]any{
			"sub": inst + "/id/" + o.orgID + "/" + userID, "user_id": userID, "organization_id": o.orgID,
		}, perms))
		return
	}
	writeJSON(w, http.StatusOK, withCustomPermissions(map[string]any{
		"sub":                            inst + "/id/" + o.orgID + "/" + userID,
		"user_id":                        userID,
		"organization_id":                o.orgID,
		"preferred_username":             u["Username"],
		"nickname":                       strings.SplitN(u["Username"].(string), "@", 2)[0],
		"name":                           u["Name"],
		"email":                          u["Email"],
		"email_verified":                 true,
		"given_name":                     u["FirstName"],
		"family_name":                    u["LastName"],
		"zoneinfo":                       "America/New_York",
		"photos":                         map[string]string{"picture": inst + "/img/userprofile/default_profile_200_v2.png", "thumbnail": inst + "/img/userprofile/default_profile_45_v2.png"},
		"profile":                        inst + "/" + userID,
		"picture":                        inst + "/img/userprofile/default_profile_200_v2.png",
		"address":                        map[string]string{"country": "US"},
		"is_salesforce_integration_user": userID == o.integrationUser.ID,
		"urls":                           o.identityURLs(inst, userID),
		"active":                         true,
		"user_type":                      "STANDARD",
		"language":                       "en_US",
		"locale":                         "en_US",
		"utcOffset":                      -18000000,
		"updated_at":                     u["LastModifiedDate"],
		"is_app_installed":               o.appInstalled(),
	}, perms))
}

// handleIdentity serves GET /id/{orgId}/{userId}, the identity URL of a token
// response. It answers for the token's own user only.
func (o *Org) handleIdentity(w http.ResponseWriter, r *http.Request) {
	u, level, perms, ok := o.userRecord(bearer(r))
	if !ok {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return
	}
	if level == identityNone {
		insufficientScope(w)
		return
	}
	userID := u["Id"].(string)
	if want, _ := normalizeID(r.PathValue("user")); want != userID || r.PathValue("org") != o.orgID && r.PathValue("org") != o.orgID[:15] {
		http.Error(w, "Bad_Id", http.StatusForbidden)
		return
	}
	inst := instanceURL(r)
	if level == identityIDs {
		writeJSON(w, http.StatusOK, withCustomPermissions(map[string]any{
			"id": inst + "/id/" + o.orgID + "/" + userID, "asserted_user": true,
			"user_id": userID, "organization_id": o.orgID,
		}, perms))
		return
	}
	writeJSON(w, http.StatusOK, withCustomPermissions(map[string]any{
		"id": inst + "/id/" + o.orgID + "/" + userID, "asserted_user": true,
		"user_id": userID, "organization_id": o.orgID, "username": u["Username"],
		"nick_name": strings.SplitN(u["Username"].(string), "@", 2)[0], "display_name": u["Name"],
		"email": u["Email"], "email_verified": true, "first_name": u["FirstName"], "last_name": u["LastName"],
		"timezone": "America/New_York", "active": true, "user_type": "STANDARD", "language": "en_US", "locale": "en_US",
		"utcOffset": -18000000, "last_modified_date": u["LastModifiedDate"], "is_app_installed": o.appInstalled(),
		"urls": o.identityURLs(inst, userID),
	}, perms))
}

func (o *Org) identityURLs(inst, userID string) map[string]string {
	data := inst + "/services/data/v{version}/"
	return map[string]string{
		"enterprise":    inst + "/services/Soap/c/{version}/" + o.orgID[:15],
		"metadata":      inst + "/services/Soap/m/{version}/" + o.orgID[:15],
		"partner":       inst + "/services/Soap/u/{version}/" + o.orgID[:15],
		"rest":          data,
		"sobjects":      data + "sobjects/",
		"search":        data + "search/",
		"query":         data + "query/",
		"recent":        data + "recent/",
		"tooling_soap":  inst + "/services/Soap/T/{version}/" + o.orgID[:15],
		"tooling_rest":  data + "tooling/",
		"profile":       inst + "/" + userID,
		"feeds":         data + "chatter/feeds",
		"groups":        data + "chatter/groups",
		"users":         data + "chatter/users",
		"feed_items":    data + "chatter/feed-items",
		"feed_elements": data + "chatter/feed-elements",
		"custom_domain": inst,
	}
}
