package server

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/zoomcti/zoomcti/server/store"
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

// phoneCacheGets counts the phone cache's reads that reach the store, and
// can fail the first of them.
type phoneCacheGets struct {
	store.KV
	gets      atomic.Int64
	failFirst atomic.Bool
}

func (p *phoneCacheGets) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasPrefix(key, "phonecache:") {
		p.gets.Add(1)
		if p.failFirst.CompareAndSwap(true, false) {
			return nil, errors.New("store unreachable")
		}
	}
	return p.KV.Get(ctx, key)
}

// A ringing call's number is warmed (its phone cache entry read) while
// the engine loads the call; the lookup then takes that read instead of
// reading the store again, unless it failed or is from long ago.
func TestAWarmedLookupTakesTheReadAlreadyMade(t *testing.T) {
	const ada, stranger = "+12025550142", "+12025550111"
	tests := []struct {
		name      string
		number    string
		cached    bool          // looked up once before
		failWarm  bool          // the warmed read fails
		wait      time.Duration // between the warm and the lookup
		wantGets  int64
		wantAsked bool
	}{
		{name: "cached", number: ada, cached: true, wantGets: 1},
		{name: "not cached: one read, then Salesforce", number: stranger, wantGets: 1, wantAsked: true},
		{name: "the warmed read failed: read again", number: ada, cached: true, failWarm: true, wantGets: 2},
		{name: "warmed long ago: read again", number: ada, cached: true, wait: warmKeep + time.Second, wantGets: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			le := newLookupEnv(t)
			alice := *le.s.demoAgent
			if tc.cached {
				le.lookup(t, alice, tc.number)
			}
			kv := &phoneCacheGets{KV: le.s.crm.cfg.kv}
			kv.failFirst.Store(tc.failWarm)
			le.s.crm.cfg.kv = kv
			le.s.crm.WarmLookup(context.Background(), alice, tc.number)
			waitFor(t, 10*time.Second, func() bool { return kv.gets.Load() == 1 }, "the warmed read")
			le.tick(tc.wait)
			matches, asked := le.lookup(t, alice, tc.number)
			if got := kv.gets.Load(); got != tc.wantGets {
				t.Errorf("the phone cache was read %d times, want %d", got, tc.wantGets)
			}
			if asked != tc.wantAsked {
				t.Errorf("asked Salesforce: %v, want %v", asked, tc.wantAsked)
			}
			if (len(matches) > 0) != (tc.number == ada) {
				t.Errorf("%d matches for %s", len(matches), tc.number)
			}
			if n := le.s.crm.warming(); n != 0 {
				t.Errorf("%d warmed reads left after the lookup", n)
			}
		})
	}
}

// Warmed reads no lookup took (calls that needed none) are forgotten once
// they are old.
func TestWarmedReadsNoLookupTookAreForgotten(t *testing.T) {
	le := newLookupEnv(t)
	alice := *le.s.demoAgent
	for i := range warmFew {
		le.s.crm.WarmLookup(context.Background(), alice, fmt.Sprintf("+1202555%04d", i))
	}
	if n := le.s.crm.warming(); n != warmFew {
		t.Fatalf("%d warmed reads, want %d", n, warmFew)
	}
	le.tick(warmKeep + time.Second)
	le.s.crm.WarmLookup(context.Background(), alice, "+12025559999")
	if n := le.s.crm.warming(); n != 1 {
		t.Errorf("%d warmed reads after %v, want only the newest", n, warmKeep+time.Second)
	}
}

// warming is how many warmed reads wait for their FindByPhone.
func (c *crm) warming() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.warm)
}
