package sfsim

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// authorizeRequest is a validated authorize request.
type authorizeRequest struct {
	params   url.Values // the request, carried through the consent form
	user     User
	redirect *url.URL
	scopes   []string
}

// scopeLabels are the consent page's wording for each scope.
var scopeLabels = map[string]string{
	"api":            "Manage user data via APIs (api)",
	"refresh_token":  "Perform requests at any time (refresh_token, offline_access)",
	"offline_access": "Perform requests at any time (refresh_token, offline_access)",
	"id":             "Access the identity URL service (id, profile, email, address, phone)",
	"openid":         "Access unique user identifiers (openid)",
	"web":            "Access the Salesforce API Platform (web)",
	"full":           "Full access (full)",
	"profile":        "Access the identity URL service (id, profile, email, address, phone)",
	"email":          "Access the identity URL service (id, profile, email, address, phone)",
}

// parseAuthorize validates an authorize request. A bad client_id or redirect_uri
// can only be shown on a page (redirecting would trust an unknown address); the
// other problems are redirected back to the client as OAuth errors.
func (o *Org) parseAuthorize(q url.Values) (req *authorizeRequest, page string, redirectErr [2]string) {
	if q.Get("client_id") != o.opts.ClientID {
		return nil, "error=invalid_client_id&error_description=client%20identifier%20invalid", redirectErr
	}
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https" && !strings.Contains(u.Scheme, ".")) {
		return nil, "error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration", redirectErr
	}
	req = &authorizeRequest{params: q, user: o.demoUser, redirect: u}
	if !o.appInstalled() {
		return req, "", [2]string{"invalid_client", "app must be installed into org"}
	}
	switch {
	case q.Get("response_type") != "code":
		return req, "", [2]string{"unsupported_response_type", "response type not supported"}
	case q.Get("code_challenge_method") != "" && q.Get("code_challenge_method") != "S256":
		return req, "", [2]string{"invalid_request", "invalid code_challenge_method"}
	case q.Get("code_challenge") != "" && len(q.Get("code_challenge")) != 43:
		return req, "", [2]string{"invalid_request", "invalid code_challenge"}
	}
	// login_hint (a username) preselects another active user, the admin
	// for instance; otherwise the demo user, who is "logged in", is. The
	// page's picker may still change it (handleAuthorizeDecision).
	if hint := q.Get("login_hint"); hint != "" {
		if u, ok := o.activeUser(hint); ok {
			req.user = u
		}
	}
	seen := map[string]bool{}
	for _, s := range strings.Fields(o.grantScopes(q.Get("scope"))) {
		if l, ok := scopeLabels[s]; ok && !seen[l] {
			seen[l] = true
			req.scopes = append(req.scopes, l)
		}
	}
	return req, "", redirectErr
}

func (o *Org) redirectOAuth(w http.ResponseWriter, r *http.Request, req *authorizeRequest, vals map[string]string) {
	u := *req.redirect
	q := u.Query()
	for k, v := range vals {
		q.Set(k, v)
	}
	if st := req.params.Get("state"); st != "" {
		q.Set("state", st)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// handleAuthorize serves GET /services/oauth2/authorize: the "Allow Access?" page.
func (o *Org) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, page, rerr := o.parseAuthorize(r.URL.Query())
	if page != "" {
		o.renderAuthorize(w, http.StatusBadRequest, map[string]any{"Error": page})
		return
	}
	if rerr[0] != "" {
		o.redirectOAuth(w, r, req, map[string]string{"error": rerr[0], "error_description": rerr[1]})
		return
	}
	o.showConsent(w, req, "")
}

// showConsent renders the "Allow Access?" page for req. It stands in for
// Salesforce's login page too: a picker of the org's active users (id
// "username", like the login form's field) lets a browser test sign in as
// someone other than the demo user. loginError, when set, is shown above it.
func (o *Org) showConsent(w http.ResponseWriter, req *authorizeRequest, loginError string) {
	var hidden []map[string]string
	for _, k := range sortedKeys(req.params) {
		if k == "username" || k == "decision" {
			continue // the picker and the buttons send these
		}
		hidden = append(hidden, map[string]string{"Name": k, "Value": req.params.Get(k)})
	}
	o.renderAuthorize(w, http.StatusOK, map[string]any{
		"User": req.user, "Users": o.activeUsers(), "LoginError": loginError,
		"Scopes": req.scopes, "Hidden": hidden, "Popup": req.params.Get("display") == "popup",
	})
}

// SetAppInstalled installs (true) or uninstalls (false) the client app, as
// an admin does under Setup → Connected Apps OAuth Usage; see
// Options.AppNotInstalled.
func (o *Org) SetAppInstalled(installed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.appNotInstalled = !installed
}

func (o *Org) appInstalled() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.appNotInstalled
}

// handleAuthorizeDecision serves POST /services/oauth2/authorize, the consent
// form: Allow redirects with a code, Deny with error=access_denied.
func (o *Org) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	params := url.Values{}
	for k, v := range r.PostForm {
		if k != "decision" {
			params[k] = v
		}
	}
	req, page, rerr := o.parseAuthorize(params)
	if page != "" {
		o.renderAuthorize(w, http.StatusBadRequest, map[string]any{"Error": page})
		return
	}
	if rerr[0] != "" {
		o.redirectOAuth(w, r, req, map[string]string{"error": rerr[0], "error_description": rerr[1]})
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		o.redirectOAuth(w, r, req, map[string]string{"error": "access_denied", "error_description": "end-user denied authorization"})
		return
	}
	// The picker's choice wins over login_hint; a form without one (a test
	// posting the form directly) keeps login_hint or the demo user.
	if name := r.PostForm.Get("username"); name != "" {
		u, ok := o.activeUser(name)
		if !ok {
			o.showConsent(w, req, "Please check your username and password. If you still can't log in, contact your Salesforce administrator.")
			return
		}
		req.user = u
	}
	scope := o.grantScopes(params.Get("scope"))
	code := "aPrx" + randomToken() + "=="
	o.mu.Lock()
	o.codes[code] = &authCode{
		userID: req.user.ID, clientID: o.opts.ClientID, redirectURI: params.Get("redirect_uri"),
		challenge: params.Get("code_challenge"), scope: scope, expires: o.opts.Clock().Add(codeTTL),
	}
	o.mu.Unlock()
	o.redirectOAuth(w, r, req, map[string]string{"code": code})
}

var authorizeTemplate = template.Must(template.New("authorize").Parse(authorizeHTML))

func (o *Org) renderAuthorize(w http.ResponseWriter, status int, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	authorizeTemplate.Execute(w, data)
}
