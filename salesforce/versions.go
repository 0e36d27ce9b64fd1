package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Each org serves the REST API versions of its release and the ones before
// it (GET /services/data/, reference §5.3: free, not counted against the
// limit). Orgs upgrade on Salesforce's schedule, not ours, so a version
// zoomcti was configured with may not exist yet on some org, and a request
// for a version the org does not serve is answered 404 NOT_FOUND "The
// requested resource does not exist" — the same answer as for a missing
// record. A Client therefore asks each org which versions it serves and uses
// the newest one both sides support, and it tells a vanished version from a
// missing record by asking again.

// MinAPIVersion is the oldest REST API version zoomcti can use: SOSL answers
// {searchRecords} from v36.0 on (a bare array before, reference §5.2).
const MinAPIVersion = "36.0"

// versionsTTL is how long an org's version list is trusted: orgs move to a
// new release about three times a year, and a list older than this is read
// again so an upgraded org gets the newer version.
const versionsTTL = 12 * time.Hour

// KindUnsupportedVersion: the org serves no REST API version zoomcti can
// use, or the version in use vanished and the org's list could not be read.
// It is an operator's or Salesforce's matter, never the record's: retrying
// later may work, rejecting the record would lose it.
const KindUnsupportedVersion Failure = "unsupported API version"

// VersionError says why no REST API version could be used with an org.
// errors.Is(err, KindUnsupportedVersion) holds for it.
type VersionError struct {
	Instance string
	Reason   string
}

func (e *VersionError) Error() string {
	return "salesforce: " + string(KindUnsupportedVersion) + " at " + e.Instance + ": " + e.Reason
}

// Is reports whether target is KindUnsupportedVersion.
func (e *VersionError) Is(target error) bool { return target == KindUnsupportedVersion }

// Versions remembers the REST API versions each org serves, by instance
// URL. One Versions is shared by the clients of every user of every org, so
// each org's list is read once. It is safe for concurrent use.
type Versions struct {
	now func() time.Time

	mu    sync.Mutex
	byURL map[string]*orgVersions
	// fieldSets are the describes' field sets, one per distinct set
	// (describe.go).
	fieldSets map[string]*fieldSet
}

// maxFieldSets bounds the distinct describes kept shared; past it the
// table starts over (the clients keep theirs).
const maxFieldSets = 10_000

