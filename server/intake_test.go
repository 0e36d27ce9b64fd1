package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/server/store"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// errInjected is the failure faultStore hands out.
var errInjected = errors.New("injected store failure")

// faultStore is a real store whose writes can be made to fail, to see what
// the intake leaves behind when the store fails under it.
type faultStore struct {
	store.Store
	// failEnqueue makes every enqueue fail without writing anything.
	failEnqueue atomic.Bool
	// crashing, once armed with armCrash, lets commitsLeft writes through
	// and fails every later one: the process died after those commits, so
	// nothing it meant to do next (an enqueue, an undo) reaches the store.
	crashing    atomic.Bool
	commitsLeft atomic.Int32
}

func (f *faultStore) armCrash(commits int32) {
	f.commitsLeft.Store(commits)
	f.crashing.Store(true)
}

// restart brings the process back: writes work again.
func (f *faultStore) restart() {
	f.crashing.Store(false)
	f.failEnqueue.Store(false)
}

// write reports whether a write may go through.
func (f *faultStore) write() error {
	if f.crashing.Load() && f.commitsLeft.Add(-1) < 0 {
		return errInjected
	}
	return nil
}

func (f *faultStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := f.write(); err != nil {
		return false, err
	}
	return f.Store.SetNX(ctx, key, value, ttl)
}

func (f *faultStore) Delete(ctx context.Context, keys ...string) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.Store.Delete(ctx, keys...)
}

func (f *faultStore) Enqueue(ctx context.Context, queue string, payload []byte) (string, error) {
	if f.failEnqueue.Load() {
		return "", errInjected
	}
	if err := f.write(); err != nil {
		return "", err
	}
	return f.Store.Enqueue(ctx, queue, payload)
}

func (f *faultStore) Apply(ctx context.Context, txn store.Txn) ([]string, error) {
	if f.failEnqueue.Load() && len(txn.Enqueue) > 0 {
		return nil, errInjected
	}
	if err := f.write(); err != nil {
		return nil, err
	}
	return f.Store.Apply(ctx, txn)
}

// newFaultServer is newTestServer over a faultStore.
func newFaultServer(t *testing.T) (*Server, *faultStore) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &faultStore{Store: st}
	s, err := New(testConfig(t, nil), Deps{Store: f, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

// deliver posts body as Zoom would and returns the status and the reply's
// status field.
func deliver(t *testing.T, s *Server, body []byte) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, signedRequest(body, time.Now(), testSecret))
	var reply struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &reply)
	return w.Code, reply.Status
}

// TestIntakeSurvivesStoreFailures: whatever the store does to the first
// delivery of an event, Zoom's retry is stored (not taken for a duplicate)
// and the event is queued exactly once.
func TestIntakeSurvivesStoreFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault func(f *faultStore)
		// first is the status of the delivery that met the fault; 0 when
		// the process died and nobody answered (then Zoom retries too).
		first int
	}{
		{
			name:  "the enqueue fails: 5xx, nothing marked",
			fault: func(f *faultStore) { f.failEnqueue.Store(true) },
			first: http.StatusServiceUnavailable,
		},
		{
			// With a mark and an enqueue committed apart, the mark is the
			// one commit that lands and the event is lost: the retry is
			// answered "duplicate" and nothing is queued.
			name:  "the process dies after its first commit",
			fault: func(f *faultStore) { f.armCrash(1) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, f := newFaultServer(t)
			body := fixture(t, "phone.callee_ringing")

			tc.fault(f)
			code, _ := deliver(t, s, body)
			if tc.first != 0 && code != tc.first {
				t.Fatalf("delivery meeting the fault: status %d, want %d", code, tc.first)
			}
			f.restart()

			// Zoom retries until it gets a 200; only the first 200 may say
			// "received" unless the failed delivery was in fact stored.
			code, status := deliver(t, s, body)
			if code != http.StatusOK {
				t.Fatalf("retry: status %d, want 200", code)
			}
			if n := queued(t, f); n != 1 {
				t.Fatalf("after the retry (answered %q) %d events are queued, want 1", status, n)
			}
			if code, status := deliver(t, s, body); code != http.StatusOK || status != "duplicate" {
				t.Fatalf("redelivery after the retry: %d %q, want 200 duplicate", code, status)
			}
			if n := queued(t, f); n != 1 {
				t.Fatalf("after a redelivery %d events are queued, want 1", n)
			}
			job, err := f.Claim(context.Background(), ringQueue, time.Minute)
			if err != nil || job == nil {
				t.Fatalf("claim: %+v, %v", job, err)
			}
			got, err := decodeQueued(job.Payload)
			want, _ := zoom.Decode(body)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("queued event is not the delivered one: %+v, %v; want %+v", got, err, want)
			}
		})
	}
}
