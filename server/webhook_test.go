package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

const (
	testSecret   = "test-webhook-secret"
	testOpsToken = "test-ops-token-0123456789"
)

// newTestServer builds a server over a fresh embedded store, without workers,
// so tests can look at exactly what the intake stored.
func newTestServer(t testing.TB, mod func(*Config)) (*Server, store.Store) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := testConfig(t, mod)
	s, err := New(cfg, Deps{Store: st, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.waitDelay = 200 * time.Millisecond
	return s, st
}

// testLogger discards the server's log, unless ZOOMCTI_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("ZOOMCTI_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is a valid configuration for tests, changed by mod.
func testConfig(t testing.TB, mod func(*Config)) Config {
	t.Helper()
	cfg := Config{
		Addr: "127.0.0.1:0", PublicURL: "http://zoomcti.test", ZoomWebhookSecret: testSecret,
		EncryptionKey: []byte("zoomcti-test-key-0123456789abcde"), StorePath: "unused", SFLoginURL: "http://sf.test",
		SFClientID: "sfsim-client-id", SFClientSecret: "sfsim-client-secret",
		OpsToken: testOpsToken,
		// Long enough for a member's answer to be handled while the
		// machine is loaded by other suites (Zoom's real spacing is 20 s).
		QueueSettle:  time.Second,
		ZoomOAuthURL: "http://zoom.test", ZoomAPIURL: "http://zoom.test", SFAPIVersion: "67.0",
	}
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "zoom", name+".json"))
	if err != nil {
		t.Fatalf("fixture %s: %v (is ../shared beside the checkout?)", name, err)
	}
	// Zoom sends compact JSON; the fixtures are indented for reading.
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func signedRequest(body []byte, ts time.Time, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/zoom", bytes.NewReader(body))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("x-zm-request-timestamp", stamp)
	r.Header.Set("x-zm-signature", zoom.Sign(secret, stamp, body))
	return r
}

func queued(t *testing.T, st store.Store) int {
	t.Helper()
	n := 0
	for _, q := range []string{ringQueue, eventQueue} {
		m, err := st.Len(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
	return n
}

func TestWebhookRejectsBadRequestsAndStoresNothing(t *testing.T) {
	ringing := func(t *testing.T) []byte { return fixture(t, "phone.callee_ringing") }
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
	}{
		{"wrong signature", func(t *testing.T) *http.Request {
			return signedRequest(ringing(t), time.Now(), "not-the-secret")
		}, http.StatusUnauthorized},
		{"missing signature", func(t *testing.T) *http.Request {
			r := signedRequest(ringing(t), time.Now(), testSecret)
			r.Header.Del("x-zm-signature")
			return r
		}, http.StatusUnauthorized},
		{"body changed after signing", func(t *testing.T) *http.Request {
			r := signedRequest(ringing(t), time.Now(), testSecret)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(ringing(t), []byte("+12025550142"), []byte("+12025550143"), 1)))
			return r
		}, http.StatusUnauthorized},
		{"timestamp older than Zoom's last retry", func(t *testing.T) *http.Request {
			return signedRequest(ringing(t), time.Now().Add(-91*time.Minute), testSecret)
		}, http.StatusUnauthorized},
		{"timestamp from the future", func(t *testing.T) *http.Request {
			return signedRequest(ringing(t), time.Now().Add(6*time.Minute), testSecret)
		}, http.StatusUnauthorized},
		{"missing timestamp", func(t *testing.T) *http.Request {
			r := signedRequest(ringing(t), time.Now(), testSecret)
			r.Header.Del("x-zm-request-timestamp")
			return r
		}, http.StatusUnauthorized},
		{"oversized body", func(t *testing.T) *http.Request {
			big := append([]byte(`{"event":"phone.callee_ringing","pad":"`), bytes.Repeat([]byte("x"), 1<<20)...)
			big = append(big, `"}`...)
			return signedRequest(big, time.Now(), testSecret)
		}, http.StatusRequestEntityTooLarge},
		{"malformed JSON, correctly signed", func(t *testing.T) *http.Request {
			return signedRequest([]byte(`{"event":"phone.callee_ringing",`), time.Now(), testSecret)
		}, http.StatusBadRequest},
		{"no event name", func(t *testing.T) *http.Request {
			return signedRequest([]byte(`{"payload":{}}`), time.Now(), testSecret)
		}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, st := newTestServer(t, nil)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, tc.req(t))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (body %s)", w.Code, tc.status, w.Body)
			}
			if n := queued(t, st); n != 0 {
				t.Fatalf("%d events stored, want none", n)
			}
		})
	}
}

