package sfsim

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures an emulated org.
type Options struct {
	// ClientID and ClientSecret identify the External Client App the org accepts.
	// They default to "sfsim-client-id" and "sfsim-client-secret".
	ClientID, ClientSecret string
	// AdapterURL is the softphone URL the console shows in its utility-bar frame,
	// e.g. http://127.0.0.1:8080/softphone. Empty shows a note instead.
	AdapterURL string
	// DemoCall, when set, adds a "Simulate inbound call" control to the console
	// that POSTs to /_sim/demo/call and calls this with the chosen number.
	DemoCall func(ctx context.Context, from string) error
	// Clock returns the current time; default time.Now.
	Clock func() time.Time
	// DailyLimit is the API request limit reported in Sforce-Limit-Info; default 15000.
	DailyLimit int
	// AppNotInstalled makes the org refuse to authorize the client app, as
	// orgs have since September 2025 for connected apps an admin has not
	// installed (reference §0): the authorize endpoint redirects back with
	// error=invalid_client and "app must be installed into org". Tokens
	// already issued keep working. SetAppInstalled changes it later.
	AppNotInstalled bool
	// Scopes are the OAuth scopes the External Client App has selected; an
	// authorize request is granted the scopes it asks for that are among
	// them (scopes.go). Default: api, refresh_token (offline_access), openid
	// and the identity URL service (id, profile, email, address, phone).
	Scopes []string
	// TaskStatuses are the org's Task Status values, in their sort order;
	// nil gives Salesforce's defaults (DefaultTaskStatuses). Orgs rename
	// and remove values, "Completed" included; Task.Status accepts only
	// these API names. SetTaskStatuses changes them later.
	TaskStatuses []TaskStatus
	// OldestVersion and NewestVersion bound the REST API versions the org
	// serves ("NN.0"): GET /services/data/ lists them, and a request under
	// /services/data/vNN.0/ for any other is 404 NOT_FOUND. Defaults:
	// DefaultOldestVersion, DefaultNewestVersion. SetVersions changes them.
	OldestVersion, NewestVersion string
	// IndexLag is how long a new or changed record takes to reach the
	// search index (index.go): until then SOSL and the console's search do
	// not find it (a changed one is found by its old values); SOQL sees it
	// at once. Zero means DefaultIndexLag; a negative value, no lag. The
	// records the org is seeded with are indexed from the start.
	// SetIndexLag changes it later; Clock drives it.
	IndexLag time.Duration
	// CustomFields are custom fields an admin has added in Setup, e.g. a
	// Text(40) Phone_E164__c on Contact, Lead and Account that a
	// record-triggered flow keeps in E.164. They are plain stored text:
	// the emulator computes nothing into them.
	CustomFields []CustomField
	// OrgID is the org's 15-character id (00D…); default 00D5g00000Zcti1.
	// Each org of a test with several (a production org and its sandbox)
	// needs its own.
	OrgID string
	// AppCustomPermissions are the custom permissions (API names)
	// associated with the External Client App: the identity URL's
	// custom_permissions map lists only these (access.go). nil gives
	// DefaultAdminCustomPermission; SetAppCustomPermissions changes them.
	AppCustomPermissions []string
}

// CustomField is a custom Text field on an object.
type CustomField struct {
	Object string // Contact, Lead, Account, ...
	Name   string // API name, ending in __c
	Label  string
	Length int // 255 when 0
	// ExternalID marks the field an External ID: indexed, so a SOQL filter
	// on it is selective (reference salesforce-phone-search.md §7).
	ExternalID bool
}

// User is a Salesforce user of the org.
type User struct {
	ID, Username, Email, Name string
	// APIEnabled is false for a user whose profile lacks the "API Enabled"
	// permission: OAuth and userinfo work for them, the data API answers
	// 403 API_DISABLED_FOR_ORG.
	APIEnabled bool
}

// Org is an emulated Salesforce org. It is safe for concurrent use.
type Org struct {
	opts    Options
	handler http.Handler
	orgID   string
	schema  map[string]*sobject

	demoUser, integrationUser, adminUser User

	mu       sync.Mutex
	data     map[string]*table // by sobject name
	serials  map[string]int    // by key prefix
	codes    map[string]*authCode
	access   map[string]*session // access token -> session
	refresh  map[string]*grant   // refresh token -> grant
	cursors  map[string][]orderedRecord
	cursorN  int
	apiUsed  int
	faults   faults
	pageSize int // SOQL batch size; 2000 like Salesforce, lowered by tests

	appNotInstalled bool            // see Options.AppNotInstalled
	noAPI           map[string]bool // Ids of users without "API Enabled"
	lastSearch      string          // the SOSL text of the last search request
	oldest, newest  int             // majors of the REST API versions served

	// Access (access.go): profiles and permission sets by name, each
	// user's profile, the custom permissions associated with the app.
	profiles       map[string]*grants
	permSets       map[string]*grants
	userProfile    map[string]string
	appCustomPerms []string
	// index holds each record's indexed versions, oldest first (index.go).
	index    map[string][]indexDoc
	indexLag time.Duration
	seeding  bool // records inserted now are indexed at once
}

