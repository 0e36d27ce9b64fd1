package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	redisstore "github.com/zoomcti/zoomcti/server/store/redis"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/salesforce"
)

// Config is the server's whole configuration, read once from ZOOMCTI_*
// environment variables. Every variable is listed in the README.
type Config struct {
	Addr      string // ZOOMCTI_ADDR: where to listen
	PublicURL string // ZOOMCTI_PUBLIC_URL: how Salesforce and Zoom reach us (https in production)
	LogLevel  slog.Level

	ZoomWebhookSecret string // ZOOMCTI_ZOOM_WEBHOOK_SECRET: the app's Secret Token
	ZoomClientID      string
	ZoomClientSecret  string
	ZoomOAuthURL      string // ZOOMCTI_ZOOM_OAUTH_URL: https://zoom.us
	ZoomAPIURL        string // ZOOMCTI_ZOOM_API_URL: https://api.zoom.us
	// ZoomEmbedURL (ZOOMCTI_ZOOM_EMBED_URL) is the Zoom Phone Smart Embed
	// the softphone frames for call control; its origin is the only one
	// the page takes embed messages from.
	ZoomEmbedURL string

	SFClientID     string
	SFClientSecret string
	SFLoginURL     string // ZOOMCTI_SF_LOGIN_URL: login.salesforce.com, test.salesforce.com or a My Domain
	SFAPIVersion   string
	// SFOrgIDs, when set, are the only Salesforce orgs whose users may sign in.
	SFOrgIDs []string
	// SFOrgs (ZOOMCTI_SF_ORGS_FILE) are the connected orgs, each with its
	// My Domain and its own External Client App; a softphone signs in to
	// the one it runs in. Without it, ZOOMCTI_SF_LOGIN_URL and
	// ZOOMCTI_SF_CLIENT_ID/SECRET are the one org every softphone uses.
	SFOrgs []SFOrg
	// SFAdminCustomPermission is the custom permission (API name) that
	// makes a Salesforce user a zoomcti admin: included in the admin
	// permission set and associated with the External Client App, read from
	// the identity URL's custom_permissions map. (Agents may not read
	// PermissionSetAssignment, so a permission set cannot be checked
	// directly.)
	SFAdminCustomPermission string
	// DefaultCountry reads numbers written without a country code (ISO
	// 3166 code, e.g. US, GB, JP).
	DefaultCountry string

	StorePath     string // ZOOMCTI_STORE_PATH: the embedded store's file
	RedisURL      string // ZOOMCTI_REDIS_URL: when set, Redis replaces the embedded store
	EncryptionKey []byte // ZOOMCTI_ENCRYPTION_KEY: 32 bytes, base64, for secrets at rest

	// AllowedOrigins may open the websocket (besides PublicURL's own origin).
	AllowedOrigins []string
	// FrameAncestors may frame the softphone (the Salesforce domains); also
	// the origins the softphone will load opencti_min.js from.
	FrameAncestors []string

	// OpsToken lets operators call /api/ops/* (zoomcti reconcile) and
	// scrape /metrics.
	OpsToken string
	// MetricsAddr (ZOOMCTI_METRICS_ADDR), when set, is a second listen
	// address serving only GET /metrics, without a token: for a network
	// only Prometheus reaches.
	MetricsAddr string
	// ReconcileEvery is how often the last day's call history is
	// reconciled (0: never).
	ReconcileEvery time.Duration

	WebhookWindow time.Duration // how old x-zm-request-timestamp may be (zoom.MaxWebhookAge: Zoom's retries may keep the first attempt's)
	// QueueSettle is how long a queue member who only rang waits for
	// another member's answer before logging the call as missed.
	QueueSettle time.Duration
	Workers     int // jobs run at once per org (and per kind: events, Task writes)

	// TrustedProxies (ZOOMCTI_TRUSTED_PROXIES) are the load balancers whose
	// X-Forwarded-For is believed when telling clients apart.
	TrustedProxies []netip.Prefix
	// BodyBudget (ZOOMCTI_BODY_BUDGET_MB) bounds the bytes of request bodies
	// being read at once, across all requests.
	BodyBudget int64
	// RateLimit (ZOOMCTI_RATE_LIMIT) is how many sign-in and poll requests
	// one client address may make per minute (and in one burst).
	RateLimit int

	// Demo switches on the demo-only routes (a signed-in demo agent).
	Demo bool
}

