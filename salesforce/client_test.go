package salesforce

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// env is an emulated org and a Client signed in to it as the demo user.
type env struct {
	org    *sfsim.Org
	srv    *httptest.Server
	client *Client
	tokens TokenSource

	refresh string       // the demo user's refresh token
	saves   atomic.Int32 // refreshed tokens handed to save
	limits  atomic.Int64 // last OnLimit "used"
	limit   atomic.Int64 // last OnLimit "limit"
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, sfsim.Options{})
}

func newEnvWith(t testing.TB, opts sfsim.Options) *env {
	t.Helper()
	e := &env{org: sfsim.New(opts)}
	e.srv = httptest.NewServer(e.org)
	t.Cleanup(e.srv.Close)

	access, refresh := e.org.IssueToken(e.org.DemoUser().ID)
	e.refresh = refresh
	cfg := &oauth2.Config{
		ClientID:     "sfsim-client-id",
		ClientSecret: "sfsim-client-secret",
		Endpoint:     oauth2.Endpoint{TokenURL: e.srv.URL + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	save := func(ctx context.Context, tok *oauth2.Token) error {
		e.saves.Add(1)
		return nil
	}
	e.tokens = NewTokenSource(cfg, &oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}, save)
	e.client = New(Config{
		InstanceURL: e.srv.URL,
		HTTPClient:  e.srv.Client(),
		Tokens:      e.tokens,
		OnLimit:     func(used, limit int) { e.limits.Store(int64(used)); e.limit.Store(int64(limit)) },
		Retry:       RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond},
	})
	return e
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTaskLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	ada := findRecord(t, e.org, "Contact", "Name", "Ada Lovelace")

	id, err := e.client.Create(ctx, "Task", map[string]any{
		"Subject": "Inbound call from +12025550142", "Status": "Completed", "TaskSubtype": "Call", "Type": "Call",
		"CallType": "Inbound", "CallObject": "zoom-call-1", "CallDurationInSeconds": 65, "ActivityDate": "2026-03-12", "WhoId": ada,
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := e.client.Get(ctx, "Task", id, "Id", "Subject", "CallObject", "CallDurationInSeconds", "WhoId")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ID() != id || got.String("CallObject") != "zoom-call-1" || got.String("CallDurationInSeconds") != "65" || got.String("WhoId") != ada || got.Type() != "Task" {
		t.Errorf("Get = %v", got)
	}

	if err := e.client.Update(ctx, "Task", id, map[string]any{"Description": "asked for a quote", "CallDisposition": "Call Back Later"}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, err = e.client.Get(ctx, "Task", id)
	if err != nil {
		t.Fatalf("Get after update: %v", err)
	}
	if got.String("Description") != "asked for a quote" || got.String("Subject") != "Inbound call from +12025550142" {
		t.Errorf("after Update: Description %q Subject %q", got.String("Description"), got.String("Subject"))
	}

	if err := e.client.Delete(ctx, "Task", id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := e.client.Get(ctx, "Task", id); !errors.Is(err, KindNotFound) {
		t.Errorf("Get after Delete: err = %v, want kind not found", err)
	}
}

func TestCreateErrorsAreTyped(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	tests := []struct {
		name   string
		fields map[string]any
		kind   Failure
	}{
		{name: "unknown field", fields: map[string]any{"Subject": "x", "NoSuchField__c": 1}, kind: KindInvalidField},
		{name: "restricted picklist", fields: map[string]any{"Subject": "x", "CallType": "Sideways"}, kind: KindInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.Create(ctx, "Task", tt.fields)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Create err = %v, want kind %q", err, tt.kind)
			}
		})
	}
}

func TestRefreshOnceAfterExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.ExpireAccessTokens()

	recs, err := e.client.Query(ctx, "SELECT Id FROM Account")
	if err != nil {
		t.Fatalf("Query after expiry: %v", err)
	}
	if len(recs) == 0 {
		t.Error("Query after expiry returned no Accounts")
	}
	if n := e.saves.Load(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
	tok, err := e.tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != e.refresh {
		t.Error("the refresh token was lost although the refresh response carried none")
	}
	if InstanceURL(tok) != e.srv.URL {
		t.Errorf("instance_url = %q, want %q", InstanceURL(tok), e.srv.URL)
	}
}

func TestConcurrentCallsRefreshOnce(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.ExpireAccessTokens()

	const callers = 12
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := e.client.Query(ctx, "SELECT Id FROM Contact")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Query: %v", err)
		}
	}
	if n := e.saves.Load(); n != 1 {
		t.Errorf("refreshes = %d for %d concurrent callers, want 1", n, callers)
	}
}

