package cti

import (
	"fmt"
	"testing"
)

// Redis Cluster's own test vector (cluster specification, "Keys hash tags").
func TestCRC16(t *testing.T) {
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
}

// The partition tags spread over a cluster's masters as evenly as 32 can:
// 11, 11 and 10 over the three masters redis-cli --cluster create makes.
func TestPartitionTagsSpreadEvenly(t *testing.T) {
	masters := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	count := make([]int, len(masters))
	seen := map[string]bool{}
	for _, tag := range partitionTags {
		if seen[tag] {
			t.Fatalf("tag %q twice", tag)
		}
		seen[tag] = true
		slot := int(crc16([]byte(tag))) % clusterSlots
		for i, m := range masters {
			if slot >= m[0] && slot <= m[1] {
				count[i]++
			}
		}
	}
	if fmt.Sprint(count) != "[11 11 10]" {
		t.Errorf("tags per master %v, want [11 11 10]", count)
	}
	// Every agent lands on one of them.
	for i := range 1000 {
		if tag := AgentTag(Agent{OrgID: "00D", UserID: fmt.Sprint(i)}); !seen[tag] {
			t.Fatalf("AgentTag %q is not a partition tag", tag)
		}
	}
}
