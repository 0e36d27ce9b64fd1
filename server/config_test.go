package server

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// testKeyB64 is a valid (not degenerate) ZOOMCTI_ENCRYPTION_KEY.
var testKeyB64 = base64.StdEncoding.EncodeToString([]byte("zoomcti-test-key-0123456789abcde"))

func TestConfigNamesTheBadVariable(t *testing.T) {
	key := testKeyB64
	good := map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "FAKE_zoom_secret_token", "ZOOMCTI_ENCRYPTION_KEY": key}
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string // "" = valid
	}{
		{"defaults with the two required secrets", nil, ""},
		{"no webhook secret", map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": ""}, "ZOOMCTI_ZOOM_WEBHOOK_SECRET"},
		{"no encryption key", map[string]string{"ZOOMCTI_ENCRYPTION_KEY": ""}, "ZOOMCTI_ENCRYPTION_KEY"},
		{"short encryption key", map[string]string{"ZOOMCTI_ENCRYPTION_KEY": "c2hvcnQ="}, "ZOOMCTI_ENCRYPTION_KEY"},
		{"bad address", map[string]string{"ZOOMCTI_ADDR": "8080"}, "ZOOMCTI_ADDR"},
		{"bad public URL", map[string]string{"ZOOMCTI_PUBLIC_URL": "zoomcti.example.com"}, "ZOOMCTI_PUBLIC_URL"},
		{"bad redis URL", map[string]string{"ZOOMCTI_REDIS_URL": "localhost:6379"}, "ZOOMCTI_REDIS_URL"},
		{"redis cluster URL", map[string]string{"ZOOMCTI_REDIS_URL": "redis+cluster://:pw@10.0.0.1:6379?addr=10.0.0.2:6379&addr=10.0.0.3:6379"}, ""},
		{"redis cluster URL with TLS", map[string]string{"ZOOMCTI_REDIS_URL": "rediss+cluster://10.0.0.1:6379"}, ""},
		{"redis cluster URL with a bad seed", map[string]string{"ZOOMCTI_REDIS_URL": "redis+cluster://10.0.0.1:6379?addr=10.0.0.2"}, "ZOOMCTI_REDIS_URL"},
		{"redis cluster URL with an unknown option", map[string]string{"ZOOMCTI_REDIS_URL": "redis+cluster://10.0.0.1:6379?db=2"}, "ZOOMCTI_REDIS_URL"},
		{"bad login URL", map[string]string{"ZOOMCTI_SF_LOGIN_URL": "login.salesforce.com"}, "ZOOMCTI_SF_LOGIN_URL"},
		{"bad origin", map[string]string{"ZOOMCTI_ALLOWED_ORIGINS": "https://a.example/path"}, "ZOOMCTI_ALLOWED_ORIGINS"},
		{"bad log level", map[string]string{"ZOOMCTI_LOG_LEVEL": "loud"}, "ZOOMCTI_LOG_LEVEL"},
		{"custom permission with a space", map[string]string{"ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION": "Zoomcti Admin"}, "ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION"},
		{"custom permission ending in _", map[string]string{"ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION": "Zoomcti_"}, "ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION"},
		{"custom permission quoting SOQL", map[string]string{"ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION": "x' OR Name != '"}, "ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION"},
		{"namespaced custom permission", map[string]string{"ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION": "zcti__Zoomcti_Admin"}, ""},
		{"embed URL without a scheme", map[string]string{"ZOOMCTI_ZOOM_EMBED_URL": "applications.zoom.us/integration/phone/embeddablephone/home"}, "ZOOMCTI_ZOOM_EMBED_URL"},
		{"embed URL adding a CSP directive", map[string]string{"ZOOMCTI_ZOOM_EMBED_URL": "https://applications.zoom.us;script-src *"}, "ZOOMCTI_ZOOM_EMBED_URL"},
		{"embed URL with a quote", map[string]string{"ZOOMCTI_ZOOM_EMBED_URL": "https://applications.zoom.us/'x"}, "ZOOMCTI_ZOOM_EMBED_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range good {
				m[k] = v
			}
			for k, v := range tc.set {
				m[k] = v
			}
			cfg, err := ConfigFromEnv(envOf(m))
			if err == nil {
				err = cfg.Validate()
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if cfg.Addr != "127.0.0.1:8080" || cfg.PublicURL != "http://127.0.0.1:8080" || cfg.SFLoginURL != "https://login.salesforce.com" {
					t.Fatalf("defaults: %+v", cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestConfigSummaryHasNoSecrets(t *testing.T) {
	key := testKeyB64
	cfg, err := ConfigFromEnv(envOf(map[string]string{
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "webhook-secret-value", "ZOOMCTI_ENCRYPTION_KEY": key,
		"ZOOMCTI_SF_CLIENT_SECRET": "sf-secret-value", "ZOOMCTI_REDIS_URL": "redis://:redis-password@h:6379/0",
		"ZOOMCTI_OPS_TOKEN": "ops-token-value-0123456789",
	}))
	if err != nil {
		t.Fatal(err)
	}
	summary := cfg.LogValue().String()
	for _, secret := range []string{"webhook-secret-value", "sf-secret-value", "redis-password", "ops-token-value-0123456789", key} {
		if strings.Contains(summary, secret) {
			t.Fatalf("summary leaks %q: %s", secret, summary)
		}
	}
}

func TestCallCenterDefinition(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.PublicURL = "https://cti.example.com" })
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/callcenter.xml", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") {
		t.Fatalf("status %d, type %s", w.Code, w.Header().Get("Content-Type"))
	}
	var cc callCenter
	if err := xml.Unmarshal(w.Body.Bytes(), &cc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for si, sec := range cc.Sections {
		if sec.SortOrder != si {
			t.Errorf("section %s sortOrder %d, want %d (no gaps)", sec.Name, sec.SortOrder, si)
		}
		for ii, it := range sec.Items {
			if it.SortOrder != ii {
				t.Errorf("item %s sortOrder %d, want %d", it.Name, it.SortOrder, ii)
			}
			got[sec.Name+"/"+it.Name] = it.Value
		}
	}
	want := map[string]string{
		"reqGeneralInfo/reqInternalName":                "ZoomPhoneCTI",
		"reqGeneralInfo/reqAdapterUrl":                  "https://cti.example.com/softphone",
		"reqGeneralInfo/reqUseApi":                      "true",
		"reqGeneralInfo/reqSoftphoneHeight":             "640",
		"reqGeneralInfo/reqSoftphoneWidth":              "400",
		"reqGeneralInfo/reqSalesforceCompatibilityMode": "Lightning",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if cc.Sections[0].Name != "reqGeneralInfo" || cc.Sections[0].Items[0].Name != "reqInternalName" || cc.Sections[0].Items[1].Name != "reqDisplayName" {
		t.Errorf("reqInternalName and reqDisplayName must be items 0 and 1 of reqGeneralInfo")
	}
}

func TestHealthAndSoftphoneHeaders(t *testing.T) {
	s, _ := newTestServer(t, nil)
	h := s.Handler()
	for _, path := range []string{"/healthz", "/readyz"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != 200 {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/softphone", nil))
	csp := w.Header().Get("Content-Security-Policy")
	if w.Code != 200 || !strings.Contains(csp, "frame-ancestors 'self' https://*.lightning.force.com") {
		t.Fatalf("softphone: %d, CSP %q", w.Code, csp)
	}
	// The page frames Zoom's Smart Embed, and nothing else.
	if !strings.Contains(csp, "frame-src https://applications.zoom.us;") {
		t.Errorf("softphone CSP %q does not allow exactly the Smart Embed's origin in frame-src", csp)
	}
	if !strings.Contains(w.Body.String(), `"embedURL":"https://applications.zoom.us/integration/phone/embeddablephone/home"`) {
		t.Errorf("the page does not get the Smart Embed URL: %s", w.Body.String())
	}
	if w.Header().Get("X-Frame-Options") != "" {
		t.Fatal("X-Frame-Options would stop Salesforce from framing the softphone")
	}
}

func TestSealedTokensAreBoundToTheirKey(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sealed := s.tokens.sealer.seal("sftoken:a", []byte("secret-token"))
	if bytes.Contains(sealed, []byte("secret-token")) {
		t.Fatal("token stored in clear")
	}
	if got, err := s.tokens.sealer.open("sftoken:a", sealed); err != nil || string(got) != "secret-token" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.tokens.sealer.open("sftoken:b", sealed); err == nil {
		t.Fatal("a sealed value opened under another key")
	}
}

// readmeVariables are the ZOOMCTI_ names of the README's configuration
// table (a row may name two, e.g. the client id and secret).
func readmeVariables(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no ## Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	name := regexp.MustCompile(`ZOOMCTI_[A-Z0-9_]+`)
	var names []string
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		names = append(names, name.FindAllString(cells[1], -1)...)
	}
	if len(names) < 20 {
		t.Fatalf("found only %d variables in the README's table: %v", len(names), names)
	}
	return names
}

// Every variable the README lists is read by ConfigFromEnv and lands in
// the Config; every ZOOMCTI_ variable it reads is in the README.
func TestConfigReadsEveryVariableTheREADMELists(t *testing.T) {
	key := []byte("readme-key-0123456789abcdefghij!")
	type variable struct {
		name  string
		value string
		lands func(c Config) bool
	}
	values := []variable{
		{"ZOOMCTI_ADDR", "127.0.0.2:9001", func(c Config) bool { return c.Addr == "127.0.0.2:9001" }},
		{"ZOOMCTI_PUBLIC_URL", "https://cti.readme.test", func(c Config) bool { return c.PublicURL == "https://cti.readme.test" }},
		{"ZOOMCTI_ZOOM_WEBHOOK_SECRET", "readme-webhook-secret-0", func(c Config) bool { return c.ZoomWebhookSecret == "readme-webhook-secret-0" }},
		{"ZOOMCTI_ZOOM_CLIENT_ID", "readme-zoom-client-id", func(c Config) bool { return c.ZoomClientID == "readme-zoom-client-id" }},
		{"ZOOMCTI_ZOOM_CLIENT_SECRET", "readme-zoom-client-secret", func(c Config) bool { return c.ZoomClientSecret == "readme-zoom-client-secret" }},
		{"ZOOMCTI_ZOOM_OAUTH_URL", "https://oauth.zoom.readme.test", func(c Config) bool { return c.ZoomOAuthURL == "https://oauth.zoom.readme.test" }},
		{"ZOOMCTI_ZOOM_API_URL", "https://api.zoom.readme.test", func(c Config) bool { return c.ZoomAPIURL == "https://api.zoom.readme.test" }},
		{"ZOOMCTI_ZOOM_EMBED_URL", "https://embed.zoom.readme.test/home", func(c Config) bool { return c.ZoomEmbedURL == "https://embed.zoom.readme.test/home" }},
		{"ZOOMCTI_SF_CLIENT_ID", "readme-sf-client-id", func(c Config) bool { return c.SFClientID == "readme-sf-client-id" }},
		{"ZOOMCTI_SF_CLIENT_SECRET", "readme-sf-client-secret", func(c Config) bool { return c.SFClientSecret == "readme-sf-client-secret" }},
		{"ZOOMCTI_SF_LOGIN_URL", "https://test.salesforce.com", func(c Config) bool { return c.SFLoginURL == "https://test.salesforce.com" }},
		{"ZOOMCTI_SF_API_VERSION", "66.0", func(c Config) bool { return c.SFAPIVersion == "66.0" }},
		{"ZOOMCTI_SF_ORG_IDS", "00D000000000001, 00D000000000002", func(c Config) bool {
			return slices.Equal(c.SFOrgIDs, []string{"00D000000000001", "00D000000000002"})
		}},
		{"ZOOMCTI_SF_ADMIN_CUSTOM_PERMISSION", "ReadMe_Admin", func(c Config) bool { return c.SFAdminCustomPermission == "ReadMe_Admin" }},
		{"ZOOMCTI_DEFAULT_COUNTRY", "gb", func(c Config) bool { return c.DefaultCountry == "GB" }},
		{"ZOOMCTI_STORE_PATH", "/var/lib/readme.db", func(c Config) bool { return c.StorePath == "/var/lib/readme.db" }},
		{"ZOOMCTI_REDIS_URL", "redis://redis.readme.test:6379/3", func(c Config) bool { return c.RedisURL == "redis://redis.readme.test:6379/3" }},
		{"ZOOMCTI_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(key), func(c Config) bool { return bytes.Equal(c.EncryptionKey, key) }},
		{"ZOOMCTI_ALLOWED_ORIGINS", "https://a.readme.test", func(c Config) bool { return slices.Equal(c.AllowedOrigins, []string{"https://a.readme.test"}) }},
		{"ZOOMCTI_FRAME_ANCESTORS", "https://*.readme.force.com", func(c Config) bool {
			return slices.Equal(c.FrameAncestors, []string{"https://*.readme.force.com"})
		}},
		{"ZOOMCTI_WORKERS", "13", func(c Config) bool { return c.Workers == 13 }},
		{"ZOOMCTI_OPS_TOKEN", "readme-ops-token-0123456789", func(c Config) bool { return c.OpsToken == "readme-ops-token-0123456789" }},
		{"ZOOMCTI_METRICS_ADDR", "10.0.0.5:9090", func(c Config) bool { return c.MetricsAddr == "10.0.0.5:9090" }},
		{"ZOOMCTI_RECONCILE_EVERY", "42m", func(c Config) bool { return c.ReconcileEvery == 42*time.Minute }},
		{"ZOOMCTI_LOG_LEVEL", "debug", func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
	}
	env := map[string]string{}
	for _, v := range values {
		env[v.name] = v.value
	}
	asked := map[string]bool{}
	cfg, err := ConfigFromEnv(func(name string) string {
		asked[name] = true
		return env[name]
	})
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("the test's values do not make a valid configuration: %v", err)
	}

	listed := map[string]bool{}
	for _, name := range readmeVariables(t) {
		listed[name] = true
		if !asked[name] {
			t.Errorf("%s is in the README but ConfigFromEnv never reads it", name)
		}
	}
	for _, v := range values {
		if listed[v.name] && !v.lands(cfg) {
			t.Errorf("%s=%q did not land in the Config", v.name, v.value)
		}
	}
	for name := range listed {
		if !slices.ContainsFunc(values, func(v variable) bool { return v.name == name }) {
			t.Logf("%s: read, but this test has no value to check it lands", name)
		}
	}
	for name := range asked {
		// VAR_FILE is documented once for every secret, above the table.
		if base, isFile := strings.CutSuffix(name, "_FILE"); isFile && listed[base] {
			continue
		}
		if strings.HasPrefix(name, "ZOOMCTI_") && !listed[name] {
			t.Errorf("ConfigFromEnv reads %s, which the README's configuration table does not list", name)
		}
	}
}

// Each secret may come from the file VAR_FILE names.
func TestConfigReadsSecretsFromFiles(t *testing.T) {
	key := []byte("file-key-0123456789abcdefghijkl!")
	tests := []struct {
		name  string
		value string
		lands func(c Config) bool
	}{
		{"ZOOMCTI_ZOOM_WEBHOOK_SECRET", "file-webhook-secret-00", func(c Config) bool { return c.ZoomWebhookSecret == "file-webhook-secret-00" }},
		{"ZOOMCTI_ZOOM_CLIENT_SECRET", "file-zoom-client-secret", func(c Config) bool { return c.ZoomClientSecret == "file-zoom-client-secret" }},
		{"ZOOMCTI_SF_CLIENT_SECRET", "file-sf-client-secret", func(c Config) bool { return c.SFClientSecret == "file-sf-client-secret" }},
		{"ZOOMCTI_REDIS_URL", "redis://:pw@redis.file.test:6379/0", func(c Config) bool { return c.RedisURL == "redis://:pw@redis.file.test:6379/0" }},
		{"ZOOMCTI_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(key), func(c Config) bool { return bytes.Equal(c.EncryptionKey, key) }},
		{"ZOOMCTI_OPS_TOKEN", "file-ops-token-0123456789", func(c Config) bool { return c.OpsToken == "file-ops-token-0123456789" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(f, []byte(tc.value+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := ConfigFromEnv(envOf(map[string]string{tc.name + "_FILE": f}))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.lands(cfg) {
				t.Fatalf("%s_FILE: the file's value did not land in the Config", tc.name)
			}
		})
	}
}

// A placeholder key or secret is refused, naming the variable.
func TestConfigRefusesWeakSecrets(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	oneOff := bytes.Repeat([]byte{0}, 32)
	oneOff[31] = 1
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string // "" = valid
	}{
		{"a Zoom-length secret and a random key", nil, ""},
		{"one-character webhook secret", map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "s"}, "ZOOMCTI_ZOOM_WEBHOOK_SECRET: too short (1 characters)"},
		{"15-character webhook secret", map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": strings.Repeat("a", 15)}, "ZOOMCTI_ZOOM_WEBHOOK_SECRET: too short"},
		{"16-character webhook secret", map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "0123456789abcdef"}, ""},
		{"all-zero key", map[string]string{"ZOOMCTI_ENCRYPTION_KEY": b64(make([]byte, 32))}, "ZOOMCTI_ENCRYPTION_KEY: is one byte value repeated"},
		{"all-0xff key", map[string]string{"ZOOMCTI_ENCRYPTION_KEY": b64(bytes.Repeat([]byte{0xff}, 32))}, "ZOOMCTI_ENCRYPTION_KEY: is one byte value repeated"},
		{"all-'A' key", map[string]string{"ZOOMCTI_ENCRYPTION_KEY": b64(bytes.Repeat([]byte("A"), 32))}, "ZOOMCTI_ENCRYPTION_KEY: is one byte value repeated"},
		{"key with one byte that differs", map[string]string{"ZOOMCTI_ENCRYPTION_KEY": b64(oneOff)}, ""},
		{"15-character ops token", map[string]string{"ZOOMCTI_OPS_TOKEN": strings.Repeat("o", 15)}, "ZOOMCTI_OPS_TOKEN"},
		{"metrics address without a port", map[string]string{"ZOOMCTI_METRICS_ADDR": "10.0.0.5"}, "ZOOMCTI_METRICS_ADDR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "FAKE_zoom_secret_token", "ZOOMCTI_ENCRYPTION_KEY": testKeyB64}
			maps.Copy(m, tc.set)
			cfg, err := ConfigFromEnv(envOf(m))
			if err == nil {
				err = cfg.Validate()
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// ZOOMCTI_FRAME_ANCESTORS goes into the softphone's CSP: only plain host
// sources are accepted.
func TestConfigFrameAncestors(t *testing.T) {
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"the default", "", true},
		{"a wildcard host", "https://*.force.com", true},
		{"a host and a port", "https://zoomcti.example.com:8443", true},
		{"loopback over http (the demo)", "http://127.0.0.1:8081", true},
		{"a list, commas and spaces", "https://a.force.com, https://*.my.salesforce.com", true},
		{"a directive injected after a semicolon", "https://x.force.com;script-src *", false},
		{"a bare wildcard", "*", false},
		{"a keyword", "'self'", false},
		{"a quote inside", `https://x"y.force.com`, false},
		{"no scheme", "x.force.com", false},
		{"a scheme only", "https:", false},
		{"another scheme", "javascript://x.force.com", false},
		{"a path", "https://x.force.com/path", false},
		{"a trailing slash", "https://x.force.com/", false},
		{"a wildcard alone as host", "https://*", false},
		{"a wildcard in the middle", "https://a.*.force.com", false},
		{"an empty label", "https://x..force.com", false},
		{"a port out of range", "https://x.force.com:65536", false},
		{"a port zero", "https://x.force.com:0", false},
		{"a non-numeric port", "https://x.force.com:https", false},
		{"user info", "https://u@x.force.com", false},
		{"a query", "https://x.force.com?a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(envOf(map[string]string{
				"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "FAKE_zoom_secret_token", "ZOOMCTI_ENCRYPTION_KEY": testKeyB64,
				"ZOOMCTI_FRAME_ANCESTORS": tc.value,
			}))
			if err == nil {
				err = cfg.Validate()
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "ZOOMCTI_FRAME_ANCESTORS") {
				t.Fatalf("error %v, want one naming ZOOMCTI_FRAME_ANCESTORS", err)
			}
		})
	}
	// Set directly (not split from the environment), whitespace and commas
	// inside one entry are refused too.
	for _, a := range []string{"https://x.force.com script-src", "https://x.force.com,https://y.force.com", "https://x.force.com\n"} {
		cfg := testConfig(t, nil)
		cfg.FrameAncestors = []string{a}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "ZOOMCTI_FRAME_ANCESTORS") {
			t.Errorf("%q: error %v, want one naming ZOOMCTI_FRAME_ANCESTORS", a, err)
		}
	}
}

// serve warns when Salesforce would be asked to reach us over plain http.
func TestConfigWarnings(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		addr      string
		warn      bool
	}{
		{"https", "https://zoomcti.example.com", "", false},
		{"http on a public name", "http://zoomcti.example.com", "", true},
		{"http on a public address", "http://203.0.113.7:8080", "", true},
		{"http on 127.0.0.1", "http://127.0.0.1:8080", "", false},
		{"http on localhost", "http://localhost:8080", "", false},
		{"http on ::1", "http://[::1]:8080", "", false},
		{"no public URL, listening on loopback", "", "127.0.0.1:8080", false},
		{"no public URL, listening everywhere", "", "0.0.0.0:8080", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{
				"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "FAKE_zoom_secret_token", "ZOOMCTI_ENCRYPTION_KEY": testKeyB64,
				"ZOOMCTI_PUBLIC_URL": tc.publicURL, "ZOOMCTI_ADDR": tc.addr,
			}
			cfg, err := ConfigFromEnv(envOf(m))
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Fatal(err)
			}
			warns := cfg.Warnings()
			if tc.warn != (len(warns) > 0) {
				t.Fatalf("warnings %q, want a warning: %v", warns, tc.warn)
			}
			for _, w := range warns {
				if !strings.Contains(w, "ZOOMCTI_PUBLIC_URL") || !strings.Contains(w, "https") {
					t.Fatalf("warning %q should name ZOOMCTI_PUBLIC_URL and say https", w)
				}
			}
		})
	}
}
