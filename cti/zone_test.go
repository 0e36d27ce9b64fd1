package cti

import (
	"testing"
	"time"
)

// An agent's zone is read from the zone database once, then remembered,
// as is a name that is no zone.
func TestZonesAreLoadedOnce(t *testing.T) {
	first, err := loadZone("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadZone("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Error("Europe/Lisbon was loaded twice")
	}
	if first.String() != "Europe/Lisbon" {
		t.Errorf("zone %s", first)
	}
	if _, err := loadZone("Nowhere/Atlantis"); err == nil {
		t.Error("Nowhere/Atlantis is a zone")
	}
	if _, err := loadZone("Nowhere/Atlantis"); err == nil {
		t.Error("Nowhere/Atlantis is a zone the second time")
	}
	if utc, err := loadZone(""); err != nil || utc != time.UTC {
		t.Errorf("the empty name: %v, %v; want UTC", utc, err)
	}
}

// BenchmarkZone compares a remembered zone with time.LoadLocation, which a
// call's log used to run for its agent's zone.
func BenchmarkZone(b *testing.B) {
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			if _, err := loadZone("America/Los_Angeles"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoadLocation", func(b *testing.B) {
		for b.Loop() {
			if _, err := time.LoadLocation("America/Los_Angeles"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
