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
	switch {
	case q.Get("response_type") != "code":
		return req, "", [2]string{"unsupported_response_type", "response type not supported"}
	case q.Get("code_challenge_method") != "" && q.Get("code_challenge_method") != "S256":
		return req, "", [2]string{"invalid_request", "invalid code_challenge_method"}
	case q.Get("code_challenge") != "" && len(q.Get("code_challenge")) != 43:
		return req, "", [2]string{"invalid_request", "invalid code_challenge"}
	}
	// login_hint picks another seeded user (the admin, for instance); the
	// consent page otherwise approves as the demo user, who is "logged in".
	if hint := q.Get("login_hint"); hint != "" {
		for _, u := range []User{o.demoUser, o.adminUser, o.integrationUser} {
			if strings.EqualFold(hint, u.Username) {
				req.user = u
			}
		}
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = defaultScope
	}
	seen := map[string]bool{}
	for _, s := range strings.Fields(scope) {
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
	var hidden []map[string]string
	for _, k := range sortedKeys(req.params) {
		hidden = append(hidden, map[string]string{"Name": k, "Value": req.params.Get(k)})
	}
	o.renderAuthorize(w, http.StatusOK, map[string]any{
		"User": req.user, "Scopes": req.scopes, "Hidden": hidden, "Popup": req.params.Get("display") == "popup",
	})
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
	scope := params.Get("scope")
	if scope == "" {
		scope = defaultScope
	}
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