// Environment variables, with their defaults, in the order the README lists them.
const (
	defaultAddr                  = "127.0.0.1:8080"
	defaultZoomOAuthURL          = "https://zoom.us"
	defaultZoomAPIURL            = "https://api.zoom.us"
	defaultZoomEmbedURL          = "https://applications.zoom.us/integration/phone/embeddablephone/home"
	defaultSFLoginURL            = "https://login.salesforce.com"
	defaultSFAPIVersion          = "67.0"
	defaultStorePath             = "zoomcti.db"
	defaultAdminCustomPermission = "Zoomcti_Admin"
	defaultFrameAncestors        = "https://*.lightning.force.com https://*.my.salesforce.com https://*.force.com https://*.visualforce.com"
)

// ConfigFromEnv reads the configuration from getenv (os.Getenv in main).
// Secrets may also come from a file named by VAR_FILE.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	secret := func(name string) string {
		if f := getenv(name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		return get(name, "")
	}
	c := Config{
		Addr:                    get("ZOOMCTI_ADDR", defaultAddr),
		PublicURL:               get("ZOOMCTI_PUBLIC_URL", ""),
		ZoomWebhookSecret:       secret("ZOOMCTI_ZOOM_WEBHOOK_SECRET"),
		ZoomClientID:            get("ZOOMCTI_ZOOM_CLIENT_ID", ""),
		ZoomClientSecret:        secret("ZOOMCTI_ZOOM_CLIENT_SECRET"),
		ZoomOAuthURL:            get("ZOOMCTI_ZOOM_OAUTH_URL", defaultZoomOAuthURL),
		ZoomAPIURL:              get("ZOOMCTI_ZOOM_API_URL", defaultZoomAPIURL),
		ZoomEmbedURL:            get("ZOOMCTI_ZOOM_EMBED_URL", defaultZoomEmbedURL),
		SFClientID:              get("ZOOMCTI_SF_CLIENT_ID", ""),
		SFClientSecret:          secret("ZOOMCTI_SF_CLIENT_SECRET"),
		SFLoginURL:              get("ZOOMCTI_SF_LOGIN_URL", defaultSFLoginURL),
		SFAPIVersion:            get("ZOOMCTI_SF_API_VERSION", defaultSFAPIVersion),
		SFOrgIDs:                strings.Fields(strings.ReplaceAll(get("ZOOMCTI_SF_ORG_IDS", ""), ",", " ")),
		SFAdminCustomPermission: get("ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION", defaultAdminCustomPermission),
		DefaultCountry:          strings.ToUpper(get("ZOOMCTI_DEFAULT_COUNTRY", "US")),
		StorePath:               get("ZOOMCTI_STORE_PATH", defaultStorePath),
		RedisURL:                secret("ZOOMCTI_REDIS_URL"),
		AllowedOrigins:          strings.Fields(strings.ReplaceAll(get("ZOOMCTI_ALLOWED_ORIGINS", ""), ",", " ")),
		FrameAncestors:          strings.Fields(strings.ReplaceAll(get("ZOOMCTI_FRAME_ANCESTORS", defaultFrameAncestors), ",", " ")),
		OpsToken:                secret("ZOOMCTI_OPS_TOKEN"),
		MetricsAddr:             get("ZOOMCTI_METRICS_ADDR", ""),
		WebhookWindow:           zoom.MaxWebhookAge,
		Workers:                 4,
	}
	if f := get("ZOOMCTI_SF_ORGS_FILE", ""); f != "" {
		orgs, err := readSFOrgs(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("ZOOMCTI_SF_ORGS_FILE: %w", err))
		}
		c.SFOrgs = orgs
	}
	if k := secret("ZOOMCTI_ENCRYPTION_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(key) != 32 {
			errs = append(errs, errors.New("ZOOMCTI_ENCRYPTION_KEY: must be 32 random bytes, base64-encoded (try: openssl rand -base64 32)"))
		}
		c.EncryptionKey = key
	}
	if v := get("ZOOMCTI_WORKERS", strconv.Itoa(defaultWorkers)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			errs = append(errs, errors.New("ZOOMCTI_WORKERS: must be a number from 1 to 1024"))
		}
		c.Workers = n
	}
	if v := get("ZOOMCTI_RECONCILE_EVERY", "15m"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, errors.New("ZOOMCTI_RECONCILE_EVERY: must be a duration like 15m or 1h, or 0 to turn it off"))
		}
		c.ReconcileEvery = d
	}
	for _, v := range strings.Fields(strings.ReplaceAll(get("ZOOMCTI_TRUSTED_PROXIES", ""), ",", " ")) {
		p, err := parseAddrOrPrefix(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ZOOMCTI_TRUSTED_PROXIES: %q is not an IP address or CIDR like 10.0.0.0/8", v))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if v := get("ZOOMCTI_BODY_BUDGET_MB", strconv.Itoa(defaultBodyBudgetMB)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 4096 {
			errs = append(errs, errors.New("ZOOMCTI_BODY_BUDGET_MB: must be a number of MiB from 2 to 4096"))
		}
		c.BodyBudget = int64(n) << 20
	}
	if v := get("ZOOMCTI_RATE_LIMIT", strconv.Itoa(defaultRateLimit)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			errs = append(errs, errors.New("ZOOMCTI_RATE_LIMIT: must be a number of requests per minute from 1 to 1000000"))
		}
		c.RateLimit = n
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("ZOOMCTI_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("ZOOMCTI_LOG_LEVEL: %w (use debug, info, warn or error)", err))
	}
	return c, errors.Join(errs...)
}