// table holds the records of one sObject in insertion order.
type table struct {
	order []string
	byID  map[string]map[string]any
}

// New returns a seeded org.
func New(opts Options) *Org {
	if opts.ClientID == "" {
		opts.ClientID = "sfsim-client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "sfsim-client-secret"
	}
	if opts.Scopes == nil {
		opts.Scopes = DefaultAppScopes
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.DailyLimit <= 0 {
		opts.DailyLimit = 15000
	}
	if opts.OrgID != "" && (len(opts.OrgID) != 15 || !strings.HasPrefix(opts.OrgID, "00D")) {
		panic("sfsim: Options.OrgID must be a 15-character org id (00D…), not " + strconv.Quote(opts.OrgID))
	}
	o := &Org{
		opts:     opts,
		orgID:    to18(cmp.Or(opts.OrgID, "00D5g00000Zcti1")),
		schema:   newSchema(opts.CustomFields),
		data:     map[string]*table{},
		serials:  map[string]int{},
		codes:    map[string]*authCode{},
		access:   map[string]*session{},
		refresh:  map[string]*grant{},
		cursors:  map[string][]orderedRecord{},
		pageSize: defaultPageSize,

		appNotInstalled: opts.AppNotInstalled,
		noAPI:           map[string]bool{},
		userProfile:     map[string]string{},
		appCustomPerms:  opts.AppCustomPermissions,
		index:           map[string][]indexDoc{},
	}
	if o.appCustomPerms == nil {
		o.appCustomPerms = []string{DefaultAdminCustomPermission}
	}
	switch {
	case opts.IndexLag == 0:
		o.indexLag = DefaultIndexLag
	case opts.IndexLag > 0:
		o.indexLag = opts.IndexLag
	}
	for name := range o.schema {
		o.data[name] = &table{byID: map[string]map[string]any{}}
	}
	if opts.OldestVersion == "" {
		opts.OldestVersion = DefaultOldestVersion
	}
	if opts.NewestVersion == "" {
		opts.NewestVersion = DefaultNewestVersion
	}
	o.SetVersions(opts.OldestVersion, opts.NewestVersion)
	o.seed()
	o.handler = o.routes()
	return o
}

// routes lists every route the org answers.
func (o *Org) routes() http.Handler {
	mux := http.NewServeMux()

	// OAuth and identity (oauth.go).
	mux.HandleFunc("GET /services/oauth2/authorize", o.handleAuthorize)
	mux.HandleFunc("POST /services/oauth2/authorize", o.handleAuthorizeDecision)
	mux.HandleFunc("POST /services/oauth2/token", o.handleToken)
	mux.HandleFunc("GET /services/oauth2/userinfo", o.handleUserInfo)
	mux.HandleFunc("POST /services/oauth2/userinfo", o.handleUserInfo)
	mux.HandleFunc("POST /services/oauth2/revoke", o.handleRevoke)
	mux.HandleFunc("GET /services/oauth2/revoke", o.handleRevoke)
	mux.HandleFunc("GET /id/{org}/{user}", o.handleIdentity)

	// Data API (limits.go wraps each handler with auth, faults and counting).
	mux.HandleFunc("GET /services/data/{$}", o.handleVersions)
	mux.HandleFunc("GET /services/data", o.handleVersions)
	data := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, o.dataAPI(h))
	}
	data("GET /services/data/{version}/{$}", o.handleResources)
	data("GET /services/data/{version}/limits/{$}", o.handleLimits)
	data("GET /services/data/{version}/limits", o.handleLimits)
	data("GET /services/data/{version}/sobjects/{$}", o.handleGlobalDescribe)
	data("GET /services/data/{version}/sobjects", o.handleGlobalDescribe)
	data("GET /services/data/{version}/sobjects/{type}/describe/{$}", o.handleDescribe)
	data("GET /services/data/{version}/sobjects/{type}/describe", o.handleDescribe)
	data("POST /services/data/{version}/sobjects/{type}/{$}", o.handleCreate)
	data("POST /services/data/{version}/sobjects/{type}", o.handleCreate)
	data("GET /services/data/{version}/sobjects/{type}/{id}", o.handleRead)
	data("PATCH /services/data/{version}/sobjects/{type}/{id}", o.handleUpdate)
	data("DELETE /services/data/{version}/sobjects/{type}/{id}", o.handleDelete)
	data("GET /services/data/{version}/query/{$}", o.handleQuery)
	data("GET /services/data/{version}/query", o.handleQuery)
	data("GET /services/data/{version}/query/{locator}", o.handleQueryMore)
	data("GET /services/data/{version}/search/{$}", o.handleSearch)
	data("GET /services/data/{version}/search", o.handleSearch)
	data("POST /services/data/{version}/composite/sobjects", o.handleCompositeCreate)
	data("POST /services/data/{version}/composite/{$}", o.handleComposite)
	data("POST /services/data/{version}/composite", o.handleComposite)
	data("/services/data/{version}/", o.handleDataNotFound)

	// The console and the Open CTI stand-in (console.go).
	mux.HandleFunc("GET /{$}", o.handleConsole)
	mux.HandleFunc("GET /lightning/", o.handleConsole)
	mux.HandleFunc("GET /_sim/console/assets/{file}", o.handleConsoleAsset)
	mux.HandleFunc("GET /support/api/{version}/lightning/opencti_min.js", o.handleOpenCTIScript)
	mux.HandleFunc("GET /_sim/console/record", o.handleConsoleRecord)
	mux.HandleFunc("GET /_sim/console/list", o.handleConsoleList)
	mux.HandleFunc("GET /_sim/console/search", o.handleConsoleSearch)
	mux.HandleFunc("POST /_sim/console/save", o.handleConsoleSave)
	mux.HandleFunc("POST /_sim/demo/call", o.handleDemoCall)

	// Test controls (limits.go).
	mux.HandleFunc("POST /_sim/faults", o.handleFaults)
	return mux
}

