package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce"
)

// SFOrg is one connected Salesforce org: the host its users sign in at and
// the External Client App created in it. A local External Client App
// serves only the org it was created in, so a server for a production org
// and its sandboxes lists each with its own app (ZOOMCTI_SF_ORGS_FILE). A
// service for many companies would ship the app in a managed package
// instead, one consumer key for every org that installs it.
type SFOrg struct {
	// Name is how the admin and the logs call it ("Production", "UAT").
	Name string `json:"name"`
	// LoginURL is the org's My Domain login host,
	// https://NAME.my.salesforce.com or
	// https://NAME--SANDBOX.sandbox.my.salesforce.com.
	LoginURL     string `json:"login_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientSecretFile names a file holding the secret instead.
	ClientSecretFile string `json:"client_secret_file,omitempty"`
	// OrgID, when set, is the only org id accepted at sign-in here.
	OrgID string `json:"org_id,omitempty"`

	// anyOrigin: the single org of ZOOMCTI_SF_LOGIN_URL, which every
	// softphone signs in to, as before ZOOMCTI_SF_ORGS_FILE.
	anyOrigin bool
}

// readSFOrgs reads ZOOMCTI_SF_ORGS_FILE: a JSON array of SFOrg.
func readSFOrgs(path string) ([]SFOrg, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var orgs []SFOrg
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&orgs); err != nil {
		return nil, fmt.Errorf("not a JSON array of {name, login_url, client_id, client_secret or client_secret_file, org_id}: %w", err)
	}
	for i := range orgs {
		if f := orgs[i].ClientSecretFile; f != "" {
			s, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("org %q: client_secret_file: %w", orgs[i].Name, err)
			}
			orgs[i].ClientSecret = strings.TrimSpace(string(s))
		}
	}
	return orgs, nil
}

// validateSFOrgs checks the connected orgs and says what is wrong with each.
func validateSFOrgs(orgs []SFOrg) []error {
	var errs []error
	bad := func(o SFOrg, msg string) {
		errs = append(errs, fmt.Errorf("ZOOMCTI_SF_ORGS_FILE: org %q: %s", o.Name, msg))
	}
	names, hosts := map[string]bool{}, map[string]bool{}
	for _, o := range orgs {
		if o.Name == "" {
			bad(o, "name is required")
		}
		if names[o.Name] {
			bad(o, "named twice")
		}
		names[o.Name] = true
		u, err := url.Parse(o.LoginURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "":
			bad(o, "login_url must be the org's My Domain login URL, e.g. https://acme.my.salesforce.com")
			continue
		case isGenericLogin(u.Hostname()):
			bad(o, "login_url must be the org's own My Domain (https://NAME.my.salesforce.com, or https://NAME--SANDBOX.sandbox.my.salesforce.com for a sandbox), not "+u.Host+": the softphone finds its org by its domain")
		case hosts[strings.ToLower(u.Host)]:
			bad(o, "login_url "+u.Host+" is listed twice")
		}
		hosts[strings.ToLower(u.Host)] = true
		if o.ClientID == "" || o.ClientSecret == "" {
			bad(o, "client_id and client_secret (or client_secret_file) are required: the consumer key and secret of the External Client App created in this org")
		}
		if o.OrgID != "" && ((len(o.OrgID) != 15 && len(o.OrgID) != 18) || !strings.HasPrefix(o.OrgID, "00D")) {
			bad(o, fmt.Sprintf("org_id %q is not a Salesforce org id (00D…, 15 or 18 characters)", o.OrgID))
		}
	}
	return errs
}

// isGenericLogin reports whether host is one of Salesforce's shared login
// hosts, which say nothing about the org.
func isGenericLogin(host string) bool {
	switch strings.ToLower(host) {
	case "login.salesforce.com", "test.salesforce.com":
		return true
	}
	return false
}

// sfOrgs finds the connected org of a softphone and the app of an agent.
type sfOrgs struct {
	list  []SFOrg
	oauth []*oauth2.Config // one per org
}

func newSFOrgs(list []SFOrg, redirectURL string) *sfOrgs {
	o := &sfOrgs{list: list}
	for _, org := range list {
		o.oauth = append(o.oauth, salesforce.OAuthConfig(org.ClientID, org.ClientSecret, org.LoginURL, redirectURL))
	}
	return o
}

// errUnknownOrg is a softphone running in an org this server does not
// connect to.
var errUnknownOrg = errors.New("salesforce org not connected")

// forOrigin returns the org whose console the softphone runs in, from the
// origin Salesforce framed it from (sfdcIframeOrigin): the same host as
// the org's login URL, or the same My Domain on another of its Salesforce
// hosts (acme.lightning.force.com for acme.my.salesforce.com).
func (o *sfOrgs) forOrigin(origin string) (int, error) {
	if len(o.list) == 1 && o.list[0].anyOrigin {
		return 0, nil
	}
	u, err := url.Parse(origin)
	if origin == "" || err != nil || u.Host == "" {
		return -1, fmt.Errorf("%w: open the softphone from Salesforce (its page did not say which org it runs in)", errUnknownOrg)
	}
	for i, org := range o.list {
		l, err := url.Parse(org.LoginURL)
		if err != nil {
			continue
		}
		if strings.EqualFold(l.Host, u.Host) {
			return i, nil
		}
		if a, b := myDomain(l.Hostname()), myDomain(u.Hostname()); a != "" && a == b {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: this softphone runs in %s, which is not one of the Salesforce orgs this zoomcti server connects to; ask your admin to add it (ZOOMCTI_SF_ORGS_FILE)", errUnknownOrg, u.Host)
}

// forLoginURL returns the org signed in at loginURL; an agent from before
// ZOOMCTI_SF_ORGS_FILE (no login URL) belongs to the first.
func (o *sfOrgs) forLoginURL(loginURL string) int {
	for i, org := range o.list {
		if strings.EqualFold(strings.TrimRight(org.LoginURL, "/"), strings.TrimRight(loginURL, "/")) {
			return i
		}
	}
	return 0
}

// myDomainSuffixes are the hosts one My Domain answers on, by kind of org.
var myDomainSuffixes = []struct{ suffix, kind string }{
	{".sandbox.my.salesforce.com", "sandbox"}, {".sandbox.lightning.force.com", "sandbox"},
	{".develop.my.salesforce.com", "develop"}, {".develop.lightning.force.com", "develop"},
	{".scratch.my.salesforce.com", "scratch"}, {".scratch.lightning.force.com", "scratch"},
	{".my.salesforce.com", "production"}, {".lightning.force.com", "production"},
}

// myDomain names the My Domain a Salesforce host belongs to ("acme--uat
// sandbox"), or "" for any other host.
func myDomain(host string) string {
	host = strings.ToLower(host)
	for _, s := range myDomainSuffixes {
		if name, ok := strings.CutSuffix(host, s.suffix); ok && name != "" && !strings.Contains(name, ".") {
			return name + " " + s.kind
		}
	}
	return ""
}
