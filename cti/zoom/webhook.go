// Package zoom connects zoomcti to Zoom Phone: it verifies and decodes Zoom
// webhook deliveries into normalized cti.Events, and calls the Zoom REST API
// (users, call history) on behalf of an agent who authorized the app with
// OAuth. It imports nothing of this module but cti.
package zoom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Header names of a Zoom webhook delivery. Zoom sends them lower-case;
// http.Header.Get canonicalizes, so these work with either spelling.
const (
	HeaderSignature  = "x-zm-signature"
	HeaderTimestamp  = "x-zm-request-timestamp"
	HeaderTrackingID = "x-zm-trackingid"
	HeaderClientID   = "clientid"
)

// EventURLValidation is the challenge Zoom sends when an endpoint is added
// and every 72 hours after; it must be answered with ValidationResponse.
const EventURLValidation = "endpoint.url_validation"

// signaturePrefix is the scheme version Zoom puts in front of the hex digest.
const signaturePrefix = "v0="

// Sign returns the x-zm-signature value Zoom computes for a delivery:
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)).
func Sign(secret, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

// Verify reports whether signature is the x-zm-signature of body. The body
// must be the raw request bytes: re-serializing parsed JSON changes escapes
// and breaks the digest on non-ASCII content. The comparison is constant
// time, and an upper-case or prefix-less signature is rejected, as Zoom
// always sends "v0=" and lower-case hex.
func Verify(secret, timestamp string, body []byte, signature string) bool {
	if len(signature) <= len(signaturePrefix) || signature[:len(signaturePrefix)] != signaturePrefix {
		return false
	}
	got, err := hex.DecodeString(signature[len(signaturePrefix):])
	if err != nil {
		return false
	}
	// hex.DecodeString accepts upper case too; insist on the canonical
	// spelling so exactly one string verifies.
	if hex.EncodeToString(got) != signature[len(signaturePrefix):] {
		return false
	}
	return hmac.Equal(got, mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("v0:"))
	h.Write([]byte(timestamp))
	h.Write([]byte(":"))
	h.Write(body)
	return h.Sum(nil)
}

// ErrStaleTimestamp is returned by CheckTimestamp for a timestamp outside
// the accepted window: a replayed or badly delayed delivery.
var ErrStaleTimestamp = errors.New("zoom: request timestamp outside the accepted window")

// ErrBadTimestamp is returned by CheckTimestamp for a missing or
// non-numeric x-zm-request-timestamp.
var ErrBadTimestamp = errors.New("zoom: malformed request timestamp")

// Zoom retries an unacknowledged event 5, 20 and 60 minutes apart: the
// last retry comes 85 minutes after the first attempt (reference/zoom.md
// §1.6). Whether a retry is signed again with a fresh
// x-zm-request-timestamp is UNCONFIRMED, so a receiver that must take
// retries carrying the original timestamp accepts one up to MaxWebhookAge
// old: the last retry plus five minutes of clock skew and delay.
const (
	LastRetry     = 85 * time.Minute
	MaxWebhookAge = LastRetry + 5*time.Minute
	// MaxClockSkew is how far in the future a timestamp may be: the
	// sender's clock may run ahead of ours, but never by an hour.
	MaxClockSkew = 5 * time.Minute
)

// CheckTimestamp checks an x-zm-request-timestamp (Unix seconds) against
// now: it may be up to maxAge old and up to maxAhead in the future. Zoom
// documents no skew limit; rejecting anything older keeps a captured,
// validly signed request from being replayed later than the receiver
// still remembers what it took.
func CheckTimestamp(ts string, now time.Time, maxAge, maxAhead time.Duration) error {
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secs < 0 || ts[0] == '+' {
		return fmt.Errorf("%w: %q", ErrBadTimestamp, ts)
	}
	// Compare in seconds so huge values cannot overflow time.Duration.
	diff := now.Unix() - secs
	if diff > int64(maxAge/time.Second) || -diff > int64(maxAhead/time.Second) {
		return fmt.Errorf("%w: %s is %ds from now", ErrStaleTimestamp, ts, diff)
	}
	return nil
}

// EncryptedToken answers an endpoint.url_validation challenge:
// hex(HMAC-SHA256(secret, plainToken)).
func EncryptedToken(secret, plainToken string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(plainToken))
	return hex.EncodeToString(h.Sum(nil))
}

// ValidationResponse is the JSON body that answers endpoint.url_validation.
type ValidationResponse struct {
	PlainToken     string `json:"plainToken"`
	EncryptedToken string `json:"encryptedToken"`
}

// Validate builds the answer to an endpoint.url_validation challenge.
func Validate(secret, plainToken string) ValidationResponse {
	return ValidationResponse{PlainToken: plainToken, EncryptedToken: EncryptedToken(secret, plainToken)}
}
