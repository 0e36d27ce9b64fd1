package sfsim

import (
	"fmt"
	"sort"
	"strings"
)

// field describes one field of an sObject, enough to validate writes, answer
// describe calls and resolve names case-insensitively as Salesforce does.
type field struct {
	Name       string
	Label      string
	Type       string // id, string, textarea, phone, email, picklist, combobox, reference, boolean, int, date, datetime
	Length     int
	Create     bool // createable
	Update     bool // updateable
	Nillable   bool
	Required   bool     // required on create (unless defaulted)
	Default    any      // value set on create when absent
	Values     []string // picklist values
	Restricted bool     // restricted picklist
	RefTo      []string // reference targets
	Custom     bool
	ExternalID bool
}

// sobject describes one object type.
type sobject struct {
	Name   string
	Label  string
	Plural string
	fields []field
	byName map[string]int // lower-case name -> index
}

func (s *sobject) field(name string) (*field, bool) {
	i, ok := s.byName[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &s.fields[i], true
}

// phoneFields lists the phone-type fields, in schema order.
func (s *sobject) phoneFields() []string {
	var out []string
	for _, f := range s.fields {
		if f.Type == "phone" {
			out = append(out, f.Name)
		}
	}
	return out
}

func newSObject(name, label, plural string, fields ...field) *sobject {
	audit := []field{
		{Name: "Id", Label: label + " ID", Type: "id", Length: 18},
		{Name: "OwnerId", Label: "Owner ID", Type: "reference", Length: 18, Create: true, Update: true, RefTo: []string{"User"}},
		{Name: "CreatedDate", Label: "Created Date", Type: "datetime"},
		{Name: "CreatedById", Label: "Created By ID", Type: "reference", Length: 18, RefTo: []string{"User"}},
		{Name: "LastModifiedDate", Label: "Last Modified Date", Type: "datetime"},
		{Name: "LastModifiedById", Label: "Last Modified By ID", Type: "reference", Length: 18, RefTo: []string{"User"}},
	}
	if name == "User" || name == "PermissionSet" || name == "PermissionSetAssignment" || name == "TaskStatus" || name == "CallCenter" || name == "CustomPermission" {
		audit = append(audit[:1], audit[2:]...) // no OwnerId
	}
	s := &sobject{Name: name, Label: label, Plural: plural, byName: map[string]int{}}
	s.fields = append(audit, fields...)
	for i, f := range s.fields {
		s.byName[strings.ToLower(f.Name)] = i
	}
	return s
}

func str(name, label string, n int) field {
	return field{Name: name, Label: label, Type: "string", Length: n, Create: true, Update: true, Nillable: true}
}

func phone(name, label string) field {
	return field{Name: name, Label: label, Type: "phone", Length: 40, Create: true, Update: true, Nillable: true}
}

func readOnly(f field) field { f.Create, f.Update = false, false; return f }

func required(f field) field { f.Required, f.Nillable = true, false; return f }

// newSchema returns the objects the org knows. Each Org gets its own copy.
func newSchema(custom []CustomField) map[string]*sobject {
	account := newSObject("Account", "Account", "Accounts",
		required(str("Name", "Account Name", 255)),
		phone("Phone", "Account Phone"),
		phone("Fax", "Account Fax"),
		str("BillingCountry", "Billing Country", 80),
	)
	contact := newSObject("Contact", "Contact", "Contacts",
		str("FirstName", "First Name", 40),
		required(str("LastName", "Last Name", 80)),
		readOnly(str("Name", "Full Name", 121)),
		phone("Phone", "Business Phone"),
		phone("MobilePhone", "Mobile Phone"),
		phone("HomePhone", "Home Phone"),
		phone("OtherPhone", "Other Phone"),
		phone("AssistantPhone", "Asst. Phone"),
		field{Name: "Email", Label: "Email", Type: "email", Length: 80, Create: true, Update: true, Nillable: true},
		str("Title", "Title", 128),
		field{Name: "AccountId", Label: "Account ID", Type: "reference", Length: 18, Create: true, Update: true, Nillable: true, RefTo: []string{"Account"}},
		// A custom phone field, as orgs add them: only describe tells a
		// client it exists.
		field{Name: "Direct_Line__c", Label: "Direct Line", Type: "phone", Length: 40, Create: true, Update: true, Nillable: true, Custom: true},
	)
	lead := newSObject("Lead", "Lead", "Leads",
		str("FirstName", "First Name", 40),
		required(str("LastName", "Last Name", 80)),
		readOnly(str("Name", "Full Name", 121)),
		required(str("Company", "Company", 255)),
		phone("Phone", "Phone"),
		phone("MobilePhone", "Mobile Phone"),
		field{Name: "Email", Label: "Email", Type: "email", Length: 80, Create: true, Update: true, Nillable: true},
		field{Name: "Status", Label: "Lead Status", Type: "picklist", Length: 255, Create: true, Update: true, Default: "Open - Not Contacted",
			Values: []string{"Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"}},
		field{Name: "IsConverted", Label: "Converted", Type: "boolean", Default: false},
		field{Name: "ConvertedContactId", Label: "Converted Contact ID", Type: "reference", Length: 18, Nillable: true, RefTo: []string{"Contact"}},
	)
	task := newSObject("Task", "Task", "Tasks",
		field{Name: "Subject", Label: "Subject", Type: "combobox", Length: 255, Create: true, Update: true, Nillable: true,
			Values: []string{"Call", "Send Letter", "Send Quote", "Other"}},
		// Status takes the org's TaskStatus values (setTaskStatusesLocked).
		field{Name: "Status", Label: "Status", Type: "picklist", Length: 255, Create: true, Update: true, Required: true, Restricted: true},
		field{Name: "Priority", Label: "Priority", Type: "picklist", Length: 40, Create: true, Update: true, Required: true, Default: "Normal",
			Restricted: true, Values: []string{"High", "Normal", "Low"}},
		field{Name: "ActivityDate", Label: "Due Date Only", Type: "date", Create: true, Update: true, Nillable: true},
		field{Name: "CallType", Label: "Call Type", Type: "picklist", Length: 40, Create: true, Update: true, Nillable: true, Restricted: true,
			Values: []string{"Inbound", "Internal", "Outbound"}},
		field{Name: "CallDurationInSeconds", Label: "Call Duration", Type: "int", Length: 8, Create: true, Update: true, Nillable: true},
		str("CallObject", "Call Object Identifier", 255),
		str("CallDisposition", "Call Result", 255),
		field{Name: "Description", Label: "Comments", Type: "textarea", Length: 32000, Create: true, Update: true, Nillable: true},
		field{Name: "Type", Label: "Type", Type: "picklist", Length: 40, Create: true, Update: true, Nillable: true,
			Values: []string{"Call", "Email", "Meeting", "Other"}},
		// Cadence exists but only Salesforce sets it, so it is not offered for writes.
		field{Name: "TaskSubtype", Label: "Task Subtype", Type: "picklist", Length: 40, Create: true, Nillable: true, Restricted: true,
			Values: []string{"Task", "Email", "ListEmail", "Call", "LinkedIn"}},
		field{Name: "WhoId", Label: "Name ID", Type: "reference", Length: 18, Create: true, Update: true, Nillable: true, RefTo: []string{"Contact", "Lead"}},
		field{Name: "WhatId", Label: "Related To ID", Type: "reference", Length: 18, Create: true, Update: true, Nillable: true, RefTo: []string{"Account", "Opportunity", "Case"}},
		field{Name: "AccountId", Label: "Account ID", Type: "reference", Length: 18, Nillable: true, RefTo: []string{"Account"}},
		field{Name: "IsClosed", Label: "Closed", Type: "boolean"},
		field{Name: "Zoom_Call_Id__c", Label: "Zoom Call Id", Type: "string", Length: 255, Create: true, Update: true, Nillable: true, Custom: true},
		field{Name: "Call_Outcome__c", Label: "Call Outcome", Type: "picklist", Length: 255, Create: true, Update: true, Nillable: true, Custom: true,
			Values: []string{"Meaningful Connect", "Left Voicemail", "Call Back Later", "Not Interested", "Unqualified"}},
		field{Name: "Notes_Summary__c", Label: "Notes Summary", Type: "textarea", Length: 32768, Create: true, Update: true, Nillable: true, Custom: true},
	)
	user := newSObject("User", "User", "Users",
		required(str("Username", "Username", 80)),
		str("FirstName", "First Name", 40),
		required(str("LastName", "Last Name", 80)),
		readOnly(str("Name", "Full Name", 121)),
		required(field{Name: "Email", Label: "Email", Type: "email", Length: 128, Create: true, Update: true}),
		phone("Phone", "Phone"),
		phone("MobilePhone", "Mobile"),
		str("Extension", "Extension", 40),
		str("Title", "Title", 80),
		field{Name: "IsActive", Label: "Active", Type: "boolean", Create: true, Update: true, Default: true},
	)
	// Opportunity and Case: the standard objects a call is "Related To".
	opportunity := newSObject("Opportunity", "Opportunity", "Opportunities",
		required(str("Name", "Name", 120)),
		field{Name: "AccountId", Label: "Account ID", Type: "reference", Length: 18, Create: true, Update: true, Nillable: true, RefTo: []string{"Account"}},
		field{Name: "StageName", Label: "Stage", Type: "picklist", Length: 255, Create: true, Update: true, Required: true, Default: "Prospecting",
			Values: []string{"Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}},
		field{Name: "CloseDate", Label: "Close Date", Type: "date", Create: true, Update: true, Nillable: true},
	)
	kase := newSObject("Case", "Case", "Cases",
		readOnly(str("CaseNumber", "Case Number", 30)),
		str("Subject", "Subject", 255),
		field{Name: "AccountId", Label: "Account ID", Type: "reference", Length: 18, Create: true, Update: true, Nillable: true, RefTo: []string{"Account"}},
		field{Name: "ContactId", Label: "Contact ID", Type: "reference", Length: 18, Create: true, Update: true, Nillable: true, RefTo: []string{"Contact"}},
		field{Name: "Status", Label: "Status", Type: "picklist", Length: 40, Create: true, Update: true, Default: "New",
			Values: []string{"New", "Working", "Escalated", "Closed"}},
	)
	permSet := newSObject("PermissionSet", "Permission Set", "Permission Sets",
		required(str("Name", "Name", 80)),
		required(str("Label", "Label", 80)),
	)
	assignment := newSObject("PermissionSetAssignment", "Permission Set Assignment", "Permission Set Assignments",
		field{Name: "AssigneeId", Label: "Assignee ID", Type: "reference", Length: 18, Create: true, Required: true, RefTo: []string{"User"}},
		field{Name: "PermissionSetId", Label: "Permission Set ID", Type: "reference", Length: 18, Create: true, Required: true, RefTo: []string{"PermissionSet"}},
	)
	// TaskStatus: the org's Task Status values, read-only through the API
	// (an admin edits them in Setup).
	taskStatus := newSObject("TaskStatus", "Task Status Value", "Task Status Values",
		readOnly(str("ApiName", "Api Name", 255)),
		readOnly(str("MasterLabel", "Master Label", 255)),
		field{Name: "SortOrder", Label: "Sort Order", Type: "int", Length: 9, Nillable: true},
		field{Name: "IsDefault", Label: "Is Default", Type: "boolean"},
		field{Name: "IsClosed", Label: "Is Closed", Type: "boolean"},
	)
	// CallCenter: the imported call center definitions (Object Reference,
	// CallCenter: create, query, retrieve; AdapterUrl string 2000,
	// CustomSettings string 3000, InternalName, Name).
	callCenter := newSObject("CallCenter", "Call Center", "Call Centers",
		required(str("Name", "Name", 80)),
		required(str("InternalName", "Internal Name", 80)),
		str("AdapterUrl", "CTI Adapter URL", 2000),
		str("CustomSettings", "Custom Settings", 3000),
	)
	// CustomPermission: the org's custom permissions, created in Setup;
	// read-only through the API.
	customPermission := newSObject("CustomPermission", "Custom Permission", "Custom Permissions",
		readOnly(str("DeveloperName", "Name", 80)),
		readOnly(str("MasterLabel", "Label", 80)),
		readOnly(str("NamespacePrefix", "Namespace Prefix", 15)),
	)
	out := map[string]*sobject{}
	for _, s := range []*sobject{account, contact, lead, task, opportunity, kase, user, permSet, assignment, taskStatus, callCenter, customPermission} {
		out[s.Name] = s
	}
	for _, c := range custom {
		s, ok := out[c.Object]
		if !ok || !strings.HasSuffix(c.Name, "__c") {
			panic(fmt.Sprintf("sfsim: custom field %s.%s: unknown object or not a custom field name", c.Object, c.Name))
		}
		if c.Length <= 0 {
			c.Length = 255
		}
		if c.Label == "" {
			c.Label = strings.TrimSuffix(c.Name, "__c")
		}
		f := str(c.Name, c.Label, c.Length)
		f.Custom, f.ExternalID = true, c.ExternalID
		s.byName[strings.ToLower(f.Name)] = len(s.fields)
		s.fields = append(s.fields, f)
	}
	return out
}

// lookupSObject finds an object by name, case-insensitively.
func (o *Org) lookupSObject(name string) (*sobject, bool) {
	if s, ok := o.schema[name]; ok {
		return s, true
	}
	for n, s := range o.schema {
		if strings.EqualFold(n, name) {
			return s, true
		}
	}
	return nil, false
}

// describe renders the describe result of one object as v sees it, the
// subset of Salesforce's shape that clients (and the settings UI) read.
// Fields v cannot read are left out (field-level security; reference
// salesforce-phone-search.md §8, simple-salesforce/simple-salesforce#621).
func (s *sobject) describe(base string, v *viewer) map[string]any {
	fields := make([]map[string]any, 0, len(s.fields))
	for i, f := range s.fields {
		if !v.canSeeField(s, &s.fields[i]) {
			continue
		}
		picklist := []map[string]any{}
		for _, v := range f.Values {
			picklist = append(picklist, map[string]any{"value": v, "label": v, "active": true, "defaultValue": f.Default == v, "validFor": nil})
		}
		refTo := f.RefTo
		if refTo == nil {
			refTo = []string{}
		}
		fields = append(fields, map[string]any{
			"name": f.Name, "label": f.Label, "type": f.Type, "length": f.Length,
			"createable": f.Create, "updateable": f.Update, "nillable": f.Nillable || !f.Create,
			"defaultedOnCreate": f.Default != nil || f.Name == "OwnerId" || f.Name == "Id",
			"custom":            f.Custom, "calculated": false, "filterable": f.Type != "textarea", "sortable": f.Type != "textarea",
			"picklistValues": picklist, "restrictedPicklist": f.Restricted, "referenceTo": refTo,
			"externalId": f.ExternalID,
		})
	}
	return map[string]any{
		"name": s.Name, "label": s.Label, "labelPlural": s.Plural, "keyPrefix": keyPrefixes[s.Name],
		"custom": false, "createable": true, "updateable": true, "deletable": true, "queryable": true, "searchable": true,
		"fields": fields,
		"urls": map[string]string{
			"sobject":     base + "/sobjects/" + s.Name,
			"describe":    base + "/sobjects/" + s.Name + "/describe",
			"rowTemplate": base + "/sobjects/" + s.Name + "/{ID}",
		},
	}
}

// sortedNames returns the object names in a stable order.
func sortedNames(m map[string]*sobject) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
