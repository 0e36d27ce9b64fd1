package server

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigNamesTheBadVariable(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	good := map[string]string{"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "s", "ZOOMCTI_ENCRYPTION_KEY": key}
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
		{"bad login URL", map[string]string{"ZOOMCTI_SF_LOGIN_URL": "login.salesforce.com"}, "ZOOMCTI_SF_LOGIN_URL"},
		{"bad origin", map[string]string{"ZOOMCTI_ALLOWED_ORIGINS": "https://a.example/path"}, "ZOOMCTI_ALLOWED_ORIGINS"},
		{"bad log level", map[string]string{"ZOOMCTI_LOG_LEVEL": "loud"}, "ZOOMCTI_LOG_LEVEL"},
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
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	cfg, err := ConfigFromEnv(envOf(map[string]string{
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": "webhook-secret-value", "ZOOMCTI_ENCRYPTION_KEY": key,
		"ZOOMCTI_SF_CLIENT_SECRET": "sf-secret-value", "ZOOMCTI_REDIS_URL": "redis://:redis-password@h:6379/0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	summary := cfg.LogValue().String()
	for _, secret := range []string{"webhook-secret-value", "sf-secret-value", "redis-password", key} {
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
	if w.Header().Get("X-Frame-Options") != "" {
		t.Fatal("X-Frame-Options would stop Salesforce from framing the softphone")
	}
}

func TestSealedTokensAreBoundToTheirKey(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sealed := s.sealer.seal("sftoken:a", []byte("secret-token"))
	if bytes.Contains(sealed, []byte("secret-token")) {
		t.Fatal("token stored in clear")
	}
	if got, err := s.sealer.open("sftoken:a", sealed); err != nil || string(got) != "secret-token" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.sealer.open("sftoken:b", sealed); err == nil {
		t.Fatal("a sealed value opened under another key")
	}
}