func TestRevokedRefreshTokenIsInvalidSession(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	resp, err := e.srv.Client().PostForm(e.srv.URL+"/services/oauth2/revoke", url.Values{"token": {e.refresh}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %s", resp.Status)
	}

	_, err = e.client.Query(ctx, "SELECT Id FROM Account")
	if !errors.Is(err, KindInvalidSession) {
		t.Fatalf("Query with revoked grant: err = %v, want invalid session", err)
	}
	if e.saves.Load() != 0 {
		t.Error("a refused refresh was saved")
	}
}

func TestSecond401IsInvalidSession(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.InjectFaults(http.StatusUnauthorized, 2)

	_, err := e.client.Get(ctx, "Account", findRecord(t, e.org, "Account", "Name", "Globex Corporation"))
	if !errors.Is(err, KindInvalidSession) {
		t.Fatalf("err = %v, want invalid session", err)
	}
	if n := e.saves.Load(); n != 1 {
		t.Errorf("refreshes = %d, want exactly 1", n)
	}
}

func TestRequestLimitIsNotRetried(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.InjectFaults(http.StatusForbidden, 1)

	_, err := e.client.Create(ctx, "Task", map[string]any{"Subject": "Call"}, CreateOptions{Idempotent: true})
	if !errors.Is(err, KindRequestLimit) {
		t.Fatalf("err = %v, want request limit", err)
	}
	if n := len(e.org.Records("Task")); n != 0 {
		t.Errorf("Tasks = %d after a refused create, want 0 (the 403 was retried)", n)
	}
}

func TestUnavailableIsRetried(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.InjectFaults(http.StatusServiceUnavailable, 2)

	id, err := e.client.Create(ctx, "Task", map[string]any{"Subject": "Call", "CallObject": "zoom-call-503"})
	if err != nil {
		t.Fatalf("Create through two 503s: %v", err)
	}
	if tasks := e.org.Records("Task"); len(tasks) != 1 || tasks[0]["Id"] != id {
		t.Errorf("Tasks = %v, want exactly the one created", tasks)
	}

	e.org.InjectFaults(http.StatusServiceUnavailable, 3)
	if _, err := e.client.Get(ctx, "Task", id); !errors.Is(err, KindUnavailable) {
		t.Errorf("Get through three 503s with 3 attempts: err = %v, want unavailable", err)
	}
}

// A create whose answer never came may have been applied: it is retried only
// when the caller says the write is idempotent.
func TestCreateTimeoutRetriedOnlyWhenIdempotent(t *testing.T) {
	e := newEnv(t)
	var sent atomic.Int32
	e.client.http = &http.Client{
		Timeout:   50 * time.Millisecond,
		Transport: countingTransport{n: &sent, next: e.srv.Client().Transport},
	}
	ctx := testContext(t)
	if _, err := e.client.APIVersion(ctx); err != nil { // the free versions list is not what is counted
		t.Fatal(err)
	}
	sent.Store(0)
	e.org.SetLatency(300 * time.Millisecond)

	if _, err := e.client.Create(ctx, "Task", map[string]any{"Subject": "Call"}); !errors.Is(err, KindUnavailable) {
		t.Fatalf("Create with timeout: err = %v, want unavailable", err)
	}
	if n := sent.Swap(0); n != 1 {
		t.Errorf("plain create sent %d times, want 1", n)
	}
	if _, err := e.client.Create(ctx, "Task", map[string]any{"Subject": "Call"}, CreateOptions{Idempotent: true}); !errors.Is(err, KindUnavailable) {
		t.Fatalf("idempotent Create with timeout: err = %v, want unavailable", err)
	}
	if n := sent.Load(); n != 3 {
		t.Errorf("idempotent create sent %d times, want 3 (every attempt)", n)
	}
}

// countingTransport counts the requests that leave the client.
type countingTransport struct {
	n    *atomic.Int32
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestLimitsTracked(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	if got := e.limits.Load(); got != 0 {
		t.Errorf("OnLimit reported %d before any call", got)
	}
	for range 3 {
		if _, err := e.client.Query(ctx, "SELECT Id FROM Lead"); err != nil {
			t.Fatal(err)
		}
	}
	if used, limit := e.limits.Load(), e.limit.Load(); used != int64(e.org.APIRequests()) || limit != 15000 {
		t.Errorf("OnLimit last reported %d/%d, want %d/15000", used, limit, e.org.APIRequests())
	}
}

func TestUserInfo(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.org.ExpireAccessTokens() // userinfo refuses with 403 Bad_OAuth_Token, not 401

	u, err := e.client.UserInfo(ctx)
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	demo := e.org.DemoUser()
	want := UserInfo{UserID: demo.ID, OrgID: e.org.OrgID(), Username: demo.Username, Email: demo.Email, Name: demo.Name}
	if u != want {
		t.Errorf("UserInfo = %+v, want %+v", u, want)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	e := newEnv(t)
	e.client.retry = RetryPolicy{Attempts: 50, Base: time.Second, Max: time.Second}
	e.org.InjectFaults(http.StatusServiceUnavailable, 50)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.client.Query(ctx, "SELECT Id FROM Account")
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Query kept retrying %v after its context ended", waited)
	}
}

// findRecord returns the Id of the seeded record whose field equals value.
func findRecord(t *testing.T, org *sfsim.Org, sobject, field, value string) string {
	t.Helper()
	for _, r := range org.Records(sobject) {
		if s, _ := r[field].(string); strings.EqualFold(s, value) {
			return r["Id"].(string)
		}
	}
	t.Fatalf("no %s with %s %q in the emulated org", sobject, field, value)
	return ""
}