// internFields returns the shared field set equal to set (of sobject),
// keeping set as that when there is none yet.
func (v *Versions) internFields(sobject string, set *fieldSet) *fieldSet {
	var key strings.Builder
	key.WriteString(sobject)
	for _, f := range set.fields {
		fmt.Fprintf(&key, "\x00%s\x01%s\x01%t%t", f.Name, f.Type, f.Createable, f.Updateable)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if shared, ok := v.fieldSets[key.String()]; ok {
		return shared
	}
	if v.fieldSets == nil || len(v.fieldSets) >= maxFieldSets {
		v.fieldSets = map[string]*fieldSet{}
	}
	v.fieldSets[key.String()] = set
	return set
}

// orgVersions is one org's list; its mutex is held while the list is read,
// so concurrent callers wait for one read.
type orgVersions struct {
	mu      sync.Mutex
	offered []string // ascending
	at      time.Time
}

// NewVersions returns an empty cache; now is the clock (time.Now when nil).
func NewVersions(now func() time.Time) *Versions {
	if now == nil {
		now = time.Now
	}
	return &Versions{now: now, byURL: map[string]*orgVersions{}}
}

func (v *Versions) entry(instance string) *orgVersions {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.byURL[instance]
	if !ok {
		e = &orgVersions{}
		v.byURL[instance] = e
	}
	return e
}

// apiVersion returns the version c uses with the org at instance: the
// newest the org serves that is not newer than c's configured one. stale,
// when not empty, is a version the org just answered 404 for: unless the
// list was read again since (and no longer has it), it is read again now.
func (c *Client) apiVersion(ctx context.Context, instance, stale string) (string, error) {
	e := c.versions.entry(instance)
	e.mu.Lock()
	defer e.mu.Unlock()
	fresh := !e.at.IsZero() && c.versions.now().Sub(e.at) < versionsTTL
	if fresh && (stale == "" || !slices.Contains(e.offered, stale)) {
		v, err := pickVersion(instance, e.offered, c.version)
		if err == nil {
			return v, nil
		}
		// An org too old a moment ago may have been upgraded since: the
		// list is free, so it is read again rather than trusted.
	}
	offered, err := c.readVersions(ctx, instance)
	if err != nil {
		return "", err
	}
	e.offered, e.at = offered, c.versions.now()
	return pickVersion(instance, e.offered, c.version)
}

// pickVersion chooses the newest of offered that is at most want and at
// least MinAPIVersion.
func pickVersion(instance string, offered []string, want string) (string, error) {
	w, m := versionNumber(want), versionNumber(MinAPIVersion)
	for _, v := range slices.Backward(offered) {
		if n := versionNumber(v); n <= w && n >= m {
			return v, nil
		}
		if versionNumber(v) < m {
			break
		}
	}
	newest := "none"
	if len(offered) > 0 {
		newest = offered[len(offered)-1]
	}
	return "", &VersionError{Instance: instance, Reason: fmt.Sprintf(
		"the org serves REST API versions up to %s; zoomcti needs one from %s to %s (ZOOMCTI_SF_API_VERSION)", newest, MinAPIVersion, want)}
}

// versionNumber reads "66.0"; anything else is 0.
func versionNumber(v string) float64 {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	return n
}

// readVersions reads GET /services/data/, retrying transient failures. It
// needs no token.
func (c *Client) readVersions(ctx context.Context, instance string) ([]string, error) {
	for attempt := 1; ; attempt++ {
		offered, err := c.readVersionsOnce(ctx, instance)
		if err == nil {
			return offered, nil
		}
		var e *Error
		ok := errors.As(err, &e)
		if !ok || e.Kind() != KindUnavailable || attempt >= c.retry.Attempts {
			if ok && e.Kind() != KindUnavailable {
				// A refusal of the list itself is no verdict on any record.
				return nil, &VersionError{Instance: instance, Reason: "cannot read the versions list: " + e.Error()}
			}
			return nil, err
		}
		if err := c.backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

func (c *Client) readVersionsOnce(ctx context.Context, instance string) ([]string, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, instance+"/services/data/", nil)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, transportError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, parseError(resp.StatusCode, b)
	}
	var list []struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, &VersionError{Instance: instance, Reason: "the versions list is not JSON: " + err.Error()}
	}
	var offered []string
	for _, v := range list {
		if versionNumber(v.Version) > 0 {
			offered = append(offered, v.Version)
		}
	}
	slices.SortFunc(offered, func(a, b string) int {
		switch x, y := versionNumber(a), versionNumber(b); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return offered, nil
}

// APIVersion returns the REST API version c uses with its org ("66.0"),
// reading the org's versions list when it is not known yet.
func (c *Client) APIVersion(ctx context.Context) (string, error) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return "", err
	}
	return c.apiVersion(ctx, c.base(tok), "")
}

// base is the instance the token belongs to.
func (c *Client) base(tok *oauth2.Token) string {
	if s := InstanceURL(tok); s != "" {
		return strings.TrimRight(s, "/")
	}
	return c.instanceURL
}

// pathVersion returns the version of an absolute data-API path
// ("/services/data/v66.0/query/01g-2000" → "66.0"), or "".
func pathVersion(path string) string {
	rest, ok := strings.CutPrefix(path, "/services/data/v")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "/")
	return v
}

// CheckAPIVersion reports whether v ("67.0") can be the newest version a
// Client uses: a version number no older than MinAPIVersion.
func CheckAPIVersion(v string) error {
	major, ok := strings.CutSuffix(strings.TrimPrefix(v, "v"), ".0")
	if n, err := strconv.Atoi(major); !ok || err != nil || n <= 0 {
		return fmt.Errorf("%q does not look like 67.0", v)
	}
	if versionNumber(strings.TrimPrefix(v, "v")) < versionNumber(MinAPIVersion) {
		return fmt.Errorf("%s is older than %s, the oldest zoomcti can use", v, MinAPIVersion)
	}
	return nil
}
