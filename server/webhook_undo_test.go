package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// enqueueFails is a store whose enqueues fail while fail is set. Every
// store method that makes the intake's event durable (Enqueue today; an
// atomic mark-and-enqueue when there is one) must be overridden here, so
// that the failure reaches the intake: an override missing shows as a 200
// below.
type enqueueFails struct {
	store.Store
	fail atomic.Bool
}

var errDiskFull = errors.New("disk full")

func (f *enqueueFails) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	if f.fail.Load() {
		return "", errDiskFull
	}
	return f.Store.Enqueue(ctx, queue, payload)
}

// EnqueueOnce fails like Enqueue, and otherwise reaches the real store's
// atomic mark-and-enqueue (asserted, so that this compiles before and after
// stores have one).
func (f *enqueueFails) EnqueueOnce(ctx context.Context, queue, dedupeKey string, ttl time.Duration, payload []byte) (string, bool, error) {
	if f.fail.Load() {
		return "", false, errDiskFull
	}
	once, ok := f.Store.(interface {
		EnqueueOnce(context.Context, string, string, time.Duration, []byte) (string, bool, error)
	})
	if !ok {
		return "", false, errors.New("the store has no EnqueueOnce")
	}
	return once.EnqueueOnce(ctx, queue, dedupeKey, ttl, payload)
}

// An event the intake could not store is not remembered as seen: Zoom gets
// a 5xx, and its retry of the same body is taken as new, not a duplicate.
func TestWebhookRetryAfterAFailedEnqueueIsNotADuplicate(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &enqueueFails{Store: st}
	s, err := New(testConfig(t, nil), Deps{Store: fs, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	body := fixture(t, "phone.callee_ringing")
	send := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, signedRequest(body, time.Now(), testSecret))
		return w
	}

	fs.fail.Store(true)
	if w := send(); w.Code < 500 {
		t.Fatalf("status %d while the store fails, want 5xx so that Zoom retries (body %s; does enqueueFails fail every write the intake uses?)", w.Code, w.Body)
	}
	if n := queued(t, st); n != 0 {
		t.Fatalf("%d events stored by a failed enqueue", n)
	}

	fs.fail.Store(false)
	w := send()
	var got struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK || got.Status != "received" {
		t.Fatalf("Zoom's retry: status %d, %s; want 200 received", w.Code, w.Body)
	}
	if n := queued(t, st); n != 1 {
		t.Fatalf("%d events stored after the retry, want 1", n)
	}
}
