package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Failure classifies a Salesforce failure by what the caller should do about it.
// A Failure is itself an error, so errors.Is(err, salesforce.KindNotFound)
// reports whether err is a Salesforce failure of that kind.
type Failure string

// The kinds of failure.
const (
	// KindInvalidSession: the access token was refused and refreshing it did
	// not help (or the refresh token was revoked). The user must sign in again.
	KindInvalidSession Failure = "invalid session"
	// KindRequestLimit: the org's API request limit is spent (403
	// REQUEST_LIMIT_EXCEEDED). Back off; retrying now only spends more.
	KindRequestLimit Failure = "request limit exceeded"
	// KindNotFound: no such record, or it was deleted.
	KindNotFound Failure = "not found"
	// KindInvalidField: a field name the org does not have or will not write.
	KindInvalidField Failure = "invalid field"
	// KindDuplicate: a duplicate rule or unique field refused the write.
	KindDuplicate Failure = "duplicate"
	// KindUnavailable: the org did not answer or answered 5xx, or a row was
	// locked; trying again later may work.
	KindUnavailable Failure = "unavailable"
	// KindInvalidInput: any other refusal of the request itself (4xx).
	KindInvalidInput Failure = "invalid input"
	// KindForbidden: the user lacks access to the object or field.
	KindForbidden Failure = "forbidden"
	// KindAPIDisabled: the org or the user may not use the API at all (403
	// API_DISABLED_FOR_ORG: the user's profile lacks "API Enabled", or the
	// edition has no API; API_CURRENTLY_DISABLED). Only an admin can fix it,
	// so it is told apart from KindForbidden: the agent needs that message,
	// and retrying or signing in again changes nothing.
	KindAPIDisabled Failure = "API disabled"
	// KindMissingScope: the token was granted without a scope the call needs
	// (MissingScope says which). Refreshing keeps the same grant, so only
	// signing in again after the admin selects the scope helps.
	KindMissingScope Failure = "missing scope"
)

func (k Failure) Error() string { return "salesforce: " + string(k) }

// Error is a failure reported by Salesforce (Status is the HTTP status, 0 for
// a per-record failure inside a collection) or a transport failure on the
// way to it (Code empty; the cause is available through errors.Unwrap).
type Error struct {
	Status  int
	Code    string // errorCode / statusCode, e.g. "INVALID_FIELD"; OAuth "error" for token failures
	Message string
	Fields  []string

	cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if len(e.Fields) > 0 {
		fmt.Fprintf(&b, " (fields %s)", strings.Join(e.Fields, ", "))
	}
	return b.String()
}

// Unwrap returns the transport failure behind a KindUnavailable error.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is the Kind of e.
func (e *Error) Is(target error) bool {
	k, ok := target.(Failure)
	return ok && k == e.Kind()
}

// Kind classifies e.
func (e *Error) Kind() Failure {
	switch {
	case e.cause != nil:
		return KindUnavailable
	case e.MissingScope() != "":
		return KindMissingScope
	case e.Status == http.StatusUnauthorized, e.Code == "INVALID_SESSION_ID", e.Code == "invalid_grant", e.Code == badOAuthToken:
		return KindInvalidSession
	case e.Code == "REQUEST_LIMIT_EXCEEDED":
		return KindRequestLimit
	case e.Code == "UNABLE_TO_LOCK_ROW", e.Status >= 500,
		e.Code == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY" && strings.Contains(e.Message, "UNABLE_TO_LOCK_ROW"):
		return KindUnavailable
	case e.Code == "DUPLICATES_DETECTED", e.Code == "DUPLICATE_VALUE":
		return KindDuplicate
	case e.Code == "INVALID_FIELD", e.Code == "INVALID_FIELD_FOR_INSERT_UPDATE":
		return KindInvalidField
	case e.Status == http.StatusNotFound, e.Code == "NOT_FOUND", e.Code == "ENTITY_IS_DELETED":
		return KindNotFound
	case e.Code == "API_DISABLED_FOR_ORG", e.Code == "API_CURRENTLY_DISABLED":
		return KindAPIDisabled
	case e.Status == http.StatusForbidden, strings.HasPrefix(e.Code, "INSUFFICIENT_ACCESS"):
		return KindForbidden
	}
	return KindInvalidInput
}

// notRESTSession is the data API's message for a token granted without the
// api scope (401 INVALID_SESSION_ID; Salesforce Help article 005226515).
const notRESTSession = "This session is not valid for use with the REST API"

// MissingScope names the OAuth scope whose absence from the token's grant
// made Salesforce refuse the call: "api" for the data API, "id" for the
// identity endpoints (which answer insufficient_scope). Otherwise "".
func (e *Error) MissingScope() string {
	switch {
	case e.Code == "INVALID_SESSION_ID" && strings.Contains(e.Message, notRESTSession):
		return "api"
	case e.Code == "insufficient_scope":
		return "id"
	}
	return ""
}

// apiError is one entry of an error body. Plain REST calls name the code
// errorCode; sObject Collections name it statusCode.
type apiError struct {
	Message    string   `json:"message"`
	ErrorCode  string   `json:"errorCode"`
	StatusCode string   `json:"statusCode"`
	Fields     []string `json:"fields"`

	// OAuth endpoints answer {error, error_description}.
	OAuthError       string `json:"error"`
	OAuthDescription string `json:"error_description"`
}

func (a apiError) toError(status int) *Error {
	e := &Error{Status: status, Code: a.ErrorCode, Message: a.Message, Fields: a.Fields}
	if e.Code == "" {
		e.Code = a.StatusCode
	}
	if e.Code == "" && a.OAuthError != "" {
		e.Code, e.Message = a.OAuthError, a.OAuthDescription
	}
	return e
}

// badOAuthToken is the plain-text body of the identity endpoints
// (userinfo, the identity URL) when they refuse a token: a 403, not the data
// API's 401 INVALID_SESSION_ID.
const badOAuthToken = "Bad_OAuth_Token"

// maxErrorBody bounds how much of an error body is read and kept.
const maxErrorBody = 64 << 10

// parseError reads a non-2xx response body in any of the shapes Salesforce
// uses: an array of {message, errorCode, fields}, a single such object, a
// collection-style {statusCode, message, fields}, OAuth's {error,
// error_description}, or plain text.
func parseError(status int, body []byte) *Error {
	body = bytes.TrimSpace(body)
	var list []apiError
	if json.Unmarshal(body, &list) == nil && len(list) > 0 {
		return list[0].toError(status)
	}
	var one apiError
	if json.Unmarshal(body, &one) == nil {
		if e := one.toError(status); e.Code != "" || e.Message != "" {
			return e
		}
	}
	msg := string(body)
	if msg == badOAuthToken {
		return &Error{Status: status, Code: badOAuthToken, Message: "access token refused"}
	}
	if len(msg) > 512 {
		msg = msg[:512]
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &Error{Status: status, Message: msg}
}

// transportError wraps a failure to get any answer from Salesforce.
func transportError(err error) *Error {
	return &Error{Message: err.Error(), cause: err}
}
