package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Error
		kind   Failure
	}{
		{
			name: "array body", status: 400,
			body: `[{"message":"No such column 'Foo' on sobject of type Task","errorCode":"INVALID_FIELD","fields":["Foo"]}]`,
			want: Error{Status: 400, Code: "INVALID_FIELD", Message: "No such column 'Foo' on sobject of type Task", Fields: []string{"Foo"}},
			kind: KindInvalidField,
		},
		{
			name: "array without fields", status: 401,
			body: `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`,
			want: Error{Status: 401, Code: "INVALID_SESSION_ID", Message: "Session expired or invalid"},
			kind: KindInvalidSession,
		},
		{
			name: "collection shape", status: 400,
			body: `{"statusCode":"DUPLICATES_DETECTED","message":"Use one of these records?","fields":[]}`,
			want: Error{Status: 400, Code: "DUPLICATES_DETECTED", Message: "Use one of these records?", Fields: []string{}},
			kind: KindDuplicate,
		},
		{
			name: "request limit", status: 403,
			body: `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`,
			want: Error{Status: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded."},
			kind: KindRequestLimit,
		},
		{
			name: "forbidden", status: 403,
			body: `[{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]`,
			want: Error{Status: 403, Code: "INSUFFICIENT_ACCESS_OR_READONLY", Message: "insufficient access rights on object id"},
			kind: KindForbidden,
		},
		{
			name: "API disabled for the user", status: 403,
			body: `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]`,
			want: Error{Status: 403, Code: "API_DISABLED_FOR_ORG", Message: "The REST API is not enabled for this Organization."},
			kind: KindAPIDisabled,
		},
		{
			name: "API currently disabled", status: 403,
			body: `[{"message":"API is currently disabled","errorCode":"API_CURRENTLY_DISABLED"}]`,
			want: Error{Status: 403, Code: "API_CURRENTLY_DISABLED", Message: "API is currently disabled"},
			kind: KindAPIDisabled,
		},
		{
			name: "not found", status: 404,
			body: `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`,
			want: Error{Status: 404, Code: "NOT_FOUND", Message: "The requested resource does not exist"},
			kind: KindNotFound,
		},
		{
			name: "locked row", status: 400,
			body: `[{"errorCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record"}]`,
			want: Error{Status: 400, Code: "UNABLE_TO_LOCK_ROW", Message: "unable to obtain exclusive access to this record"},
			kind: KindUnavailable,
		},
		{
			name: "malformed query", status: 400,
			body: `[{"errorCode":"MALFORMED_QUERY","message":"unexpected token"}]`,
			want: Error{Status: 400, Code: "MALFORMED_QUERY", Message: "unexpected token"},
			kind: KindInvalidInput,
		},
		{
			name: "oauth error", status: 400,
			body: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`,
			want: Error{Status: 400, Code: "invalid_grant", Message: "expired access/refresh token"},
			kind: KindInvalidSession,
		},
		{
			name: "identity endpoint refusal", status: 403, body: "Bad_OAuth_Token",
			want: Error{Status: 403, Code: "Bad_OAuth_Token", Message: "access token refused"},
			kind: KindInvalidSession,
		},
		{
			name: "plain text 503", status: 503, body: "Service Unavailable\n",
			want: Error{Status: 503, Message: "Service Unavailable"},
			kind: KindUnavailable,
		},
		{
			name: "empty 500", status: 500, body: "",
			want: Error{Status: 500, Message: "Internal Server Error"},
			kind: KindUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseError(tt.status, []byte(tt.body))
			if got.Status != tt.want.Status || got.Code != tt.want.Code || got.Message != tt.want.Message || !slices.Equal(got.Fields, tt.want.Fields) {
				t.Errorf("parseError = %+v, want %+v", *got, tt.want)
			}
			if got.Kind() != tt.kind {
				t.Errorf("Kind() = %q, want %q", got.Kind(), tt.kind)
			}
			wrapped := fmt.Errorf("salesforce: create task: %w", got)
			if !errors.Is(wrapped, tt.kind) {
				t.Errorf("wrapped error does not report kind %q", tt.kind)
			}
		})
	}
}

func TestTransportErrorIsUnavailable(t *testing.T) {
	cause := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	err := fmt.Errorf("salesforce: query: %w", transportError(cause))
	if !errors.Is(err, KindUnavailable) {
		t.Errorf("transport error %v is not unavailable", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Error("transport error hides its cause")
	}
	if errors.Is(context.Canceled, KindUnavailable) {
		t.Error("a non-Salesforce error has a Salesforce kind")
	}
	if errors.Is(err, KindInvalidSession) {
		t.Error("a transport failure reports an invalid session")
	}
}

func TestParseLimitInfo(t *testing.T) {
	tests := []struct {
		name        string
		header      string
		used, limit int
		ok          bool
	}{
		{name: "plain", header: "api-usage=18/5000", used: 18, limit: 5000, ok: true},
		{name: "with bursts", header: "api-usage=25/15000; api-bursts=1/750", used: 25, limit: 15000, ok: true},
		{name: "usage last", header: "per-app-api-usage=17/250(appName=zoomcti);api-usage=30/5000", used: 30, limit: 5000, ok: true},
		{name: "absent", header: "", ok: false},
		{name: "only per app", header: "per-app-api-usage=17/250(appName=zoomcti)", ok: false},
		{name: "garbage", header: "api-usage=lots", ok: false},
		{name: "non numeric", header: "api-usage=a/b", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used, limit, ok := parseLimitInfo(tt.header)
			if used != tt.used || limit != tt.limit || ok != tt.ok {
				t.Errorf("parseLimitInfo(%q) = %d, %d, %v; want %d, %d, %v", tt.header, used, limit, ok, tt.used, tt.limit, tt.ok)
			}
		})
	}
}
