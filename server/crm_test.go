package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store/bolt"
)

// lookupEnv is a server without workers over an emulated org, its demo
// agent signed in, with one clock for the server and its store that the
// test moves. apiCalls counts the org's data API requests.
type lookupEnv struct {
	s        *Server
	apiCalls atomic.Int64
	mu       sync.Mutex
	now      time.Time
}

func newLookupEnv(t *testing.T) *lookupEnv {
	t.Helper()
	le := &lookupEnv{now: time.Now()}
	org := sfsim.New(sfsim.Options{})
	sf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/services/data/") {
			le.apiCalls.Add(1)
		}
		org.ServeHTTP(w, r)
	}))
	t.Cleanup(sf.Close)
	clock := func() time.Time { le.mu.Lock(); defer le.mu.Unlock(); return le.now }
	st, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(testConfig(t, func(c *Config) { c.SFLoginURL = sf.URL }), Deps{Store: st, Clock: clock, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.linkDemoAgent(context.Background(), org, sf.URL); err != nil {
		t.Fatal(err)
	}
	le.s = s
	return le
}

func (le *lookupEnv) tick(d time.Duration) { le.mu.Lock(); le.now = le.now.Add(d); le.mu.Unlock() }

// lookup runs the engine's phone lookup as agent a and says whether it
// asked Salesforce.
func (le *lookupEnv) lookup(t *testing.T, a cti.Agent, number string) (matches []cti.Match, askedSalesforce bool) {
	t.Helper()
	before := le.apiCalls.Load()
	m, err := le.s.crm.FindByPhone(context.Background(), a, number)
	if err != nil {
		t.Fatalf("lookup of %s: %v", number, err)
	}
	le.s.crm.cached()
	return m, le.apiCalls.Load() > before
}

// Salesforce sharing rules differ between users of one org: a number one
// agent looked up is not answered from the cache for another. Here the
// other agent has no Salesforce access at all, so anything but "sign in"
// would be the first agent's records.
func TestPhoneLookupCacheIsPerAgent(t *testing.T) {
	le := newLookupEnv(t)
	alice := *le.s.demoAgent
	matches, _ := le.lookup(t, alice, "+12025550142")
	if len(matches) == 0 {
		t.Fatal("the demo agent found no record for Ada's number")
	}
	if _, asked := le.lookup(t, alice, "+12025550142"); asked {
		t.Fatal("the same agent's second lookup was not answered from the cache")
	}
	bob := cti.Agent{OrgID: alice.OrgID, UserID: "005BOBNOTSIGNEDIN"}
	got, err := le.s.crm.FindByPhone(context.Background(), bob, "+12025550142")
	if !errors.Is(err, cti.ErrSignedOut) {
		t.Fatalf("another agent of the org got %v (err %v), want ErrSignedOut: the first agent's cached records", got, err)
	}
}

// A "no match" is remembered for at most a minute (the record may be
// created meanwhile); a match for longer.
func TestPhoneLookupRemembersNoMatchForAMinute(t *testing.T) {
	tests := []struct {
		name      string
		number    string
		found     bool
		after     time.Duration
		wantAsked bool
	}{
		{"no match, just under a minute later", "+12025550111", false, 59 * time.Second, false},
		{"no match, just over a minute later", "+12025550111", false, 61 * time.Second, true},
		{"a match, just over a minute later", "+12025550142", true, 61 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			le := newLookupEnv(t)
			alice := *le.s.demoAgent
			matches, asked := le.lookup(t, alice, tc.number)
			if !asked || (len(matches) > 0) != tc.found {
				t.Fatalf("first lookup: %d matches, asked Salesforce %v", len(matches), asked)
			}
			le.tick(tc.after)
			if _, asked := le.lookup(t, alice, tc.number); asked != tc.wantAsked {
				t.Fatalf("lookup %v later asked Salesforce: %v, want %v", tc.after, asked, tc.wantAsked)
			}
		})
	}
}