// Validate checks the configuration a production server needs and names the
// variable at fault.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, msg string) { errs = append(errs, fmt.Errorf("%s: %s", name, msg)) }
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("ZOOMCTI_ADDR", "must be HOST:PORT, e.g. 127.0.0.1:8080")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("ZOOMCTI_PUBLIC_URL", "must be an absolute http(s) URL, e.g. https://zoomcti.example.com")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	for name, v := range map[string]string{"ZOOMCTI_ZOOM_OAUTH_URL": c.ZoomOAuthURL, "ZOOMCTI_ZOOM_API_URL": c.ZoomAPIURL, "ZOOMCTI_SF_LOGIN_URL": c.SFLoginURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(name, "must be an absolute http(s) URL")
		}
	}
	if c.ZoomEmbedURL == "" {
		c.ZoomEmbedURL = defaultZoomEmbedURL
	}
	if u, err := url.Parse(c.ZoomEmbedURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Fragment != "" || !isHostSource(u.Scheme+"://"+u.Host) || strings.ContainsAny(c.ZoomEmbedURL, " \"'<>;") {
		// Its origin goes into the page's CSP frame-src as is.
		bad("ZOOMCTI_ZOOM_EMBED_URL", "must be an absolute http(s) URL of the Zoom Phone Smart Embed, e.g. "+defaultZoomEmbedURL)
	}
	switch {
	case c.ZoomWebhookSecret == "":
		bad("ZOOMCTI_ZOOM_WEBHOOK_SECRET", "required: the Secret Token of your Zoom app (Features → Access)")
	case len(c.ZoomWebhookSecret) < minWebhookSecret:
		// Zoom's Secret Tokens are 22 characters; anything much shorter is
		// a placeholder, and a guessable one lets anyone sign webhooks.
		bad("ZOOMCTI_ZOOM_WEBHOOK_SECRET", fmt.Sprintf("too short (%d characters): use the Secret Token of your Zoom app (Features → Access, 22 characters); at least %d", len(c.ZoomWebhookSecret), minWebhookSecret))
	}
	switch {
	case len(c.EncryptionKey) != 32:
		bad("ZOOMCTI_ENCRYPTION_KEY", "required: 32 random bytes, base64-encoded (try: openssl rand -base64 32)")
	case degenerate(c.EncryptionKey):
		bad("ZOOMCTI_ENCRYPTION_KEY", "is one byte value repeated (e.g. all zeros), not a random key (try: openssl rand -base64 32)")
	}
	if c.RedisURL != "" {
		if err := redisstore.CheckURL(c.RedisURL); err != nil {
			bad("ZOOMCTI_REDIS_URL", "must be a redis://, rediss:// or unix:// URL, or redis+cluster://host:port?addr=host2:port2 (rediss+cluster:// with TLS) for a Redis Cluster: "+err.Error())
		}
	} else if c.StorePath == "" {
		bad("ZOOMCTI_STORE_PATH", "required when ZOOMCTI_REDIS_URL is not set")
	}
	if err := salesforce.CheckAPIVersion(c.SFAPIVersion); err != nil {
		bad("ZOOMCTI_SF_API_VERSION", err.Error())
	}
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			bad("ZOOMCTI_ALLOWED_ORIGINS", fmt.Sprintf("%q is not an origin like https://host[:port]", o))
		}
	}
	if len(c.SFOrgs) > 0 {
		if c.SFClientID != "" {
			bad("ZOOMCTI_SF_CLIENT_ID", "set either ZOOMCTI_SF_ORGS_FILE (each org with its app) or ZOOMCTI_SF_CLIENT_ID/SECRET and ZOOMCTI_SF_LOGIN_URL (one org), not both")
		}
		errs = append(errs, validateSFOrgs(c.SFOrgs)...)
	}
	for _, id := range c.SFOrgIDs {
		if (len(id) != 15 && len(id) != 18) || !strings.HasPrefix(id, "00D") {
			bad("ZOOMCTI_SF_ORG_IDS", fmt.Sprintf("%q is not a Salesforce org id (00D…, 15 or 18 characters)", id))
		}
	}
	if c.SFAdminCustomPermission == "" {
		c.SFAdminCustomPermission = defaultAdminCustomPermission
	}
	if !customPermissionName.MatchString(c.SFAdminCustomPermission) || len(c.SFAdminCustomPermission) > 80+17 {
		bad("ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION", fmt.Sprintf("%q is not a custom permission's API name (Setup → Custom Permissions → Name: letters, digits and single underscores, starting with a letter, e.g. Zoomcti_Admin; a namespaced one as ns__Name)", c.SFAdminCustomPermission))
	}
	if c.DefaultCountry == "" {
		c.DefaultCountry = "US"
	}
	if len(c.DefaultCountry) != 2 {
		bad("ZOOMCTI_DEFAULT_COUNTRY", "must be a two-letter country code such as US, GB or JP")
	}
	if len(c.FrameAncestors) == 0 {
		c.FrameAncestors = strings.Fields(defaultFrameAncestors)
	}
	for _, a := range c.FrameAncestors {
		// Each entry goes into the softphone's CSP as is: anything but a
		// plain host source could add directives of its own.
		if !isHostSource(a) {
			bad("ZOOMCTI_FRAME_ANCESTORS", fmt.Sprintf("%q is not a host source like https://*.force.com or https://host:port (scheme, host and port only; separate entries with spaces or commas)", a))
		}
	}
	if c.OpsToken != "" && len(c.OpsToken) < 16 {
		bad("ZOOMCTI_OPS_TOKEN", "must be at least 16 characters (try: openssl rand -hex 24)")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("ZOOMCTI_METRICS_ADDR", "must be HOST:PORT, e.g. 10.0.0.5:9090 (metrics are served there without a token)")
		} else if c.MetricsAddr == c.Addr {
			bad("ZOOMCTI_METRICS_ADDR", "must differ from ZOOMCTI_ADDR")
		}
	}
	if c.ReconcileEvery > 0 && c.ReconcileEvery < time.Minute {
		bad("ZOOMCTI_RECONCILE_EVERY", "must be at least 1m (each run reads every linked agent's call history)")
	}
	if c.WebhookWindow <= 0 {
		c.WebhookWindow = zoom.MaxWebhookAge
	}
	if c.Workers <= 0 {
		c.Workers = defaultWorkers
	}
	if c.BodyBudget == 0 {
		c.BodyBudget = defaultBodyBudgetMB << 20
	}
	if c.BodyBudget < 2<<20 {
		bad("ZOOMCTI_BODY_BUDGET_MB", "must be at least 2 (one webhook body is up to 1 MiB)")
	}
	if c.RateLimit == 0 {
		c.RateLimit = defaultRateLimit
	}
	if c.RateLimit < 0 {
		bad("ZOOMCTI_RATE_LIMIT", "must be a positive number of requests per minute")
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			bad("ZOOMCTI_TRUSTED_PROXIES", "must be IP addresses or CIDRs, comma-separated")
		}
	}
	return errors.Join(errs...)
}

