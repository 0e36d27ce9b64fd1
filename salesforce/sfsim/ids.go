package sfsim

import (
	"strings"
)

// Key prefixes of the objects the org knows.
var keyPrefixes = map[string]string{
	"Account":                 "001",
	"Contact":                 "003",
	"Lead":                    "00Q",
	"Task":                    "00T",
	"Opportunity":             "006",
	"Case":                    "500",
	"User":                    "005",
	"Organization":            "00D",
	"PermissionSet":           "0PS",
	"PermissionSetAssignment": "0Pa",
	"TaskStatus":              "01J",
	"CallCenter":              "04v",
	"CustomPermission":        "0CP",
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checksumAlphabet maps the 5-bit "which characters are upper case" mask of each
// 5-character chunk to the suffix character (the real case-safe Id algorithm).
const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// idSuffix returns the 3-character case-safe suffix of a 15-character Id.
func idSuffix(id15 string) string {
	var b [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		mask := 0
		for i := 0; i < 5; i++ {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				mask |= 1 << i
			}
		}
		b[chunk] = checksumAlphabet[mask]
	}
	return string(b[:])
}

// to18 turns a 15-character Id into its 18-character case-safe form.
func to18(id15 string) string { return id15 + idSuffix(id15) }

// normalizeID accepts a 15-character (case-sensitive) or 18-character
// (case-insensitive) Id and returns the canonical 18-character form. For an
// 18-character Id the case of the first 15 characters is restored from the suffix,
// which is what makes 18-character Ids safe for case-insensitive systems.
func normalizeID(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return "", false
		}
	}
	switch len(s) {
	case 15:
		return to18(s), true
	case 18:
		suffix := strings.ToUpper(s[15:])
		b := []byte(s[:15])
		for chunk := 0; chunk < 3; chunk++ {
			mask := strings.IndexByte(checksumAlphabet, suffix[chunk])
			if mask < 0 {
				return "", false
			}
			for i := 0; i < 5; i++ {
				c := b[chunk*5+i]
				upper := mask&(1<<i) != 0
				switch {
				case upper && c >= 'a' && c <= 'z':
					b[chunk*5+i] = c - 'a' + 'A'
				case !upper && c >= 'A' && c <= 'Z':
					b[chunk*5+i] = c - 'A' + 'a'
				case upper && !(c >= 'A' && c <= 'Z'):
					return "", false // the suffix claims a letter where there is none
				}
			}
		}
		return to18(string(b)), true
	default:
		return "", false
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// sobjectForID names the object an Id belongs to by its key prefix ("" if unknown).
func sobjectForID(id string) string {
	if len(id) < 3 {
		return ""
	}
	for name, p := range keyPrefixes {
		if id[:3] == p {
			return name
		}
	}
	return ""
}

// newID mints the n-th Id (n >= 1) for a key prefix. The serial number (offset
// per prefix) is scrambled by multiplying with a number coprime to 62^5, a
// bijection modulo 62^5, so Ids are deterministic, unique per prefix, and mix
// upper and lower case like real ones.
func newID(prefix string, n int) string {
	const space = 62 * 62 * 62 * 62 * 62
	offset := uint64(prefix[0])*961 + uint64(prefix[1])*31 + uint64(prefix[2])
	v := ((uint64(n) + offset) * 387420489) % space
	var tail [5]byte
	for i := 4; i >= 0; i-- {
		tail[i] = base62[v%62]
		v /= 62
	}
	// prefix (3) + pod "5g" (2) + reserved "00000" (5) + serial (5) = 15
	return to18(prefix + "5g00000" + string(tail[:]))
}
