package bolt

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/zoomcti/zoomcti/server/store/storetest"
)

// BenchmarkApplyIntake measures the webhook intake's write from 32
// concurrent writers (storetest.ApplyIntakes): each op is one delivery,
// durable when Apply returns. With shards=1000 the deliveries are spread
// over a thousand agents' shards of the queue, as a call center's are; with
// shards=1 they all go to one agent's, as zoomcti bench intake sends them.
func BenchmarkApplyIntake(b *testing.B) {
	for _, shards := range []int{1, 1000} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.ApplyIntakes(b, s, shards)
			st := s.db.Stats()
			b.ReportMetric(float64(st.TxStats.GetWrite())/float64(b.N), "pages/op")
			b.ReportMetric(float64(b.N)/float64(s.groups.Load()), "writes/commit")
		})
	}
}
