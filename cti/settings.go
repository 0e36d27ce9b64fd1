package cti

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Settings are one Salesforce org's admin settings: the settings cards of
// Zoom for Lightning. A field missing from a stored document keeps its
// default, so new settings need no migration.
type Settings struct {
	// AutoSaveCallLogs writes the Task when a call ends; off, the agent
	// completes a wrap-up form first.
	AutoSaveCallLogs bool `json:"auto_save_call_logs"`
	// LogQueueCallsToAnsweringMember logs a queue call once, for the member
	// who answered, and not for members who only rang. Off, the queue call
	// gets one Task all the same: the answering member's, or when nobody
	// answered, the first ringing member's.
	LogQueueCallsToAnsweringMember bool `json:"log_queue_calls_to_answering_member"`
	// AutoSaveSMS keeps one Task per agent, other number and day for texts.
	AutoSaveSMS bool `json:"auto_save_sms"`
	// EditableContactLead lets the wrap-up form search any Contact or Lead;
	// off, it offers only the records that match the number.
	EditableContactLead bool `json:"editable_contact_lead"`
	// IgnoreInternalCalls neither pops nor logs calls between extensions.
	IgnoreInternalCalls bool `json:"ignore_internal_calls"`
	// SalesEngagement adds a disposition (Call Result) to the wrap-up form
	// and completes the Sales Engagement work item.
	SalesEngagement bool     `json:"sales_engagement"`
	Dispositions    []string `json:"dispositions"`
	// RelatedToObjects are the objects offered for "Related To" (WhatId);
	// none means all.
	RelatedToObjects []string `json:"related_to_objects"`
	// MatchZoomEmailToUsername is the Common Settings card: link an agent's
	// Zoom account when its login email equals the Salesforce username
	// (true) or the Salesforce email (false).
	MatchZoomEmailToUsername bool `json:"match_zoom_email_to_username"`
	// CallLogFields are the admin's extra Task fields, in order.
	CallLogFields []CallLogField `json:"call_log_fields"`
	// TaskStatus is the closed status the admin wants saved Tasks to have
	// (the status's API name in the org). Empty: the org's own first closed
	// status, whatever the org calls it.
	TaskStatus string `json:"task_status,omitempty"`

	SoftphoneHeight int `json:"softphone_height"`
	SoftphoneWidth  int `json:"softphone_width"`

	// PopOn is when to pop: "ringing" or "answered".
	PopOn PopMoment `json:"pop_on"`
	// MultipleMatch is what several matches pop: "choose" (the agent picks
	// in the softphone), "search" (the console's search for the number) or
	// "layout" (searchAndScreenPop: the org's softphone layout decides).
	MultipleMatch MultipleMatchRule `json:"multiple_match"`
	// NoMatch is what no match pops: "new_contact", "new_lead", "flow"
	// (NoMatchFlow, with the number as its Phone argument) or "none".
	NoMatch     NoMatchRule `json:"no_match"`
	NoMatchFlow string      `json:"no_match_flow,omitempty"`

	// Phone-number translation: how numbers stored without a country code
	// read, and prefixes to strip (an outside line) or add.
	DefaultCountry string   `json:"default_country"`
	StripPrefixes  []string `json:"strip_prefixes"`
	AddPrefix      string   `json:"add_prefix"`
	// PhoneE164Fields are the org's normalised-number fields, as
	// "Object.Field" (Contact.Phone_E164__c, Lead.Phone_E164__c,
	// Account.Phone_E164__c): text fields a flow keeps in E.164. Set, a
	// caller is looked up by them, which finds records created a moment
	// ago; empty, by search, which finds a record only once Salesforce
	// has indexed it. An object with none listed is not looked up.
	PhoneE164Fields []string `json:"phone_e164_fields"`
}

// CallLogField is one of the admin's extra Task fields.
type CallLogField struct {
	Name     string   `json:"name"`  // the Task field's API name, e.g. Call_Outcome__c
	Label    string   `json:"label"` // what the wrap-up form shows
	Type     string   `json:"type"`  // text, textarea or picklist
	Options  []string `json:"options,omitempty"`
	Default  string   `json:"default,omitempty"` // written by auto-save, and the form's initial value
	Required bool     `json:"required,omitempty"`
}

// DefaultSettings are the settings of an org whose admin changed nothing.
func DefaultSettings() Settings {
	return Settings{
		AutoSaveCallLogs:               true,
		LogQueueCallsToAnsweringMember: true,
		AutoSaveSMS:                    true,
		MatchZoomEmailToUsername:       true,
		Dispositions:                   []string{"Meaningful Connect", "Left Voicemail", "Call Back Later", "Not Interested", "Unqualified"},
		RelatedToObjects:               []string{},
		CallLogFields:                  []CallLogField{},
		SoftphoneHeight:                640,
		SoftphoneWidth:                 400,
		PopOn:                          PopOnRinging,
		MultipleMatch:                  MultipleChoose,
		NoMatch:                        NoMatchNewContact,
		DefaultCountry:                 "US",
		StripPrefixes:                  []string{},
		PhoneE164Fields:                []string{},
	}
}

// FieldErrors name each invalid setting with what is wrong with it.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, k+": "+f[k])
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

var (
	fieldNameRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)
	objectNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)
	prefixRE     = regexp.MustCompile(`^[0-9*#+]{1,6}$`)
	e164FieldRE  = regexp.MustCompile(`^(Contact|Lead|Account)\.[A-Za-z][A-Za-z0-9_]{0,36}__c$`)
)

