// Package salesforce talks to one Salesforce org over the REST API on behalf
// of one user: records (Tasks for call logs), SOQL and SOSL, OpenID Connect
// userinfo, and the caller lookup that turns a phone number into Contacts,
// Leads and Accounts.
//
// A Client uses, with each org, the newest REST API version both the org
// and its configuration support, read from the org's free versions list and
// shared by all clients through a Versions (versions.go). It refreshes the
// user's access token once when Salesforce answers
// 401 INVALID_SESSION_ID, retries transient failures with capped exponential
// backoff, classifies every failure as a Kind, and reports the org's API
// usage from the Sforce-Limit-Info header of every response.
//
// The cti engine's requests (cti.CRM) are spoken here in cti's words: a
// cti.Task becomes a Task's fields (Client.CreateTask), a failure becomes
// the cti error the engine acts on (AsCTIError).
package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
)

// DefaultAPIVersion is the newest REST API version a Client uses when Config
// leaves it empty (Summer '26). Each org gets the newest version it serves up
// to that one (versions.go).
const DefaultAPIVersion = "67.0"

// Config configures a Client.
type Config struct {
	// InstanceURL is the org's API host, e.g. https://acme.my.salesforce.com.
	// A token carrying an "instance_url" extra field overrides it, as
	// Salesforce says to call the API on the instance the token came from.
	InstanceURL string
	// APIVersion is the newest REST API version to use ("67.0" when empty);
	// an org that serves only older ones gets its newest (versions.go).
	APIVersion string
	// Versions caches each org's versions list; share one among the clients
	// of all users. A client of its own when nil.
	Versions   *Versions
	HTTPClient *http.Client // a client with a 30 s timeout when nil
	Tokens     TokenSource  // required
	// OnLimit, when set, is called with the org's rolling 24-hour API usage
	// after every response that reports it.
	OnLimit func(used, limit int)
	Retry   RetryPolicy
	// Log receives what the caller should know but need not act on: Task
	// fields left out because the user may not write them. Discarded when
	// nil.
	Log *slog.Logger
}

// RetryPolicy bounds retries of transient failures. Each wait is
// cti.Backoff's: base doubled on each retry, at most Max, jittered.
type RetryPolicy struct {
	Attempts int           // total tries per request, first included; 3 when 0
	Base     time.Duration // 200 ms when 0
	Max      time.Duration // 5 s when 0
}

// Client is a Salesforce REST client for one user of one org. It is safe
// for concurrent use.
type Client struct {
	instanceURL string
	version     string
	http        *http.Client
	tokens      TokenSource
	onLimit     func(used, limit int)
	retry       RetryPolicy
	versions    *Versions
	log         *slog.Logger
	fields      fieldCache // the user's describes (describe.go)
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		instanceURL: strings.TrimRight(cfg.InstanceURL, "/"),
		version:     strings.TrimPrefix(cfg.APIVersion, "v"),
		http:        cfg.HTTPClient,
		tokens:      cfg.Tokens,
		onLimit:     cfg.OnLimit,
		retry:       cfg.Retry,
		versions:    cfg.Versions,
		log:         cfg.Log,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.versions == nil {
		c.versions = NewVersions(nil)
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.retry.Attempts <= 0 {
		c.retry.Attempts = 3
	}
	if c.retry.Base <= 0 {
		c.retry.Base = 200 * time.Millisecond
	}
	if c.retry.Max <= 0 {
		c.retry.Max = 5 * time.Second
	}
	return c
}

// request is one REST call.
type request struct {
	method string
	// path is relative to /services/data/vNN.0/ ("sobjects/Task/"), or
	// absolute from the instance root when it starts with "/".
	path  string
	query url.Values
	body  any
	// repeatable says the call may be sent again after a failure that leaves
	// unknown whether Salesforce applied it (a timeout, a 500). Reads,
	// updates and deletes are; creates are only when the caller says so.
	repeatable bool
}

// do sends req, refreshing the token once on 401 and retrying transient
// failures, and decodes a 2xx body into out (when out is not nil).
func (c *Client) do(ctx context.Context, req request, out any) error {
	if c.tokens == nil {
		return errors.New("client has no token source")
	}
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return err
	}
	refreshed, reread := false, false
	for attempt := 1; ; attempt++ {
		base := c.base(tok)
		ver := pathVersion(req.path)
		if !strings.HasPrefix(req.path, "/") {
			if ver, err = c.apiVersion(ctx, base, ""); err != nil {
				return err
			}
		}
		status, body, err := c.send(ctx, tok, req, c.url(base, ver, req.path), payload)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A failed dial never reached Salesforce, so even a create
			// may go again; any later failure leaves the outcome unknown.
			if attempt < c.retry.Attempts && (req.repeatable || isDialError(err)) {
				if err := c.backoff(ctx, attempt); err != nil {
					return err
				}
				continue
			}
			return transportError(err)
		}
		if status/100 == 2 {
			if out == nil || status == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("decode %s %s response: %w", req.method, req.path, err)
			}
			return nil
		}
		apiErr := parseError(status, body)
		if status == http.StatusNotFound && ver != "" && !reread {
			// The org answers a version it does not serve (any more) as
			// it answers a missing record: ask it which versions it
			// serves before calling the record missing.
			reread = true
			now, err := c.apiVersion(ctx, base, ver)
			if err != nil {
				return err
			}
			if now != ver {
				if strings.HasPrefix(req.path, "/") {
					return &VersionError{Instance: base, Reason: "the org no longer serves REST API version " + ver}
				}
				attempt-- // not a retry of a transient failure
				continue
			}
		}
		if apiErr.Kind() == KindInvalidSession && !refreshed {
			refreshed = true
			if tok, err = c.tokens.Refresh(ctx, tok); err != nil {
				return err
			}
			attempt-- // the refreshed retry is not a retry of a transient failure
			continue
		}
		if attempt < c.retry.Attempts && apiErr.Kind() == KindUnavailable && (req.repeatable || notApplied(apiErr)) {
			if err := c.backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return apiErr
	}
}

