package cti

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// An org whose admin changed nothing gets the documented defaults, and
// they are valid.
func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	if err := s.Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	want := map[string]any{
		"auto save call logs": true, "log queue calls to answering member": true, "auto save sms": true,
		"match zoom email to username": true, "ignore internal calls": false, "editable contact/lead": false,
		"sales engagement": false, "height": 640, "width": 400, "pop on": PopOnRinging, "multiple match": MultipleChoose,
		"no match": NoMatchNewContact, "country": "US",
	}
	got := map[string]any{
		"auto save call logs": s.AutoSaveCallLogs, "log queue calls to answering member": s.LogQueueCallsToAnsweringMember,
		"auto save sms": s.AutoSaveSMS, "match zoom email to username": s.MatchZoomEmailToUsername,
		"ignore internal calls": s.IgnoreInternalCalls, "editable contact/lead": s.EditableContactLead,
		"sales engagement": s.SalesEngagement, "height": s.SoftphoneHeight, "width": s.SoftphoneWidth, "pop on": s.PopOn,
		"multiple match": s.MultipleMatch, "no match": s.NoMatch, "country": s.DefaultCountry,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults\n%v\nwant\n%v", got, want)
	}
	// Lists are empty, not null, for the settings page.
	b, _ := json.Marshal(s)
	for _, k := range []string{"related_to_objects", "call_log_fields", "strip_prefixes", "phone_e164_fields"} {
		if !strings.Contains(string(b), `"`+k+`":[]`) {
			t.Errorf("%s is not an empty list in %s", k, b)
		}
	}
	// A stored document from before a setting existed keeps its default.
	old := DefaultSettings()
	if err := json.Unmarshal([]byte(`{"auto_save_call_logs":false,"pop_on":"answered"}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.AutoSaveCallLogs || old.PopOn != "answered" || old.SoftphoneHeight != 640 || !old.AutoSaveSMS {
		t.Errorf("old document read as %+v", old)
	}
	if r := old.PhoneRules(); r.DefaultRegion != "US" {
		t.Errorf("phone rules %+v", r)
	}
}

// Every invalid setting is named, with what is wrong with it.
func TestSettingsValidate(t *testing.T) {
	field := func(name, typ string) CallLogField { return CallLogField{Name: name, Label: "L", Type: typ} }
	tests := []struct {
		name   string
		change func(*Settings)
		want   []string // the invalid fields; none for a valid change
	}{
		{"when to pop", func(s *Settings) { s.PopOn = "never" }, []string{"pop_on"}},
		{"multiple match", func(s *Settings) { s.MultipleMatch = "first" }, []string{"multiple_match"}},
		{"no match", func(s *Settings) { s.NoMatch = "new_case" }, []string{"no_match"}},
		{"a flow needs its name", func(s *Settings) { s.NoMatch = "flow" }, []string{"no_match_flow"}},
		{"a flow name is an API name", func(s *Settings) { s.NoMatch, s.NoMatchFlow = "flow", "New caller" }, []string{"no_match_flow"}},
		{"a flow", func(s *Settings) { s.NoMatch, s.NoMatchFlow = "flow", "New_Caller" }, nil},
		{"too short", func(s *Settings) { s.SoftphoneHeight = 100 }, []string{"softphone_height"}},
		{"too tall", func(s *Settings) { s.SoftphoneHeight = 4000 }, []string{"softphone_height"}},
		{"too narrow", func(s *Settings) { s.SoftphoneWidth = 150 }, []string{"softphone_width"}},
		{"too wide", func(s *Settings) { s.SoftphoneWidth = 2000 }, []string{"softphone_width"}},
		{"country in small letters", func(s *Settings) { s.DefaultCountry = "gb" }, []string{"default_country"}},
		{"country of three letters", func(s *Settings) { s.DefaultCountry = "USA" }, []string{"default_country"}},
		{"a country that does not exist", func(s *Settings) { s.DefaultCountry = "ZZ" }, []string{"default_country"}},
		{"a disposition listed twice", func(s *Settings) { s.Dispositions = []string{"Sold", "Left Voicemail", "sold"} }, []string{"dispositions"}},
		{"prefixes", func(s *Settings) { s.StripPrefixes, s.AddPrefix = []string{"9", "0#"}, "+44" }, nil},
		{"a prefix that is not digits", func(s *Settings) { s.StripPrefixes = []string{"9", "x"} }, []string{"strip_prefixes"}},
		{"a prefix too long", func(s *Settings) { s.AddPrefix = "1234567" }, []string{"add_prefix"}},
		{"normalised-number fields", func(s *Settings) {
			s.PhoneE164Fields = []string{"Contact.Phone_E164__c", "Contact.Mobile_E164__c", "Lead.Phone_E164__c", "Account.Phone_E164__c"}
		}, nil},
		{"a normalised field without its object", func(s *Settings) { s.PhoneE164Fields = []string{"Phone_E164__c"} }, []string{"phone_e164_fields"}},
		{"a normalised field that is no custom field", func(s *Settings) { s.PhoneE164Fields = []string{"Contact.Phone"} }, []string{"phone_e164_fields"}},
		{"a normalised field on another object", func(s *Settings) { s.PhoneE164Fields = []string{"Case.Phone_E164__c"} }, []string{"phone_e164_fields"}},
		{"a normalised field smuggling SOQL", func(s *Settings) { s.PhoneE164Fields = []string{"Contact.X__c = '' OR Name__c"} }, []string{"phone_e164_fields"}},
		{"a closed task status", func(s *Settings) { s.TaskStatus = "Done" }, nil},
		{"the org's own task status", func(s *Settings) { s.TaskStatus = "" }, nil},
		{"a task status with spaces around", func(s *Settings) { s.TaskStatus = " Done" }, []string{"task_status"}},
		{"a task status too long", func(s *Settings) { s.TaskStatus = strings.Repeat("x", 256) }, []string{"task_status"}},
		{"a task status with a newline", func(s *Settings) { s.TaskStatus = "Do\nne" }, []string{"task_status"}},
		{"related to objects", func(s *Settings) { s.RelatedToObjects = []string{"Opportunity", "Case", "Invoice__c"} }, nil},
		{"a Contact is not Related To", func(s *Settings) { s.RelatedToObjects = []string{"Account", "contact"} }, []string{"related_to_objects"}},
		{"an object name", func(s *Settings) { s.RelatedToObjects = []string{"My Object"} }, []string{"related_to_objects"}},
		{"too many dispositions", func(s *Settings) {
			s.Dispositions = nil
			for i := range 101 {
				s.Dispositions = append(s.Dispositions, fmt.Sprint("d", i))
			}
		}, []string{"dispositions"}},
		{"an empty disposition", func(s *Settings) { s.Dispositions = []string{"Sold", " "} }, []string{"dispositions"}},
		{"a disposition too long", func(s *Settings) { s.Dispositions = []string{strings.Repeat("d", 256)} }, []string{"dispositions"}},
		{"extra fields", func(s *Settings) {
			s.CallLogFields = []CallLogField{field("Topic__c", "text"), field("Notes__c", "textarea"),
				{Name: "Outcome__c", Label: "Outcome", Type: "picklist", Options: []string{"Won", "Lost"}, Default: "Won", Required: true}}
		}, nil},
		{"too many fields", func(s *Settings) {
			for i := range 21 {
				s.CallLogFields = append(s.CallLogFields, field(fmt.Sprintf("F%d__c", i), "text"))
			}
		}, []string{"call_log_fields"}},
		{"a field name", func(s *Settings) { s.CallLogFields = []CallLogField{field("Call Outcome", "text")} }, []string{"call_log_fields[0].name"}},
		{"a field zoomcti writes", func(s *Settings) { s.CallLogFields = []CallLogField{field("whoid", "text")} }, []string{"call_log_fields[0].name"}},
		{"a field twice", func(s *Settings) {
			s.CallLogFields = []CallLogField{field("Topic__c", "text"), field("topic__C", "textarea")}
		}, []string{"call_log_fields[1].name"}},
		{"a field without a label", func(s *Settings) { s.CallLogFields = []CallLogField{{Name: "Topic__c", Label: " ", Type: "text"}} },
			[]string{"call_log_fields[0].label"}},
		{"a picklist without values", func(s *Settings) { s.CallLogFields = []CallLogField{field("Outcome__c", "picklist")} },
			[]string{"call_log_fields[0].options"}},
		{"a picklist default not offered", func(s *Settings) {
			s.CallLogFields = []CallLogField{{Name: "Outcome__c", Label: "O", Type: "picklist", Options: []string{"Won"}, Default: "Lost"}}
		}, []string{"call_log_fields[0].default"}},
		{"a field type", func(s *Settings) { s.CallLogFields = []CallLogField{field("Amount__c", "currency")} }, []string{"call_log_fields[0].type"}},
		{"everything at once", func(s *Settings) { s.PopOn, s.SoftphoneWidth, s.DefaultCountry = "", 0, "" },
			[]string{"default_country", "pop_on", "softphone_width"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			tc.change(&s)
			err := s.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var fe FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("%v, want FieldErrors", err)
			}
			var got []string
			for k := range fe {
				got = append(got, k)
			}
			if len(got) != len(tc.want) {
				t.Errorf("invalid %v, want %v", got, tc.want)
			}
			// The message lists every field, in order, with the reason.
			msg := err.Error()
			last := -1
			for _, k := range tc.want {
				i := strings.Index(msg, k+": ")
				if fe[k] == "" || i < 0 || i < last {
					t.Errorf("%q does not name %s in order", msg, k)
				}
				last = i
			}
		})
	}
}
