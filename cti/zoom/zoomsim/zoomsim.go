// Package zoomsim is an emulated Zoom for tests and `zoomcti demo`: the
// OAuth authorization server (authorize page, code + PKCE, rotating refresh
// tokens, revoke), the few REST endpoints zoomcti calls (users, phone
// users, call history), a webhook sender that signs deliveries exactly
// as Zoom does, and the Zoom Phone Smart Embed (embed.go) with the live
// call model behind it (phone.go): calls rung, answered, held and dialled
// there send the webhooks a real call would. Paths, status codes, bodies and headers follow
// reference/zoom.md so code tested against it works against Zoom.
//
// One *Zoom serves both of Zoom's hosts: /oauth/... (zoom.us) and /v2/...
// (api.zoom.us). Point zoom.OAuthConfig at its URL and zoom.NewClient at
// its URL + "/v2".
package zoomsim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The seeded account and users, the same as in the shared fixtures.
const (
	AccountID = "FAKEacct0000000000001"
	AliceID   = "FAKEuserAlice00000001"
	BobID     = "FAKEuserBob0000000002"
)

// Defaults for Options left empty. The webhook secret is the one signature
// vector C of the reference uses; the client id is the fixtures' one.
const (
	DefaultClientID      = "FAKEclientId00000001"
	DefaultClientSecret  = "FAKE_client_secret_0001"
	DefaultWebhookSecret = "FAKE_webhook_secret_token_0001"
)

// Options configure a *Zoom. Every field has a usable default.
type Options struct {
	ClientID      string // the OAuth app's client id (DefaultClientID)
	ClientSecret  string // its client secret (DefaultClientSecret)
	WebhookSecret string // the app's Secret Token for x-zm-signature (DefaultWebhookSecret)
	WebhookURL    string // where Play and Deauthorize deliver events; empty: nowhere
	// RedirectURLs is the app's redirect allow list; empty allows any.
	RedirectURLs []string
	// Scopes are the granular scopes configured on the app's Scopes page
	// (DefaultScopes when empty). Tokens carry them; each REST endpoint
	// refuses a token without the scope Zoom requires for it.
	Scopes []string
	// Clock is the time the emulator lives in: code and token expiry, and
	// the timestamps it signs (time.Now).
	Clock func() time.Time
	// HTTPClient delivers webhooks (a client with Zoom's 3 s timeout).
	HTTPClient *http.Client
	// PlayGap is the pause between two deliveries of Play; 0 sends them
	// back to back.
	PlayGap time.Duration

	// The emulated Smart Embed (embed.go).
	//
	// ApprovedDomains are the origins (scheme://host[:port]) the Smart
	// Embed app's admin approved: the embed answers only a parent page of
	// one of them, and is silent otherwise.
	ApprovedDomains []string
	// EmbedUser is the user (id or email) already signed in to the embed,
	// as if they had signed in earlier; empty shows the embed's sign-in.
	EmbedUser string
	// RingTime is how long an inbound call rings before it is missed
	// (30 s); RemoteAnswer how long the far end of an outbound call takes
	// to answer (2 s; negative: never).
	RingTime     time.Duration
	RemoteAnswer time.Duration
	// PublicURL is the emulator's own URL, for the recording links it
	// hands out (empty: Zoom's).
	PublicURL string
}

// User is a Zoom Phone user of the emulated account.
type User struct {
	ID          string
	Email       string
	FirstName   string
	LastName    string
	Extension   string // extension digits, e.g. "1001"
	ExtensionID string
	Number      string // direct number, E.164
	Timezone    string
}

// Name is the display name Zoom shows.
func (u User) Name() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// Zoom is the emulated platform. It is an http.Handler; all its methods
// are safe for concurrent use.
type Zoom struct {
	opts Options
	mux  *http.ServeMux

	mu         sync.Mutex
	webhookURL string
	users      []User
	codes      map[string]*authCode
	access     map[string]*grant
	refresh    map[string]*grant
	history    map[string][]historyEntry // by user id, in start order
	pages      map[string]*pageCursor
	throttle   throttle
	refreshes  int // refresh-token grants answered
	scopes     []string
	// clientRefusals counts token and revoke requests refused for their
	// client credentials.
	clientRefusals int
	sessions       map[string]string // embed session token -> user id
	stop           chan struct{}     // closed by Close: embed event streams end
	stopOnce       sync.Once

	phone           phone
	lastDeliveryErr error

	wg sync.WaitGroup // webhook deliveries started by handlers
}