// send makes one HTTP exchange and returns the status and (bounded) body.
func (c *Client) send(ctx context.Context, tok *oauth2.Token, req request, u string, payload []byte) (int, []byte, error) {
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return 0, nil, err
	}
	hr.Header.Set("Accept", "application/json")
	if payload != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	tok.SetAuthHeader(hr)
	resp, err := c.http.Do(hr)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	c.noteLimits(resp.Header.Get("Sforce-Limit-Info"))
	limit := int64(maxResponseBody)
	if resp.StatusCode/100 != 2 {
		limit = maxErrorBody
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// maxResponseBody bounds a success body; a full 2,000-record query batch of
// wide records stays well under it.
const maxResponseBody = 64 << 20

// url resolves path against the instance base, a relative path under
// version.
func (c *Client) url(base, version, path string) string {
	if strings.HasPrefix(path, "/") {
		return base + path
	}
	return base + "/services/data/v" + version + "/" + path
}

// backoff sleeps before try number attempt+1, or returns early with the
// context's error.
func (c *Client) backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(cti.Backoff(attempt-1, c.retry.Base, c.retry.Max))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// noteLimits records the api-usage part of a Sforce-Limit-Info header.
func (c *Client) noteLimits(header string) {
	used, limit, ok := parseLimitInfo(header)
	if !ok {
		return
	}
	if c.onLimit != nil {
		c.onLimit(used, limit)
	}
}

// parseLimitInfo reads "api-usage=18/5000; api-bursts=1/750" and returns the
// api-usage pair.
func parseLimitInfo(header string) (used, limit int, ok bool) {
	for part := range strings.SplitSeq(header, ";") {
		key, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || strings.TrimSpace(key) != "api-usage" {
			continue
		}
		u, l, found := strings.Cut(val, "/")
		if !found {
			return 0, 0, false
		}
		if i := strings.IndexByte(l, '('); i >= 0 { // per-app-api-usage=17/250(appName=...)
			l = l[:i]
		}
		used, err1 := strconv.Atoi(strings.TrimSpace(u))
		limit, err2 := strconv.Atoi(strings.TrimSpace(l))
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		return used, limit, true
	}
	return 0, 0, false
}

// isDialError reports whether err happened before any byte reached the
// server, so the request cannot have been applied.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// notApplied reports whether a transient failure means Salesforce did not
// apply the request: a locked row (reported with a 4xx) rolls the write back,
// and 502/503 come from an instance that was unreachable or refused work.
func notApplied(e *Error) bool {
	return e.Status < 500 || e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable
}
