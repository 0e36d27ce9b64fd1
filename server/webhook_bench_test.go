package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// BenchmarkWebhookIntake measures POST /webhooks/zoom alone: verify, dedupe,
// durable enqueue, 200 — on the embedded store, without workers.
func BenchmarkWebhookIntake(b *testing.B) {
	st, err := bolt.Open(filepath.Join(b.TempDir(), "intake.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := Config{Addr: "127.0.0.1:0", PublicURL: "http://zoomcti.test", ZoomWebhookSecret: testSecret,
		EncryptionKey: []byte("zoomcti-test-key-0123456789abcde"), StorePath: "unused", SFLoginURL: "http://sf.test",
		ZoomOAuthURL: "http://zoom.test", ZoomAPIURL: "http://zoom.test", SFAPIVersion: "67.0"}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	s, err := New(cfg, Deps{Store: st, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	zm := zoomsim.New(zoomsim.Options{})
	bodies := make([][]byte, 0, b.N)
	for range b.N {
		call, err := zm.Inbound(zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID})
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, call[0])
	}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(bodies[i], now, testSecret))
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("received")) {
			b.Fatalf("answer %d %s", w.Code, w.Body)
		}
	}
}