// New returns an emulated Zoom seeded with the fixtures' users Alice and Bob.
func New(opts Options) *Zoom {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = DefaultWebhookSecret
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = DefaultScopes()
	}
	opts.Scopes = slices.Clone(opts.Scopes)
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 3 * time.Second}
	}
	z := &Zoom{
		opts:       opts,
		mux:        http.NewServeMux(),
		webhookURL: opts.WebhookURL,
		codes:      map[string]*authCode{},
		access:     map[string]*grant{},
		refresh:    map[string]*grant{},
		history:    map[string][]historyEntry{},
		pages:      map[string]*pageCursor{},
		scopes:     slices.Clone(opts.Scopes),
		sessions:   map[string]string{},
		stop:       make(chan struct{}),
	}
	z.phone.init()
	z.AddUser(User{ID: AliceID, Email: "alice@example.com", FirstName: "Alice", LastName: "Example",
		Extension: "1001", ExtensionID: "FAKEextAlice000000001", Number: "+12025550101", Timezone: "America/New_York"})
	z.AddUser(User{ID: BobID, Email: "bob@example.com", FirstName: "Bob", LastName: "Example",
		Extension: "1002", ExtensionID: "FAKEextBob00000000002", Number: "+12025550102", Timezone: "America/Chicago"})
	z.routes()
	return z
}

// routes lists every endpoint of the emulator. Each REST endpoint names the
// granular scopes Zoom accepts for it, any one of them: user-level first,
// then admin-level, the order Zoom's refusal lists them in. Sources: the
// Zoom Phone API OpenAPI document's x-granular-scopes
// (api-evangelist/zoom-phone openapi/zoom-phone-api-openapi.json @47d9cbb;
// reference/zoom.md §4.4, reference/zoom-setup.md §2.1).
func (z *Zoom) routes() {
	z.mux.HandleFunc("GET /oauth/authorize", z.handleAuthorizePage)
	z.mux.HandleFunc("POST /oauth/authorize", z.handleAuthorizeDecision)
	z.mux.HandleFunc("POST /oauth/token", z.handleToken)
	z.mux.HandleFunc("POST /oauth/revoke", z.handleRevoke)
	// "Get a user": the granular pair from Zoom's scope reference as
	// mirrored in reference/zoom-setup.md §2.1 [S 48]; public integrations
	// calling GET /v2/users/me name user:read:user.
	z.mux.HandleFunc("GET /v2/users/{userId}", z.api([]string{"user:read:user", "user:read:user:admin"}, z.handleUser))
	// phoneUser.
	z.mux.HandleFunc("GET /v2/phone/users/{userId}", z.api([]string{"phone:read:user", "phone:read:user:admin"}, z.handlePhoneUser))
	// phoneUserCallHistory: "phone:read:list_call_logs:admin, phone:read:list_call_logs".
	z.mux.HandleFunc("GET /v2/phone/users/{userId}/call_history", z.api([]string{"phone:read:list_call_logs", "phone:read:list_call_logs:admin"}, z.handleCallHistory))
	z.mux.HandleFunc("POST /_sim/history", z.handleRecordHistory)
	z.embedRoutes()
	z.mux.HandleFunc("/v2/", z.api(nil, func(w http.ResponseWriter, r *http.Request, _ *grant) {
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: "Not Found"})
	}))
}

func (z *Zoom) ServeHTTP(w http.ResponseWriter, r *http.Request) { z.mux.ServeHTTP(w, r) }

// Close waits for webhook deliveries that handlers started (a revoke sends
// app_deauthorized after answering).
// It also ends the embed pages' event streams.
func (z *Zoom) Close() {
	z.stopOnce.Do(func() { close(z.stop) })
	z.wg.Wait()
}

// Options returns the options in force, defaults filled in.
func (z *Zoom) Options() Options {
	z.mu.Lock()
	defer z.mu.Unlock()
	o := z.opts
	o.WebhookURL = z.webhookURL
	o.RedirectURLs = slices.Clone(o.RedirectURLs)
	o.Scopes = slices.Clone(z.scopes)
	o.ApprovedDomains = slices.Clone(o.ApprovedDomains)
	return o
}

// SetWebhookURL changes where events are delivered, for a demo that starts
// the receiving server after the emulator.
func (z *Zoom) SetWebhookURL(u string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.webhookURL = u
}

// AddUser adds a user to the account, or replaces the one with its id.
func (z *Zoom) AddUser(u User) {
	if u.ID == "" {
		u.ID = "FAKEuser" + randomHex(7)
	}
	if u.ExtensionID == "" {
		u.ExtensionID = "FAKEext" + randomHex(7)
	}
	if u.Timezone == "" {
		u.Timezone = "America/New_York"
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if i := slices.IndexFunc(z.users, func(x User) bool { return x.ID == u.ID }); i >= 0 {
		z.users[i] = u
		return
	}
	z.users = append(z.users, u)
}

// Users returns the account's users in the order they were added.
func (z *Zoom) Users() []User {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.users)
}

// findUser looks a user up by id, email (case-insensitive), extension or
// direct number. The caller holds z.mu.
func (z *Zoom) findUser(key string) (User, bool) {
	for _, u := range z.users {
		if u.ID == key || strings.EqualFold(u.Email, key) || (key != "" && (u.Extension == key || u.Number == key)) {
			return u, true
		}
	}
	return User{}, false
}

// lookupUser is findUser taking the lock.
func (z *Zoom) lookupUser(key string) (User, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.findUser(key)
}

func (z *Zoom) now() time.Time { return z.opts.Clock() }

// apiError is Zoom's REST error body.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// oauthError is Zoom's OAuth error body.
type oauthError struct {
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomHex returns n random bytes as hex; crypto/rand never fails on the
// platforms Go supports.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
