package cti

import (
	"math/rand/v2"
	"time"
)

// Backoff is how long to wait before retry number attempt (0 for the
// first retry) of something that failed for a passing reason: base doubled
// attempt times, at most ceiling, with jitter so that many callers who
// failed together do not come back together. The wait is drawn uniformly
// from [d/2, d] for that doubled d.
func Backoff(attempt int, base, ceiling time.Duration) time.Duration {
	d := min(base, ceiling)
	for i := 0; i < attempt && d > 0 && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}
