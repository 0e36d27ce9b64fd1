package zoom

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Vectors from reference/zoom.md §1.4. A and B are public captures
// (Jericho/ZoomNet WebhookSignatureValidationTests.cs); C was computed for
// the fixtures folder.
const (
	vectorASecret = "4fv1RkqGQUq5sWbEz6hA5A"
	vectorATS     = "1720705455"
	vectorABody   = `{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}`
	vectorASig    = "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6"
	vectorAToken  = "2fffc6a967dde4f68024025a5bd991c5ae1e5313b4e6365be4883e3e81d479b3"

	vectorBTS  = "1720707175"
	vectorBSig = "v0=1a14e79349318fa1bead50ebbd3c185ae078e182d3bbd30ab8010fcb7f4357c7"

	vectorCSecret = "FAKE_webhook_secret_token_0001"
	vectorCTS     = "1741000300"
	vectorCBody   = `{"payload":{"plainToken":"FAKEplainToken-000001"},"event_ts":1741000300000,"event":"endpoint.url_validation"}`
	vectorCSig    = "v0=5081db4e7838861085ff0a8b6f0d586a31b03939db6319fd30b91c06d71f6519"
	vectorCToken  = "065334951173f1ceefb3a7e5d0459a521ecdf4cc12c72efe96814497e8675c57"
)

// vectorBBody is the meeting.started body with escaped surrogate pairs kept
// as text and raw UTF-8 punctuation, copied byte for byte from the ZoomNet
// test; it proves the digest covers the raw bytes.
func vectorBBody(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vector_b_body.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignVectors(t *testing.T) {
	tests := []struct {
		name, secret, ts string
		body             []byte
		want             string
	}{
		{"A url_validation capture", vectorASecret, vectorATS, []byte(vectorABody), vectorASig},
		{"B non-ASCII body", vectorASecret, vectorBTS, vectorBBody(t), vectorBSig},
		{"C fixtures", vectorCSecret, vectorCTS, []byte(vectorCBody), vectorCSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sign(tt.secret, tt.ts, tt.body); got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
			if !Verify(tt.secret, tt.ts, tt.body, tt.want) {
				t.Error("Verify rejected the published signature")
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	body := []byte(vectorABody)
	tests := []struct {
		name, secret, ts string
		body             []byte
		sig              string
	}{
		{"tampered body", vectorASecret, vectorATS, []byte(strings.Replace(vectorABody, "xys8n8", "xys8n9", 1)), vectorASig},
		{"one extra byte", vectorASecret, vectorATS, append([]byte(vectorABody), '\n'), vectorASig},
		{"wrong secret", "wrongSecretToken", vectorATS, body, vectorASig},
		{"wrong timestamp", vectorASecret, "9999999999", body, vectorASig},
		{"missing v0=", vectorASecret, vectorATS, body, strings.TrimPrefix(vectorASig, "v0=")},
		{"other version", vectorASecret, vectorATS, body, "v1=" + strings.TrimPrefix(vectorASig, "v0=")},
		{"upper-case hex", vectorASecret, vectorATS, body, "v0=" + strings.ToUpper(strings.TrimPrefix(vectorASig, "v0="))},
		{"truncated", vectorASecret, vectorATS, body, vectorASig[:len(vectorASig)-2]},
		{"not hex", vectorASecret, vectorATS, body, "v0=invalid_signature_hash"},
		{"empty", vectorASecret, vectorATS, body, ""},
		{"prefix only", vectorASecret, vectorATS, body, "v0="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Verify(tt.secret, tt.ts, tt.body, tt.sig) {
				t.Error("Verify accepted a bad signature")
			}
		})
	}
}

func TestEncryptedToken(t *testing.T) {
	tests := []struct{ name, secret, plain, want string }{
		{"A", vectorASecret, "xys8n8PGS7mAU0m5-YJjRA", vectorAToken},
		{"C", vectorCSecret, "FAKEplainToken-000001", vectorCToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncryptedToken(tt.secret, tt.plain); got != tt.want {
				t.Errorf("EncryptedToken = %s, want %s", got, tt.want)
			}
			if got := Validate(tt.secret, tt.plain); got.PlainToken != tt.plain || got.EncryptedToken != tt.want {
				t.Errorf("Validate = %+v", got)
			}
		})
	}
}

// DecodeWebhook hands back the plainToken of an endpoint.url_validation
// challenge alone: another event's is no challenge to answer.
func TestDecodeWebhookReturnsTheValidationToken(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{vectorCBody, "FAKEplainToken-000001"},
		{`{"event":"phone.callee_ringing","event_ts":1741000300000,"payload":{"plainToken":"x","object":{"call_id":"1"}}}`, ""},
		{`{"event":"endpoint.url_validation","event_ts":1741000300000,"payload":{}}`, ""},
	} {
		if _, got, err := DecodeWebhook([]byte(c.body)); err != nil || got != c.want {
			t.Errorf("DecodeWebhook(%s) plainToken = %q, %v; want %q", c.body, got, err, c.want)
		}
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1741000300, 0)
	const maxAge, maxAhead = 90 * time.Minute, 5 * time.Minute
	tests := []struct {
		name    string
		ts      string
		wantErr error
	}{
		{"now", "1741000300", nil},
		{"old as Zoom's last retry", "1740995200", nil}, // 85 min
		{"just old enough", "1740994900", nil},          // 90 min
		{"just too old", "1740994899", ErrStaleTimestamp},
		{"slightly future", "1741000599", nil},
		{"too far future", "1741000601", ErrStaleTimestamp},
		{"milliseconds by mistake", "1741000300000", ErrStaleTimestamp},
		{"huge", "99999999999999999999", ErrBadTimestamp},
		{"max int64", "9223372036854775807", ErrStaleTimestamp},
		{"zero", "0", ErrStaleTimestamp},
		{"empty", "", ErrBadTimestamp},
		{"letters", "abc", ErrBadTimestamp},
		{"fractional", "1741000300.5", ErrBadTimestamp},
		{"negative", "-1", ErrBadTimestamp},
		{"plus sign", "+1741000300", ErrBadTimestamp},
		{"space", " 1741000300", ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTimestamp(tt.ts, now, maxAge, maxAhead)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("CheckTimestamp(%q) = %v, want %v", tt.ts, err, tt.wantErr)
			}
		})
	}
}