// customPermissionName is a custom permission's API name, optionally with a
// namespace prefix: it starts with a letter and holds letters, digits and
// single underscores, none at the end (CustomPermission.DeveloperName, up to
// 80 characters; a namespace prefix is up to 15).
var customPermissionName = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*__)?[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$`)

// minWebhookSecret is the shortest webhook secret accepted.
const minWebhookSecret = 16

// degenerate reports whether key is one byte value repeated: an all-zero
// placeholder, never the output of a random generator.
func degenerate(key []byte) bool {
	for _, b := range key {
		if b != key[0] {
			return false
		}
	}
	return true
}

// isHostSource reports whether s is a CSP host source of the form
// scheme://host[:port], the host optionally starting with "*.": no path,
// no quotes, no separators, nothing that could end the directive.
func isHostSource(s string) bool {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "https" && scheme != "http") {
		return false
	}
	host, port, hasPort := strings.Cut(rest, ":")
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || strconv.Itoa(n) != port || n < 1 || n > 65535 {
			return false
		}
	}
	host = strings.TrimPrefix(host, "*.")
	if host == "" {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// Warnings are what a valid configuration may still get wrong in
// production; serve logs each at start. Call it after Validate.
func (c *Config) Warnings() []string {
	var warns []string
	if u, err := url.Parse(c.PublicURL); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		warns = append(warns, "ZOOMCTI_PUBLIC_URL is http:// on a host other than loopback: Salesforce frames the softphone and calls back only over https, so use an https URL (a TLS proxy in front)")
	}
	return warns
}

// isLoopback reports whether host (a name or an address) is this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultBodyBudgetMB and defaultRateLimit are ZOOMCTI_BODY_BUDGET_MB's
// and ZOOMCTI_RATE_LIMIT's defaults: 32 webhook bodies at most at once, and
// a few agents signing in behind one address at a time.
const (
	defaultBodyBudgetMB = 32
	defaultRateLimit    = 300
)

// parseAddrOrPrefix reads 10.0.0.1 as 10.0.0.1/32, and 10.0.0.0/8 as is.
func parseAddrOrPrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// LogValue is the redacted summary logged at start: never a secret.
func (c Config) LogValue() slog.Value {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	store := "embedded:" + c.StorePath
	if c.RedisURL != "" {
		store = "redis"
		if redisstore.IsClusterURL(c.RedisURL) {
			store = "redis cluster"
		}
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("public_url", c.PublicURL),
		slog.String("store", store),
		slog.String("sf_login_url", c.SFLoginURL),
		slog.String("sf_api_version", c.SFAPIVersion),
		slog.String("sf_client_id", set(c.SFClientID)),
		slog.String("zoom_client_id", set(c.ZoomClientID)),
		slog.String("zoom_webhook_secret", set(c.ZoomWebhookSecret)),
		slog.String("ops_token", set(c.OpsToken)),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Bool("demo", c.Demo),
	)
}
