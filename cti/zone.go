package cti

import (
	"sync"
	"sync/atomic"
	"time"
)

// zones keeps the time zones loaded by name. time.LoadLocation opens,
// reads and parses the zone's file on every call, and every call log and
// SMS thread needs its agent's zone. Salesforce's TimeZoneSidKey names a
// few hundred zones; past maxZones names (a store holding junk), a zone is
// loaded without being kept.
var (
	zones     sync.Map // name → zoneEntry
	zoneCount atomic.Int32
)

const maxZones = 1024

type zoneEntry struct {
	loc *time.Location
	err error
}

// loadZone is time.LoadLocation, remembered.
func loadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		z := v.(zoneEntry)
		return z.loc, z.err
	}
	loc, err := time.LoadLocation(name)
	if zoneCount.Load() < maxZones {
		if _, loaded := zones.LoadOrStore(name, zoneEntry{loc, err}); !loaded {
			zoneCount.Add(1)
		}
	}
	return loc, err
}