func TestWebhookURLValidation(t *testing.T) {
	// Vector C of reference/zoom.md §1.4, computed over the fixture.
	s, st := newTestServer(t, func(c *Config) { c.ZoomWebhookSecret = "FAKE_webhook_secret_token_0001" })
	body := fixture(t, "endpoint.url_validation")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, signedRequest(body, time.Now(), "FAKE_webhook_secret_token_0001"))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"plainToken":     "FAKEplainToken-000001",
		"encryptedToken": "065334951173f1ceefb3a7e5d0459a521ecdf4cc12c72efe96814497e8675c57",
	}
	if got["plainToken"] != want["plainToken"] || got["encryptedToken"] != want["encryptedToken"] {
		t.Fatalf("got %v, want %v", got, want)
	}
	if n := queued(t, st); n != 0 {
		t.Fatalf("validation stored %d events", n)
	}
	// An unsigned challenge would make us an HMAC oracle: refused.
	r := signedRequest(body, time.Now(), "FAKE_webhook_secret_token_0001")
	r.Header.Del("x-zm-signature")
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("unsigned validation: status %d, want 401", w.Code)
	}
}

func TestWebhookStoresEachEventOnce(t *testing.T) {
	s, st := newTestServer(t, nil)
	h := s.Handler()
	body := fixture(t, "phone.callee_ringing")
	for i := range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(body, time.Now(), testSecret))
		if w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, w.Code)
		}
	}
	if n := queued(t, st); n != 1 {
		t.Fatalf("%d events stored for three deliveries, want 1", n)
	}
	// The stored job is the event as decoded once, ready for the worker.
	job, err := st.Claim(context.Background(), ringQueue, time.Minute)
	if err != nil || job == nil {
		t.Fatalf("claim: %v %v", job, err)
	}
	got, err := decodeQueued(job.Payload)
	want, _ := zoom.Decode(body)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("stored event differs: %+v, %v; want %+v", got, err, want)
	}
}

func TestWebhookAcknowledgesUnknownEventsWithoutStoring(t *testing.T) {
	s, st := newTestServer(t, nil)
	body := []byte(`{"event":"phone.device_registration","event_ts":1741104000300,"payload":{"account_id":"A","object":{}}}`)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, signedRequest(body, time.Now(), testSecret))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if n := queued(t, st); n != 0 {
		t.Fatalf("unknown event stored")
	}
	if got := testutil.ToFloat64(s.metrics.webhooks.WithLabelValues(whIgnored, labelOther)); got != 1 {
		t.Fatalf("unknown event counted %v times, want 1", got)
	}
}

// Every fixture Zoom can send is accepted: stored once, or acknowledged.
func TestWebhookAcceptsEveryFixture(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "shared", "fixtures", "zoom"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		t.Run(name, func(t *testing.T) {
			s, _ := newTestServer(t, nil)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, signedRequest(fixture(t, name), time.Now(), testSecret))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		})
	}
}

func TestWebhookStatusBodiesAreJSON(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		body         []byte
	}{{"received", "received", webhookReceived}, {"duplicate", "duplicate", webhookDuplicate}, {"ignored", "ignored", webhookIgnored}} {
		t.Run(tc.name, func(t *testing.T) {
			want := httptest.NewRecorder()
			writeJSON(want, http.StatusOK, map[string]string{"status": tc.status})
			got := httptest.NewRecorder()
			writeWebhookStatus(got, tc.body)
			if got.Code != want.Code || got.Body.String() != want.Body.String() ||
				got.Header().Get("Content-Type") != want.Header().Get("Content-Type") ||
				got.Header().Get("Cache-Control") != want.Header().Get("Cache-Control") {
				t.Errorf("answer %d %q %v, want %d %q %v", got.Code, got.Body, got.Header(), want.Code, want.Body, want.Header())
			}
		})
	}
}

// decodeQueued returns the event a queued job holds.
func decodeQueued(payload []byte) (cti.Event, error) {
	ev, _, err := decodeQueuedAt(payload)
	return ev, err
}
