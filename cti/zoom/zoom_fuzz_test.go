package zoom

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzFixtures adds every shared webhook fixture to f through add.
func fuzzFixtures(f *testing.F, add func(body []byte)) {
	f.Helper()
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		f.Fatalf("fixtures: %v (is ../shared beside the checkout?)", err)
	}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(fixturesDir, e.Name())); err == nil {
			add(b)
		}
	}
}

// FuzzVerify checks the signature rule both ways: the signature Sign
// computes verifies, and a signature that is not exactly that string (case,
// prefix, a flipped digit, another timestamp) never does.
func FuzzVerify(f *testing.F) {
	const secret = "fuzz-webhook-secret-0123456789"
	fuzzFixtures(f, func(b []byte) {
		f.Add(secret, "1735689600", b, Sign(secret, "1735689600", b))
		f.Add(secret, "1735689600", b, strings.ToUpper(Sign(secret, "1735689600", b)))
	})
	f.Add("", "", []byte{}, "v0=")
	f.Add("s", "1", []byte("x"), "v0=zz")
	f.Fuzz(func(t *testing.T, secret, ts string, body []byte, sig string) {
		good := Sign(secret, ts, body)
		if !Verify(secret, ts, body, good) {
			t.Fatalf("Sign's own signature %q does not verify", good)
		}
		if Verify(secret, ts, body, sig) != (sig == good) {
			t.Fatalf("Verify(%q) = %v, but the signature is %q", sig, !(sig == good), good)
		}
		if ts != ts+"0" && Verify(secret, ts+"0", body, good) {
			t.Fatal("a signature verified under another timestamp")
		}
	})
}

// FuzzCheckTimestamp accepts exactly the plain decimal Unix times within the
// window of now, and never panics on what a client sends in the header.
func FuzzCheckTimestamp(f *testing.F) {
	now := time.Unix(1735689600, 0)
	for _, s := range []string{"1735689600", "1735684200", "1735684199", "1735689900", "1735689901", "", "+1735689600", "-1", "0", "99999999999999999999", "1735689600.0", " 1735689600", "0x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ts string) {
		err := CheckTimestamp(ts, now, 90*time.Minute, 5*time.Minute)
		secs, perr := strconv.ParseInt(ts, 10, 64)
		plain := perr == nil && secs >= 0 && ts != "" && ts[0] != '+'
		switch {
		case err == nil:
			if !plain || secs < now.Unix()-5400 || secs > now.Unix()+300 {
				t.Fatalf("CheckTimestamp(%q) accepted a time outside the window", ts)
			}
		case errors.Is(err, ErrBadTimestamp):
			if plain {
				t.Fatalf("CheckTimestamp(%q) = %v for a plain number", ts, err)
			}
		case errors.Is(err, ErrStaleTimestamp):
			if !plain || (secs >= now.Unix()-5400 && secs <= now.Unix()+300) {
				t.Fatalf("CheckTimestamp(%q) = %v", ts, err)
			}
		default:
			t.Fatalf("CheckTimestamp(%q) = %v: neither bad nor stale", ts, err)
		}
	})
}

// cannedZoom answers every request with one status, Retry-After and body.
type cannedZoom struct {
	status     int
	retryAfter string
	body       []byte
}

func (c cannedZoom) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if c.retryAfter != "" {
		h.Set("Retry-After", c.retryAfter)
	}
	return &http.Response{StatusCode: c.status, Header: h, Request: r, Body: io.NopCloser(strings.NewReader(string(c.body)))}, nil
}

// FuzzRESTResponses feeds one canned answer to users/me and to the call
// history listing: a user or records come back, or an error, never a panic
// and never an endless page loop.
func FuzzRESTResponses(f *testing.F) {
	f.Add(200, "", []byte(`{"id":"FAKEuserAlice00000001","email":"alice@example.com","first_name":"Alice","last_name":"A","account_id":"FAKEacct0000000000001","type":1,"status":"active"}`))
	f.Add(200, "", []byte(`{"call_logs":[{"id":"a","call_id":"7400000000000000001","direction":"inbound","start_time":"2026-01-01T10:00:00Z","end_time":"2026-01-01T10:05:00Z","duration":300,"caller_did_number":"+12025550142","callee_ext_number":"1001"}],"next_page_token":""}`))
	f.Add(200, "", []byte(`{"call_logs":[],"next_page_token":"abc"}`))
	f.Add(200, "", []byte(`{"call_logs":[{"duration":"12","talk_time":1e400}]}`))
	f.Add(401, "", []byte(`{"code":124,"message":"Invalid access token."}`))
	f.Add(429, "2026-01-01T00:00:00Z", []byte(`{"code":429,"message":"You have reached the maximum per-second rate limit"}`))
	f.Add(400, "", []byte(`{"reason":"Invalid Token!","error":"invalid_request"}`))
	f.Add(200, "", []byte(`not json`))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c := NewClient("https://api.zoom.test/v2", &http.Client{Transport: cannedZoom{status, retryAfter, body}})
		c.MaxRetries = 0
		ctx := context.Background()
		if u, err := c.Me(ctx); err == nil && u == nil {
			t.Fatal("Me returned neither a user nor an error")
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		recs, err := c.CallHistory(ctx, "me", from, from.Add(24*time.Hour))
		if err == nil {
			for _, r := range recs {
				_ = r.CallID
			}
		}
		_ = parseRetryAfter(retryAfter, from)
	})
}
