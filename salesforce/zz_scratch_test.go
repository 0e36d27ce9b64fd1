package salesforce

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

func FuzzZZNormalize(f *testing.F) {
	f.Add("+12025550142")
	f.Fuzz(func(t *testing.T, s string) {
		tm := time.AfterFunc(2*time.Second, func() {
			os.WriteFile(fmt.Sprintf("/tmp/slow-%d.txt", time.Now().UnixNano()), []byte(fmt.Sprintf("%q", s)), 0o644)
		})
		defer tm.Stop()
		cti.NormalizePhone(s, cti.PhoneRules{DefaultRegion: "US"}).SearchTerms()
	})
}