// ServeHTTP implements http.Handler.
func (o *Org) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.handler.ServeHTTP(w, r) }

// OrgID returns the org's 18-character Id (00D...).
func (o *Org) OrgID() string { return o.orgID }

// DemoUser returns Alice Example, the agent the console and the consent page act as.
func (o *Org) DemoUser() User { return o.demoUser }

// IntegrationUser returns the user the client-credentials grant runs as.
func (o *Org) IntegrationUser() User { return o.integrationUser }

// AdminUser returns the user holding the Zoom_Admin permission set (and
// with it the Zoomcti_Admin custom permission), on the System Administrator
// profile.
func (o *Org) AdminUser() User { return o.adminUser }

// Records returns a snapshot copy of the records of one sObject (Task, Contact,
// Lead, Account, User, ...) in insertion order.
func (o *Org) Records(sobject string) []map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.lookupSObject(sobject)
	if !ok {
		return nil
	}
	t := o.data[s.Name]
	out := make([]map[string]any, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, copyRecord(t.byID[id]))
	}
	return out
}

// Insert adds a record directly, skipping API validation but filling Id, audit
// fields and derived fields, and returns its Id. Reference fields given as
// 15-character Ids are stored in the 18-character form. Like any new record
// it reaches the search index only after the org's index lag. It panics on an
// unknown sObject (a test bug).
func (o *Org) Insert(sobject string, fields map[string]any) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.lookupSObject(sobject)
	if !ok {
		panic(fmt.Sprintf("sfsim: Insert: unknown sObject %q", sobject))
	}
	rec := map[string]any{}
	for k, v := range fields {
		if f, ok := s.field(k); ok {
			if id, isStr := v.(string); isStr && f.Type == "reference" {
				if canon, valid := normalizeID(id); valid {
					v = canon
				}
			}
			rec[f.Name] = v
		} else {
			rec[k] = v
		}
	}
	return o.insertLocked(s, rec, o.demoUser.ID)
}

// Delete removes a record, as a user with the right does in the UI (an
// admin deleting a call center in Setup, say). It panics on an unknown
// sObject (a test bug) and ignores an unknown id.
func (o *Org) Delete(sobject, id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.lookupSObject(sobject)
	if !ok {
		panic(fmt.Sprintf("sfsim: Delete: unknown sObject %q", sobject))
	}
	if canon, ok := normalizeID(id); ok {
		o.deleteLocked(s, canon)
	}
}

// SetPageSize sets how many records a SOQL response carries before it pages
// with nextRecordsUrl, so tests can exercise paging without 2,000 records.
// n <= 0 restores Salesforce's default of 2,000.
func (o *Org) SetPageSize(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n <= 0 {
		n = defaultPageSize
	}
	o.pageSize = n
}

// defaultPageSize is Salesforce's default SOQL batch size.
const defaultPageSize = 2000

// LastSearch returns the SOSL text of the most recent search request the
// data API accepted (token valid, within limits), "" before the first. Tests
// read it to check what a client really sent.
func (o *Org) LastSearch() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lastSearch
}

// APIRequests returns the number of data-API requests counted so far.
func (o *Org) APIRequests() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.apiUsed
}

func copyRecord(r map[string]any) map[string]any {
	c := make(map[string]any, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

// sortedKeys returns map keys in order (stable output for pages and tests).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
