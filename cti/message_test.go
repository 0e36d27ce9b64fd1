package cti

import (
	"reflect"
	"testing"
)

// The admin's pop rules, applied to what the lookup found.
func TestDecidePop(t *testing.T) {
	ada := Match{ID: "003ADA", Type: "Contact", Name: "Ada Lovelace"}
	hedy := Match{ID: "00QHEDY", Type: "Lead", Name: "Hedy Lamarr"}
	const number = "+12025550142"
	tests := []struct {
		name     string
		matches  []Match
		multiple MultipleMatchRule // Settings.MultipleMatch
		noMatch  NoMatchRule       // Settings.NoMatch
		want     *Pop
	}{
		{"one match opens it", []Match{ada}, "search", "", &Pop{Kind: PopRecord, RecordID: ada.ID, ObjectType: "Contact"}},
		{"several, choose", []Match{ada, hedy}, "choose", "", &Pop{Kind: PopChoose}},
		{"several, search pops the console's search", []Match{ada, hedy}, "search", "", &Pop{Kind: PopSearch, SearchString: number}},
		{"several, layout", []Match{ada, hedy}, "layout", "", &Pop{Kind: PopLayout, SearchString: number, CallType: "inbound", DefaultFields: map[string]string{"Phone": number}}},
		{"none, new contact", []Match{}, "search", "", &Pop{Kind: PopNew, EntityName: "Contact", DefaultFields: map[string]string{"Phone": number}}},
		{"none, nothing", []Match{}, "search", "none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := DefaultSettings()
			set.MultipleMatch = tc.multiple
			if tc.noMatch != "" {
				set.NoMatch = tc.noMatch
			}
			c := &Call{ID: "C1", Direction: Inbound, Other: Party{Number: number}, Matches: tc.matches}
			got := decidePop(c, set)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pop %+v, want %+v", got, tc.want)
			}
		})
	}
}
