package zoom

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeWebhook measures the decode of the commonest delivery, a
// ringing call, as the intake does it.
func BenchmarkDecodeWebhook(b *testing.B) {
	body, err := os.ReadFile(filepath.Join(fixturesDir, "phone.callee_ringing.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeWebhook(body); err != nil {
			b.Fatal(err)
		}
	}
}
