package salesforce

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// Fuzz targets for everything Salesforce can send back. The escaping of
// SOSL and SOQL literals is fuzzed in escape_test.go.

// FuzzParseError reads any error body at any status: never a panic, always
// an *Error with the status, and a bounded message.
func FuzzParseError(f *testing.F) {
	f.Add(401, []byte(`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`))
	f.Add(400, []byte(`[{"message":"No such column","errorCode":"INVALID_FIELD","fields":["Foo__c"]}]`))
	f.Add(400, []byte(`{"error":"invalid_grant","error_description":"expired access/refresh token"}`))
	f.Add(400, []byte(`{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing","fields":["Subject"]}`))
	f.Add(403, []byte("Bad_OAuth_Token"))
	f.Add(403, []byte(`[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`))
	f.Add(503, []byte("<html>Service Unavailable</html>"))
	f.Add(500, []byte(""))
	f.Add(400, []byte(`[]`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError(status, body)
		if e == nil {
			t.Fatal("parseError returned nil")
		}
		if e.Status != status {
			t.Fatalf("status %d became %d", status, e.Status)
		}
		_ = e.Error()
		_ = e.Kind()
	})
}

// FuzzParseLimitInfo reads any Sforce-Limit-Info header without panicking;
// what it reports is the api-usage pair and nothing else.
func FuzzParseLimitInfo(f *testing.F) {
	for _, s := range []string{"api-usage=18/5000", "api-usage=18/5000; api-bursts=1/750", "per-app-api-usage=17/250(appName=x)", "api-usage=", "api-usage=/", "api-usage=1/2(", ";;", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		used, limit, ok := parseLimitInfo(h)
		if !ok && (used != 0 || limit != 0) {
			t.Fatalf("parseLimitInfo(%q) = %d, %d, false: values without ok", h, used, limit)
		}
		if ok && !strings.Contains(h, "api-usage") {
			t.Fatalf("parseLimitInfo(%q) ok without api-usage", h)
		}
	})
}

// fuzzTokens is a TokenSource that never refreshes to anything new.
type fuzzTokens struct{}

func (fuzzTokens) Token(context.Context) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: "00Dfuzz!token"}, nil
}

func (fuzzTokens) Refresh(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
	return fuzzTokens{}.Token(ctx)
}

// cannedTransport answers every request with one status, header and body,
// so the fuzzer reaches the client's parsers without a network.
type cannedTransport struct {
	status int
	limit  string
	body   []byte
}

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if c.limit != "" {
		h.Set("Sforce-Limit-Info", c.limit)
	}
	return &http.Response{
		StatusCode: c.status, Header: h, Request: r,
		Body: io.NopCloser(strings.NewReader(string(c.body))),
	}, nil
}

func fuzzClient(status int, limit string, body []byte) *Client {
	if status < 100 || status > 999 {
		status = 200
	}
	return New(Config{
		InstanceURL: "https://fuzz.my.salesforce.test",
		HTTPClient:  &http.Client{Transport: cannedTransport{status: status, limit: limit, body: body}},
		Tokens:      fuzzTokens{},
		Retry:       RetryPolicy{Attempts: 1},
	})
}

// FuzzResponses feeds one canned response to Query, Search and UserInfo:
// each either returns a result or an error and never panics. (A canned
// page that points on is fetched twice, then Query sees it point at itself
// and stops.)
func FuzzResponses(f *testing.F) {
	f.Add(200, "api-usage=18/5000", []byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/x"},"Id":"003000000000001","Name":"Ada","Phone":"(202) 555-0142"}]}`))
	f.Add(200, "", []byte(`{"searchRecords":[{"attributes":{"type":"Lead"},"Id":"00Q000000000001","Name":"Bob"}]}`))
	f.Add(200, "", []byte(`[{"attributes":{"type":"Account"},"Id":"001000000000001"}]`))
	f.Add(200, "", []byte(`{"user_id":"005000000000001","organization_id":"00D000000000001","preferred_username":"ada@example.com","email":"ada@example.com","name":"Ada"}`))
	f.Add(200, "", []byte(`{"done":false,"nextRecordsUrl":"/services/data/v67.0/query/01g-2000","records":[]}`))
	f.Add(401, "", []byte(`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`))
	f.Add(204, "", []byte(``))
	f.Add(200, "api-usage=x/y", []byte(`{"records":[{"Id":12,"Name":{"a":1}}]}`))
	f.Fuzz(func(t *testing.T, status int, limit string, body []byte) {
		ctx := context.Background()
		c := fuzzClient(status, limit, body)
		if recs, err := c.Query(ctx, "SELECT Id FROM Contact"); err == nil {
			for _, r := range recs {
				_, _, _ = r.Type(), r.ID(), r.String("Name")
			}
		}
		if recs, err := c.Search(ctx, "FIND {x} IN PHONE FIELDS"); err == nil {
			for _, r := range recs {
				_, _ = r.Type(), r.ID()
			}
		}
		if u, err := c.UserInfo(ctx); err == nil && (u.UserID == "" || u.OrgID == "") {
			t.Fatalf("UserInfo accepted %q without user or org", body)
		}
	})
}

// FuzzRecordsQuery holds the record picker's SOSL to keeping the input
// inside the braces: reading the FIND term with SOSL's escapes, the first
// unescaped "}" is the one the builder put there, and the words come back
// as typed, each with the builder's prefix wildcard.
func FuzzRecordsQuery(f *testing.F) {
	for _, q := range []string{"Ada", "Ada Lovelace", "} RETURNING User(Id) {", `\`, `a\}`, "O'Brien & co", "x OR y", "日本 語", "\xff*?"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		returning := []string{"Contact(Id, Name LIMIT 10)"}
		sosl := recordSearchSOSL(q, "NAME", returning)
		rest, ok := strings.CutPrefix(sosl, "FIND {")
		if !ok {
			t.Fatalf("%q does not start with FIND {", sosl)
		}
		var term strings.Builder
		end := -1
		for i := 0; i < len(rest); i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				term.WriteByte(rest[i+1])
				i++
				continue
			}
			if rest[i] == '}' {
				end = i
				break
			}
			term.WriteByte(rest[i])
		}
		if end < 0 || rest[end:] != "} IN NAME FIELDS RETURNING "+returning[0] {
			t.Fatalf("input %q leaves the braces: %q", q, sosl)
		}
		var want []string
		for _, wd := range strings.Fields(q) {
			want = append(want, wd+"*")
		}
		if got := term.String(); got != strings.Join(want, " AND ") {
			t.Fatalf("term of %q reads %q", sosl, got)
		}
	})
}