// Task fields the engine writes itself; an extra field may not take them.
func reservedTaskField(name string) bool {
	switch strings.ToLower(name) {
	case "id", "subject", "status", "priority", "type", "tasksubtype", "calltype", "calldurationinseconds",
		"callobject", "calldisposition", "activitydate", "description", "whoid", "whatid", "ownerid":
		return true
	}
	return false
}

// Validate reports every invalid setting, or nil.
func (s Settings) Validate() error {
	errs := FieldErrors{}
	oneOf := func(field, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			errs[field] = fmt.Sprintf("must be one of %s", strings.Join(allowed, ", "))
		}
	}
	oneOf("pop_on", string(s.PopOn), string(PopOnRinging), string(PopOnAnswered))
	oneOf("multiple_match", string(s.MultipleMatch), string(MultipleChoose), string(MultipleSearch), string(MultipleLayout))
	oneOf("no_match", string(s.NoMatch), string(NoMatchNewContact), string(NoMatchNewLead), string(NoMatchFlow), string(NoMatchNone))
	if s.NoMatch == NoMatchFlow && !fieldNameRE.MatchString(s.NoMatchFlow) {
		errs["no_match_flow"] = "the API name of an active screen flow is required when no_match is flow"
	}
	if s.SoftphoneHeight < 240 || s.SoftphoneHeight > 2560 {
		errs["softphone_height"] = "must be between 240 and 2560 pixels"
	}
	if s.SoftphoneWidth < 200 || s.SoftphoneWidth > 1920 {
		errs["softphone_width"] = "must be between 200 and 1920 pixels"
	}
	if len(s.DefaultCountry) != 2 || strings.ToUpper(s.DefaultCountry) != s.DefaultCountry {
		errs["default_country"] = "must be a two-letter country code in capitals, such as US, GB or JP"
	} else if !IsCountry(s.DefaultCountry) {
		errs["default_country"] = s.DefaultCountry + " is not a country code: use a two-letter ISO code such as US, GB or JP"
	}
	for _, p := range s.StripPrefixes {
		if !prefixRE.MatchString(p) {
			errs["strip_prefixes"] = fmt.Sprintf("%q: a prefix is 1 to 6 digits", p)
		}
	}
	if len(s.PhoneE164Fields) > 10 {
		errs["phone_e164_fields"] = "at most 10 fields"
	}
	for _, f := range s.PhoneE164Fields {
		if !e164FieldRE.MatchString(f) {
			errs["phone_e164_fields"] = fmt.Sprintf("%q: name a custom field as Object.Field, the object Contact, Lead or Account, e.g. Contact.Phone_E164__c", f)
		}
	}
	if s.AddPrefix != "" && !prefixRE.MatchString(s.AddPrefix) {
		errs["add_prefix"] = "a prefix is 1 to 6 digits (or + to mark international)"
	}
	for _, o := range s.RelatedToObjects {
		if !objectNameRE.MatchString(o) || strings.EqualFold(o, "Contact") || strings.EqualFold(o, "Lead") {
			errs["related_to_objects"] = fmt.Sprintf("%q is not an object that can be Related To (Contacts and Leads go in Name)", o)
		}
	}
	if len(s.Dispositions) > 100 {
		errs["dispositions"] = "at most 100 values"
	}
	seenDisposition := map[string]bool{}
	for _, d := range s.Dispositions {
		if strings.TrimSpace(d) == "" || len(d) > 255 {
			errs["dispositions"] = "each value must be 1 to 255 characters (Task.CallDisposition)"
		} else if k := strings.ToLower(strings.TrimSpace(d)); seenDisposition[k] {
			errs["dispositions"] = fmt.Sprintf("%q is listed twice", d)
		} else {
			seenDisposition[k] = true
		}
	}
	if s.TaskStatus != "" && (strings.TrimSpace(s.TaskStatus) != s.TaskStatus || len([]rune(s.TaskStatus)) > 255 ||
		strings.ContainsFunc(s.TaskStatus, unicode.IsControl)) {
		errs["task_status"] = "must be the API name of one of the org's closed Task statuses (up to 255 characters, no leading or trailing spaces), or empty for the org's own"
	}
	if len(s.CallLogFields) > 20 {
		errs["call_log_fields"] = "at most 20 fields"
	}
	seen := map[string]bool{}
	for i, f := range s.CallLogFields {
		key := fmt.Sprintf("call_log_fields[%d]", i)
		switch {
		case !fieldNameRE.MatchString(f.Name):
			errs[key+".name"] = "must be a Task field API name, e.g. Call_Outcome__c"
		case reservedTaskField(f.Name):
			errs[key+".name"] = f.Name + " is written by zoomcti itself"
		case seen[strings.ToLower(f.Name)]:
			errs[key+".name"] = f.Name + " is listed twice"
		}
		seen[strings.ToLower(f.Name)] = true
		if strings.TrimSpace(f.Label) == "" {
			errs[key+".label"] = "required"
		}
		switch f.Type {
		case "text", "textarea":
		case "picklist":
			if len(f.Options) == 0 {
				errs[key+".options"] = "a picklist needs its values"
			}
			if f.Default != "" && !slices.Contains(f.Options, f.Default) {
				errs[key+".default"] = "must be one of the options"
			}
		default:
			errs[key+".type"] = "must be text, textarea or picklist"
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// PhoneRules are the settings' number translation rules.
func (s Settings) PhoneRules() PhoneRules {
	return PhoneRules{DefaultRegion: s.DefaultCountry, StripPrefixes: s.StripPrefixes, AddPrefix: s.AddPrefix, E164Fields: s.PhoneE164Fields}
}
